// The operational endpoints and the pool's settings as an operator sees them: /live,
// /ready, /health, /health/database (summed over threads), /metrics (Prometheus text,
// counting operations by type and outcome), --application-name in pg_stat_activity,
// and an unreachable database.
import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { serverStarter, freePort, need, env, sqlJson, psql } from '../lib/gql.mjs';

const pg = { host: need('PGHOST'), port: need('PGPORT'), user: process.env.PGUSER || 'postgres' };
const url = (db) => `postgres://${pg.user}@${pg.host}:${pg.port}/${db}`;
const APP = `gp_ops_${process.pid}`;
const start = serverStarter(after);

async function json(base, path) {
  const r = await fetch(`${base}${path}`);
  return { status: r.status, type: r.headers.get('content-type'), body: await r.json() };
}

async function gql(base, query) {
  const r = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  return r.json();
}

// The samples of a Prometheus text exposition: "name{labels}" → value. Also checks the
// format: every sample follows its # TYPE, every line is a comment or a sample.
function parseMetrics(text) {
  const samples = new Map();
  const typed = new Set();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = line.match(/^# TYPE (\w+) (counter|gauge|histogram)$/);
    if (type) {
      typed.add(type[1]);
      continue;
    }
    if (line.startsWith('# HELP ')) continue;
    const m = line.match(/^(\w+)(\{[^}]*\})? (\S+)$/);
    assert.ok(m, `not a sample: ${line}`);
    const family = m[1].replace(/_(bucket|sum|count)$/, '');
    assert.ok(typed.has(m[1]) || typed.has(family), `${m[1]} has no # TYPE before it`);
    const value = Number(m[3]);
    assert.ok(!Number.isNaN(value), line);
    samples.set(m[1] + (m[2] || ''), value);
  }
  return samples;
}

describe('operational endpoints', () => {
  let s;
  before(async () => {
    s = await start({
      args: ['--database-url', url(env.blogDb), '--threads', '2', '--pool-min', '3', '--pool-max', '5',
        '--application-name', APP],
    });
  });

  it('answers /live, /ready and /health', async () => {
    assert.deepEqual(await json(s.url, '/live'), { status: 200, type: 'application/json; charset=utf-8', body: { status: 'ok' } });
    assert.deepEqual((await json(s.url, '/ready')).body, { status: 'ok' });
    const h = await json(s.url, '/health');
    assert.equal(h.status, 200);
    assert.equal(h.body.status, 'ok');
    assert.equal(h.body.schema_loaded, true);
    assert.ok(Number.isInteger(h.body.uptime_seconds) && h.body.uptime_seconds >= 0, JSON.stringify(h.body));
    assert.match(h.body.version, /^\d+\.\d+\.\d+$/);
  });

  it('sums both threads\' pools in /health/database and names its connections', async () => {
    let d;
    for (let i = 0; i < 50; i++) { // --pool-min connections open in the background
      d = await json(s.url, '/health/database');
      if (d.body.writer.total >= 3 && d.body.writer.connecting === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(d.status, 200);
    const w = d.body.writer;
    assert.equal(w.status, 'ok');
    assert.equal(w.max, 5, 'the --pool-max of both threads together');
    assert.ok(w.total >= 3, `--pool-min 3 over two threads: ${JSON.stringify(w)}`);
    assert.equal(w.idle + w.in_use + w.connecting, w.total, JSON.stringify(w));
    for (const k of ['waiting', 'wait_count', 'wait_ms_total', 'exhausted', 'acquire_timeouts', 'errors', 'reconnects',
      'recycled', 'health_checks', 'health_check_failures', 'queries'])
      assert.equal(typeof w[k], 'number', `${k} in ${JSON.stringify(w)}`);
    const named = sqlJson('postgres', `select count(*) from pg_stat_activity where application_name = '${APP}'`);
    assert.ok(named >= 3, `${named} connections named ${APP}`);
  });

  it('counts operations by type and outcome in /metrics', async () => {
    const read = async () => {
      const r = await fetch(`${s.url}/metrics`);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
      return parseMetrics(await r.text());
    };
    const before = await read();
    const ok = 'graphpost_operations_total{type="query",outcome="ok"}';
    const bad = 'graphpost_operations_total{type="unknown",outcome="rejected"}';
    const failed = 'graphpost_operations_total{type="mutation",outcome="failed"}';
    for (let i = 0; i < 3; i++) assert.ok((await gql(s.url, '{ users { id } }')).data);
    assert.ok((await gql(s.url, '{ users { id }')).errors); // a parse error: never planned
    const dup = await gql(s.url, 'mutation { insert_users_one(object: {id: 1, name: "x", email: "x@x"}) { id } }');
    assert.ok(dup.errors, JSON.stringify(dup)); // id 1 exists: the database refuses it
    const now = await read();
    assert.equal(now.get(ok) - before.get(ok), 3);
    assert.equal(now.get(bad) - before.get(bad), 1);
    assert.equal(now.get(failed) - before.get(failed), 1);
    const count = 'graphpost_operation_duration_seconds_count{type="query"}';
    assert.equal(now.get(count) - before.get(count), 3);
    assert.equal(now.get('graphpost_operation_duration_seconds_bucket{type="query",le="+Inf"}'), now.get(count));
    assert.equal(now.get('graphpost_pool_max_connections'), 5);
    assert.equal(now.get('graphpost_up'), 1);
    assert.ok(now.get('graphpost_pool_queries_total') >= before.get('graphpost_pool_queries_total') + 4);
    for (const name of ['graphpost_subscribers', 'graphpost_live_cohorts', 'graphpost_notifications_total',
      'graphpost_pool_waiting', 'graphpost_pool_exhausted_total', 'graphpost_uptime_seconds'])
      assert.ok(now.has(name), `${name} missing`);
  });
});

describe('request logs', () => {
  it('writes one JSON line per request with its id, operation, outcome, duration and size', async () => {
    const s = await start({
      args: ['--database-url', url(env.blogDb), '--log-format', 'json', '--log-level', 'info', '--slow-query-ms', '0'],
    });
    const r = await fetch(`${s.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'ops-test-1' },
      body: JSON.stringify({ query: 'query Named { users { id } }', operationName: 'Named' }),
    });
    assert.equal(r.headers.get('x-request-id'), 'ops-test-1');
    const body = await r.text();
    const bad = await fetch(`${s.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    assert.match(bad.headers.get('x-request-id') || '', /^[0-9a-f]{16}$/, 'an id made by the server');
    await new Promise((res) => setTimeout(res, 200));
    const lines = s.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)); // every line parses
    const mine = lines.filter((l) => l.subsystem === 'request' && l.id === 'ops-test-1');
    assert.equal(mine.length, 1, s.output().slice(-2000));
    assert.deepEqual({ ...mine[0], time: undefined, duration_ms: undefined }, {
      time: undefined, level: 'info', subsystem: 'request', msg: 'request', id: 'ops-test-1', method: 'POST',
      path: '/graphql', status: 200, type: 'query', operation: 'Named', outcome: 'ok', duration_ms: undefined,
      bytes: Buffer.byteLength(body),
    });
    assert.ok(mine[0].duration_ms >= 0);
    const other = lines.filter((l) => l.subsystem === 'request' && l.id === bad.headers.get('x-request-id'));
    assert.equal(other.length, 1);
    assert.equal(other[0].status, 400);
  });

  it('keeps every line whole and each request to one line under concurrent load', async () => {
    const s = await start({ args: ['--database-url', url(env.blogDb), '--threads', '2', '--log-format', 'json'] });
    const ids = Array.from({ length: 400 }, (_, i) => `load-${i}-${'x'.repeat(i % 97)}`);
    await Promise.all(ids.map((id) => fetch(`${s.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': id },
      body: JSON.stringify({ query: '{ users { id name } }' }),
    }).then((r) => r.text())));
    await new Promise((res) => setTimeout(res, 200));
    const lines = s.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const seen = new Map();
    for (const l of lines) if (l.subsystem === 'request') seen.set(l.id, (seen.get(l.id) || 0) + 1);
    for (const id of ids) assert.equal(seen.get(id), 1, `request ${id} logged ${seen.get(id) || 0} times`);
  });

  it('logs each websocket operation with its id, protocol, type, name and outcome', async () => {
    const s = await start({ args: ['--database-url', url(env.blogDb), '--log-format', 'json'] });
    const ws = createClient({ url: `${s.url.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0 });
    try {
      const once = (query, operationName) => new Promise((resolve, reject) => {
        const results = [];
        const stop = ws.subscribe({ query, operationName }, {
          next: (v) => { results.push(v); if (query.startsWith('subscription')) { stop(); resolve(results); } },
          error: reject,
          complete: () => resolve(results),
        });
      });
      assert.ok((await once('query OverSocket { users { id } }', 'OverSocket'))[0].data);
      assert.ok((await once('subscription Watching { users { id } }', 'Watching'))[0].data);
      await assert.rejects(once('query Broken { nope }', 'Broken'));
    } finally {
      await ws.dispose();
    }
    await new Promise((res) => setTimeout(res, 200));
    const ops = s.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l))
      .filter((l) => l.subsystem === 'websocket' && l.msg === 'operation');
    const by = Object.fromEntries(ops.map((l) => [l.operation, l]));
    assert.deepEqual(Object.keys(by).sort(), ['Broken', 'OverSocket', 'Watching'], s.output().slice(-2000));
    for (const [name, type, outcome] of [['OverSocket', 'query', 'ok'], ['Watching', 'subscription', 'ok'],
      ['Broken', 'unknown', 'rejected']]) {
      assert.equal(by[name].type, type, name);
      assert.equal(by[name].outcome, outcome, name);
      assert.equal(by[name].protocol, 'graphql-transport-ws');
      assert.equal(by[name].level, 'info');
      assert.ok(by[name].duration_ms >= 0 && by[name].bytes > 0 && by[name].id.length > 0, JSON.stringify(by[name]));
    }
  });

  it('logs a request slower than --slow-query-ms as a warning, at any log level', async (t) => {
    const db = `gp_ops_slow_${process.pid}`;
    psql('postgres', `drop database if exists ${db}`);
    psql('postgres', `create database ${db}`);
    t.after(() => psql('postgres', `drop database if exists ${db} with (force)`));
    psql(db, 'create table users (id int primary key); insert into users values (1); ' +
      'create view slow_one as select 1 as id, pg_sleep(0.3)::text as slept');
    const s = await start({ args: ['--database-url', url(db), '--log-level', 'warn', '--slow-query-ms', '200'] });
    const ask = (q, operationName) => fetch(`${s.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: q, operationName }),
    }).then((r) => r.json());
    assert.ok((await ask('query Fast { users { id } }', 'Fast')).data);
    assert.deepEqual(await ask('query Sleepy { slow_one { id } }', 'Sleepy'), { data: { slow_one: [{ id: 1 }] } });
    await new Promise((res) => setTimeout(res, 200));
    const out = s.output();
    assert.match(out, /warn\s+request\s+slow request .*operation=Sleepy/);
    assert.doesNotMatch(out, /operation=Fast/, 'a fast request is below --log-level warn');
  });
});

describe('an unreachable database', () => {
  it('is live, not ready, and says so in /health and /metrics', async () => {
    const dead = await freePort(); // nothing listens there
    const s = await start({ args: ['--database-url', `postgres://postgres@127.0.0.1:${dead}/blog`], waitHealthy: false, timeoutMs: 20000 });
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await fetch(`${s.url}/live`)).status, 200);
    assert.deepEqual(await json(s.url, '/ready'), { status: 503, type: 'application/json; charset=utf-8', body: { status: 'unavailable' } });
    const h = await json(s.url, '/health');
    assert.equal(h.status, 503);
    assert.equal(h.body.schema_loaded, false);
    const d = await json(s.url, '/health/database');
    assert.equal(d.status, 503);
    assert.equal(d.body.writer.status, 'unavailable');
    const m = parseMetrics(await (await fetch(`${s.url}/metrics`)).text());
    assert.equal(m.get('graphpost_up'), 0);
  });
});
