// Real GraphQL clients against graphpost: graphql-request and @urql/core over GET and
// POST with variables and operationName, graphql-request's batches, and @apollo/client
// core. Each answer is compared with the blog seed read by hand-written SQL, and a
// recording fetch checks that the client really sent what the test name says.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GraphQLClient } from 'graphql-request';
import { Client, fetchExchange } from '@urql/core';
import { ApolloClient, InMemoryCache, HttpLink, gql } from '@apollo/client/core';
import { need, env, sqlRow, sqlRows } from '../lib/gql.mjs';

const url = `${need('GP_BLOG_URL')}/graphql`;

// Clients send the operation name of a document with one named operation.
const USER = 'query UserById($id: Int!) { users_by_pk(id: $id) { id name email } }';
const POSTS = `query PostsOf($author: Int!, $limit: Int) {
  posts(where: {author_id: {_eq: $author}}, order_by: {id: asc}, limit: $limit) { id title status tags }
}`;

const user = (id) => sqlRow(env.blogDb, `select id, name, email from users where id = ${id}`);
const postsOf = (author) => sqlRows(env.blogDb, `select id, title, status, tags from posts where author_id = ${author} order by id`);

// Drops the __typename fields that caching clients add to every selection.
const plain = (v) => JSON.parse(JSON.stringify(v, (k, x) => (k === '__typename' ? undefined : x)));

// A fetch that remembers each request's method, URL and parsed body.
function recorder() {
  const sent = [];
  const fn = async (input, init = {}) => {
    const u = new URL(typeof input === 'string' ? input : input.url ?? String(input));
    const method = (init.method || 'GET').toUpperCase();
    const body = init.body ? JSON.parse(init.body) : undefined;
    const params = Object.fromEntries(u.searchParams);
    sent.push({ method, params, body, accept: new Headers(init.headers).get('accept') });
    return fetch(input, init);
  };
  return { fn, sent, last: () => sent[sent.length - 1] };
}

// The operation name the client sent, whether in the body or the URL.
const sentName = (r) => r.body?.operationName ?? r.params.operationName;

describe('graphql-request', () => {
  for (const method of ['POST', 'GET']) {
    it(`${method}: variables and operationName`, async () => {
      const rec = recorder();
      const c = new GraphQLClient(url, { method, fetch: rec.fn });
      const d = await c.request(USER, { id: 2 });
      assert.deepEqual(d, { users_by_pk: user(2) });
      assert.equal(rec.last().method, method);
      assert.equal(sentName(rec.last()), 'UserById');
      const p = await c.request(POSTS, { author: 1, limit: 10 });
      assert.deepEqual(p, { posts: postsOf(1) });
    });
  }

  it('POST: a batch of two documents answers both, in order', async () => {
    const c = new GraphQLClient(url);
    const r = await c.batchRequests([
      { document: POSTS, variables: { author: 3 } },
      { document: 'query ($id: Int!) { users_by_pk(id: $id) { id name email } }', variables: { id: 4 } },
    ]);
    assert.deepEqual(r.map((x) => x.data), [{ posts: postsOf(3) }, { users_by_pk: user(4) }]);
  });

  it('reports a GraphQL error as a ClientError carrying the server errors', async () => {
    const c = new GraphQLClient(url);
    await assert.rejects(c.request('{ no_such_field }'), (e) => {
      assert.ok(e.response?.errors?.[0]?.message, String(e));
      return true;
    });
  });
});

describe('@urql/core', () => {
  for (const preferGetMethod of [false, true]) {
    const method = preferGetMethod ? 'GET' : 'POST';
    it(`${method}: variables and operationName`, async () => {
      const rec = recorder();
      const client = new Client({ url, exchanges: [fetchExchange], preferGetMethod, fetch: rec.fn, requestPolicy: 'network-only' });
      const r = await client.query(USER, { id: 3 }).toPromise();
      assert.equal(r.error, undefined, String(r.error));
      assert.deepEqual(plain(r.data), { users_by_pk: user(3) });
      assert.equal(rec.last().method, method);
      assert.equal(sentName(rec.last()), 'UserById');
      const p = await client.query(POSTS, { author: 2, limit: 5 }).toPromise();
      assert.equal(p.error, undefined, String(p.error));
      assert.deepEqual(plain(p.data), { posts: postsOf(2) });
    });
  }

  it('surfaces a validation error as a CombinedError', async () => {
    const client = new Client({ url, exchanges: [fetchExchange] });
    const r = await client.query('{ no_such_field }', {}).toPromise();
    assert.ok(r.error?.graphQLErrors?.length, String(r.error));
  });
});

describe('@apollo/client core', () => {
  it('queries with variables through an InMemoryCache', async () => {
    const rec = recorder();
    const client = new ApolloClient({ link: new HttpLink({ uri: url, fetch: rec.fn }), cache: new InMemoryCache() });
    const r = await client.query({ query: gql(POSTS), variables: { author: 1 }, fetchPolicy: 'network-only' });
    assert.deepEqual(plain(r.data), { posts: postsOf(1) });
    assert.equal(sentName(rec.last()), 'PostsOf');
    const u = await client.query({ query: gql(USER), variables: { id: 1 } });
    assert.deepEqual(plain(u.data), { users_by_pk: user(1) });
    client.stop();
  });

  it('queries over GET (useGETForQueries)', async () => {
    const rec = recorder();
    const client = new ApolloClient({ link: new HttpLink({ uri: url, fetch: rec.fn, useGETForQueries: true }), cache: new InMemoryCache() });
    const r = await client.query({ query: gql(USER), variables: { id: 2 }, fetchPolicy: 'no-cache' });
    assert.deepEqual(plain(r.data), { users_by_pk: user(2) });
    assert.equal(rec.last().method, 'GET');
    client.stop();
  });
});
