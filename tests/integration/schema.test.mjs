// The schema as graphql-js sees it through introspection: the full introspection
// query → buildClientSchema → assertValidSchema, for blog and Pagila; every example
// query validates against it; its printSchema is tests/unit/schema/golden/<db>.graphql,
// the same file that tests/unit/schema/sdl.c compares our own SDL printer with. This
// test only reads it: the unit test rewrites it (tests/README, "Golden SDL").
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { getIntrospectionQuery, buildClientSchema, assertValidSchema, validate, parse, printSchema } from 'graphql';
import { need, post } from '../lib/gql.mjs';

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
