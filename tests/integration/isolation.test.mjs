// Every request is on its own: its own transaction, never held up by a slow
// statement or a failing neighbour, cancelled when its client leaves, and ended by
// --statement-timeout. A database of this test's own in the test cluster, with views
// that expose the transaction, sleep, or fail; servers of its own, with default
// settings. Latency bounds are measured on the release binary (ASan is several times
// slower): $GP_RELEASE_BIN, else the release build next to GP_BIN, else GP_BIN.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, psql, need } from '../lib/gql.mjs';

need('GP_BIN');
const DB = `isolation_${process.pid}`;
const releaseBin = () => {
  if (process.env.GP_RELEASE_BIN) return process.env.GP_RELEASE_BIN;
  const sibling = process.env.GP_BIN.replace(/-asan\/graphpost$/, '/graphpost');
  return existsSync(sibling) ? sibling : process.env.GP_BIN;
};

const SCHEMA = `
create table items (id int primary key, name text not null);
insert into items select g, 'item ' || g from generate_series(1, 100) g;
-- One row naming the transaction that read it.
create view xact as select 1 as id, pg_current_xact_id()::text as xid, now()::text as started;
create view slow as select 1 as id, pg_sleep(3)::text as slept;
create view sleepy as select 1 as id, pg_sleep(30)::text as slept;
create view bad as select id, (1 / (id - id))::text as boom from items;
`;

const byPk = 'query ($id: Int!) { items_by_pk(id: $id) { id name } }';
const dbUrl = () => `postgres://postgres@127.0.0.1:${need('PGPORT')}/${DB}`;
let srv;

// startServer runs $GP_BIN: point it at the release binary for this one start.
async function startRelease(opts) {
  const asan = process.env.GP_BIN;
  process.env.GP_BIN = releaseBin();
  try {
    return await startServer(opts);
  } finally {
    process.env.GP_BIN = asan;
  }
}

async function post(url, query, variables) {
  const t0 = performance.now();
  const r = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(Array.isArray(query) ? query : { query, variables }),
  });
  const text = await r.text();
  let body;
  try { body = JSON.parse(text); } catch { body = undefined; }
  return { status: r.status, body, text, ms: performance.now() - t0 };
}

// wrk drives the load (a node client on two busy cores measures itself): POSTs
// BODY with __ID__ replaced by 1..100, counts answers that lack `expect`, reports
// the slowest request.
const WRK_LUA = `
local body, expect = os.getenv("W_BODY"), os.getenv("W_EXPECT")
wrk.method = "POST"; wrk.path = "/graphql"; wrk.headers["Content-Type"] = "application/json"
local n, bad = 0, 0
function request() n = n + 1; return wrk.format(nil, nil, nil, (body:gsub("__ID__", tostring(n % 100 + 1)))) end
function response(status, headers, b) if expect ~= "" and not b:find(expect, 1, true) then bad = bad + 1 end end
function done(s, lat, req)
  io.write(string.format("W requests=%d max_us=%d p99_us=%d errors=%d\\n", s.requests, lat.max,
    lat:percentile(99), s.errors.connect + s.errors.read + s.errors.write + s.errors.timeout))
end`;
let luaDir;

function wrk(url, { query, c, secs, expect = '' }) {
  const body = JSON.stringify({ query, variables: { id: 0 } }).replace('"id":0', '"id":__ID__');
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', ['-t2', `-c${c}`, `-d${secs}s`, '--timeout', '10s', '-s', path.join(luaDir, 'w.lua'), url],
      { env: { ...process.env, W_BODY: body, W_EXPECT: expect }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', () => {
      const m = out.match(/W requests=(\d+) max_us=(\d+) p99_us=(\d+) errors=(\d+)/);
      if (!m) return reject(new Error(`wrk said: ${out}`));
      resolve({ n: +m[1], max: +m[2] / 1000, p99: +m[3] / 1000, errors: +m[4] });
    });
  });
}

const activeIn = (view) => Number(psql('postgres',
  `select count(*) from pg_stat_activity where datname = '${DB}' and state = 'active' and query like '%${view}%'`));

async function stillServes() {
  const r = await post(srv.url, byPk, { id: 7 });
  assert.deepEqual(r.body, { data: { items_by_pk: { id: 7, name: 'item 7' } } });
}

describe('isolation', () => {
  before(async () => {
    luaDir = mkdtempSync(path.join(tmpdir(), 'graphpost-isolation.'));
    writeFileSync(path.join(luaDir, 'w.lua'), WRK_LUA);
    psql('postgres', `create database ${DB}`);
    psql(DB, SCHEMA);
    srv = await startRelease({ args: ['--threads', '2'], env: { GRAPHPOST_DATABASE_URL: dbUrl() } });
  });

  after(async () => {
    if (srv) await srv.stop();
    psql('postgres', `drop database if exists ${DB} with (force)`);
    if (luaDir) rmSync(luaDir, { recursive: true, force: true });
  });

  it('never runs two requests in one transaction', async () => {
    const q = '{ xact { xid started } }';
    // Concurrent single requests, and batches whose operations are sent in one loop turn.
    const singles = Array.from({ length: 200 }, () => post(srv.url, q));
    const batches = Array.from({ length: 10 }, () => post(srv.url, Array.from({ length: 20 }, () => ({ query: q }))));
    const xids = [];
    for (const r of await Promise.all(singles)) {
      assert.equal(r.status, 200, r.text);
      xids.push(r.body.data.xact[0].xid);
    }
    for (const r of await Promise.all(batches)) {
      assert.equal(r.status, 200, r.text);
      for (const one of r.body) xids.push(one.data.xact[0].xid);
    }
    assert.equal(xids.length, 400);
    assert.equal(new Set(xids).size, 400, 'two requests shared a transaction id');
  });

  // One run beside two 3-second statements serves both tests below.
  let beside;
  const measureBeside = async () => {
    // Also makes by_pk known fast, and shows what the machine itself allows.
    const quiet = await wrk(srv.url, { query: byPk, c: 16, secs: 1, expect: '"items_by_pk":{"id":' });
    const slowEnds = [];
    const slow = [1, 2].map(() => post(srv.url, '{ slow { slept } }').then((r) => (slowEnds.push(Date.now()), r)));
    const t0 = Date.now();
    // Up to 2.5 s: on a loaded machine both may take a while to start, and run in turn
    // (3 s each) they could still never be seen together before then.
    while (activeIn('"slow"') < 2 && Date.now() - t0 < 2500) await sleep(20);
    const together = activeIn('"slow"');
    const load = await wrk(srv.url, { query: byPk, c: 16, secs: 2, expect: '"items_by_pk":{"id":' });
    const loadEnd = Date.now();
    const done = await Promise.all(slow);
    console.log(`by_pk at c=16 alone: max ${quiet.max.toFixed(1)} ms; beside two pg_sleep(3): ${load.n} requests, ` +
      `max ${load.max.toFixed(1)} ms, p99 ${load.p99.toFixed(1)} ms; the slow ones took ` +
      `${done.map((r) => Math.round(r.ms)).join(' and ')} ms`);
    return { quiet, load, loadEnd, slowEnds, done, together };
  };

  it('runs two 3-second statements side by side while by_pk traffic is served', async () => {
    beside = await measureBeside();
    const { quiet, load, loadEnd, slowEnds, done, together } = beside;
    assert.equal(together, 2, 'both slow statements run at once');
    for (const r of done) assert.deepEqual(r.body, { data: { slow: [{ slept: '' }] } });
    assert.equal(load.errors + quiet.errors, 0);
    assert.ok(loadEnd < Math.min(...slowEnds), 'the by_pk load outlasted the slow statements');
    assert.ok(load.n > 1000, `only ${load.n} requests`);
    for (const r of done) assert.ok(r.ms < 4500, `a slow statement took ${Math.round(r.ms)} ms: it waited for the other`);
  });

  // The 0.1-3 s tails this once showed came from the kernel's autogroup scheduling
  // (tests/lib/pg.sh turns it off where it can; bench/README has the measurements).
  it('keeps by_pk under 50 ms, the slowest of all, beside them', async (t) => {
    if (beside === undefined) beside = await measureBeside();
    const { quiet, load } = beside;
    // Queued behind a slow statement, a by_pk used to wait for all of it (1-3 s).
    assert.ok(load.max < 1000, `slowest by_pk took ${load.max.toFixed(1)} ms`);
    if (load.max >= 50 && quiet.max >= 50) {
      t.skip(`the 50 ms bound needs a machine where by_pk alone stays under it (here: ${quiet.max.toFixed(1)} ms)`);
      return;
    }
    assert.ok(load.max < 50, `slowest by_pk took ${load.max.toFixed(1)} ms`);
  });

  it('lets no client sending only failing operations slow the others', async () => {
    const good = { query: byPk, c: 8, secs: 3, expect: '"items_by_pk":{"id":' };
    const alone = await wrk(srv.url, good);
    const [beside, failing] = await Promise.all([
      wrk(srv.url, good),
      wrk(srv.url, { query: 'query ($id: Int!) { bad(where: {id: {_eq: $id}}) { boom } }', c: 4, secs: 3, expect: '22012' }),
    ]);
    console.log(`by_pk at c=8 for 3 s: ${alone.n} alone (p99 ${alone.p99.toFixed(1)} ms), ${beside.n} beside ` +
      `${failing.n} failing operations from 4 more clients (p99 ${beside.p99.toFixed(1)} ms)`);
    assert.equal(alone.errors + beside.errors, 0);
    assert.ok(failing.n > 500, `only ${failing.n} failing operations were sent`);
    // The failing clients get their share of the two cores (4 of 12 connections, each
    // failing operation costing about what a by_pk does), so by_pk keeps about 2/3 of
    // its throughput; 0.45 leaves room for noise. Before, each failure aborted its
    // pipeline neighbours, which were re-sent behind the next failure.
    assert.ok(beside.n >= alone.n * 0.45, `by_pk throughput fell from ${alone.n} to ${beside.n}`);
    // Nor do they stretch the tail: p99 at most three times what it is without them,
    // or 300 ms (on two shared cores, stalls of a few hundred ms show up with no
    // failing client at all; clients starved by re-sent neighbours waited seconds).
    assert.ok(beside.p99 < Math.max(300, 3 * alone.p99), `by_pk p99 went from ${alone.p99} to ${beside.p99} ms`);
    await stillServes();
  });

  // h2o disposes an HTTP/2 request whose client left; it does not read an HTTP/1
  // socket while a request is pending, so there the pool looks at the socket itself.
  const leavers = {
    'HTTP/2': (body) => {
      const session = http2.connect(srv.url);
      const req = session.request({ ':method': 'POST', ':path': '/graphql', 'content-type': 'application/json' });
      req.on('error', () => {});
      req.end(body);
      return () => session.destroy();
    },
    'HTTP/1.1': (body) => {
      const req = http.request(`${srv.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' } });
      req.on('error', () => {});
      req.end(body);
      return () => req.destroy();
    },
  };
  for (const [proto, start] of Object.entries(leavers)) {
    it(`cancels the statement of an ${proto} client that disconnects`, async () => {
      const leave = start(JSON.stringify({ query: '{ sleepy { slept } }' }));
      const deadline = Date.now() + 3000;
      while (activeIn('"sleepy"') === 0 && Date.now() < deadline) await sleep(50);
      assert.equal(activeIn('"sleepy"'), 1, 'the long statement did not start');
      leave();
      const t0 = Date.now();
      while (activeIn('"sleepy"') > 0 && Date.now() - t0 < 3000) await sleep(50);
      const gone = Date.now() - t0;
      console.log(`${proto}: pg_sleep(30) gone from pg_stat_activity ${gone} ms after its client left`);
      assert.ok(gone < 1000, `still running ${gone} ms after the client left`);
      await stillServes();
    });
  }

  it('ends a runaway statement with a clean GraphQL error at --statement-timeout', async () => {
    const own = await startServer({ args: ['--threads', '1', '--statement-timeout', '500'], env: { GRAPHPOST_DATABASE_URL: dbUrl() } });
    try {
      const r = await post(own.url, '{ slow { slept } }');
      assert.ok(r.ms < 2500, `took ${r.ms} ms`);
      assert.equal(r.body?.data, null, r.text);
      assert.equal(r.body.errors[0].extensions.sqlstate, '57014', r.text);
      assert.match(r.body.errors[0].message, /statement timeout/);
      const ok = await post(own.url, byPk, { id: 3 });
      assert.deepEqual(ok.body, { data: { items_by_pk: { id: 3, name: 'item 3' } } });
    } finally {
      await own.stop();
    }
  });
});
