// The statements graphpost writes use the foreign-key indexes (design principle 1:
// relationships as correlated subqueries that PostgreSQL plans with the indexes it has).
// On a small copy of the benchmark's data (examples/blog/schema.sql + bench/gen.sql),
// the benchmark's nested request (bench/run's NESTED_QUERY) and an order_by through an
// array-relationship aggregate are sent to a server of their own; the statements are
// taken from the cluster's statement log and EXPLAINed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { need, post, psql, startServer, loggedStatements } from '../lib/gql.mjs';

const DB = 'gp_explain';
const root = new URL('../../', import.meta.url).pathname;

// bench/run's NESTED_QUERY, with the substitution bench/run makes (users→posts is
// posts_by_author_id in the blog schema).
function nestedQuery() {
  const m = /^NESTED_QUERY='([^']*)'/m.exec(readFileSync(`${root}bench/run`, 'utf8'));
  assert.ok(m, 'bench/run defines NESTED_QUERY');
  return m[1].replace('posts(limit: 5)', 'posts_by_author_id(limit: 5)');
}

// Every index a plan (EXPLAIN FORMAT JSON) reads, and the tables it scans sequentially.
function scans(plan, out = { indexes: new Set(), seq: new Set() }) {
  if (plan['Index Name']) out.indexes.add(plan['Index Name']);
  if (plan['Node Type'] === 'Seq Scan') out.seq.add(plan['Relation Name']);
  for (const p of plan.Plans || []) scans(p, out);
  return out;
}

describe('EXPLAIN of the compiled SQL on the benchmark data', () => {
  let srv;
  before(async () => {
    const pg = { host: need('PGHOST'), port: need('PGPORT'), user: process.env.PGUSER || 'postgres' };
    psql('postgres', `drop database if exists ${DB}`);
    psql('postgres', `create database ${DB}`);
    const load = (args) => execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', DB, ...args], { stdio: 'pipe' });
    load(['-f', `${root}examples/blog/schema.sql`]);
    load(['-v', 'users=1000', '-v', 'posts=10000', '-v', 'comments=50000', '-f', `${root}bench/gen.sql`]);
    srv = await startServer({ args: ['--threads', '1'], env: { GRAPHPOST_DATABASE_URL: `postgres://${pg.user}@${pg.host}:${pg.port}/${DB}` } });
  });
  after(async () => {
    if (srv) await srv.stop();
    psql('postgres', `drop database if exists ${DB}`);
  });

  // Sends `query`, returns what EXPLAIN says of the one statement it became.
  async function explain(query) {
    const offset = statSync(need('PG_LOG')).size;
    const r = await post(srv.url, query);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.errors, undefined, r.text);
    await sleep(300); // the log is written by another process
    const logged = loggedStatements(DB, offset).filter((s) => s.includes('json_build_object'));
    assert.equal(logged.length, 1, logged.join('\n'));
    assert.doesNotMatch(logged[0], /\$\d/, 'a statement without parameters (the EXPLAIN below binds none)');
    const [{ Plan }] = JSON.parse(psql(DB, `EXPLAIN (FORMAT JSON) ${logged[0]}`));
    return scans(Plan);
  }

  it("the benchmark's nested request reads posts and comments through their foreign keys' indexes", async () => {
    const s = await explain(nestedQuery());
    assert.ok(s.indexes.has('posts_author_id_idx'), `indexes used: ${[...s.indexes]}`);
    assert.ok(s.indexes.has('comments_post_id_idx'), `indexes used: ${[...s.indexes]}`);
    assert.ok(!s.seq.has('posts') && !s.seq.has('comments'), `sequential scans of ${[...s.seq]}`);
  });

  it('order_by an aggregate counts through the foreign key index, at the root and nested', async () => {
    const s = await explain(`{ users(limit: 10, order_by: [{posts_by_author_id_aggregate: {count: desc}}, {id: asc}]) { id
      posts_by_author_id(limit: 2, order_by: [{comments_aggregate: {max: {created_at: desc}}}, {id: asc}]) { id } } }`);
    assert.ok(s.indexes.has('posts_author_id_idx'), `indexes used: ${[...s.indexes]}`);
    assert.ok(s.indexes.has('comments_post_id_idx'), `indexes used: ${[...s.indexes]}`);
    assert.ok(!s.seq.has('posts') && !s.seq.has('comments'), `sequential scans of ${[...s.seq]}`);
  });
});
