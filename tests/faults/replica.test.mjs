// A read replica going away and coming back (--read-replica-url, built on another branch;
// skipped until `graphpost --help` lists it): a streaming replica made with
// pg_basebackup -R serves the reads; it is stopped under read load (reads go on from the
// writer, errors at most within a short window after the stop), started again, and reads
// go back to it (pg_stat_statements on the replica counts them again).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../lib/gql.mjs';
import { Ledger, READ, assertServes, cluster, countKinds, load, readVars, root, serve, sleep, teardown, unclean } from './lib.mjs';

const help = execFileSync(process.env.GP_BIN, ['--help'], { encoding: 'utf8' });
const skip = help.includes('--read-replica-url') ? false : 'graphpost --help does not list --read-replica-url (the read-replica feature is not on this branch)';
const ERROR_WINDOW_MS = 2000; // reads may fail only this long after the replica stops
const BACK_MS = 10000; // reads reach the replica again this long after it accepts connections
const execFileP = promisify(execFile);
const pgsh = (script, ...args) =>
  execFileP('bash', ['-c', `set -euo pipefail; . tests/lib/pg.sh; ${script}`, 'pgsh', ...args], { cwd: root, encoding: 'utf8' });
let pg, srv, rdir, rport;

// Statements the replica ran for database blog (the test's own psql reads from `postgres`).
async function replicaCalls() {
  const { stdout } = await execFileP('psql', ['-X', '-A', '-t', '-q', '-h', '127.0.0.1', '-p', String(rport), '-U', 'postgres', '-d', 'postgres',
    '-c', `select coalesce(sum(calls), 0) from pg_stat_statements where dbid = (select oid from pg_database where datname = 'blog')`]);
  return Number(stdout.trim());
}

async function waitFor(ms, what, probe) {
  const t0 = Date.now();
  while (!(await probe())) {
    assert.ok(Date.now() - t0 < ms, `${what} not within ${ms} ms`);
    await sleep(100);
  }
  return Date.now() - t0;
}

describe('a replica going away and coming back', { skip }, () => {
  before(async () => {
    pg = await cluster('replica');
    await pg.sql('create extension pg_stat_statements', 'postgres');
    rdir = mkdtempSync(path.join(tmpdir(), 'graphpost-faults-standby.'));
    rport = await freePort();
    // initdb's pg_hba.conf lets local replication connections in (trust).
    await pgsh(`chmod 755 "$1"; [ "$(id -u)" -ne 0 ] || chown postgres: "$1"
      pg_as_owner "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$2" -U postgres -D "$1/data" -R -X stream -c fast
      pg_start_in "$1" "$3"`, rdir, String(pg.port), String(rport));
    srv = await serve(pg, ['--threads', '2', '--read-replica-url', `postgres://postgres@127.0.0.1:${rport}/blog`]);
  });

  after(() => teardown(srv, pg, async () => {
    if (!rdir) return;
    await pgsh('pg_stop "$1"', rdir).catch(() => {});
    rmSync(rdir, { recursive: true, force: true });
  }));

  it(`reads go on from the writer while it is down (errors within ${ERROR_WINDOW_MS} ms at most) and back to it after`, async (t) => {
    const readers = load(srv.url, 8, READ, readVars);
    const ledger = new Ledger(srv, 'replica');
    const writer = ledger.start(2);
    const c0 = await replicaCalls();
    await waitFor(BACK_MS, 'reads on the replica', async () => (await replicaCalls()) > c0 + 50);
    const stopped = Date.now();
    await pgsh('pg_stop "$1"', rdir);
    await sleep(3000);
    const restarted = Date.now();
    await pgsh('pg_start_in "$1" "$2"', rdir, String(rport));
    const up = Date.now();
    const c1 = await replicaCalls();
    const back = await waitFor(BACK_MS, 'reads back on the replica', async () => (await replicaCalls()) > c1 + 50);
    const reads = await readers.stop();
    await writer.stop();

    const bad = unclean([...reads, ...ledger.entries.map((e) => e.answer)]);
    assert.equal(bad.length, 0, `${bad.length} answers neither data nor a clean error, e.g. ${JSON.stringify(bad[0])}`);
    const errors = reads.filter((a) => a.kind !== 'data');
    const late = errors.filter((a) => a.end > stopped + ERROR_WINDOW_MS && a.start < restarted);
    const whileDown = reads.filter((a) => a.start > stopped + ERROR_WINDOW_MS && a.end < restarted);
    t.diagnostic(`reads ${JSON.stringify(countKinds(reads))}, ${whileDown.length} answered while the replica was down; ` +
      `errors ${errors.map((a) => a.end - stopped).join(', ')} ms after the stop; reads back on the replica ` +
      `${back} ms after it accepted connections (${up - restarted} ms to start); writes ${JSON.stringify(ledger.counts())}`);
    assert.equal(late.length, 0, `reads failed later than ${ERROR_WINDOW_MS} ms after the replica stopped: ${JSON.stringify(late[0])}`);
    assert.ok(whileDown.length > 0 && whileDown.every((a) => a.kind === 'data'), 'the writer answered the reads while the replica was down');
    await assertServes(srv);
    await ledger.assertHolds(pg);
  });
});
