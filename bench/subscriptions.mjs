// bench/subscriptions.mjs — the client side of bench/subscriptions (which starts the
// cluster and graphpost, and passes everything here in the environment):
//
//   SUB_WS (ws://…/graphql) SUB_PID (graphpost's pid) SUB_N (subscribers) SUB_ROUNDS
//   SUB_ROUND_MS (a round starts at least this long after the previous one began)
//   SUB_TIMEOUT_MS (how long a round waits for its updates) SUB_DB (the database)
//   SUB_WRITER (the role the writer connects as) SUB_PG_PID (the postmaster's pid) SUB_CLK_TCK
//   SUB_VERBOSE=1 (a line per round on stderr)
//
// SUB_N subscribers to ONE document, subscriber i with {id: i}, at most 100 per socket
// (graphpost's per-socket limit). Then SUB_ROUNDS writes, each one UPDATE by psql of the
// rows of a random 1% of the subscribers (the last round: all of them), and for each
// subscriber whose row changed the time from the commit to its `next`, which must carry
// the new n. Prints one line: SUB_RESULT key=value ...
import { spawn, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';

const env = (k, d) => process.env[k] ?? (d === undefined ? fail(`${k} is not set`) : d);
function fail(msg) {
  console.error(`bench/subscriptions.mjs: ${msg}`);
  process.exit(2);
}

const URL_ = env('SUB_WS');
const PID = env('SUB_PID');
const PG_PID = env('SUB_PG_PID');
const N = +env('SUB_N');
const ROUNDS = +env('SUB_ROUNDS', '20');
const ROUND_MS = +env('SUB_ROUND_MS', '250');
const TIMEOUT_MS = +env('SUB_TIMEOUT_MS', '10000');
const DB = env('SUB_DB');
const WRITER = env('SUB_WRITER');
const CLK_TCK = +env('SUB_CLK_TCK', '100');
const VERBOSE = env('SUB_VERBOSE', '') === '1'; // a line per round on stderr
const PER_SOCKET = 100;
const QUERY = 'subscription ($id: Int!) { items_by_pk(id: $id) { id n } }';

// ---- the server as /proc and pg_stat_statements see it ----

// /proc/<pid>/stat after "(comm) ": state, ppid, …, utime and stime (fields 14, 15).
const stat = (pid) => readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
const cpuSeconds = () => { const f = stat(PID); return (+f[11] + +f[12]) / CLK_TCK; }; // every thread
// PostgreSQL's, where the refreshes' work is done: pid → seconds of the postmaster's
// children (graphpost's connections, the writer's, autovacuum); pgDelta counts what those
// alive at the end used since the start (one that exited in between is not counted).
function pgCpu() {
  const m = new Map();
  for (const pid of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(pid)) continue;
    try {
      const f = stat(pid);
      if (f[1] === PG_PID) m.set(pid, (+f[11] + +f[12]) / CLK_TCK);
    } catch { /* gone meanwhile */ }
  }
  return m;
}
const pgDelta = (a, b) => [...b].reduce((t, [pid, s]) => t + s - (a.get(pid) ?? 0), 0);
const rssMB = () => +readFileSync(`/proc/${PID}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1] / 1024;

// Statements graphpost ran in the bench database: the refreshes (server/live.c's
// `SELECT string_agg(_s.i::text …`, whatever its alias is called) and all of them. The
// writer is another role and this query runs in `postgres`, so neither counts.
function statements() {
  const out = execFileSync('psql', ['-X', '-A', '-t', '-F', ' ', '-d', 'postgres', '-c', `
    select coalesce(sum(calls) filter (where query ~ '^SELECT string_agg[(]_[a-z]+[.]i::text'), 0),
           coalesce(sum(calls), 0)
    from pg_stat_statements
    where dbid = (select oid from pg_database where datname = '${DB}')
      and userid = (select oid from pg_roles where rolname = current_user)`], { encoding: 'utf8' });
  const [refresh, all] = out.trim().split(' ').map(Number);
  return { refresh, all };
}

// The machine, from /proc/stat's first line: [all ticks of all cores, busy ones], so that
// what other programs took during the rounds can be told apart (a shared machine).
function machine() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const all = f.reduce((a, b) => a + b, 0);
  return [all / CLK_TCK, (all - f[3] - f[4]) / CLK_TCK]; // idle, iowait
}
const selfSeconds = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

// ---- subscribers ----

const expected = new Int32Array(N + 1); // the n each subscriber's row has now (all 0 at start)
const seen = new Uint8Array(N + 1); // it has had its initial result
const pending = new Map(); // id → the round's expected n, until its next arrives
let arrivals = []; // [id, performance.now()] of this round's right updates
let initial = 0, wrong = 0, extra = 0, errors = 0, dropped = 0;
let onProgress = () => {};
let closing = false; // from here on a closing socket or writer is expected

function onMessage(data) {
  const m = JSON.parse(String(data));
  if (m.type === 'connection_ack' || m.type === 'pong' || m.type === 'ping') return;
  if (m.type !== 'next') { // error or complete: the subscription is gone
    if (errors++ < 5) console.error(`bench/subscriptions.mjs: ${JSON.stringify(m).slice(0, 300)}`);
    return;
  }
  const id = +m.id, got = m.payload?.data?.items_by_pk?.n;
  if (!seen[id]) { // its initial result
    seen[id] = 1;
    initial++;
    if (got !== expected[id]) wrong++;
  } else if (pending.has(id)) {
    if (got === pending.get(id)) arrivals.push([id, performance.now()]);
    else wrong++;
    pending.delete(id);
  } else {
    extra++; // a message for a result that did not change (or came after its round's timeout)
  }
  onProgress();
}

function openSocket() {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(URL_, 'graphql-transport-ws');
    ws.on('error', reject);
    ws.on('close', (code, reason) => {
      if (closing) return;
      dropped += ws.nsubs; // its subscribers are no longer held
      console.error(`bench/subscriptions.mjs: a socket closed: ${code} ${reason}`);
    });
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init' })));
    ws.once('message', (d) => {
      if (JSON.parse(String(d)).type !== 'connection_ack') return reject(new Error(`no ack: ${d}`));
      ws.on('message', onMessage);
      resolve(ws);
    });
  });
}

// Resolves when done() holds (checked on every message), or after ms.
function until(done, ms) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => ((onProgress = () => {}), resolve(false)), ms);
    onProgress = () => { if (done()) { clearTimeout(timer); onProgress = () => {}; resolve(true); } };
    onProgress();
  });
}

// ---- the writer: one psql for the whole run; `\echo` after each UPDATE tells when it
// committed (autocommit), so the latency starts at the commit, not at psql's start ----

const writer = spawn('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-U', WRITER, '-d', DB],
  { stdio: ['pipe', 'pipe', 'inherit'] });
let writerOut = '', writerWait = null;
writer.stdout.on('data', (d) => {
  writerOut += d;
  if (writerWait && writerOut.includes(writerWait.mark)) writerWait.resolve(performance.now());
});
writer.on('exit', (code) => { if (!closing) fail(`the writer (psql) exited with ${code}`); });

function write(ids, round) {
  return new Promise((resolve) => {
    writerWait = { mark: `committed ${round}\n`, resolve };
    writer.stdin.write(`UPDATE items SET n = n + 1 WHERE id = ANY('{${ids.join(',')}}'::int[]);\n\\echo committed ${round}\n`);
  });
}

function sample(k) { // k distinct random ids in 1..N
  const a = Array.from({ length: N }, (_, i) => i + 1);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(Math.random() * (N - i));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a.slice(0, k);
}

const pct = (v, p) => (v.length ? v[Math.min(v.length - 1, Math.ceil(v.length * p) - 1)] : NaN);
const fmt = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');

async function main() {
  const nsockets = Math.ceil(N / PER_SOCKET);
  const cpu0 = cpuSeconds();
  const sockets = await Promise.all(Array.from({ length: nsockets }, openSocket));
  const t0 = performance.now();
  for (let i = 1; i <= N; i++) {
    const ws = sockets[Math.floor((i - 1) / PER_SOCKET)];
    ws.nsubs = (ws.nsubs || 0) + 1;
    ws.send(JSON.stringify({ id: String(i), type: 'subscribe', payload: { query: QUERY, variables: { id: i } } }));
  }
  if (!(await until(() => initial === N, 120000))) fail(`only ${initial} of ${N} initial results in 120 s`);
  const initialMs = performance.now() - t0;
  const cpu1 = cpuSeconds();
  await sleep(300); // anything still in flight after the initial results is an extra
  const st0 = statements(), cpu2 = cpuSeconds(), pg2 = pgCpu(), m0 = machine(), me0 = selfSeconds();
  const r0 = performance.now();

  const lat1 = [], latAll = []; // latencies in 1%-rounds and in all-rows rounds, ms
  let delivered = 0, want = 0, missing = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    const start = performance.now();
    const all = round === ROUNDS && ROUNDS > 1; // the last round changes every row at once
    const ids = all ? sample(N) : sample(Math.max(1, Math.round(N / 100)));
    for (const id of ids) pending.set(id, ++expected[id]);
    arrivals = [];
    want += ids.length;
    const committed = await write(ids, round);
    await until(() => pending.size === 0, TIMEOUT_MS);
    missing += pending.size;
    pending.clear();
    delivered += arrivals.length;
    const lat = arrivals.map(([, at]) => at - committed).sort((a, b) => a - b);
    (all ? latAll : lat1).push(...lat);
    if (VERBOSE) console.error(`round ${round}: ${ids.length} rows, ${lat.length} updates, ` +
      `p50 ${fmt(pct(lat, 0.5))} max ${fmt(lat[lat.length - 1])} ms, ${missing} missing so far`);
    const rest = ROUND_MS - (performance.now() - start);
    if (rest > 0) await sleep(rest);
  }
  await sleep(300); // late or repeated messages land as extras
  const wall = (performance.now() - r0) / 1000, cpu3 = cpuSeconds(), pg3 = pgCpu();
  const m1 = machine(), me1 = selfSeconds(), st1 = statements(), rss = rssMB();
  const others = (m1[1] - m0[1]) - (cpu3 - cpu2) - pgDelta(pg2, pg3) - (me1 - me0); // seconds of CPU
  closing = true;
  writer.stdin.end();
  for (const ws of sockets) ws.terminate();

  lat1.sort((a, b) => a - b);
  latAll.sort((a, b) => a - b);
  const r = {
    subscribers: N, held: N - errors - dropped, sockets: nsockets, initial_ms: initialMs.toFixed(0),
    p50: fmt(pct(lat1, 0.5)), p99: fmt(pct(lat1, 0.99)), max: fmt(lat1[lat1.length - 1]),
    all_p50: fmt(pct(latAll, 0.5)), all_p99: fmt(pct(latAll, 0.99)), all_max: fmt(latAll[latAll.length - 1]),
    delivered, expected: want, missing, wrong, extra, errors,
    cpu_initial_s: (cpu1 - cpu0).toFixed(2), cpu_pct: (100 * (cpu3 - cpu2) / wall).toFixed(0),
    pg_cpu_pct: (100 * pgDelta(pg2, pg3) / wall).toFixed(0), node_cpu_pct: (100 * (me1 - me0) / wall).toFixed(0),
    other_pct: Math.max(0, 100 * others / (m1[0] - m0[0])).toFixed(0), rss_mb: rss.toFixed(0),
    refresh_per_round: ((st1.refresh - st0.refresh) / ROUNDS).toFixed(2),
    stmts_per_round: ((st1.all - st0.all) / ROUNDS).toFixed(2),
  };
  console.log('SUB_RESULT ' + Object.entries(r).map(([k, v]) => `${k}=${v}`).join(' '));
  process.exit(0);
}

main().catch((e) => fail(e.stack || String(e)));
