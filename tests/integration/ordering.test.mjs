// Ordering by array-relationship aggregates (T_aggregate_order_by) on blog and Pagila,
// and --max-rows. Data-driven: each case is a document, its variables and a
// hand-written SQL oracle for the expected rows. Nulls follow PostgreSQL's defaults, as
// Hasura's do: asc puts them last, desc first; an empty relationship counts 0 and its
// max, min, sum, avg … are null.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { client, need, env, post, sqlRows, startServer } from '../lib/gql.mjs';

const blog = client(need('GP_BLOG_URL'));
const pagila = client(need('GP_PAGILA_URL'));

// The correlated subquery the oracle orders by: an aggregate of the child rows.
const posts = (fn, u = 'u') => `(select ${fn} from posts p where p.author_id = ${u}.id)`;
const comments = (fn, p = 'p') => `(select ${fn} from comments c where c.post_id = ${p}.id)`;

const blogCases = [
  {
    name: 'count desc, ties broken by id',
    document: '{ users(order_by: [{posts_by_author_id_aggregate: {count: desc}}, {id: asc}]) { id } }',
    sql: `select id from users u order by ${posts('count(*)')} desc, id`,
  },
  {
    name: 'count asc, ties broken by id desc; an author of no posts counts 0 and comes first',
    document: '{ users(order_by: [{posts_by_author_id_aggregate: {count: asc}}, {id: desc}]) { id } }',
    sql: `select id from users u order by ${posts('count(*)')} asc, id desc`,
  },
  // [function, column, direction, its SQL (nulls as PostgreSQL places them by default), the tie-break's]
  ...[
    ['max', 'rating', 'desc', 'desc nulls first', 'asc'], // the empty relationship (null) first
    ['max', 'rating', 'desc_nulls_last', 'desc nulls last', 'asc'],
    ['min', 'created_at', 'asc', 'asc nulls last', 'asc'],
    ['min', 'title', 'asc_nulls_first', 'asc nulls first', 'asc'],
    ['sum', 'rating', 'desc', 'desc', 'asc'],
    ['avg', 'rating', 'asc', 'asc', 'desc'],
    ...['stddev', 'stddev_pop', 'stddev_samp', 'var_pop', 'var_samp', 'variance'].map((fn) => [fn, 'id', 'desc_nulls_last', 'desc nulls last', 'asc']),
  ].map(([fn, col, dir, sqlDir, tie]) => ({
    name: `${fn} of ${col} ${dir}`,
    document: `{ users(order_by: [{posts_by_author_id_aggregate: {${fn}: {${col}: ${dir}}}}, {id: ${tie}}]) { id } }`,
    sql: `select id from users u order by ${posts(`${fn}(${col})`)} ${sqlDir}, id ${tie}`,
  })),
  {
    name: 'two aggregates of one relationship, in the order given',
    document: '{ users(order_by: [{posts_by_author_id_aggregate: {count: desc, max: {id: asc}}}, {id: asc}]) { id } }',
    sql: `select id from users u order by ${posts('count(*)')} desc, ${posts('max(id)')} asc, id`,
  },
  {
    name: 'another FK to the same table (posts_by_editor_id)',
    document: '{ users(order_by: [{posts_by_editor_id_aggregate: {count: desc}}, {id: asc}]) { id } }',
    sql: 'select id from users u order by (select count(*) from posts p where p.editor_id = u.id) desc, id',
  },
  {
    name: 'a text key (tags.post_tags)',
    document: '{ tags(order_by: [{post_tags_aggregate: {count: desc}}, {name: asc}]) { name } }',
    sql: 'select name from tags t order by (select count(*) from post_tags x where x.tag_name = t.name) desc, name',
  },
  {
    name: 'combined with a column first, with where and limit',
    document: `{ posts(where: {status: {_neq: "draft"}}, limit: 3,
                 order_by: [{author_id: desc}, {comments_aggregate: {count: asc}}, {id: asc}]) { id } }`,
    sql: `select id from posts p where status <> 'draft' order by author_id desc, ${comments('count(*)')} asc, id limit 3`,
  },
  {
    name: 'through an object relationship: comments by how many comments their post has',
    document: '{ comments(order_by: [{post: {comments_aggregate: {count: desc}}}, {id: asc}]) { id } }',
    sql: `select id from comments k order by (select ${comments('count(*)')} from posts p where p.id = k.post_id) desc, id`,
  },
  {
    name: 'two levels of object relationships, then an aggregate',
    document: '{ comments(order_by: [{post: {author: {posts_by_author_id_aggregate: {sum: {id: desc}}}}}, {id: asc}]) { id } }',
    sql: `select id from comments k order by (select (select ${posts('sum(id)', 'a')} from users a where a.id = p.author_id)
            from posts p where p.id = k.post_id) desc, id`,
  },
  {
    name: 'nested: each author’s posts by their comment count',
    document: `{ users(order_by: {id: asc}) { id
                 posts_by_author_id(order_by: [{comments_aggregate: {count: desc}}, {id: asc}]) { id } } }`,
    sql: `select id, (select coalesce(json_agg(json_build_object('id', p.id) order by ${comments('count(*)')} desc, p.id), '[]')
            from posts p where p.author_id = u.id) as posts_by_author_id from users u order by id`,
  },
  {
    name: 'nested with a limit: each author’s most commented post',
    document: `{ users(order_by: {id: asc}) { id
                 posts_by_author_id(limit: 1, order_by: [{comments_aggregate: {max: {created_at: desc_nulls_last}}}, {id: asc}]) { id } } }`,
    sql: `select id, (select coalesce(json_agg(json_build_object('id', x.id)), '[]') from
            (select p.id from posts p where p.author_id = u.id order by ${comments('max(created_at)')} desc nulls last, p.id limit 1) x)
            as posts_by_author_id from users u order by id`,
  },
  {
    name: 'the direction as a variable',
    document: 'query Q($d: order_by!) { users(order_by: [{posts_by_author_id_aggregate: {count: $d}}, {id: asc}]) { id } }',
    variables: { d: 'asc' },
    sql: `select id from users u order by ${posts('count(*)')} asc, id`,
  },
  {
    name: 'the whole order_by as a variable',
    document: 'query Q($o: [users_order_by!]) { users(order_by: $o) { id } }',
    variables: { o: [{ posts_by_author_id_aggregate: { avg: { id: 'desc' } } }, { id: 'desc' }] },
    sql: `select id from users u order by ${posts('avg(id)')} desc, id desc`,
  },
  {
    name: 'on an aggregate root: nodes in that order, with a limit',
    document: `{ users_aggregate(limit: 2, order_by: [{posts_by_author_id_aggregate: {count: desc}}, {id: desc}]) {
                 nodes { id } } }`,
    path: (d) => d.users_aggregate.nodes,
    sql: `select id from users u order by ${posts('count(*)')} desc, id desc limit 2`,
  },
];

const pagilaCases = [
  {
    name: 'customers by what they paid (a partitioned table), top 5',
    document: '{ customer(limit: 5, order_by: [{payment_aggregate: {sum: {amount: desc}}}, {customer_id: asc}]) { customer_id } }',
    sql: `select customer_id from customer c order by (select sum(amount) from payment p where p.customer_id = c.customer_id)
            desc nulls first, customer_id limit 5`,
  },
  {
    name: 'actors by how many films they play in',
    document: '{ actor(limit: 5, order_by: [{film_actor_aggregate: {count: desc}}, {actor_id: asc}]) { actor_id } }',
    sql: `select actor_id from actor a order by (select count(*) from film_actor f where f.actor_id = a.actor_id) desc, actor_id limit 5`,
  },
  {
    name: 'films with the fewest copies first (no copy: 0)',
    document: '{ film(limit: 6, order_by: [{inventory_aggregate: {count: asc}}, {film_id: asc}]) { film_id } }',
    sql: `select film_id from film f order by (select count(*) from inventory i where i.film_id = f.film_id) asc, film_id limit 6`,
  },
  {
    name: 'customers by their latest rental, a timestamp max',
    document: '{ customer(limit: 5, order_by: [{rental_aggregate: {max: {rental_date: desc}}}, {customer_id: asc}]) { customer_id } }',
    sql: `select customer_id from customer c order by (select max(rental_date) from rental r where r.customer_id = c.customer_id)
            desc nulls first, customer_id limit 5`,
  },
  {
    name: 'languages by a relationship that is always empty (original_language_id): all null, ties by id',
    document: `{ language(order_by: [{film_by_original_language_id_aggregate: {max: {length: desc}}}, {language_id: desc}]) {
                 language_id } }`,
    sql: 'select language_id from language order by language_id desc',
  },
  {
    name: 'nested: per store, its three busiest customers',
    document: `{ store(order_by: {store_id: asc}) { store_id
                 customer(limit: 3, order_by: [{rental_aggregate: {count: desc}}, {customer_id: asc}]) { customer_id } } }`,
    sql: `select store_id, (select coalesce(json_agg(json_build_object('customer_id', x.customer_id)), '[]') from
            (select c.customer_id from customer c where c.store_id = s.store_id
              order by (select count(*) from rental r where r.customer_id = c.customer_id) desc, c.customer_id limit 3) x)
            as customer from store s order by store_id`,
  },
  {
    name: 'through an object relationship: rentals by how many rentals their customer has, then by id',
    document: `{ rental(limit: 5, where: {rental_id: {_lt: 200}},
                 order_by: [{customer: {rental_aggregate: {count: desc}}}, {rental_id: asc}]) { rental_id } }`,
    sql: `select rental_id from rental r where rental_id < 200 order by
            (select (select count(*) from rental x where x.customer_id = c.customer_id) from customer c
              where c.customer_id = r.customer_id) desc, rental_id limit 5`,
  },
];

function runCases(gql, db, cases) {
  for (const c of cases) {
    it(c.name, async () => {
      const d = await gql.data(c.document, c.variables);
      const got = c.path ? c.path(d) : Object.values(d)[0];
      assert.deepEqual(got, sqlRows(db, c.sql), c.document);
    });
  }
}

describe('order_by an array relationship aggregate: blog', () => runCases(blog, env.blogDb, blogCases));
describe('order_by an array relationship aggregate: Pagila', () => runCases(pagila, env.pagilaDb, pagilaCases));

describe('T_aggregate_order_by in the schema', () => {
  it('has Hasura’s names and fields', async () => {
    const d = await blog.data(`{ a: __type(name: "posts_aggregate_order_by") { inputFields { name type { name } } }
      m: __type(name: "posts_max_order_by") { inputFields { name } }
      s: __type(name: "posts_sum_order_by") { inputFields { name } }
      u: __type(name: "users_order_by") { inputFields { name type { name } } } }`);
    assert.deepEqual(
      d.a.inputFields.map((f) => `${f.name}: ${f.type.name}`),
      ['avg', 'count', 'max', 'min', 'stddev', 'stddev_pop', 'stddev_samp', 'sum', 'var_pop', 'var_samp', 'variance'].map((f) =>
        f === 'count' ? 'count: order_by' : `${f}: posts_${f}_order_by`,
      ),
    );
    // max/min over what PostgreSQL orders; sum over numbers only (not title, status …)
    assert.ok(d.m.inputFields.some((f) => f.name === 'title'));
    assert.deepEqual(d.s.inputFields.map((f) => f.name).sort(), ['author_id', 'editor_id', 'id', 'rating']);
    const u = Object.fromEntries(d.u.inputFields.map((f) => [f.name, f.type.name]));
    assert.equal(u.posts_by_author_id_aggregate, 'posts_aggregate_order_by');
    assert.equal(u.posts_by_editor_id_aggregate, 'posts_aggregate_order_by');
  });
});

// --max-rows: a server of its own. The cap is silent, as Hasura's row limits are: the
// rows past it are left out and nothing says so (README: Configuration).
describe('--max-rows', () => {
  const pg = { host: need('PGHOST'), port: need('PGPORT'), user: process.env.PGUSER || 'postgres' };
  const url = (db) => `postgres://${pg.user}@${pg.host}:${pg.port}/${db}`;
  let capped, pagilaCapped, uncached;
  before(async () => {
    [capped, uncached, pagilaCapped] = await Promise.all([
      startServer({ args: ['--threads', '1', '--max-rows', '2'], env: { GRAPHPOST_DATABASE_URL: url(env.blogDb) } }),
      startServer({ args: ['--threads', '1', '--plan-cache', '0'], env: { GRAPHPOST_DATABASE_URL: url(env.blogDb), GRAPHPOST_MAX_ROWS: '1' } }),
      startServer({ args: ['--threads', '1', '--max-rows', '3'], env: { GRAPHPOST_DATABASE_URL: url(env.pagilaDb) } }),
    ]);
  });
  after(async () => {
    await Promise.all([capped, uncached, pagilaCapped].filter(Boolean).map((s) => s.stop()));
  });
  const ask = async (srv, q, v) => {
    const r = await post(srv.url, q, v);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.errors, undefined, r.text);
    assert.equal(r.body.extensions, undefined, 'the cap is silent');
    return r.body.data;
  };
  const ids = (db, sql) => sqlRows(db, sql);

  it('caps a root list without a limit', async () => {
    const d = await ask(capped, '{ users(order_by: {id: asc}) { id } }');
    assert.deepEqual(d.users, ids(env.blogDb, 'select id from users order by id limit 2'));
  });
  it('keeps a client limit below the cap, caps one above it', async () => {
    const d = await ask(capped, '{ a: users(limit: 1, order_by: {id: asc}) { id } b: users(limit: 3, order_by: {id: asc}) { id } }');
    assert.equal(d.a.length, 1);
    assert.equal(d.b.length, 2);
  });
  it('caps a limit given by a variable, whatever a cached plan was compiled with', async () => {
    const q = 'query Q($n: Int) { users(limit: $n, order_by: {id: desc}) { id } }';
    for (const [n, want] of [[1, 1], [5, 2], [0, 0], [2, 2], [4, 2], [null, 2]]) {
      const d = await ask(capped, q, { n });
      assert.equal(d.users.length, want, `limit ${n}`);
    }
  });
  it('counts the offset before the cap', async () => {
    const d = await ask(capped, '{ users(offset: 1, order_by: {id: asc}) { id } }');
    assert.deepEqual(d.users, ids(env.blogDb, 'select id from users order by id offset 1 limit 2'));
  });
  it('caps aggregate nodes but not what the aggregate counts', async () => {
    const d = await ask(capped, '{ users_aggregate(order_by: {id: desc}) { aggregate { count max { id } } nodes { id } } }');
    assert.equal(d.users_aggregate.aggregate.count, 4);
    assert.equal(d.users_aggregate.aggregate.max.id, 4);
    assert.deepEqual(d.users_aggregate.nodes, ids(env.blogDb, 'select id from users order by id desc limit 2'));
  });
  it('an aggregate’s own limit still limits what it counts', async () => {
    const d = await ask(capped, '{ users_aggregate(limit: 3, order_by: {id: asc}) { aggregate { count } nodes { id } } }');
    assert.equal(d.users_aggregate.aggregate.count, 3);
    assert.equal(d.users_aggregate.nodes.length, 2);
  });
  it('caps at every depth: relationships and nested aggregate nodes (plan cache off, from the env twin)', async () => {
    const d = await ask(
      uncached,
      `{ posts(order_by: {id: asc}) { id comments(order_by: {id: desc}) { id }
           comments_aggregate { aggregate { count } nodes { id } } } }`,
    );
    assert.equal(d.posts.length, 1);
    assert.deepEqual(d.posts[0].comments, ids(env.blogDb, 'select id from comments where post_id = 1 order by id desc limit 1'));
    assert.equal(d.posts[0].comments_aggregate.aggregate.count, 2);
    assert.equal(d.posts[0].comments_aggregate.nodes.length, 1);
  });
  it('caps nested lists on Pagila, three levels deep', async () => {
    const d = await ask(
      pagilaCapped,
      `{ store(order_by: {store_id: asc}) { store_id customer(order_by: {customer_id: asc}) { customer_id
           rental(order_by: {rental_id: asc}, limit: 10) { rental_id } } } }`,
    );
    const want = sqlRows(
      env.pagilaDb,
      `select store_id, (select coalesce(json_agg(json_build_object('customer_id', c.customer_id, 'rental',
          (select coalesce(json_agg(json_build_object('rental_id', r.rental_id)), '[]') from
            (select rental_id from rental r where r.customer_id = c.customer_id order by rental_id limit 3) r))), '[]')
         from (select customer_id from customer c where c.store_id = s.store_id order by customer_id limit 3) c) as customer
       from store s order by store_id limit 3`,
    );
    assert.deepEqual(d.store, want);
  });
  it('orders before it caps: the top rows by an aggregate', async () => {
    const d = await ask(pagilaCapped, '{ actor(order_by: [{film_actor_aggregate: {count: desc}}, {actor_id: asc}]) { actor_id } }');
    assert.deepEqual(
      d.actor,
      sqlRows(env.pagilaDb, `select actor_id from actor a order by (select count(*) from film_actor f where f.actor_id = a.actor_id)
        desc, actor_id limit 3`),
    );
  });
});
