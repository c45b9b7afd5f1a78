// The schema as graphql-js sees it through introspection: the full introspection
// query → buildClientSchema → assertValidSchema, for blog and Pagila; every example
// query validates against it; its printSchema is tests/unit/schema/golden/<db>.graphql,
// the same file that tests/unit/schema/sdl.c compares our own SDL printer with. This
// test only reads it: the unit test rewrites it (tests/README, "Golden SDL").
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { getIntrospectionQuery, buildClientSchema, assertValidSchema, validate, parse, printSchema } from 'graphql';
import { need, post, psql, startServer } from '../lib/gql.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const golden = (db) => path.join(root, 'tests/unit/schema/golden', `${db}.graphql`);
const servers = { blog: need('GP_BLOG_URL'), pagila: need('GP_PAGILA_URL') };

const introspectionQuery = getIntrospectionQuery({
  descriptions: true,
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  schemaDescription: true,
  inputValueDeprecation: true,
});

const cache = new Map();
const clientSchema = (base) => {
  if (!cache.has(base)) cache.set(base, fetchSchema(base));
  return cache.get(base);
};

async function fetchSchema(base) {
  const r = await post(base, introspectionQuery, undefined, { operationName: 'IntrospectionQuery' });
  assert.equal(r.status, 200, r.text.slice(0, 1000));
  assert.ok(!r.body.errors, JSON.stringify(r.body.errors?.slice(0, 5)));
  const schema = buildClientSchema(r.body.data);
  assertValidSchema(schema);
  return schema;
}

// Which database an example is written for: pagila_*.graphql for Pagila, the rest for blog.
const examples = readdirSync(path.join(root, 'examples/queries'))
  .filter((f) => f.endsWith('.graphql'))
  .map((f) => ({ file: f, db: f.startsWith('pagila') ? 'pagila' : 'blog' }));

for (const [db, base] of Object.entries(servers)) {
  describe(`${db}: the introspected schema`, () => {
    it('builds with buildClientSchema and passes assertValidSchema, with Hasura root names', async () => {
      const schema = await clientSchema(base);
      assert.equal(schema.getQueryType()?.name, 'query_root');
      if (schema.getMutationType()) assert.equal(schema.getMutationType().name, 'mutation_root');
      if (schema.getSubscriptionType()) assert.equal(schema.getSubscriptionType().name, 'subscription_root');
    });

    for (const ex of examples.filter((e) => e.db === db)) {
      it(`examples/queries/${ex.file} validates`, async () => {
        const schema = await clientSchema(base);
        const errors = validate(schema, parse(readFileSync(path.join(root, 'examples/queries', ex.file), 'utf8')));
        assert.deepEqual(errors.map((e) => e.message), []);
      });
    }

    it(`prints the SDL in unit/schema/golden/${db}.graphql, as our own printer does`, async () => {
      const got = (printSchema(await clientSchema(base)) + '\n').split('\n');
      const want = readFileSync(golden(db), 'utf8').split('\n');
      let i = 0;
      while (i < got.length && got[i] === want[i]) i++;
      if (i < got.length || i < want.length)
        assert.fail(`line ${i + 1} of ${path.relative(root, golden(db))} is ${JSON.stringify(want[i])}, but ` +
          `graphql-js prints ${JSON.stringify(got[i])} from the introspection answer; if the schema changed on ` +
          'purpose, regenerate the file as tests/README says (Golden SDL)');
    });
  });
}

// A database with nothing to expose still makes a valid schema: query_root needs a
// field, and gets Hasura's placeholder, which answers a clear error.
describe('an empty database', () => {
  const DB = 'gp_empty';
  let srv;
  before(async () => {
    const pg = { host: need('PGHOST'), port: need('PGPORT'), user: process.env.PGUSER || 'postgres' };
    psql('postgres', `drop database if exists ${DB}`);
    psql('postgres', `create database ${DB}`);
    srv = await startServer({ args: ['--threads', '1'], env: { GRAPHPOST_DATABASE_URL: `postgres://${pg.user}@${pg.host}:${pg.port}/${DB}` } });
  });
  after(async () => {
    if (srv) await srv.stop();
    psql('postgres', `drop database if exists ${DB}`);
  });

  it('has a valid schema with query_root.no_queries_available, and no mutation_root', async () => {
    const r = await post(srv.url, introspectionQuery);
    assert.equal(r.body.errors, undefined, r.text);
    const schema = buildClientSchema(r.body.data);
    assertValidSchema(schema);
    assert.deepEqual(Object.keys(schema.getQueryType().getFields()), ['no_queries_available']);
    assert.ok(!schema.getMutationType());
  });

  it('answers a query of the placeholder with an error, not a crash', async () => {
    const r = await post(srv.url, '{ no_queries_available }');
    assert.equal(r.status, 200, r.text);
    assert.match(r.body.errors[0].message, /no tables, views or functions/);
  });
});
