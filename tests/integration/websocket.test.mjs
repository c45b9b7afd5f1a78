// GraphQL over websocket (issue 10, must-show 1): GET /graphql upgraded to
// graphql-transport-ws (the graphql-ws library's protocol) or the legacy graphql-ws
// (subscriptions-transport-ws), with the real npm clients of both and with a raw `ws`
// socket for every edge of the protocols: init timeout 4408, 4401, 4409, 4429, 4400 on
// malformed messages, ping/pong, complete (stop) cancelling a running operation and
// nothing sent for its id afterwards, subscriptions refused for now, the per-socket
// operation limit, --max-body, keepalive pings, 200 sockets at once, clients that
// leave mid-operation, and a server that stops with sockets open. Every answer a query
// or mutation gets over a socket is compared with the answer HTTP gives.
//
// Writes go to a database of this file's own (a copy of examples/blog plus ws_slow, a
// function that sleeps), served by a graphpost of its own with short timers; the
// shared blog server (GP_BLOG_URL) is only read, to check the defaults.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { SubscriptionClient } from 'subscriptions-transport-ws';
import { need, post, psql, sqlRow, startServer } from '../lib/gql.mjs';

const root = new URL('../../', import.meta.url).pathname;
const pg = { host: need('PGHOST'), port: need('PGPORT'), user: process.env.PGUSER || 'postgres' };
const DB = 'gp_ws_blog';
const dbUrl = (db) => `postgres://${pg.user}@${pg.host}:${pg.port}/${db}`;
const wsUrl = (httpUrl) => `${httpUrl.replace(/^http/, 'ws')}/graphql`;

const INIT_TIMEOUT = 1000;
const KEEPALIVE = 1000;
const MAX_BODY = 65536;

// A root field that takes `ms` milliseconds: operations still running when the test
// completes them, disconnects, or stops the server.
const EXTRAS = `
CREATE FUNCTION ws_slow(ms integer) RETURNS SETOF users LANGUAGE sql STABLE AS
  $$ SELECT u.* FROM users u, pg_sleep(ms / 1000.0) ORDER BY u.id $$;
`;
const SLOW = 'query Slow($ms: Int!) { ws_slow(args: {ms: $ms}) { id } }';
const USER = 'query User($id: Int!) { users_by_pk(id: $id) { id name email } }';
const NAMES = { 1: 'Ada Lovelace', 2: 'Alan Turing', 3: 'Grace Hopper', 4: 'Edsger Dijkstra' };

let srv; // this file's server: short init timeout and keepalive, a small --max-body
let url; // its ws:// URL

before(async () => {
  psql('postgres', `drop database if exists ${DB} with (force)`);
  psql('postgres', `create database ${DB}`);
  for (const f of ['examples/blog/schema.sql', 'examples/blog/seed.sql'])
    execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', DB, '-f', `${root}${f}`], { stdio: 'pipe' });
  psql(DB, EXTRAS);
  srv = await startServer({
    args: ['--threads', '2', '--ws-init-timeout', String(INIT_TIMEOUT), '--ws-keepalive', String(KEEPALIVE),
      '--max-body', String(MAX_BODY)],
    env: { GRAPHPOST_DATABASE_URL: dbUrl(DB) },
  });
  url = wsUrl(srv.url);
});

after(async () => {
  if (srv) await srv.stop();
  psql('postgres', `drop database if exists ${DB} with (force)`);
});

// ---------------------------------------------------------------------------------------
// A raw socket: every message kept in order, awaited by predicate.

class Raw {
  constructor(ws) {
    this.ws = ws;
    this.messages = [];
    this.waiters = [];
    this.pings = 0;
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closedWith = { code, reason: String(reason) };
        resolve(this.closedWith);
        for (const w of this.waiters) w.reject(new Error(`closed ${code} ${reason} while waiting`));
        this.waiters = [];
      });
    });
    ws.on('ping', () => this.pings++);
    ws.on('message', (data) => {
      const m = JSON.parse(String(data));
      this.messages.push(m);
      this.waiters = this.waiters.filter((w) => !(w.pred(m) && (w.resolve(m), true)));
    });
    ws.on('error', () => {}); // a close follows
  }

  // Opens a socket offering `protocols`; rejects with {status, body} when the server
  // answers the handshake with an HTTP error.
  static open(to, protocols, opts = {}) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(to, protocols, opts);
      const raw = new Raw(ws);
      ws.once('open', () => resolve(raw));
      ws.once('unexpected-response', (req, res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, headers: res.headers, body: JSON.parse(body) })));
      });
      ws.once('error', (e) => reject(e));
    });
  }

  // A socket past connection_init and its ack.
  static async ready(to = url, protocol = 'graphql-transport-ws') {
    const raw = await Raw.open(to, protocol);
    raw.send({ type: 'connection_init' });
    await raw.next((m) => m.type === 'connection_ack');
    return raw;
  }

  send(m) {
    this.ws.send(typeof m === 'string' || Buffer.isBuffer(m) ? m : JSON.stringify(m));
  }

  // The first message (already received or to come) that `pred` accepts.
  next(pred = () => true, ms = 10000) {
    const seen = this.messages.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve: (m) => (clearTimeout(t), resolve(m)), reject };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`no message after ${ms} ms; got ${JSON.stringify(this.messages)}`));
      }, ms);
      this.waiters.push(w);
    });
  }

  of(id) {
    return this.messages.filter((m) => m.id === id);
  }

  // Resolves with the close {code, reason}, failing after `ms`.
  async closing(ms = 10000) {
    return Promise.race([this.closed, sleep(ms).then(() => assert.fail(`not closed within ${ms} ms`))]);
  }
}

// One operation over graphql-transport-ws on a ready socket: the messages for its id up
// to complete or error.
async function run(raw, id, query, variables, operationName) {
  raw.send({ id, type: 'subscribe', payload: { query, variables, operationName } });
  const end = await raw.next((m) => m.id === id && (m.type === 'complete' || m.type === 'error'));
  return end.type === 'error' ? { error: end.payload } : { next: raw.of(id).find((m) => m.type === 'next').payload };
}

// The same over the legacy protocol: data's payload, or error's.
async function runLegacy(raw, id, query, variables) {
  raw.send({ id, type: 'start', payload: { query, variables } });
  const end = await raw.next((m) => m.id === id && (m.type === 'complete' || m.type === 'error'));
  return end.type === 'error' ? { error: end.payload } : { data: raw.of(id).find((m) => m.type === 'data').payload };
}

async function http(query, variables) {
  const r = await post(srv.url, query, variables);
  assert.equal(r.status, 200, r.text);
  return r.body;
}

async function stillServes(to = url) {
  const raw = await Raw.ready(to);
  assert.deepEqual(await run(raw, 'alive', '{ users_by_pk(id: 1) { name } }'), {
    next: { data: { users_by_pk: { name: 'Ada Lovelace' } } },
  });
  raw.ws.close();
  const r = await post(to.replace(/^ws/, 'http').replace(/\/graphql$/, ''), '{ __typename }');
  assert.deepEqual(r.body, { data: { __typename: 'query_root' } });
}

// A tag name unique to this run and case (tags.name is the key).
const RUN = Date.now().toString(36);
let tags = 0;
const tag = () => `ws${RUN}n${++tags}`;

// ---------------------------------------------------------------------------------------

describe('the upgrade', () => {
  it('negotiates graphql-transport-ws and acknowledges connection_init', async () => {
    const raw = await Raw.open(url, 'graphql-transport-ws');
    assert.equal(raw.ws.protocol, 'graphql-transport-ws');
    raw.send({ type: 'connection_init', payload: { any: 'thing' } });
    assert.deepEqual(await raw.next(), { type: 'connection_ack' });
    raw.ws.close();
  });

  it('picks the first subprotocol of its own that the client lists', async () => {
    for (const [offer, chosen] of [
      [['x-unknown', 'graphql-ws', 'graphql-transport-ws'], 'graphql-ws'],
      [['graphql-transport-ws', 'graphql-ws'], 'graphql-transport-ws'],
    ]) {
      const raw = await Raw.open(url, offer);
      assert.equal(raw.ws.protocol, chosen);
      raw.ws.close();
    }
  });

  it('refuses a handshake without a subprotocol of its own with 400 and a GraphQL error', async () => {
    for (const offer of [undefined, 'graphql-sse', ['mqtt', 'wamp']]) {
      const e = await Raw.open(url, offer).then(() => assert.fail('upgraded'), (err) => err);
      assert.equal(e.status, 400, String(offer));
      assert.equal(e.body.errors[0].extensions.code, 'BAD_REQUEST');
      assert.match(e.body.errors[0].message, /graphql-transport-ws/);
    }
    await stillServes();
  });

  it('refuses a websocket version other than 13 with 426', async () => {
    const e = await Raw.open(url, 'graphql-transport-ws', { protocolVersion: 8 }).then(() => assert.fail('upgraded'), (err) => err);
    assert.equal(e.status, 426);
    assert.equal(e.headers['sec-websocket-version'], '13');
    await stillServes();
  });
});

describe('graphql-transport-ws, raw', () => {
  it('answers a query with next (the HTTP answer) and complete', async () => {
    const raw = await Raw.ready();
    const cases = [
      ['{ users(order_by: {id: asc}) { id name posts_by_author_id(order_by: {id: asc}) { title } } }'],
      [USER, { id: 3 }, 'User'],
      ['query A { users_by_pk(id: 1) { name } } query B { users_by_pk(id: 2) { name } }', undefined, 'B'],
      ['{ __schema { queryType { name } } __typename }'],
      ['{ users_aggregate { aggregate { count } } }'],
    ];
    for (const [i, [query, variables, operationName]] of cases.entries()) {
      const over = await run(raw, `q${i}`, query, variables, operationName);
      const r = await post(srv.url, query, variables, { operationName });
      assert.deepEqual(over, { next: r.body }, query);
      assert.deepEqual(raw.of(`q${i}`).map((m) => m.type), ['next', 'complete']);
    }
    raw.ws.close();
  });

  it('answers errors found before running (parse, validation, variables) with error and the errors list', async () => {
    const raw = await Raw.ready();
    for (const [i, [query, variables]] of [
      ['{ users('],
      ['{ users { nope } }'],
      [USER, { id: 'x' }],
      [USER, {}],
    ].entries()) {
      const over = await run(raw, `e${i}`, query, variables);
      const r = await post(srv.url, query, variables);
      assert.deepEqual(over, { error: r.body.errors }, query);
      assert.deepEqual(raw.of(`e${i}`).map((m) => m.type), ['error'], 'an error ends the operation: no complete');
    }
    raw.ws.close();
  });

  it('runs a mutation as HTTP does, and its database errors come in next with data null', async () => {
    const raw = await Raw.ready();
    const t = tag(), u = tag();
    const m = 'mutation ($n: String!) { insert_tags_one(object: {name: $n, description: "d"}) { name description } }';
    assert.deepEqual(await run(raw, 'm1', m, { n: t }), { next: { data: { insert_tags_one: { name: t, description: 'd' } } } });
    assert.deepEqual(await http(m, { n: u }), { data: { insert_tags_one: { name: u, description: 'd' } } });
    assert.deepEqual(sqlRow(DB, `select count(*)::int as n from tags where name in ('${t}', '${u}')`), { n: 2 });
    // The same insert again violates the key, over either transport alike.
    const dup = await run(raw, 'm2', m, { n: t });
    assert.deepEqual(dup, { next: await http(m, { n: t }) });
    assert.equal(dup.next.data, null);
    assert.equal(dup.next.errors[0].extensions.code, 'constraint-violation');
    raw.ws.close();
  });

  it('a subscription is a live query: its result at once, no complete until the client\'s', async () => {
    const raw = await Raw.ready();
    // The operation picked by name decides, fragments and other operations aside.
    const doc = 'fragment F on users { id } query Q { users(order_by: {id: asc}) { ...F } } subscription S { users(order_by: {id: asc}) { ...F } }';
    const http = await post(srv.url, doc, undefined, { operationName: 'Q' });
    assert.ok(http.body.data, http.text);
    raw.send({ id: 's', type: 'subscribe', payload: { query: doc, operationName: 'S' } });
    assert.deepEqual((await raw.next((m) => m.id === 's')), { id: 's', type: 'next', payload: http.body });
    assert.deepEqual(await run(raw, 'q2', doc, undefined, 'Q'), { next: http.body });
    raw.send({ id: 's', type: 'complete' });
    assert.deepEqual(await run(raw, 'q3', '{ __typename }'), { next: { data: { __typename: 'query_root' } } });
    assert.deepEqual(raw.of('s').map((m) => m.type), ['next'], 'nothing after the client\'s complete, no complete either');
    // Over HTTP a subscription has no socket to send its changes on.
    const over = await post(srv.url, 'subscription { users { id } }');
    assert.equal(over.body.errors[0].extensions.code, 'BAD_REQUEST', over.text);
    assert.match(over.body.errors[0].message, /websocket/);
    raw.ws.close();
  });

  it('answers ping with pong (echoing its payload) and ignores pong', async () => {
    const raw = await Raw.open(url, 'graphql-transport-ws');
    raw.send({ type: 'ping' }); // before connection_init too
    assert.deepEqual(await raw.next(), { type: 'pong' });
    raw.send({ type: 'connection_init' });
    await raw.next((m) => m.type === 'connection_ack');
    raw.send({ type: 'ping', payload: { n: 1, s: 'é' } });
    assert.deepEqual(await raw.next((m) => m.type === 'pong' && m.payload), { type: 'pong', payload: { n: 1, s: 'é' } });
    raw.send({ type: 'pong' });
    raw.send({ type: 'pong', payload: { x: 1 } });
    assert.ok((await run(raw, 'after', '{ __typename }')).next);
    assert.deepEqual(raw.messages.map((m) => m.type), ['pong', 'connection_ack', 'pong', 'next', 'complete']);
    raw.ws.close();
  });

  it('closes 4401 on subscribe before connection_init', async () => {
    const raw = await Raw.open(url, 'graphql-transport-ws');
    raw.send({ id: '1', type: 'subscribe', payload: { query: '{ __typename }' } });
    assert.deepEqual(await raw.closing(), { code: 4401, reason: 'Unauthorized' });
    assert.deepEqual(raw.messages, []);
  });

  it('closes 4429 on a second connection_init, after acknowledging the first', async () => {
    const raw = await Raw.open(url, 'graphql-transport-ws');
    raw.send({ type: 'connection_init' });
    raw.send({ type: 'connection_init' });
    assert.deepEqual(await raw.closing(), { code: 4429, reason: 'Too many initialisation requests' });
    assert.deepEqual(raw.messages, [{ type: 'connection_ack' }]);
  });

  it('closes 4408 when connection_init does not come within --ws-init-timeout', async () => {
    const t0 = Date.now();
    const raw = await Raw.open(url, 'graphql-transport-ws');
    raw.send({ type: 'ping' }); // not an init: the clock keeps running
    assert.deepEqual(await raw.closing(), { code: 4408, reason: 'Connection initialisation timeout' });
    const took = Date.now() - t0;
    assert.ok(took >= INIT_TIMEOUT - 50 && took < INIT_TIMEOUT + 2000, `closed after ${took} ms`);
  });

  it('closes 4409 on a subscribe whose id is running, and takes an id again once it completed', async () => {
    const raw = await Raw.ready();
    assert.ok((await run(raw, 'again', '{ __typename }')).next);
    assert.ok((await run(raw, 'again', '{ __typename }')).next, 'a completed id is free');
    raw.send({ id: 'dup', type: 'subscribe', payload: { query: SLOW, variables: { ms: 1000 } } });
    raw.send({ id: 'dup', type: 'subscribe', payload: { query: '{ __typename }' } });
    assert.deepEqual(await raw.closing(), { code: 4409, reason: 'Subscriber for dup already exists' });
    assert.deepEqual(raw.of('dup'), []);
    // A long id is cut so that the reason fits a close frame, between characters.
    const long = await Raw.ready();
    const id = 'é'.repeat(100);
    long.send({ id, type: 'subscribe', payload: { query: SLOW, variables: { ms: 1000 } } });
    long.send({ id, type: 'subscribe', payload: { query: SLOW, variables: { ms: 1000 } } });
    const c = await long.closing();
    assert.equal(c.code, 4409);
    assert.ok(Buffer.byteLength(c.reason) <= 123 && c.reason.startsWith('Subscriber for éé'), c.reason);
  });

  it('closes 4400 on every message that is not the protocol\'s, saying why', async () => {
    const bad = [
      ['garbage', /not valid JSON/],
      [Buffer.from([0xff, 0xfe, 0x00]), /not valid JSON/],
      ['[1]', /expected to be an object, but got array/],
      ['{}', /missing the 'type'/],
      [{ type: 7 }, /'type' property to be a string/],
      [{ type: 'subscribe', payload: { query: '{ __typename }' } }, /non-empty string 'id'/],
      [{ type: 'subscribe', id: '', payload: { query: '{ __typename }' } }, /non-empty string 'id'/],
      [{ type: 'subscribe', id: 1, payload: { query: '{ __typename }' } }, /non-empty string 'id'/],
      [{ type: 'subscribe', id: '1' }, /'payload' property to be an object/],
      [{ type: 'subscribe', id: '1', payload: { query: 1 } }, /'query' property to be a string/],
      [{ type: 'subscribe', id: '1', payload: { query: '{ a }', variables: [] } }, /'variables'/],
      [{ type: 'subscribe', id: '1', payload: { query: '{ a }', operationName: 3 } }, /'operationName'/],
      [{ type: 'complete' }, /non-empty string 'id'/],
      [{ type: 'connection_init', payload: 'token' }, /'payload' property to be an object or nullish/],
      [{ type: 'next', id: '1', payload: {} }, /only a server sends/],
      [{ type: 'connection_ack' }, /only a server sends/],
      [{ type: 'start', id: '1', payload: { query: '{ a }' } }, /Invalid message 'type' property "start"/],
    ];
    for (const [message, why] of bad) {
      const raw = await Raw.ready();
      raw.send(message);
      const c = await raw.closing();
      assert.equal(c.code, 4400, String(message));
      assert.match(c.reason, why);
      assert.ok(Buffer.byteLength(c.reason) <= 123);
    }
    await stillServes();
  });

  it('cancels a running operation on complete and sends nothing for its id afterwards', async () => {
    const raw = await Raw.ready();
    raw.send({ id: 'slow', type: 'subscribe', payload: { query: SLOW, variables: { ms: 600 } } });
    await sleep(100); // its statement runs
    raw.send({ id: 'slow', type: 'complete' });
    raw.send({ id: 'slow', type: 'complete' }); // twice: an unknown id is no error
    raw.send({ id: 'never-seen', type: 'complete' });
    assert.ok((await run(raw, 'fast', '{ __typename }')).next);
    await sleep(1000); // long after the statement would have answered
    assert.deepEqual(raw.of('slow'), []);
    // A complete that crosses the answer is harmless too.
    raw.send({ id: 'cross', type: 'subscribe', payload: { query: '{ __typename }' } });
    raw.send({ id: 'cross', type: 'complete' });
    assert.ok((await run(raw, 'fast2', USER, { id: 2 })).next);
    await sleep(200);
    const cross = raw.of('cross').map((m) => m.type);
    assert.ok(cross.length === 0 || (cross.length === 2 && cross[1] === 'complete'), JSON.stringify(cross));
    assert.equal(raw.closedWith, undefined);
    raw.ws.close();
  });

  it('runs up to 100 operations at once on a socket and refuses the 101st with an error', async () => {
    const raw = await Raw.ready();
    for (let i = 0; i < 100; i++) raw.send({ id: `s${i}`, type: 'subscribe', payload: { query: SLOW, variables: { ms: 1500 } } });
    raw.send({ id: 'one-more', type: 'subscribe', payload: { query: '{ __typename }' } });
    const refused = await raw.next((m) => m.id === 'one-more');
    assert.equal(refused.type, 'error');
    assert.equal(refused.payload[0].extensions.code, 'TOO_MANY_OPERATIONS');
    for (let i = 0; i < 100; i++) raw.send({ id: `s${i}`, type: 'complete' });
    assert.ok((await run(raw, 'room-again', '{ __typename }')).next);
    await sleep(2000);
    assert.deepEqual(raw.messages.filter((m) => /^s\d+$/.test(m.id ?? '')), [], 'nothing for completed ids');
    raw.ws.close();
    await stillServes();
  });

  it('closes 1009 on a message larger than --max-body', async () => {
    const raw = await Raw.ready();
    raw.send({ id: 'big', type: 'subscribe', payload: { query: `{ __typename } # ${'x'.repeat(MAX_BODY)}` } });
    assert.equal((await raw.closing()).code, 1009);
    const ok = await Raw.ready();
    assert.ok((await run(ok, 'fits', `{ __typename } # ${'x'.repeat(MAX_BODY - 200)}`)).next);
    ok.ws.close();
  });

  it('pings every --ws-keepalive and drops a socket that answers nothing', async () => {
    const raw = await Raw.ready();
    await sleep(KEEPALIVE * 2.5);
    assert.ok(raw.pings >= 2, `${raw.pings} pings`);
    assert.equal(raw.closedWith, undefined, 'a socket that answers pings stays');
    raw.ws.close();
    const deaf = await Raw.open(url, 'graphql-transport-ws', { autoPong: false });
    deaf.send({ type: 'connection_init' });
    const t0 = Date.now();
    const c = await deaf.closing(KEEPALIVE * 5);
    assert.equal(c.code, 1006, 'dropped without a handshake');
    assert.ok(Date.now() - t0 >= KEEPALIVE, `dropped after ${Date.now() - t0} ms`);
  });
});

describe('graphql-ws (the npm client)', () => {
  const client = () => createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
  const once = (c, payload) => new Promise((resolve, reject) => {
    const got = [];
    c.subscribe(payload, { next: (v) => got.push(v), error: reject, complete: () => resolve(got) });
  });

  it('runs queries and mutations, each answered as HTTP answers it', async () => {
    const c = client();
    try {
      for (const id of [1, 2, 3, 4]) assert.deepEqual(await once(c, { query: USER, variables: { id } }), [await http(USER, { id })]);
      const t = tag();
      const m = 'mutation ($n: String!) { insert_tags_one(object: {name: $n}) { name } }';
      assert.deepEqual(await once(c, { query: m, variables: { n: t } }), [{ data: { insert_tags_one: { name: t } } }]);
      assert.deepEqual(await http('query ($n: String!) { tags_by_pk(name: $n) { name } }', { n: t }), { data: { tags_by_pk: { name: t } } });
      const all = Array.from({ length: 30 }, (_, i) => once(c, { query: USER, variables: { id: (i % 4) + 1 } }));
      (await Promise.all(all)).forEach((r, i) => assert.equal(r[0].data.users_by_pk.name, NAMES[(i % 4) + 1]));
    } finally {
      await c.dispose();
    }
  });

  it('gets validation errors as errors, for queries and subscriptions alike', async () => {
    const c = client();
    try {
      const bad = '{ users { nope } }';
      const expected = (await http(bad)).errors;
      await assert.rejects(once(c, { query: bad }), (errors) => {
        assert.ok(Array.isArray(errors), 'an array of GraphQL errors, not a close event');
        assert.deepEqual(errors, expected);
        assert.equal(errors[0].extensions.code, 'GRAPHQL_VALIDATION_FAILED');
        return true;
      });
      const badSubscription = 'subscription { users { nope } }';
      const expectedToo = (await http(badSubscription)).errors; // validation comes first over HTTP too
      await assert.rejects(once(c, { query: badSubscription }), (errors) => {
        assert.deepEqual(errors, expectedToo);
        assert.equal(errors[0].extensions.code, 'GRAPHQL_VALIDATION_FAILED');
        return true;
      });
      assert.ok((await once(c, { query: '{ __typename }' }))[0].data, 'the socket goes on');
    } finally {
      await c.dispose();
    }
  });

  it('serves 200 sockets at once, each running queries', async () => {
    const clients = Array.from({ length: 200 }, () => client());
    try {
      const answers = await Promise.all(clients.map((c, i) => Promise.all(
        [0, 1, 2].map((k) => once(c, { query: USER, variables: { id: ((i + k) % 4) + 1 } })),
      )));
      answers.forEach((three, i) => three.forEach((r, k) => {
        const id = ((i + k) % 4) + 1;
        assert.deepEqual(r, [{ data: { users_by_pk: { id, name: NAMES[id], email: r[0].data.users_by_pk.email } } }]);
      }));
    } finally {
      await Promise.all(clients.map((c) => c.dispose()));
    }
    await stillServes();
  });
});

describe('graphql-ws, the legacy subprotocol (subscriptions-transport-ws)', () => {
  it('acknowledges connection_init with connection_ack and ka, then sends ka every --ws-keepalive', async () => {
    const raw = await Raw.open(url, 'graphql-ws');
    raw.send({ type: 'connection_init', payload: {} });
    await raw.next((m) => m.type === 'ka');
    assert.deepEqual(raw.messages, [{ type: 'connection_ack' }, { type: 'ka' }]);
    await sleep(KEEPALIVE * 1.5);
    assert.ok(raw.messages.filter((m) => m.type === 'ka').length >= 2, JSON.stringify(raw.messages));
    raw.ws.close();
  });

  it('answers start with data (the HTTP answer, errors included) and complete', async () => {
    const raw = await Raw.ready(url, 'graphql-ws');
    for (const [i, [query, variables]] of [[USER, { id: 4 }], ['{ users { nope } }'], ['{ users('], [USER, { id: 'x' }]].entries()) {
      assert.deepEqual(await runLegacy(raw, `l${i}`, query, variables), { data: await http(query, variables) }, query);
      assert.deepEqual(raw.of(`l${i}`).map((m) => m.type), ['data', 'complete']);
    }
    const t = tag();
    const m = 'mutation ($n: String!) { insert_tags_one(object: {name: $n}) { name } }';
    assert.deepEqual(await runLegacy(raw, 'mut', m, { n: t }), { data: { data: { insert_tags_one: { name: t } } } });
    raw.ws.close();
  });

  it('stops an operation on stop, and sends nothing for it afterwards', async () => {
    const raw = await Raw.ready(url, 'graphql-ws');
    raw.send({ id: 'slow', type: 'start', payload: { query: SLOW, variables: { ms: 500 } } });
    await sleep(100);
    raw.send({ id: 'slow', type: 'stop' });
    raw.send({ id: 'unknown', type: 'stop' });
    assert.ok((await runLegacy(raw, 'fast', '{ __typename }')).data);
    await sleep(800);
    assert.deepEqual(raw.of('slow'), []);
    // start with an id that runs stops the one before (as subscriptions-transport-ws does)
    raw.send({ id: 'x', type: 'start', payload: { query: SLOW, variables: { ms: 500 } } });
    raw.send({ id: 'x', type: 'start', payload: { query: USER, variables: { id: 1 } } });
    await raw.next((m) => m.id === 'x' && m.type === 'complete');
    await sleep(800);
    assert.deepEqual(raw.of('x').map((m) => m.type), ['data', 'complete']);
    assert.equal(raw.of('x')[0].payload.data.users_by_pk.id, 1);
    raw.ws.close();
  });

  it('answers malformed messages with connection_error or error, and goes on', async () => {
    const raw = await Raw.ready(url, 'graphql-ws');
    raw.send('garbage');
    assert.equal((await raw.next((m) => m.type === 'connection_error')).payload.message.includes('not valid JSON'), true);
    raw.send({ id: '7', type: 'subscribe' });
    assert.deepEqual(await raw.next((m) => m.type === 'error'), { type: 'error', id: '7', payload: { message: 'Invalid message type!' } });
    raw.send({ id: '8', type: 'start', payload: { query: 42 } });
    assert.match((await raw.next((m) => m.type === 'error' && m.id === '8')).payload.message, /'query' property to be a string/);
    raw.send({ type: 'start', payload: { query: '{ __typename }' } });
    assert.match((await raw.next((m) => m.type === 'error' && !m.id)).payload.message, /'id'/);
    assert.ok((await runLegacy(raw, 'ok', '{ __typename }')).data);
    assert.equal(raw.closedWith, undefined);
    raw.ws.close();
  });

  it('refuses start before connection_init with error; a subscription then runs until stop', async () => {
    const raw = await Raw.open(url, 'graphql-ws');
    raw.send({ id: 'early', type: 'start', payload: { query: '{ __typename }' } });
    const early = await raw.next((m) => m.id === 'early');
    assert.equal(early.type, 'error');
    assert.match(early.payload.message, /before the connection is initialised/);
    raw.send({ type: 'connection_init' });
    await raw.next((m) => m.type === 'connection_ack');
    raw.send({ id: 'sub', type: 'start', payload: { query: 'subscription { users_by_pk(id: 1) { name } }' } });
    assert.deepEqual(await raw.next((m) => m.id === 'sub'),
      { id: 'sub', type: 'data', payload: { data: { users_by_pk: { name: 'Ada Lovelace' } } } });
    raw.send({ id: 'sub', type: 'stop' });
    assert.ok((await runLegacy(raw, 'after', '{ __typename }')).data);
    assert.deepEqual(raw.of('sub').map((m) => m.type), ['data'], 'nothing after stop');
    raw.ws.close();
  });

  it('closes 1000 on connection_terminate', async () => {
    const raw = await Raw.ready(url, 'graphql-ws');
    raw.send({ type: 'connection_terminate' });
    assert.equal((await raw.closing()).code, 1000);
  });

  it('serves the subscriptions-transport-ws client: queries, mutations, errors', async () => {
    const c = new SubscriptionClient(url, { reconnect: false }, WebSocket);
    const once = (request) => new Promise((resolve, reject) => {
      const got = [];
      c.request(request).subscribe({ next: (v) => got.push(v), error: reject, complete: () => resolve(got) });
    });
    try {
      for (const id of [1, 2]) assert.deepEqual(await once({ query: USER, variables: { id } }), [await http(USER, { id })]);
      const t = tag();
      const m = 'mutation ($n: String!) { insert_tags_one(object: {name: $n}) { name } }';
      assert.deepEqual(await once({ query: m, variables: { n: t } }), [{ data: { insert_tags_one: { name: t } } }]);
      assert.deepEqual(sqlRow(DB, `select name from tags where name = '${t}'`), { name: t });
      const [invalid] = await once({ query: '{ users { nope } }' });
      assert.deepEqual(invalid.errors, (await http('{ users { nope } }')).errors);
      const first = await new Promise((resolve, reject) => {
        const s = c.request({ query: 'subscription { users_by_pk(id: 2) { name } }' }).subscribe({
          next: (v) => { s.unsubscribe(); resolve(v); }, error: reject,
        });
      });
      assert.deepEqual(first, { data: { users_by_pk: { name: 'Alan Turing' } } });
    } finally {
      c.close();
    }
  });
});

describe('clients that leave, and a server that stops', () => {
  it('frees operations whose socket goes away mid-flight and keeps serving', async () => {
    const socks = await Promise.all(Array.from({ length: 20 }, (_, i) => Raw.ready(url, i % 2 ? 'graphql-ws' : 'graphql-transport-ws')));
    socks.forEach((raw, i) => {
      for (let k = 0; k < 3; k++) {
        const payload = { query: SLOW, variables: { ms: 300 } };
        raw.send(i % 2 ? { id: `${k}`, type: 'start', payload } : { id: `${k}`, type: 'subscribe', payload });
      }
    });
    await sleep(50);
    socks.forEach((raw, i) => (i % 4 < 2 ? raw.ws.terminate() : raw.ws.close()));
    await Promise.all(socks.map((raw) => raw.closed));
    await sleep(600); // the statements end with nobody to answer
    await stillServes();
  });

  it('lets running operations answer, then closes every socket 1001, when stopped', async () => {
    const own = await startServer({ args: ['--threads', '1'], env: { GRAPHPOST_DATABASE_URL: dbUrl(DB) } });
    try {
      const modern = await Raw.ready(wsUrl(own.url));
      const legacy = await Raw.ready(wsUrl(own.url), 'graphql-ws');
      const idle = await Raw.ready(wsUrl(own.url));
      modern.send({ id: 'm', type: 'subscribe', payload: { query: SLOW, variables: { ms: 700 } } });
      legacy.send({ id: 'l', type: 'start', payload: { query: SLOW, variables: { ms: 700 } } });
      await sleep(150);
      own.child.kill('SIGTERM');
      assert.equal((await idle.closing()).code, 1001);
      assert.deepEqual((await modern.closing()).code, 1001);
      assert.deepEqual(modern.of('m').map((x) => x.type), ['next', 'complete']);
      assert.equal(modern.of('m')[0].payload.data.ws_slow.length, 4);
      assert.equal((await legacy.closing()).code, 1001);
      assert.deepEqual(legacy.of('l').map((x) => x.type), ['data', 'complete']);
    } finally {
      const r = await own.stop(); // fails on any sanitizer report
      assert.equal(r.code, 0, own.output().slice(-2000));
    }
  });
});

describe('the shared blog server, with default settings', () => {
  const blog = wsUrl(need('GP_BLOG_URL'));

  it('answers over both subprotocols', async () => {
    for (const protocol of ['graphql-transport-ws', 'graphql-ws']) {
      const raw = await Raw.ready(blog, protocol);
      const r = protocol === 'graphql-ws' ? (await runLegacy(raw, '1', USER, { id: 1 })).data : (await run(raw, '1', USER, { id: 1 })).next;
      assert.deepEqual(r, (await post(need('GP_BLOG_URL'), USER, { id: 1 })).body);
      raw.ws.close();
    }
  });

  it('closes 4408 after the default --ws-init-timeout of 3 s', async () => {
    const t0 = Date.now();
    const raw = await Raw.open(blog, 'graphql-transport-ws');
    assert.deepEqual(await raw.closing(), { code: 4408, reason: 'Connection initialisation timeout' });
    const took = Date.now() - t0;
    assert.ok(took >= 2900 && took < 5000, `closed after ${took} ms`);
  });
});
