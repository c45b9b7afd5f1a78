// Values over HTTP on examples/blog: the plan cache answers what a cold server
// answers (its re-binding tracks where each value came from, not what it equals),
// a cache hit runs every value check, numbers keep every digit, and NUL is refused.
// Two servers of one worker thread each (so every repeat meets the same cache):
// one caching, one with --plan-cache 0; every answer is compared between them and
// with hand-written SQL.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { need, env, post, startServer, sqlRows } from '../lib/gql.mjs';

const pg = { host: need('PGHOST'), port: need('PGPORT'), user: process.env.PGUSER || 'postgres' };
const url = `postgres://${pg.user}@${pg.host}:${pg.port}/${env.blogDb}`;
const ids = (sql) => sqlRows(env.blogDb, sql).map((r) => r.id);

let hot, cold;
before(async () => {
  const e = { GRAPHPOST_DATABASE_URL: url };
  [hot, cold] = await Promise.all([
    startServer({ args: ['--threads', '1'], env: e }),
    startServer({ args: ['--threads', '1', '--plan-cache', '0'], env: e }),
  ]);
});
after(async () => {
  await Promise.all([hot, cold].filter(Boolean).map((s) => s.stop()));
});

// Sends the request to both servers; the caching one must answer as the cold one.
async function both(query, variables) {
  const [h, c] = [await post(hot.url, query, variables), await post(cold.url, query, variables)];
  assert.equal(h.status, c.status, `status, ${query} with ${JSON.stringify(variables)}`);
  assert.deepEqual(h.body, c.body, `${query} with ${JSON.stringify(variables)}`);
  return h;
}

// Each variable set after each other one, so every set meets a plan cached by another.
async function everyOrder(query, sets, check) {
  for (const a of sets)
    for (const b of sets) {
      await both(query, a);
      const r = await both(query, b);
      if (check) check(r, b);
    }
}

async function stillServes() {
  const r = await post(hot.url, '{ users_by_pk(id: 1) { name } }');
  assert.deepEqual(r.body, { data: { users_by_pk: { name: 'Ada Lovelace' } } });
}

describe('a sound plan cache', () => {
  it("the issue's case: a boolean variable beside a literal true answers as a cold server", async () => {
    const q =
      'query Q($n: Boolean!) { users(where: {bio: {_is_null: $n}}, order_by: {id: asc}) { id } ' +
      'posts(where: {metadata: {_neq: true}}, order_by: {id: asc}) { id } }';
    await everyOrder(q, [{ n: true }, { n: false }], (r, vars) => {
      const want = ids(`select id from users where bio is ${vars.n ? '' : 'not '}null order by id`);
      assert.deepEqual(r.body.data.users.map((u) => u.id), want);
    });
  });

  it('@include(if: $x) beside a literal true', async () => {
    const q =
      'query($x: Boolean!) { users(where: {bio: {_is_null: true}}, order_by: {id: asc}) { id name @include(if: $x) } }';
    await everyOrder(q, [{ x: true }, { x: false }], (r, vars) => {
      assert.equal('name' in r.body.data.users[0], vars.x);
    });
  });

  it('a literal true in a filter is not the boolean variable beside it', async () => {
    const q =
      'query($p: Boolean!) { posts(where: {_and: [{editor_id: {_is_null: true}}, {rating: {_is_null: $p}}]}, ' +
      'order_by: {id: asc}) { id } }';
    await everyOrder(q, [{ p: true }, { p: false }], (r, vars) => {
      const want = ids(`select id from posts where editor_id is null and rating is ${vars.p ? '' : 'not '}null order by id`);
      assert.deepEqual(r.body.data.posts.map((p) => p.id), want);
    });
  });

  it('variables that are only parameters are re-bound: new values, new rows', async () => {
    const q = 'query($a: Int!, $t: String) { users(where: {_or: [{id: {_eq: $a}}, {name: {_eq: $t}}]}, order_by: {id: asc}) { id } }';
    await everyOrder(q, [{ a: 1 }, { a: 2, t: 'Grace Hopper' }, { a: 4, t: null }], (r, vars) => {
      // With $t null or absent, {name: {}} is no condition at all: true, so every row.
      const want = ids(`select id from users where id = ${vars.a} or ${vars.t ? `name = '${vars.t}'` : 'true'} order by id`);
      assert.deepEqual(r.body.data.users.map((u) => u.id), want);
    });
  });

  it('a cache hit checks limit and offset like a cold compile: the same clean error, not a database error', async () => {
    const q = 'query($n: Int, $o: Int) { users(limit: $n, offset: $o, order_by: {id: asc}) { id } }';
    await both(q, { n: 2, o: 0 });
    for (const bad of [{ n: -1, o: 0 }, { n: 2, o: -3 }]) {
      const r = await both(q, bad);
      assert.equal(r.body.data ?? null, null, r.text);
      assert.equal(r.body.errors[0].extensions.code, 'GRAPHQL_VALIDATION_FAILED', r.text);
      assert.match(r.body.errors[0].message, /^Expected a non-negative Int for (limit|offset)\.$/);
    }
    const ok = await both(q, { n: 1, o: 1 });
    assert.deepEqual(ok.body.data.users, [{ id: 2 }]);
    await stillServes();
  });
});

describe('lists of arrays', () => {
  it('_in and _nin on an array column compare whole arrays, with IN\'s handling of empty lists', async () => {
    const cases = [
      ['{tags: {_in: [["math"], ["ai", "philosophy"]]}}', "tags in ('{math}', '{ai,philosophy}')"],
      ['{tags: {_nin: [["math"], ["history"]]}}', "tags not in ('{math}', '{history}')"],
      ['{tags: {_in: []}}', 'false'],
      ['{tags: {_nin: []}}', 'true'],
      ['{_not: {tags: {_in: [[], ["math", "history"]]}}}', "not (tags in ('{}', '{math,history}'))"],
      ['{tags: {_in: [["a\\"b", "c,d"], ["{x}"]]}}', 'tags in (array[\'a"b\', \'c,d\'], array[\'{x}\'])'],
    ];
    for (const [where, sql] of cases) {
      const r = await both(`{ posts(where: ${where}, order_by: {id: asc}) { id } }`);
      assert.deepEqual(r.body.data.posts.map((p) => p.id), ids(`select id from posts where ${sql} order by id`), where);
    }
    const q = 'query($t: [[String!]!]) { posts(where: {tags: {_in: $t}}, order_by: {id: asc}) { id } }';
    await everyOrder(q, [{ t: [['math']] }, { t: [] }, { t: [['math', 'history'], ['{}']] }, { t: null }], (r, vars) => {
      const lits = (vars.t ?? []).map((a) => `array[${a.map((x) => `'${x}'`).join(',')}]::text[]`);
      const want = vars.t == null ? 'true' : lits.length ? `tags in (${lits.join(', ')})` : 'false';
      assert.deepEqual(r.body.data.posts.map((p) => p.id), ids(`select id from posts where ${want} order by id`));
    });
  });
});

describe('aggregates', () => {
  it('an aggregate selecting only __typename is one object, at the root and through a relationship', async () => {
    const r = await both('{ users_aggregate { __typename aggregate { __typename } } users(order_by: {id: asc}, limit: 1) { posts_by_author_id_aggregate { __typename } } }');
    assert.deepEqual(r.body, {
      data: {
        users_aggregate: { __typename: 'users_aggregate', aggregate: { __typename: 'users_aggregate_fields' } },
        users: [{ posts_by_author_id_aggregate: { __typename: 'posts_aggregate' } }],
      },
    }, r.text);
    const empty = await both('{ users_aggregate(where: {id: {_eq: 999}}) { __typename aggregate { count } } }');
    assert.deepEqual(empty.body.data.users_aggregate, { __typename: 'users_aggregate', aggregate: { count: 0 } });
  });
});

describe('exact values', () => {
  it('numeric literals and variables keep every digit', async () => {
    // 4.50000000000000000001 is 4.5 as a double: only an exact comparison misses post 1.
    const lit = await both('{ posts(where: {rating: {_eq: 4.50000000000000000001}}) { id } }');
    assert.deepEqual(lit.body, { data: { posts: [] } });
    const gte = await both('{ posts(where: {rating: {_gte: 4.50000000000000000001}}, order_by: {id: asc}) { id } }');
    assert.deepEqual(gte.body.data.posts.map((p) => p.id), ids('select id from posts where rating >= 4.50000000000000000001 order by id'));
    const q = 'query($r: numeric) { posts(where: {rating: {_eq: $r}}, order_by: {id: asc}) { id } }';
    // JSON.stringify would round the number: send the body's text as written.
    for (const [text, want] of [['4.50000000000000000001', []], ['4.5', [1]], ['"4.50000000000000000001"', []], ['"5.0"', [3]]]) {
      for (const srv of [hot, cold]) {
        const res = await fetch(`${srv.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: `{"query": ${JSON.stringify(q)}, "variables": {"r": ${text}}}`,
        });
        const body = await res.json();
        assert.deepEqual(body, { data: { posts: want.map((id) => ({ id })) } }, `r = ${text}`);
      }
    }
  });

  it('a bigint beyond 64 bits reaches PostgreSQL as written (which refuses it), not clamped', async () => {
    const r = await both('{ users(where: {karma: {_eq: 99999999999999999999}}) { id } }');
    assert.equal(r.body.data ?? null, null, r.text);
    assert.match(r.body.errors[0].message, /out of range/, r.text);
    const res = await fetch(`${hot.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": "query($k: bigint) { users(where: {karma: {_lt: $k}}, order_by: {id: asc}) { id } }", "variables": {"k": 9223372036854775807}}',
    });
    assert.deepEqual((await res.json()).data.users.map((u) => u.id), [1, 2, 3, 4]);
    const big = await fetch(`${hot.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": "query($k: bigint) { users(where: {karma: {_eq: $k}}) { id } }", "variables": {"k": 99999999999999999999}}',
    });
    assert.match((await big.json()).errors[0].message, /out of range/);
    const q = encodeURIComponent('query($r: numeric) { posts(where: {rating: {_eq: $r}}) { id } }');
    const get = await fetch(`${hot.url}/graphql?query=${q}&variables=${encodeURIComponent('{"r": 4.50000000000000000001}')}`);
    assert.deepEqual(await get.json(), { data: { posts: [] } }, 'GET variables keep their digits too');
    await stillServes();
  });

  it('jsonb operands are JSON: strings quoted, numbers exact', async () => {
    const cases = [
      ['{metadata: {_eq: "x"}}', `metadata = '"x"'::jsonb`],
      ['{metadata: {_neq: "x"}}', `metadata <> '"x"'::jsonb`],
      ['{metadata: {_contains: {words: 1200.0}}}', `metadata @> '{"words": 1200}'::jsonb`],
      ['{metadata: {_contains: {words: 1200.00000000000000000001}}}', 'false'],
      ['{metadata: {_eq: {words: 12345678901234567890123}}}', 'false'],
      ['{metadata: {_in: ["x", {words: 1200}, 5]}}', `metadata in ('"x"', '{"words": 1200}', '5')`],
      ['{metadata: {_nin: [{words: 300}]}}', `metadata not in ('{"words": 300}')`],
    ];
    for (const [where, sql] of cases) {
      const r = await both(`{ posts(where: ${where}, order_by: {id: asc}) { id } }`);
      assert.deepEqual(r.body.data?.posts?.map((p) => p.id), ids(`select id from posts where ${sql} order by id`), `${where}: ${r.text}`);
    }
    const q = 'query($j: jsonb) { posts(where: {metadata: {_contains: $j}}, order_by: {id: asc}) { id } }';
    await everyOrder(q, [{ j: { words: 9000 } }, { j: 'x' }, { j: {} }], (r, vars) => {
      const sql = `metadata @> '${JSON.stringify(vars.j)}'::jsonb`;
      assert.deepEqual(r.body.data.posts.map((p) => p.id), ids(`select id from posts where ${sql} order by id`));
    });
  });

  it('Int is 32-bit, for literals and for variables', async () => {
    const lit = await both('{ users(limit: 3000000000) { id } }');
    assert.equal(lit.body.errors[0].message, 'Int cannot represent non 32-bit signed integer value: 3000000000');
    const res = await fetch(`${hot.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": "query($n: Int) { users(limit: $n) { id } }", "variables": {"n": 99999999999999999999}}',
    });
    const body = await res.json();
    assert.equal(body.data ?? null, null);
    assert.equal(body.errors[0].extensions.code, 'BAD_USER_INPUT');
    assert.match(body.errors[0].message, /Int cannot represent non 32-bit signed integer value: 100000000000000000000$/);
    await stillServes();
  });

  it('NUL in a string literal or a variable is a clear BAD_USER_INPUT error, never a cut-short match', async () => {
    const lit = await both('{ users(where: {name: {_eq: "Ada Lovelace\\u0000 OR anything"}}) { id } }');
    assert.equal(lit.body.data ?? null, null, lit.text);
    assert.equal(lit.body.errors[0].extensions.code, 'BAD_USER_INPUT');
    assert.match(lit.body.errors[0].message, /U\+0000/);
    const q = 'query($s: String!) { users(where: {name: {_eq: $s}}) { id } }';
    await both(q, { s: 'Ada Lovelace' });
    const v = await both(q, { s: 'Ada Lovelace\u0000 OR anything' });
    assert.equal(v.body.data ?? null, null, v.text);
    assert.equal(v.body.errors[0].extensions.code, 'BAD_USER_INPUT');
    assert.match(v.body.errors[0].message, /U\+0000/);
    const j = await both('query($j: jsonb) { posts(where: {metadata: {_contains: $j}}) { id } }', { j: { a: '\u0000' } });
    assert.equal(j.body.errors[0].extensions.code, 'BAD_USER_INPUT');
    await stillServes();
  });
});
