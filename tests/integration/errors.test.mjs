// Error shapes end to end: every error has message and extensions.code; document
// errors carry locations; database errors carry their SQLSTATE and Hasura's code for
// its class, PostgreSQL's words only where they speak of the caller's own values, and
// the SQL only with --dev.
import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { post, startServer, need } from '../lib/gql.mjs';

const pg = { host: need('PGHOST'), port: need('PGPORT'), user: process.env.PGUSER || 'postgres' };
const blogUrl = `postgres://${pg.user}@${pg.host}:${pg.port}/blog`;
const servers = {};

before(async () => {
  servers.plain = await startServer({ args: ['--threads', '1'], env: { GRAPHPOST_DATABASE_URL: blogUrl } });
  servers.dev = await startServer({ args: ['--threads', '1', '--dev'], env: { GRAPHPOST_DATABASE_URL: blogUrl } });
});
after(async () => {
  for (const s of Object.values(servers)) await s.stop();
});

const badDate = '{ users(where: {created_at: {_eq: "not a date"}}) { id } }';

describe('errors', () => {
  it('a parse error has a location and GRAPHQL_PARSE_FAILED', async () => {
    const r = await post(servers.plain.url, '{ users { id }');
    assert.equal(r.body.errors[0].extensions.code, 'GRAPHQL_PARSE_FAILED');
    assert.deepEqual(r.body.errors[0].locations, [{ line: 1, column: 15 }]);
    assert.equal(r.body.data, undefined);
  });

  it('every validation error of a document is reported at once, each located', async () => {
    const r = await post(servers.plain.url, '{ users { nope } posts(limit: "x") { id } }');
    assert.equal(r.body.errors.length, 2, r.text);
    for (const e of r.body.errors) {
      assert.equal(e.extensions.code, 'GRAPHQL_VALIDATION_FAILED');
      assert.equal(e.locations.length, 1);
    }
    assert.equal(r.body.errors[0].message, 'Cannot query field "nope" on type "users".');
  });

  it('a variable of the wrong type is BAD_USER_INPUT naming the variable and the path', async () => {
    const r = await post(servers.plain.url, 'query($w: users_bool_exp) { users(where: $w) { id } }', {
      w: { id: { _eq: 'x' } },
    });
    assert.equal(r.body.errors[0].extensions.code, 'BAD_USER_INPUT');
    assert.match(r.body.errors[0].message, /^Variable "\$w" got invalid value "x" at "w\.id\._eq"; /);
  });

  it('a database error about the caller\'s value shows PostgreSQL\'s words and SQLSTATE, not the SQL', async () => {
    const r = await post(servers.plain.url, badDate);
    const e = r.body.errors[0];
    assert.equal(e.extensions.code, 'data-exception'); // Hasura's code for SQLSTATE class 22
    assert.equal(e.extensions.sqlstate, '22007');
    assert.equal(e.extensions.constraint, undefined);
    assert.match(e.message, /invalid input syntax for type timestamp with time zone/);
    assert.equal(e.extensions.internal, undefined);
    assert.ok(!r.text.includes('SELECT'), r.text);
    assert.equal(r.body.data, null);
  });

  it('with --dev the same error carries the statement', async () => {
    const r = await post(servers.dev.url, badDate);
    const e = r.body.errors[0];
    assert.equal(e.extensions.sqlstate, '22007');
    assert.match(e.extensions.internal.statement, /^SELECT json_build_object\('users'/);
  });

  it('the server still answers afterwards', async () => {
    const r = await post(servers.plain.url, '{ users_by_pk(id: 1) { name } }');
    assert.deepEqual(r.body, { data: { users_by_pk: { name: 'Ada Lovelace' } } });
  });
});
