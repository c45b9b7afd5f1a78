// Faults the pool must survive, on a cluster of its own (so stopping it does not
// disturb the other tests): backends terminated under load, PostgreSQL stopped
// (a clear 503, /health 503) and started again (graphpost reconnects by itself).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, freePort, need } from '../lib/gql.mjs';

need('GP_BIN');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ACQUIRE_TIMEOUT_MS = 1000;
let dir, port, srv;

// Runs a function of tests/lib/pg.sh, so this cluster is made exactly like the others.
function pgsh(script, ...args) {
  return execFileSync('bash', ['-c', `set -euo pipefail; . tests/lib/pg.sh; ${script}`, 'pgsh', ...args], {
    cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  });
}
const psql = (db, sql) =>
  execFileSync('psql', ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', db, '-c', sql], { encoding: 'utf8' }).trim();
const startPg = () => pgsh('pg_start_in "$1" "$2"', dir, String(port));
const stopPg = () => pgsh('pg_stop "$1"', dir);

async function query(q, variables) {
  const t0 = Date.now();
  const r = await fetch(`${srv.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: q, variables }) });
  return { status: r.status, body: await r.json().catch(() => undefined), ms: Date.now() - t0 };
}
const byPk = 'query ($id: Int!) { users_by_pk(id: $id) { id } }';

async function waitHealth(status, ms) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    last = (await fetch(`${srv.url}/health`)).status;
    if (last === status) return;
    await sleep(200);
  }
  assert.fail(`/health answered ${last}, not ${status}, for ${ms} ms:\n${srv.output().slice(-1500)}`);
}

describe('faults', () => {
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'graphpost-faults.'));
    port = await freePort();
    pgsh('chmod 755 "$1" && pg_init "$1"', dir);
    startPg();
    psql('postgres', 'create database blog');
    for (const f of ['schema.sql', 'seed.sql'])
      execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'blog', '-f', path.join(root, 'examples/blog', f)]);
    srv = await startServer({
      args: ['--database-url', `postgres://postgres@127.0.0.1:${port}/blog`, '--threads', '2', '--pool-max', '2',
        '--pool-acquire-timeout', String(ACQUIRE_TIMEOUT_MS)],
    });
  });

  after(async () => {
    if (srv) await srv.stop();
    if (dir) {
      try { stopPg(); } catch { /* already stopped */ }
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers every request while its backends are terminated under load', async () => {
    const load = Array.from({ length: 300 }, (_, i) => sleep(i * 3).then(() => query(byPk, { id: (i % 4) + 1 })));
    for (let k = 0; k < 3; k++) {
      await sleep(150);
      psql('postgres', "select count(pg_terminate_backend(pid)) from pg_stat_activity where datname = 'blog' and pid <> pg_backend_pid()");
    }
    const answers = await Promise.all(load);
    const failed = answers.filter((r) => r.status !== 200 || !r.body?.data?.users_by_pk);
    assert.equal(failed.length, 0, `${failed.length} of ${answers.length} failed, e.g. ${JSON.stringify(failed[0]?.body)}`);
  });

  it('answers 503 with a GraphQL error, in about the acquire timeout, while PostgreSQL is down', async () => {
    stopPg();
    await waitHealth(503, 10000);
    const r = await query(byPk, { id: 1 });
    assert.equal(r.status, 503, JSON.stringify(r.body));
    assert.ok(Array.isArray(r.body?.errors) && r.body.errors[0].message, JSON.stringify(r.body));
    assert.ok(!r.body.data, JSON.stringify(r.body));
    assert.ok(r.ms < ACQUIRE_TIMEOUT_MS + 3000, `took ${r.ms} ms`);
    assert.equal(srv.exited(), null, 'graphpost exited');
  });

  it('reconnects by itself when PostgreSQL comes back', async () => {
    startPg();
    await waitHealth(200, 30000);
    const r = await query(byPk, { id: 2 });
    assert.deepEqual(r.body, { data: { users_by_pk: { id: 2 } } });
  });
});
