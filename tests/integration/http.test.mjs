// The HTTP surface: /health, POST and GET /graphql, and the shape of errors.
// Every test that sends bad input ends by checking that the server still serves.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { client, need, psql, serverStarter } from '../lib/gql.mjs';

const base = need('GP_BLOG_URL');
const gql = client(base);

async function stillServes() {
  const r = await gql.post('{ __typename }');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body, { data: { __typename: 'query_root' } });
}

function assertParseError(body, line, column) {
  assert.ok(body && Array.isArray(body.errors) && body.errors.length >= 1, JSON.stringify(body));
  const e = body.errors[0];
  assert.equal(typeof e.message, 'string');
  assert.ok(e.message.length > 0);
  assert.deepEqual(e.locations, [{ line, column }], JSON.stringify(e));
  assert.equal(e.extensions?.code, 'GRAPHQL_PARSE_FAILED', JSON.stringify(e));
  assert.ok(!('data' in body) || body.data === null, 'a parse error has no data');
}

describe('health', () => {
  it('answers 200 once the database is reachable', async () => {
    const r = await gql.get('/health');
    assert.equal(r.status, 200, r.text);
  });
});

describe('POST /graphql', () => {
  it('answers application/json with a data object', async () => {
    const r = await gql.post('{ users_by_pk(id: 1) { name } }');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') || '', /application\/(graphql-response\+)?json/);
    assert.deepEqual(r.body, { data: { users_by_pk: { name: 'Ada Lovelace' } } });
  });

  it('accepts variables given as null and an absent operationName', async () => {
    const r = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"{ users_by_pk(id: 2) { name } }","variables":null,"operationName":null}',
    });
    assert.deepEqual(await r.json(), { data: { users_by_pk: { name: 'Alan Turing' } } });
  });

  it('answers many concurrent requests, each with its own result', async () => {
    const ids = Array.from({ length: 200 }, (_, i) => (i % 4) + 1);
    const names = { 1: 'Ada Lovelace', 2: 'Alan Turing', 3: 'Grace Hopper', 4: 'Edsger Dijkstra' };
    const answers = await Promise.all(
      ids.map((id) => gql.post('query ($id: Int!) { users_by_pk(id: $id) { id name } }', { id })),
    );
    answers.forEach((r, i) => assert.deepEqual(r.body, { data: { users_by_pk: { id: ids[i], name: names[ids[i]] } } }));
  });
});

describe('GET /graphql', () => {
  it('takes the query and variables from the URL', async () => {
    const q = encodeURIComponent('query ($id: Int!) { users_by_pk(id: $id) { email } }');
    const v = encodeURIComponent(JSON.stringify({ id: 3 }));
    const r = await gql.get(`/graphql?query=${q}&variables=${v}`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { data: { users_by_pk: { email: 'grace@example.com' } } });
  });
});

describe('errors', () => {
  it('rejects an unterminated selection with its location and keeps serving', async () => {
    const r = await gql.post('{ users(');
    assertParseError(r.body, 1, 9);
    await stillServes();
  });

  it('counts lines and columns across newlines', async () => {
    const r = await gql.post('query {\n  users {\n    id }\n  }\n}');
    assertParseError(r.body, 5, 1);
    await stillServes();
  });

  it('rejects an unexpected character', async () => {
    const r = await gql.post('{ users { id ? } }');
    assertParseError(r.body, 1, 14);
    await stillServes();
  });

  it('rejects an unterminated string', async () => {
    // The location is the opening quote or the end of the line; both point the reader at the string.
    const q = '{ users(where: {name: {_eq: "Ada}}) { id } }';
    const r = await gql.post(q);
    const column = r.body?.errors?.[0]?.locations?.[0]?.column;
    assertParseError(r.body, 1, [29, q.length + 1].includes(column) ? column : 29);
    await stillServes();
  });

  it('rejects an empty document', async () => {
    const r = await gql.post('   ');
    assert.ok(r.body && r.body.errors && r.body.errors.length, r.text);
    await stillServes();
  });

  it('rejects a body that is not JSON with a GraphQL error', async () => {
    const r = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    const body = await r.json();
    assert.ok(r.status >= 400 && r.status < 500, `status ${r.status}`);
    assert.ok(Array.isArray(body.errors) && body.errors[0].message, JSON.stringify(body));
    await stillServes();
  });

  it('rejects a request without a query', async () => {
    const r = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"variables": {}}' });
    const body = await r.json();
    assert.ok(r.status >= 400 && r.status < 500, `status ${r.status}`);
    assert.ok(Array.isArray(body.errors) && body.errors.length, JSON.stringify(body));
    await stillServes();
  });

  it('reports a field that does not exist, with its location', async () => {
    const r = await gql.post('{\n  no_such_table { id }\n}');
    assert.ok(r.body && Array.isArray(r.body.errors) && r.body.errors.length, r.text);
    assert.deepEqual(r.body.errors[0].locations, [{ line: 2, column: 3 }], r.text);
    assert.ok(!r.body.data, r.text);
    await stillServes();
  });

  it('reports a database error as a GraphQL error and keeps serving', async () => {
    // A string where an Int is declared: validation refuses it, or PostgreSQL fails
    // to cast the parameter; either way the answer is an error, not a crash.
    const r = await gql.post('query ($id: Int!) { users_by_pk(id: $id) { id } }', { id: 'not a number' });
    assert.ok(r.body && Array.isArray(r.body.errors) && r.body.errors.length, r.text);
    await stillServes();
  });

  it('survives a deeply nested document', async () => {
    const depth = 5000;
    const r = await gql.post('{ users ' + '{ id '.repeat(depth) + '}'.repeat(depth + 1));
    assert.ok(r.body && Array.isArray(r.body.errors) && r.body.errors.length, r.text.slice(0, 300));
    await stillServes();
  });

  it('answers 404 for an unknown path', async () => {
    const r = await gql.get('/no-such-path');
    assert.equal(r.status, 404);
    await stillServes();
  });
});

describe('failures do not spread', () => {
  it('fails only the requests whose statement fails, among many in flight', async () => {
    // A numeric scalar is passed through to PostgreSQL, which refuses "not a number":
    // those statements fail inside the same pipelines as the good ones.
    const bad = 'query ($r: numeric) { posts(where: {rating: {_eq: $r}}) { id } }';
    const good = 'query ($id: Int!) { users_by_pk(id: $id) { id } }';
    const jobs = Array.from({ length: 120 }, (_, i) =>
      i % 6 === 0 ? gql.post(bad, { r: 'not a number' }).then((r) => ['bad', r]) : gql.post(good, { id: (i % 4) + 1 }).then((r) => ['good', r, (i % 4) + 1]),
    );
    for (const [kind, r, id] of await Promise.all(jobs)) {
      if (kind === 'good') assert.deepEqual(r.body, { data: { users_by_pk: { id } } }, r.text);
      else assert.ok(r.body && Array.isArray(r.body.errors) && r.body.errors[0].message, r.text);
    }
    await stillServes();
  });

  it('survives clients that disconnect while their query runs', async () => {
    const pagila = need('GP_PAGILA_URL');
    const q = '{ rental(order_by: {rental_id: desc}) { rental_id customer { first_name address { city { city country { country } } } } } }';
    const aborted = Array.from({ length: 20 }, async (_, i) => {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 2 + i);
      try {
        const r = await fetch(`${pagila}/graphql`, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: q }), signal: ac.signal,
        });
        await r.text();
      } catch (e) {
        if (e.name !== 'AbortError') throw e;
      }
    });
    await Promise.all(aborted);
    await new Promise((r) => setTimeout(r, 500)); // let the abandoned statements finish
    const r = await fetch(`${pagila}/graphql`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ film_by_pk(film_id: 1) { title } }' }),
    });
    assert.deepEqual(await r.json(), { data: { film_by_pk: { title: 'ACADEMY DINOSAUR' } } });
    await stillServes();
  });
});

// While a request waits for the database, graphpost keeps the HTTP/1 socket in the loop
// without reading it (server/http.c hold_socket). What the client sends meanwhile must
// wait for the answer and be served after it, and a client that closes must not make the
// loop spin on its readable socket.
describe('an HTTP/1 client that sends while its request runs', () => {
  const DB = `gp_http_hold_${process.pid}`;
  const start = serverStarter(after);
  let s;
  before(async () => {
    psql('postgres', `drop database if exists ${DB}`);
    psql('postgres', `create database ${DB}`);
    psql(DB, 'create table users (id int primary key, name text); insert into users values (1, \'ada\'), (2, \'bob\'); ' +
      'create view slow_one as select 1 as id, pg_sleep(0.4)::text as slept');
    s = await start({ args: ['--database-url', `postgres://postgres@${need('PGHOST')}:${need('PGPORT')}/${DB}`, '--threads', '1'] });
  });
  after(() => psql('postgres', `drop database if exists ${DB} with (force)`));

  const request = (query) => {
    const body = JSON.stringify({ query });
    return `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  };
  const cpuTicks = (pid) => {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return Number(f[11]) + Number(f[12]);
  };

  it('answers pipelined requests in order, after the slow one they queued behind', async () => {
    const sock = net.connect(s.port, '127.0.0.1');
    let text = '';
    sock.on('data', (d) => (text += d.toString()));
    await new Promise((res) => sock.once('connect', res));
    sock.write(request('{ slow_one { id } }'));
    await new Promise((res) => setTimeout(res, 150)); // the first one now waits for pg_sleep
    const ticks = cpuTicks(s.child.pid);
    sock.write(request('{ users(where: {id: {_eq: 1}}) { name } }') + request('{ users(where: {id: {_eq: 2}}) { name } }'));
    const deadline = Date.now() + 10000;
    while ((text.match(/HTTP\/1\.1 200/g) || []).length < 3 && Date.now() < deadline)
      await new Promise((res) => setTimeout(res, 20));
    sock.destroy();
    const bodies = text.split(/HTTP\/1\.1 /).slice(1).map((r) => JSON.parse(r.slice(r.indexOf('\r\n\r\n') + 4)));
    assert.deepEqual(bodies, [{ data: { slow_one: [{ id: 1 }] } }, { data: { users: [{ name: 'ada' }] } },
      { data: { users: [{ name: 'bob' }] } }], text);
    assert.ok(cpuTicks(s.child.pid) - ticks < 20, `the loop spun: ${cpuTicks(s.child.pid) - ticks} ticks`); // ticks of 10 ms
  });

  it('does not spin while a closed client\'s request runs, and serves the next ones', async () => {
    const sock = net.connect(s.port, '127.0.0.1');
    sock.on('error', () => {});
    await new Promise((res) => sock.once('connect', res));
    sock.write(request('{ slow_one { id } }'));
    await new Promise((res) => setTimeout(res, 100));
    const ticks = cpuTicks(s.child.pid);
    sock.end(); // FIN while the statement sleeps
    await new Promise((res) => setTimeout(res, 500));
    assert.ok(cpuTicks(s.child.pid) - ticks < 20, `the loop spun: ${cpuTicks(s.child.pid) - ticks} ticks`);
    const r = await fetch(`${s.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ users(order_by: {id: asc}) { name } }' }) });
    assert.deepEqual(await r.json(), { data: { users: [{ name: 'ada' }, { name: 'bob' }] } });
  });
});
