// Principle 1 of the design: a whole operation — every root field, every nesting
// level — reaches PostgreSQL as ONE statement. Counted two ways: with
// pg_stat_statements (preloaded in the test cluster, created in the `postgres`
// database so graphpost never sees it) and in the server log (log_statement=all).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { client, need, psql, env, HOUSEKEEPING, loggedStatements } from '../lib/gql.mjs';

const gql = client(need('GP_BLOG_URL'));

const QUERY = `{
  users(order_by: {id: asc}) {
    name
    posts_by_author_id(order_by: {id: asc}) { title comments(order_by: {id: asc}) { body } }
  }
  posts_by_pk(id: 3) { title author { name } }
}`;


function statementsForBlog() {
  const out = psql(
    'postgres',
    `select coalesce(json_agg(json_build_object('calls', s.calls, 'query', s.query)), '[]')
       from pg_stat_statements s join pg_database d on d.oid = s.dbid
      where d.datname = '${env.blogDb}'`,
  );
  return JSON.parse(out).filter((s) => !HOUSEKEEPING.test(s.query));
}

const logSince = (offset) => loggedStatements(env.blogDb, offset);

describe('one statement per operation', () => {
  before(async () => {
    psql('postgres', 'create extension if not exists pg_stat_statements');
    await gql.data('{ __typename users_by_pk(id: 1) { id } }'); // warm: connections open, plans ready
  });

  it('sends a query with two root fields and three levels as exactly one statement', async () => {
    const logOffset = statSync(need('PG_LOG')).size;
    psql('postgres', 'select pg_stat_statements_reset()');

    const d = await gql.data(QUERY);
    assert.equal(d.users.length, 4);
    assert.equal(d.users[0].posts_by_author_id[0].comments.length, 2);
    assert.equal(d.posts_by_pk.author.name, 'Alan Turing');

    await sleep(300); // the log is written by another process
    const stats = statementsForBlog();
    const calls = stats.reduce((n, s) => n + Number(s.calls), 0);
    assert.equal(calls, 1, `pg_stat_statements saw ${calls} statements:\n${JSON.stringify(stats, null, 1)}`);

    const logged = logSince(logOffset);
    assert.equal(logged.length, 1, `the server log shows ${logged.length} statements:\n${logged.join('\n')}`);
    assert.match(logged[0], /comments/);
    assert.match(logged[0], /posts/);
  });

  it('still sends one statement when the same query comes again (a cached plan)', async () => {
    psql('postgres', 'select pg_stat_statements_reset()');
    await gql.data(QUERY);
    await gql.data(QUERY);
    const stats = statementsForBlog();
    const calls = stats.reduce((n, s) => n + Number(s.calls), 0);
    assert.equal(calls, 2, JSON.stringify(stats, null, 1));
  });
});

describe('values are parameters', () => {
  it('never writes a literal or a variable value into the SQL text', async () => {
    const logOffset = statSync(need('PG_LOG')).size;
    const literal = 'Computing Machinery';
    const variable = "O'Reilly \"quoted\" -- not SQL";
    const d = await gql.data(
      `query ($v: String!) { a: posts(where: {title: {_eq: "${literal}"}}) { id } b: users(where: {name: {_eq: $v}}, limit: 7) { id } }`,
      { v: variable },
    );
    assert.deepEqual(d, { a: [{ id: 3 }], b: [] });
    await sleep(300);
    const logged = logSince(logOffset);
    assert.equal(logged.length, 1, logged.join('\n'));
    assert.ok(!logged[0].includes(literal), `the literal is in the SQL text:\n${logged[0]}`);
    assert.ok(!logged[0].includes("O'Reilly") && !logged[0].includes("O''Reilly"), `the variable is in the SQL text:\n${logged[0]}`);
    assert.match(logged[0], /\$1/);
  });
});
