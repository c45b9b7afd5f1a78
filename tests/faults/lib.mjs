// tests/faults/lib.mjs — what the fault tests share: a PostgreSQL cluster of the file's own
// (made by tests/lib/pg.sh, so it is set up exactly like the others, and restarting it
// disturbs no other test), load generators that record every answer, and the mutation
// ledger that checks no mutation was both reported failed and committed.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import { freePort, need, startServer } from '../lib/gql.mjs';

export { sleep, startServer };
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const execFileP = promisify(execFile);

need('GP_BIN');

// Runs a function of tests/lib/pg.sh; async, so that load in flight keeps being served
// (and timed) while PostgreSQL stops and starts.
async function pgsh(script, ...args) {
  const { stdout } = await execFileP('bash', ['-c', `set -euo pipefail; . tests/lib/pg.sh; ${script}`, 'pgsh', ...args],
    { cwd: root, encoding: 'utf8' });
  return stdout;
}

// A cluster of the calling file's own with examples/blog and a ledger table in database
// `blog`. synchronous_commit is turned back on (pg.sh turns it off for speed): with it off
// an immediate shutdown loses the last commits PostgreSQL already reported, which the
// ledger would blame on graphpost. fsync stays off: the machine does not crash.
export async function cluster(tag) {
  const dir = mkdtempSync(path.join(tmpdir(), `graphpost-faults-${tag}.`));
  const port = await freePort();
  await pgsh('chmod 755 "$1" && pg_init "$1" && echo "synchronous_commit = on" | pg_as_owner tee -a "$1/data/postgresql.conf" >/dev/null', dir);
  const conn = ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres'];
  const pg = {
    dir,
    port,
    url: (db = 'blog') => `postgres://postgres@127.0.0.1:${port}/${db}`,
    // One statement through psql, its output trimmed. Async: the event loop keeps serving.
    async sql(text, db = 'blog') {
      const { stdout } = await execFileP('psql', [...conn, '-d', db, '-c', text], { encoding: 'utf8' });
      return stdout.trim();
    },
    async json(text, db = 'blog') {
      return JSON.parse(await pg.sql(text, db));
    },
    start: () => pgsh('pg_start_in "$1" "$2"', dir, String(port)),
    stop: () => pgsh('pg_stop "$1"', dir),
    // pg_ctl restart -m MODE; resolves once PostgreSQL accepts connections again (-w).
    restart: (mode) => pgsh('pg_as_owner "$PG_BIN/pg_ctl" -D "$1/data" -l "$1/server.log" -m "$2" -w -t 60 restart >/dev/null', dir, mode),
    log: () => readFileSync(path.join(dir, 'server.log'), 'utf8'),
    async destroy() {
      try { await pg.stop(); } catch { /* already stopped */ }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await pg.start();
  await pg.sql('create database blog', 'postgres');
  for (const f of ['schema.sql', 'seed.sql'])
    execFileSync('psql', [...conn, '-d', 'blog', '-f', path.join(root, 'examples/blog', f)], { stdio: 'pipe' });
  await pg.sql(LEDGER_DDL);
  return pg;
}

// ---------------------------------------------------------------------------------------
// Answers: one request, timed, classified. A request never throws: a transport failure
// (refused, reset, closed before a whole response) is an answer of kind 'transport'.

const CLIENT_TIMEOUT_MS = 20000; // far above any fault here: only a hung server reaches it

export async function request(url, query, variables) {
  const start = Date.now();
  let status = 0, text = '', failure = null;
  try {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
    });
    status = res.status;
    text = await res.text();
  } catch (e) {
    failure = e.name === 'TimeoutError' ? 'timeout' : String(e.cause?.code || e.message);
  }
  let body;
  try { body = JSON.parse(text); } catch { /* not JSON */ }
  return { start, end: Date.now(), status, body, bytes: text.length, text: text.slice(0, 300), failure, kind: kindOf(status, body, failure) };
}

// 'data': HTTP 200 with data and no errors. 'error': a clean GraphQL error — JSON whose
// errors[] is not empty, each with an extensions.code, and no data. 'transport': no
// response. 'unclean': anything else (a response a GraphQL client cannot read).
export function kindOf(status, body, failure) {
  if (failure) return 'transport';
  if (status === 200 && body && body.data && !body.errors) return 'data';
  if (body && Array.isArray(body.errors) && body.errors.length && !body.data &&
      body.errors.every((e) => typeof e?.message === 'string' && typeof e?.extensions?.code === 'string'))
    return 'error';
  return 'unclean';
}

// {data: 12, 'error 503 SERVICE_UNAVAILABLE': 3, …}: what a run got, for the report.
export const countKinds = (answers) =>
  answers.reduce((m, a) => {
    const k = a.kind === 'error' ? `error ${a.status} ${a.body.errors[0].extensions.code}` : a.kind;
    return (m[k] = (m[k] || 0) + 1), m;
  }, {});

// Answers that are neither data nor a clean error, summed up for an assertion message.
export function unclean(answers) {
  return answers.filter((a) => a.kind !== 'data' && a.kind !== 'error');
}

// Every load still running, so that a test failing half-way does not leave clients
// looping (and the process alive) after it: teardown() calls stopLoad().
const running = new Set();
export async function stopLoad() {
  await Promise.all([...running].map((stop) => stop()));
}

// Runs `n` loops of `step()` until stop(), which resolves once every loop is done.
function loops(n, step) {
  let on = true;
  const all = Array.from({ length: n }, async () => {
    while (on) await step();
  });
  const stop = async () => {
    on = false;
    running.delete(stop);
    await Promise.all(all);
  };
  running.add(stop);
  return stop;
}

// `n` clients that each send `query` one after another until stop(); stop() resolves to
// every answer. `vars(i)` gives the variables of the i-th request.
export function load(url, n, query, vars = () => undefined) {
  const answers = [];
  let i = 0;
  const stop = loops(n, async () => answers.push(await request(url, query, vars(i++))));
  return { answers, stop: async () => (await stop(), answers) };
}

export const READ = 'query ($id: Int!) { users_by_pk(id: $id) { id name } }';
export const readVars = (i) => ({ id: (i % 4) + 1 });

// ---------------------------------------------------------------------------------------
// The mutation ledger: every insert_ledger_one the writer sent, with what graphpost said
// about it, checked against the table once the fault is over.

export const LEDGER_DDL = `create table ledger (id text primary key, n int not null,
  written_at timestamptz not null default clock_timestamp())`;
const INSERT = 'mutation ($id: String!, $n: Int!) { insert_ledger_one(object: {id: $id, n: $n}) { id } }';

// What an answer reports about the insert, strictly:
// - 'committed': HTTP 200 and data.insert_ledger_one.id is the id sent.
// - 'failed': every other answer graphpost gave — a GraphQL error of any code and any
//   HTTP status (200 DATABASE_ERROR, 503 SERVICE_UNAVAILABLE, 500 …), and a response that
//   is not clean. A client reading "errors, data null" can only take it as "not done", so
//   the server must only say it when it knows the transaction did not commit (it was never
//   sent, or PostgreSQL rolled it back). The one exception is an error that says in words
//   that the outcome is unknown ("may or may not have run", which graphpost's pool writes
//   for a connection lost after a write was sent, though it shows that text only with
//   --dev): 'unknown'.
// - A transport failure (no HTTP response at all) is 'failed' too while graphpost runs: it
//   is the server's choice to close a socket without answering, and it knows as much then
//   as when it answers. Only when the graphpost process has exited (it crashed, which fails
//   the test anyway) could it not know: 'unknown'. So is the client's own timeout, which
//   fails the test's "every request gets an answer" check instead.
export function verdict(id, a, serverExited) {
  if (a.kind === 'data' && a.body.data.insert_ledger_one?.id === id) return 'committed';
  if (a.kind === 'transport') return serverExited || a.failure === 'timeout' ? 'unknown' : 'failed';
  const words = (a.body?.errors || []).map((e) => String(e?.message)).join(' ');
  if (/may or may not have run|outcome is unknown/i.test(words)) return 'unknown';
  return 'failed';
}

export class Ledger {
  // `srv`: the server under test (its exited() decides transport failures), `tag`: an id prefix.
  constructor(srv, tag) {
    this.srv = srv;
    this.tag = tag;
    this.n = 0;
    this.entries = []; // { id, verdict, answer }
  }

  async writeOne() {
    const n = ++this.n, id = `${this.tag}-${n}`;
    const a = await request(this.srv.url, INSERT, { id, n });
    const entry = { id, verdict: verdict(id, a, this.srv.exited() !== null), answer: a };
    this.entries.push(entry);
    return entry;
  }

  // Writes with `concurrency` inserts in flight until stop(); several at once widen the
  // window in which a fault can hit a transaction between its COMMIT and its answer.
  start(concurrency = 4) {
    const stop = loops(concurrency, () => this.writeOne());
    return { stop: async () => (await stop(), this.entries) };
  }

  counts() {
    return this.entries.reduce((m, e) => ((m[e.verdict] = (m[e.verdict] || 0) + 1), m), {});
  }

  // The check: every id reported committed is in the table and no id reported failed is.
  // Returns the ids that break it (empty when the ledger holds).
  async violations(pg) {
    const inTable = new Set(await pg.json(`select coalesce(json_agg(id), '[]') from ledger where id like '${this.tag}-%'`));
    const lost = this.entries.filter((e) => e.verdict === 'committed' && !inTable.has(e.id));
    const ghosts = this.entries.filter((e) => e.verdict === 'failed' && inTable.has(e.id));
    return { lost, ghosts };
  }

  async assertHolds(pg) {
    const { lost, ghosts } = await this.violations(pg);
    const show = (es) => es.slice(0, 3).map((e) => `${e.id}: HTTP ${e.answer.status} ${e.answer.failure || e.answer.text}`).join('\n  ');
    assert.equal(lost.length, 0, `${lost.length} mutations reported committed are not in the table:\n  ${show(lost)}`);
    assert.equal(ghosts.length, 0, `${ghosts.length} mutations reported failed were committed:\n  ${show(ghosts)}`);
  }
}

// ---------------------------------------------------------------------------------------
// The server.

export async function getJson(url, route) {
  const r = await fetch(`${url}${route}`);
  return { status: r.status, body: await r.json().catch(() => undefined) };
}

// Polls `route` until it answers `status`, failing after `ms`.
export async function waitStatus(srv, route, status, ms) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try { last = (await getJson(srv.url, route)).status; } catch (e) { last = e.message; }
    if (last === status) return;
    await sleep(100);
  }
  assert.fail(`${route} answered ${last}, not ${status}, for ${ms} ms:\n${srv.output().slice(-1500)}`);
}

// How every fault case ends: the process is up and answers a query with data.
export async function assertServes(srv) {
  assert.equal(srv.exited(), null, `graphpost exited:\n${srv.output().slice(-2000)}`);
  const a = await request(srv.url, READ, { id: 1 });
  assert.deepEqual(a.body, { data: { users_by_pk: { id: 1, name: 'Ada Lovelace' } } }, a.failure || a.text);
}

// How every file ends, whatever failed: the load stopped, `closers` run (errors ignored),
// the server stopped (stop() throws on a sanitizer report) and, even then, the cluster
// stopped and removed.
export async function teardown(srv, pg, ...closers) {
  await stopLoad();
  try {
    for (const close of closers) await Promise.resolve().then(close).catch(() => {});
    if (srv) await srv.stop();
  } finally {
    if (pg) await pg.destroy();
  }
}

// A server for the cluster's blog database; stopped (and its sanitizer report read) by stop().
export function serve(pg, args = [], env = {}) {
  return startServer({ args: ['--database-url', pg.url('blog'), ...args], env });
}

// The VmRSS of a process in kB (Linux).
export function rssKb(pid) {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}
