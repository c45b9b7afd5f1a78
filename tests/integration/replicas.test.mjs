// Read replicas against a real streaming standby, on clusters of this file's own (so
// stopping one disturbs no other test): a primary made as every test cluster is
// (tests/lib/pg.sh) and a standby of it made by pg_basebackup -R (pg.sh's pg_replica),
// replaying with recovery_min_apply_delay = 500ms so that it visibly lags. graphpost gets
// the primary as --database-url and the standby as --read-replica-url, and:
// - queries run on the standby, none on the primary; mutations on the primary
//   (the statement log of each server: a GraphQL alias names each test's statements);
// - the standby stopped: every query still answers (from the primary) and
//   /health/database says the replica is unavailable; started again: reads go back to it
//   within seconds and it is ok again;
// - a live query refreshed on the lagging standby still gets every update, each with the
//   new data (a refresh that read the standby before it replayed the change would find
//   nothing new, and the subscriber would hear nothing).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { startServer, freePort, need } from '../lib/gql.mjs';

need('GP_BIN');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const APPLY_DELAY_MS = 500;
let dir, primary, replica, srv;

// Runs a function of tests/lib/pg.sh, so these clusters are made exactly like the others.
function pgsh(script, ...args) {
  return execFileSync('bash', ['-c', `set -euo pipefail; . tests/lib/pg.sh; ${script}`, 'pgsh', ...args], {
    cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  });
}
const psqlAt = (port, db, sql) =>
  execFileSync('psql', ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', db, '-c', sql], { encoding: 'utf8' }).trim();
const url = (port) => `postgres://postgres@127.0.0.1:${port}/blog`;
const startReplica = () => pgsh('pg_start_in "$1" "$2"', replica.dir, String(replica.port));
const stopReplica = () => pgsh('pg_stop "$1"', replica.dir);

// How many statements a server ran whose text has `marker`, from its statement log
// (log_statement = all; a GraphQL alias lands in the SQL as a JSON key, a constant that
// pg_stat_statements would show as $n).
function calls(port, marker) {
  const c = port === primary.port ? primary : replica;
  const text = readFileSync(path.join(c.dir, 'server.log'), 'utf8');
  return text.split(/\n(?=\d{4}-\d\d-\d\d \d)/).filter((e) => /LOG:  (statement|execute [^:]*): /.test(e) && e.includes(marker)).length;
}

async function query(q, variables) {
  const t0 = Date.now();
  try {
    const r = await fetch(`${srv.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: q, variables }) });
    const body = await r.json().catch(() => undefined);
    return { at: t0, ms: Date.now() - t0, status: r.status, body, ok: r.status === 200 && body?.data != null && !body.errors };
  } catch (e) {
    return { at: t0, ms: Date.now() - t0, status: 0, body: String(e), ok: false };
  }
}

async function replicaStatus() {
  const r = await fetch(`${srv.url}/health/database`);
  return (await r.json()).replicas[0];
}

async function waitFor(what, cond, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`${what}: not within ${ms} ms\n${srv?.output().slice(-1500)}`);
    await sleep(50);
  }
}

describe('read replicas', () => {
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'graphpost-replicas.'));
    primary = { dir: path.join(dir, 'primary'), port: await freePort() };
    replica = { dir: path.join(dir, 'replica'), port: await freePort() };
    mkdirSync(primary.dir);
    mkdirSync(replica.dir);
    pgsh('chmod 755 "$1" "$2" "$3" && pg_init "$2" && pg_start_in "$2" "$4"', dir, primary.dir, replica.dir, String(primary.port));
    psqlAt(primary.port, 'postgres', 'create database blog');
    for (const f of ['schema.sql', 'seed.sql'])
      execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-d', 'blog', '-f', path.join(root, 'examples/blog', f)]);
    pgsh(`pg_replica "$1" "$2" && echo "recovery_min_apply_delay = '${APPLY_DELAY_MS}ms'" | pg_as_owner tee -a "$1/data/postgresql.conf" >/dev/null`,
      replica.dir, String(primary.port));
    startReplica();
    assert.equal(psqlAt(replica.port, 'blog', 'select pg_is_in_recovery()'), 't');
    srv = await startServer({
      args: ['--database-url', url(primary.port), '--read-replica-url', url(replica.port), '--threads', '2',
        '--pool-acquire-timeout', '3000'],
    });
    await waitFor('the replica ok in /health/database', async () => (await replicaStatus()).status === 'ok', 10000);
  });

  after(async () => {
    try {
      if (srv) await srv.stop();
    } finally {
      for (const c of [replica, primary])
        if (c) try { pgsh('pg_stop "$1"', c.dir); } catch { /* not running */ }
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs queries on the replica and mutations on the writer', async () => {
    const status = await replicaStatus();
    assert.equal(status.address, `127.0.0.1:${replica.port}`);
    assert.ok(status.total >= 1, JSON.stringify(status));
    const [r0, w0] = [calls(replica.port, 'replicaProbe'), calls(primary.port, 'replicaProbe')];
    for (let i = 0; i < 20; i++) {
      const r = await query('query ($id: Int!) { replicaProbe: users_by_pk(id: $id) { id name } }', { id: (i % 3) + 1 });
      assert.ok(r.ok, JSON.stringify(r.body));
      assert.equal(r.body.data.replicaProbe.id, (i % 3) + 1);
    }
    assert.equal(calls(replica.port, 'replicaProbe') - r0, 20, 'every query ran on the replica');
    assert.equal(calls(primary.port, 'replicaProbe') - w0, 0, 'the writer ran none of them');

    const m = await query('mutation { replicaWrite: insert_tags_one(object: {name: "replicated", description: "x"}) { name } }');
    assert.ok(m.ok, JSON.stringify(m.body));
    assert.equal(calls(primary.port, 'replicaWrite'), 1, 'the mutation ran on the writer');
    assert.equal(calls(replica.port, 'replicaWrite'), 0);
    // The standby has it once it replayed (recovery_min_apply_delay later).
    await waitFor('the write on the replica', async () => {
      const r = await query('{ replicaProbe: tags_by_pk(name: "replicated") { name } }');
      return r.ok && r.body.data.replicaProbe?.name === 'replicated';
    }, 5000);

    const metrics = await (await fetch(`${srv.url}/metrics`)).text();
    assert.match(metrics, new RegExp(`^graphpost_replica_up\\{replica="0",address="127.0.0.1:${replica.port}"\\} 1$`, 'm'));
    assert.match(metrics, /^graphpost_replica_pool_queries_total\{replica="0"\} [1-9]\d*$/m);
    assert.match(metrics, /^graphpost_pool_queries_total [1-9]\d*$/m, 'the writer\'s families keep their names');
  });

  it('answers from the writer while the replica is down, and goes back to it', async () => {
    const Q = '{ replicaLoop: users(order_by: {id: asc}, limit: 2) { id } }';
    const results = [];
    let running = true;
    const workers = Array.from({ length: 4 }, async () => {
      while (running) {
        results.push(await query(Q));
        await sleep(10);
      }
    });
    try {
      await sleep(500);
      const w0 = calls(primary.port, 'replicaLoop');
      const stoppedAt = Date.now();
      stopReplica();
      await waitFor('the replica unavailable in /health/database', async () => (await replicaStatus()).status === 'unavailable', 5000);
      const seenDownMs = Date.now() - stoppedAt;
      await sleep(1500);
      assert.ok(calls(primary.port, 'replicaLoop') > w0, 'the writer answered the reads meanwhile');

      startReplica();
      const startedAt = Date.now();
      const r0 = calls(replica.port, 'replicaLoop');
      await waitFor('reads on the replica again', async () => calls(replica.port, 'replicaLoop') > r0 + 10, 10000);
      const backMs = Date.now() - startedAt;
      await waitFor('the replica ok in /health/database', async () => (await replicaStatus()).status === 'ok', 5000);
      // Each worker thread has its own replica pool, and each finds the replica back at its
      // own next reconnect (at most a second apart): then the writer takes no more reads.
      await waitFor('no reads on the writer once every thread has the replica back', async () => {
        const w1 = calls(primary.port, 'replicaLoop');
        await sleep(500);
        return calls(primary.port, 'replicaLoop') === w1;
      }, 3000);
      running = false;
      await Promise.all(workers);

      const failed = results.filter((r) => !r.ok);
      const slowest = Math.max(...results.map((r) => r.ms));
      const windowMs = failed.length ? failed[failed.length - 1].at + failed[failed.length - 1].ms - failed[0].at : 0;
      console.log(`# ${results.length} queries; replica seen down after ${seenDownMs} ms, reads back on it ${backMs} ms ` +
        `after its start; ${failed.length} failed (window ${windowMs} ms); slowest ${slowest} ms`);
      // The pool re-sends a read whose connection broke, and a replica with no connection
      // up fails it at once so the writer takes it: no error at all, and no wait anywhere
      // near the acquire timeout (3 s).
      assert.equal(failed.length, 0, `failed: ${JSON.stringify(failed.slice(0, 3))}`);
      assert.ok(slowest < 1500, `a query took ${slowest} ms while the replica went down or came back`);
    } finally {
      running = false;
      await Promise.all(workers);
      try { startReplica(); } catch { /* running */ }
    }
  });

  it('refreshes live queries on the lagging replica without missing an update', async () => {
    assert.equal(psqlAt(replica.port, 'blog', 'show recovery_min_apply_delay'), `${APPLY_DELAY_MS}ms`);
    await waitFor('the replica ok in /health/database', async () => (await replicaStatus()).status === 'ok', 10000);
    const client = createClient({ url: `${srv.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    const got = [];
    let wake = null;
    const stop = client.subscribe({ query: 'subscription { replicaLive: posts_by_pk(id: 1) { id title } }' }, {
      next: (v) => { got.push({ at: Date.now(), v }); if (wake) wake(); },
      error: (e) => { got.push({ at: Date.now(), error: String(e?.message || e) }); if (wake) wake(); },
      complete: () => {},
    });
    const next = async (ms) => {
      const deadline = Date.now() + ms;
      while (!got.length && Date.now() < deadline)
        await new Promise((resolve) => { wake = resolve; setTimeout(resolve, deadline - Date.now()); });
      wake = null;
      return got.shift();
    };
    try {
      const first = await next(5000);
      assert.ok(first?.v?.data?.replicaLive, JSON.stringify(first));
      const [r0, w0] = [calls(replica.port, 'replicaLive'), calls(primary.port, 'replicaLive')];
      const took = [];
      for (let k = 1; k <= 4; k++) {
        const t0 = Date.now();
        psqlAt(primary.port, 'blog', `update posts set title = 'live ${k}' where id = 1`);
        const m = await next(5000);
        assert.deepEqual(m?.v, { data: { replicaLive: { id: 1, title: `live ${k}` } } }, `update ${k}`);
        took.push(m.at - t0);
        await sleep(100);
      }
      const onReplica = calls(replica.port, 'replicaLive') - r0, onWriter = calls(primary.port, 'replicaLive') - w0;
      console.log(`# live updates through a replica ${APPLY_DELAY_MS} ms behind: ${took.join(', ')} ms; refreshes ` +
        `${onReplica} on the replica, ${onWriter} on the writer`);
      assert.ok(onReplica >= 4, `the refreshes ran on the replica (${onReplica} there, ${onWriter} on the writer)`);
      assert.ok(Math.min(...took) >= APPLY_DELAY_MS - 50, `an update came before the replica could have it: ${took}`);
      await sleep(300);
      assert.equal(got.length, 0, `nothing more: ${JSON.stringify(got)}`);
    } finally {
      stop();
      await client.dispose();
    }
  });
});
