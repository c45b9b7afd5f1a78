// Bounded cost per request (issue 6, must-show 4): introspection answered once per
// distinct selection and without a statement; --max-response-bytes for one
// response and for a batch as a whole, checked by PostgreSQL before the cell
// travels; --max-request-memory for planning. Every test ends by checking that the
// server still answers.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { client, env, need, post, psql, startServer } from '../lib/gql.mjs';

const DB = 'gp_limits';
const MAX_RESPONSE = 1 << 20;
const MAX_MEMORY = 4 << 20;
const ROWS = 30000; // of 1000 bytes each: a ~31 MB data cell, thirty times the cap
let srv, gql;

// The server's peak resident memory (VmHWM), in bytes.
function peakRss(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]) * 1024;
}

async function stillServes(g) {
  const d = await g.data('{ __typename big(limit: 1, order_by: {id: asc}) { id } }');
  assert.deepEqual(d, { __typename: 'query_root', big: [{ id: 1 }] });
}

describe('bounded cost per request', () => {
  before(async () => {
    psql('postgres', `drop database if exists ${DB}`);
    psql('postgres', `create database ${DB}`);
    psql(DB, `create table big (id int primary key, pad text not null);
              insert into big select i, repeat(chr(97 + i % 26), 1000) from generate_series(1, ${ROWS}) i;`);
    srv = await startServer({
      args: ['--database-url', `postgres://postgres@${process.env.PGHOST}:${process.env.PGPORT}/${DB}`,
        '--threads', '1', '--max-response-bytes', String(MAX_RESPONSE), '--max-request-memory', String(MAX_MEMORY)],
    });
    gql = client(srv.url);
    await stillServes(gql);
  });

  after(async () => {
    if (srv) await srv.stop();
    psql('postgres', `drop database if exists ${DB}`);
  });

  it('answers a response over --max-response-bytes with RESPONSE_TOO_LARGE without buffering it', async () => {
    const before = peakRss(srv.child.pid);
    const r = await gql.post('{ big { id pad } }');
    assert.equal(r.status, 200);
    assert.equal(r.body.data, null);
    assert.equal(r.body.errors[0].extensions.code, 'RESPONSE_TOO_LARGE');
    const bytes = Number(/would be (\d+) bytes/.exec(r.body.errors[0].message)[1]);
    assert.ok(bytes > ROWS * 1000, `the size PostgreSQL measured: ${bytes}`);
    // The ~31 MB cell never reached graphpost: its peak grew by far less than one copy.
    const grown = peakRss(srv.child.pid) - before;
    assert.ok(grown < 12 << 20, `peak RSS grew by ${grown} bytes`);
    await stillServes(gql);
  });

  it('sends a response under the cap whole', async () => {
    const d = await gql.data('{ big(limit: 400, order_by: {id: asc}) { id pad } }');
    assert.equal(d.big.length, 400);
    assert.equal(d.big[399].pad, String.fromCharCode(97 + (400 % 26)).repeat(1000));
    await stillServes(gql);
  });

  it('counts a batch as one response: parts under the cap, a sum over it', async () => {
    const q = { query: '{ big(limit: 400, order_by: {id: asc}) { id pad } }' };
    const send = (n) =>
      fetch(`${srv.url}/graphql`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(Array(n).fill(q)),
      }).then(async (res) => ({ status: res.status, body: await res.json() }));
    const two = await send(2); // ~820 KB
    assert.equal(two.status, 200);
    assert.deepEqual(two.body.map((e) => e.data.big.length), [400, 400]);
    const three = await send(3); // ~1.23 MB: each part fits, the array does not
    assert.equal(three.status, 200);
    assert.equal(three.body.length, 3);
    for (const e of three.body) {
      assert.equal(e.data, undefined);
      assert.equal(e.errors[0].extensions.code, 'RESPONSE_TOO_LARGE');
    }
    await stillServes(gql);
  });

  it('stops planning at --max-request-memory with a clean error', async () => {
    // Two hundred different selections: each is its own introspection answer.
    const fields = Array.from({ length: 200 }, (_, i) =>
      `a${i}: __schema { types { n${i}: name fields { name args { name } type { name kind ofType { name } } } inputFields { name } } }`);
    const r = await gql.post(`{ ${fields.join(' ')} }`);
    assert.equal(r.status, 200);
    assert.equal(r.body.errors[0].extensions.code, 'QUERY_TOO_COMPLEX');
    assert.match(r.body.errors[0].message, /--max-request-memory/);
    await stillServes(gql);
  });
});

// Sends one POST on a raw connection and reads nothing for `stallMs`; then reads what
// is left until the server closes. Returns the bytes received and the body's length.
function stalledPost(port, query, stallMs) {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ query });
    const sock = net.connect(port, '127.0.0.1', () => {
      sock.write(`POST /graphql HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      sock.pause();
      setTimeout(() => sock.resume(), stallMs);
    });
    let received = 0, head = '';
    sock.on('data', (d) => {
      received += d.length;
      if (head.length < 4096) head += d.toString('latin1', 0, Math.min(d.length, 4096));
    });
    sock.on('error', () => {}); // a reset is one way to be cut off
    sock.on('close', () => {
      const m = /content-length: (\d+)/i.exec(head);
      resolve({ received, length: m ? Number(m[1]) : -1 });
    });
    setTimeout(() => reject(new Error('the server never closed the connection')), 30000);
  });
}

describe('a client that does not read', () => {
  let big;
  before(async () => {
    psql('postgres', `drop database if exists ${DB}_send`);
    psql('postgres', `create database ${DB}_send`);
    psql(`${DB}_send`, `create table big (id int primary key, pad text not null);
              insert into big select i, repeat('x', 1000) from generate_series(1, ${ROWS}) i;`);
    big = await startServer({
      args: ['--database-url', `postgres://postgres@${process.env.PGHOST}:${process.env.PGPORT}/${DB}_send`,
        '--threads', '1', '--send-timeout', '1000'],
    });
  });

  after(async () => {
    if (big) await big.stop();
    psql('postgres', `drop database if exists ${DB}_send`);
  });

  it('is disconnected, its ~31 MB response dropped, while a reading client gets all of it', async () => {
    const cut = await stalledPost(big.port, '{ big { id pad } }', 4000);
    assert.ok(cut.length > ROWS * 1000, `content-length ${cut.length}`);
    assert.ok(cut.received < cut.length, `received ${cut.received} of ${cut.length} bytes`);
    assert.match(big.output(), /disconnecting a client that read none of its response for 1000 ms/);
    const whole = await stalledPost(big.port, '{ big { id pad } }', 0);
    assert.ok(whole.received > whole.length, `received ${whole.received} of ${whole.length} bytes and the head`);
    const d = await client(big.url).data('{ big(limit: 1) { id } }');
    assert.deepEqual(d, { big: [{ id: 1 }] });
  });
});

describe('introspection on Pagila', () => {
  const pagila = client(need('GP_PAGILA_URL'));
  const SEL = `types { name kind description fields(includeDeprecated: true) { name args { name type { kind name ofType { kind name } } defaultValue }
    type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } isDeprecated deprecationReason }
    inputFields { name type { kind name ofType { kind name } } } enumValues(includeDeprecated: true) { name } }
    queryType { name } directives { name locations args { name } }`;
  const HUNDRED = `{ ${Array.from({ length: 100 }, (_, i) => `a${i}: __schema { ${SEL} }`).join(' ')} }`;

  // The statements the pagila database received since `offset` (PostgreSQL's log,
  // log_statement=all), without the pool's own housekeeping.
  function statementsSince(offset) {
    const text = readFileSync(need('PG_LOG')).subarray(offset).toString('utf8');
    const mine = new RegExp(`\\[\\d+\\] ${env.pagilaDb} [^\\n]*?LOG:  (statement|execute [^:]*): (.*)`);
    return text.split('\n').map((l) => mine.exec(l)).filter(Boolean).map((m) => m[2])
      .filter((q) => !/^\s*(set|reset|show|begin|commit|rollback|discard|deallocate|select\s+1\s*;?\s*$)/i.test(q));
  }

  before(async () => {
    await pagila.data('{ film(limit: 1) { film_id } }'); // warm: connections open
  });

  it('answers 100 aliases of __schema with one answer and no statement', async () => {
    const offset = statSync(need('PG_LOG')).size;
    const t0 = Date.now();
    const d = await pagila.data(HUNDRED);
    const ms = Date.now() - t0;
    await sleep(300); // the log is written by the backend, not synchronously with the reply
    assert.deepEqual(statementsSince(offset), []);
    assert.equal(Object.keys(d).length, 100);
    for (let i = 1; i < 100; i++) assert.deepEqual(d[`a${i}`], d.a0);
    const film = d.a0.types.find((t) => t.name === 'film');
    assert.ok(film.fields.some((f) => f.name === 'title'));
    assert.equal(d.a0.queryType.name, 'query_root');
    assert.ok(ms < 5000, `took ${ms} ms`);

    // The same selection beside a table field goes through the statement, as one
    // json parameter: the same answer by the other road, and the log sees it.
    const offset2 = statSync(need('PG_LOG')).size;
    const mixed = await pagila.data(`{ s: __schema { ${SEL} } t: __schema { ${SEL} } film(limit: 1, order_by: {film_id: asc}) { film_id } }`);
    await sleep(300);
    assert.equal(statementsSince(offset2).length, 1);
    assert.deepEqual(mixed.s, d.a0);
    assert.deepEqual(mixed.t, d.a0);
    assert.deepEqual(mixed.film, [{ film_id: 1 }]);
    assert.ok((await pagila.data('{ film(limit: 1) { film_id } }')).film.length === 1);
  });

  it('answers __type and __typename alone without a statement, and a bad one with an error', async () => {
    const offset = statSync(need('PG_LOG')).size;
    const d = await pagila.data('{ __typename a: __type(name: "film") { name kind } b: __type(name: "nope") { name } }');
    assert.deepEqual(d, { __typename: 'query_root', a: { name: 'film', kind: 'OBJECT' }, b: null });
    const bad = await post(need('GP_PAGILA_URL'), '{ __type { name } }');
    assert.match(bad.body.errors[0].message, /argument "name" of type "String!" is required/);
    await sleep(300);
    assert.deepEqual(statementsSince(offset), []);
    assert.ok((await pagila.data('{ film(limit: 1) { film_id } }')).film.length === 1);
  });
});
