// GraphQL over HTTP as the graphql-http package's own audit suite judges it: every
// MUST and every SHOULD audit passes against the real binary (MAY audits are
// reported, not required). Plus what the audits do not cover: Accept negotiation
// details, 406, 415, extensions over GET, batches and the body limit.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serverAudits } from 'graphql-http';
import { need, startServer, sqlRows, env } from '../lib/gql.mjs';

const base = need('GP_BLOG_URL');
const url = `${base}/graphql`;

async function stillServes() {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { data: { __typename: 'query_root' } });
}

describe('graphql-http serverAudits', async () => {
  const results = await Promise.all(serverAudits({ url, fetchFn: fetch }).map(async (a) => ({ ...a, result: await a.fn() })));
  const failed = (level, pick = () => true) =>
    results.filter((a) => a.name.startsWith(level) && a.result.status !== 'ok' && pick(a));
  const show = (list) =>
    list.map((a) => `${a.id} ${a.name}: ${a.result.reason}${a.result.response ? ` (HTTP ${a.result.response.status})` : ''}`).join('\n');

  it('passes every MUST audit', () => {
    assert.ok(results.some((a) => a.name.startsWith('MUST')));
    assert.equal(failed('MUST').length, 0, `failing MUST audits:\n${show(failed('MUST'))}`);
  });

  it('passes every SHOULD audit', () => {
    assert.equal(failed('SHOULD').length, 0, `failing SHOULD audits:\n${show(failed('SHOULD'))}`);
  });

  it('reports the MAY audits it does not pass', (t) => {
    const may = failed('MAY');
    if (may.length) t.diagnostic(`MAY audits not passed:\n${show(may)}`);
  });
});

async function req(accept, body, extraHeaders = {}) {
  const headers = { 'content-type': 'application/json', ...extraHeaders };
  if (accept !== undefined) headers.accept = accept;
  const r = await fetch(url, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await r.text();
  let json;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, type: r.headers.get('content-type'), text, json, headers: r.headers };
}

describe('Accept negotiation', () => {
  const q = { query: '{ __typename }' };
  const cases = [
    [undefined, 'application/json; charset=utf-8'],
    ['*/*', 'application/json; charset=utf-8'],
    ['application/*', 'application/json; charset=utf-8'],
    ['application/json', 'application/json; charset=utf-8'],
    ['application/graphql-response+json', 'application/graphql-response+json; charset=utf-8'],
    ['application/graphql-response+json, application/json;q=0.9', 'application/graphql-response+json; charset=utf-8'],
    ['application/graphql-response+json;q=0.5, application/json', 'application/json; charset=utf-8'],
    ['text/html, application/json;q=0', undefined],
    ['text/html,application/xhtml+xml,*/*;q=0.8', 'application/json; charset=utf-8'],
  ];
  for (const [accept, type] of cases) {
    it(`Accept: ${accept ?? '(none)'} → ${type ?? '406'}`, async () => {
      const r = await req(accept, q);
      if (type === undefined) {
        assert.equal(r.status, 406, r.text);
        assert.ok(r.json?.errors?.[0]?.message, r.text);
      } else {
        assert.equal(r.status, 200, r.text);
        assert.equal(r.type, type);
        assert.deepEqual(r.json, { data: { __typename: 'query_root' } });
      }
    });
  }

  it('answers 406 to an Accept it cannot satisfy, and keeps serving', async () => {
    const r = await req('text/plain', q);
    assert.equal(r.status, 406);
    await stillServes();
  });
});

describe('status codes', () => {
  it('a parse error is 200 with application/json, 400 without data with graphql-response+json', async () => {
    const j = await req('application/json', { query: '{' });
    assert.equal(j.status, 200);
    assert.equal(j.json.errors[0].extensions.code, 'GRAPHQL_PARSE_FAILED');
    const g = await req('application/graphql-response+json', { query: '{' });
    assert.equal(g.status, 400);
    assert.ok(!('data' in g.json), g.text);
    assert.equal(g.type, 'application/graphql-response+json; charset=utf-8');
  });

  it('an unknown field is 200 / 400 and never has data', async () => {
    const j = await req('application/json', { query: '{ no_such_field }' });
    assert.equal(j.status, 200);
    assert.ok(j.json.errors.length && !('data' in j.json), j.text);
    const g = await req('application/graphql-response+json', { query: '{ no_such_field }' });
    assert.equal(g.status, 400);
    assert.ok(!('data' in g.json), g.text);
  });

  it('refuses a body that is not application/json with 415', async () => {
    for (const headers of [{}, { 'content-type': 'text/plain' }, { 'content-type': 'application/x-www-form-urlencoded' }]) {
      const r = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query: '{ __typename }' }) });
      assert.equal(r.status, 415, JSON.stringify(headers));
      assert.ok((await r.json()).errors[0].message);
    }
    await stillServes();
  });

  it('refuses malformed parameters with 400', async () => {
    for (const body of [
      '{ "not a JSON', '', '{"query": 1}', '{"query": "{ __typename }", "variables": "x"}', '{"query": "{ __typename }", "extensions": []}',
      '{"query": "{ __typename }", "operationName": 3}', '"just a string"', '[]',
    ]) {
      const r = await req('application/graphql-response+json', body);
      assert.equal(r.status, 400, `${body} → ${r.status} ${r.text}`);
      assert.ok(r.json?.errors?.[0]?.message, r.text);
    }
    await stillServes();
  });

  it('accepts extensions (object or null) over POST and GET', async () => {
    assert.equal((await req('application/json', { query: '{ __typename }', extensions: { persistedQuery: null } })).status, 200);
    const u = new URL(url);
    u.searchParams.set('query', '{ __typename }');
    u.searchParams.set('extensions', JSON.stringify({ a: 1 }));
    const r = await fetch(u);
    assert.equal(r.status, 200);
    u.searchParams.set('extensions', '[1]');
    assert.equal((await fetch(u)).status, 400);
  });

  it('refuses a mutation over GET with 405 and Allow: POST', async () => {
    const u = new URL(url);
    u.searchParams.set('query', 'mutation { delete_comments(where: {id: {_eq: -1}}) { affected_rows } }');
    const r = await fetch(u, { headers: { accept: 'application/graphql-response+json' } });
    const body = await r.text();
    assert.ok(r.status === 405 || r.status === 400, `${r.status} ${body}`);
    if (r.status === 405) assert.equal(r.headers.get('allow'), 'POST');
    await stillServes();
  });
});

describe('batches', () => {
  it('answers an array of operations with an array of responses, in order', async () => {
    const users = sqlRows(env.blogDb, 'select id, name from users order by id');
    const ops = users.map((u) => ({ query: 'query U($id: Int!) { users_by_pk(id: $id) { id name } }', variables: { id: u.id }, operationName: 'U' }));
    const r = await req('application/json', ops);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, users.map((u) => ({ data: { users_by_pk: u } })));
  });

  it('fails only the elements that are broken', async () => {
    const r = await req('application/graphql-response+json', [
      { query: '{ __typename }' },
      { query: '{' },
      { nope: 1 },
      { query: '{ users_by_pk(id: 1) { name } }' },
    ]);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.type, 'application/graphql-response+json; charset=utf-8');
    assert.equal(r.json.length, 4);
    assert.deepEqual(r.json[0], { data: { __typename: 'query_root' } });
    assert.equal(r.json[1].errors[0].extensions.code, 'GRAPHQL_PARSE_FAILED');
    assert.equal(r.json[2].errors[0].extensions.code, 'BAD_REQUEST');
    assert.deepEqual(r.json[3], { data: { users_by_pk: { name: 'Ada Lovelace' } } });
  });

  it('refuses more than 100 operations in one batch', async () => {
    const r = await req('application/json', Array.from({ length: 101 }, () => ({ query: '{ __typename }' })));
    assert.equal(r.status, 400);
    await stillServes();
  });

  it('survives clients that leave while a batch runs', async () => {
    const pagila = need('GP_PAGILA_URL');
    const q = { query: '{ rental(order_by: {rental_id: desc}) { rental_id customer { first_name } } }' };
    await Promise.all(Array.from({ length: 10 }, async (_, i) => {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 2 + i);
      try {
        const r = await fetch(`${pagila}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([q, q, { query: '{ __typename }' }]), signal: ac.signal });
        await r.text();
      } catch (e) {
        if (e.name !== 'AbortError') throw e;
      }
    }));
    await new Promise((r) => setTimeout(r, 500));
    const r = await fetch(`${pagila}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ query: '{ film_by_pk(film_id: 1) { title } }' }]) });
    assert.deepEqual(await r.json(), [{ data: { film_by_pk: { title: 'ACADEMY DINOSAUR' } } }]);
  });
});

describe('body limit', () => {
  let srv;
  before(async () => {
    srv = await startServer({
      args: ['--max-body', '2048', '--threads', '1'],
      env: { GRAPHPOST_DATABASE_URL: `postgres://postgres@${need('PGHOST')}:${need('PGPORT')}/${env.blogDb}` },
    });
  });
  after(async () => srv && (await srv.stop()));

  it('answers 413 with a GraphQL error past --max-body, and serves what fits', async () => {
    const big = JSON.stringify({ query: `{ __typename }${' '.repeat(4096)}` });
    const r = await fetch(`${srv.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    assert.equal(r.status, 413);
    assert.match(r.headers.get('content-type') || '', /^application\/json/);
    const body = await r.json();
    assert.equal(body.errors[0].extensions.code, 'PAYLOAD_TOO_LARGE');
    const ok = await fetch(`${srv.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `{ __typename }${' '.repeat(1024)}` }) });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { data: { __typename: 'query_root' } });
  });
});
