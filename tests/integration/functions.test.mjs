// SQL functions as root fields and computed fields (schema/README, Functions), on
// examples/blog and Pagila. Each case is {name, document, variables, sql}: `sql` is a
// hand-written statement whose single cell is the expected `data` object. A case with
// a list of variable sets is sent once per set, in order, so a cached plan is re-bound
// with new values (the server caches plans) and must still answer like the oracle.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { client, need, sqlJson, env } from '../lib/gql.mjs';

const blog = client(need('GP_BLOG_URL'));
const pagila = client(need('GP_PAGILA_URL'));

// Posts as the selections below ask for them, from a FROM item aliased p.
const postJson = `json_build_object('id', p.id, 'title', p.title)`;
const list = (select) => `coalesce((select json_agg(j) from (${select}) s(j)), '[]'::json)`;

const cases = [
  {
    name: 'a SETOF function with a literal argument',
    document: '{ search_posts(args: {q: "the"}, order_by: {id: asc}) { id title } }',
    sql: `select json_build_object('search_posts', ${list(`select ${postJson} from posts p
            where title ilike '%the%' or body ilike '%the%' order by id`)})`,
  },
  {
    name: 'an argument from a variable, re-bound with other values',
    document: 'query($q: String!) { search_posts(args: {q: $q}, order_by: {id: desc}) { id title } }',
    variables: [{ q: 'machine' }, { q: 'engine' }, { q: 'nothing like this' }],
    sql: (v) => `select json_build_object('search_posts', ${list(`select ${postJson} from posts p
            where title ilike '%' || '${v.q}' || '%' or body ilike '%' || '${v.q}' || '%' order by id desc`)})`,
  },
  {
    name: 'parameters with defaults left out: args itself is optional',
    document: '{ posts_in_status(order_by: {id: asc}) { id status } }',
    sql: `select json_build_object('posts_in_status', ${list(`select json_build_object('id', id, 'status', status)
            from posts where status = 'published' order by id`)})`,
  },
  {
    name: 'one defaulted parameter given, the other left to its default',
    document: 'query($r: numeric) { posts_in_status(args: {min_rating: $r}, order_by: {id: asc}) { id rating } }',
    variables: [{ r: 4.5 }, { r: 4 }, { r: '4.75' }],
    sql: (v) => `select json_build_object('posts_in_status', ${list(`select json_build_object('id', id, 'rating', rating)
            from posts where status = 'published' and rating >= ${Number(v.r)} order by id`)})`,
  },
  {
    name: 'an enum argument',
    document: '{ posts_in_status(args: {wanted: "draft"}) { id } }',
    sql: `select json_build_object('posts_in_status', ${list(`select json_build_object('id', id) from posts
            where status = 'draft' order by id`)})`,
  },
  {
    name: 'where, order_by, limit, offset on a function\'s rows',
    document: `{ search_posts(args: {q: "e"}, where: {status: {_neq: "draft"}}, order_by: {created_at: desc},
                 limit: 2, offset: 1) { id title } }`,
    sql: `select json_build_object('search_posts', ${list(`select ${postJson} from posts p
            where (title ilike '%e%' or body ilike '%e%') and status <> 'draft'
            order by created_at desc limit 2 offset 1`)})`,
  },
  {
    name: 'distinct_on on a function\'s rows',
    document: `{ search_posts(args: {q: ""}, distinct_on: author_id, order_by: [{author_id: asc}, {id: desc}]) {
                 author_id id } }`,
    sql: `select json_build_object('search_posts', ${list(`select distinct on (author_id)
            json_build_object('author_id', author_id, 'id', id) from posts order by author_id, id desc`)})`,
  },
  {
    name: '<fn>_aggregate with args and where',
    document: `query($q: String!) { search_posts_aggregate(args: {q: $q}, where: {rating: {_is_null: false}}) {
                 aggregate { count sum { rating } max { id } } nodes { id } } }`,
    variables: [{ q: 'a' }, { q: 'COBOL' }],
    sql: (v) => `select json_build_object('search_posts_aggregate', json_build_object(
            'aggregate', json_build_object('count', count(*), 'sum', json_build_object('rating', sum(rating)),
                                           'max', json_build_object('id', max(id))),
            'nodes', coalesce(json_agg(json_build_object('id', id)), '[]')))
          from posts where (title ilike '%${v.q}%' or body ilike '%${v.q}%') and rating is not null`,
  },
  {
    name: 'relationships from a function\'s rows',
    document: `{ search_posts(args: {q: "a"}, order_by: {id: asc}) { id author { name }
                 comments(order_by: {id: asc}) { id } comments_aggregate { aggregate { count } } } }`,
    sql: `select json_build_object('search_posts', ${list(`select json_build_object('id', p.id,
              'author', (select json_build_object('name', u.name) from users u where u.id = p.author_id),
              'comments', ${list(`select json_build_object('id', c.id) from comments c where c.post_id = p.id order by c.id`)},
              'comments_aggregate', json_build_object('aggregate', json_build_object('count',
                 (select count(*) from comments c where c.post_id = p.id))))
            from posts p where title ilike '%a%' or body ilike '%a%' order by p.id`)})`,
  },
  {
    name: 'a function returning one row is an object',
    document: '{ latest_post { id title author { name } comment_count } }',
    sql: `select json_build_object('latest_post', (select json_build_object('id', p.id, 'title', p.title,
              'author', (select json_build_object('name', name) from users where id = p.author_id),
              'comment_count', (select count(*) from comments where post_id = p.id))
            from posts p order by created_at desc, id desc limit 1))`,
  },
  {
    name: 'functions returning scalars',
    document: 'query($k: bigint) { total_karma user_count everyone: user_count(args: {min_karma: 0}) some: user_count(args: {min_karma: $k}) }',
    variables: [{ k: 90 }, { k: '100' }],
    sql: (v) => `select json_build_object('total_karma', (select sum(karma) from users),
            'user_count', (select count(*) from users), 'everyone', (select count(*) from users),
            'some', (select count(*) from users where karma >= ${Number(v.k)}))`,
  },
  {
    name: 'a computed scalar in the selection, where and order_by',
    document: `{ users(where: {display_name: {_ilike: "%a%"}}, order_by: {display_name: desc}) { id display_name } }`,
    sql: `select json_build_object('users', ${list(`select json_build_object('id', id, 'display_name', dn)
            from (select id, name || ' <' || email || '>' as dn from users) u where dn ilike '%a%' order by dn desc`)})`,
  },
  {
    name: 'a computed scalar in order_by and where, beside columns',
    document: `{ posts(where: {comment_count: {_gte: 1}}, order_by: [{comment_count: desc}, {id: asc}]) { id comment_count } }`,
    sql: `select json_build_object('posts', ${list(`select json_build_object('id', id, 'comment_count', n) from
            (select p.id, (select count(*) from comments c where c.post_id = p.id) n from posts p) x
            where n >= 1 order by n desc, id`)})`,
  },
  {
    name: 'ordering by a computed field through an object relationship',
    document: '{ posts(order_by: [{author: {display_name: asc}}, {id: asc}]) { id } }',
    sql: `select json_build_object('posts', ${list(`select json_build_object('id', p.id) from posts p
            join users u on u.id = p.author_id order by u.name || ' <' || u.email || '>', p.id`)})`,
  },
  {
    name: 'a computed scalar with a required argument',
    document: 'query($len: Int!) { posts(order_by: {id: asc}) { id excerpt(args: {len: $len}) } }',
    variables: [{ len: 4 }, { len: 12 }],
    sql: (v) => `select json_build_object('posts', ${list(`select json_build_object('id', id, 'excerpt', left(body, ${v.len}))
            from posts order by id`)})`,
  },
  {
    name: 'a SETOF computed field, its default argument left out',
    document: '{ users(order_by: {id: asc}) { id recent_posts { id } } }',
    sql: `select json_build_object('users', ${list(`select json_build_object('id', u.id, 'recent_posts',
            ${list(`select json_build_object('id', p.id) from posts p where p.author_id = u.id
                    order by p.created_at desc, p.id desc limit 3`)}) from users u order by u.id`)})`,
  },
  {
    name: 'a SETOF computed field with args, where, order_by and limit, nested in a list',
    document: `query($n: Int) { users(order_by: {id: asc}) { id recent_posts(args: {n: $n}, where: {status: {_neq: "archived"}},
                 order_by: {id: asc}, limit: 5) { id author { display_name } comment_count } } }`,
    variables: [{ n: 1 }, { n: 2 }],
    sql: (v) => `select json_build_object('users', ${list(`select json_build_object('id', u.id, 'recent_posts',
            ${list(`select json_build_object('id', r.id, 'author', json_build_object('display_name',
                      (select name || ' <' || email || '>' from users where id = r.author_id)),
                      'comment_count', (select count(*) from comments c where c.post_id = r.id))
                    from (select * from posts p where p.author_id = u.id order by p.created_at desc, p.id desc limit ${v.n}) r
                    where r.status <> 'archived' order by r.id limit 5`)}) from users u order by u.id`)})`,
  },
  {
    name: 'computed fields of a function\'s rows and in aggregate nodes',
    document: `{ posts_in_status_aggregate(order_by: {id: asc}) { nodes { id comment_count excerpt(args: {len: 3}) } } }`,
    sql: `select json_build_object('posts_in_status_aggregate', json_build_object('nodes', ${list(`select
            json_build_object('id', p.id, 'comment_count', (select count(*) from comments where post_id = p.id),
                              'excerpt', left(p.body, 3))
            from posts p where status = 'published' order by p.id`)}))`,
  },
];

async function check(gql, c, variables) {
  const d = await gql.data(c.document, variables);
  const sql = typeof c.sql === 'function' ? c.sql(variables) : c.sql;
  assert.deepEqual(d, sqlJson(env.blogDb, sql), `${c.name} ${JSON.stringify(variables ?? {})}`);
}

describe('functions on blog, against hand-written SQL', () => {
  for (const c of cases) {
    it(c.name, async () => {
      for (const v of c.variables ?? [undefined]) await check(blog, c, v);
      for (const v of [...(c.variables ?? [])].reverse()) await check(blog, c, v); /* B→A too */
    });
  }
});

const errors = [
  ['a required args object left out', '{ search_posts { id } }', /argument "args" of type "search_posts_args!" is required/],
  ['a required parameter left out', '{ search_posts(args: {}) { id } }', /"search_posts_args\.q" of required type "String!" was not provided/],
  ['null for a required parameter', '{ search_posts(args: {q: null}) { id } }', /Expected value of type "String!", found null/],
  ['a required computed argument left out', '{ posts { excerpt } }', /argument "args" of type "posts_excerpt_args!" is required/],
  ['a parameter that does not exist', '{ user_count(args: {nope: 1}) }', /"nope" is not defined by type "user_count_args"/],
  ['list arguments on a scalar function', '{ total_karma(limit: 1) }', /Unknown argument "limit"/],
  ['a computed field with a required argument in where', '{ posts(where: {excerpt: {_eq: "x"}}) { id } }', /"excerpt" is not defined by type "posts_bool_exp"/],
];

describe('function errors', () => {
  for (const [name, document, message] of errors) {
    it(name, async () => {
      const r = await blog.post(document);
      assert.ok(r.body?.errors?.length, `${name}: expected errors, got ${r.text}`);
      assert.equal(r.body.data, undefined);
      assert.match(r.body.errors.map((e) => e.message).join('\n'), message);
    });
  }

  it('a null from a variable with a default for a required parameter', async () => {
    const r = await blog.post('query($len: Int = null) { posts { excerpt(args: {len: $len}) } }', {});
    assert.ok(r.body?.errors?.length, r.text);
  });
});

// What is not exposed: VOLATILE functions, overloaded names, sets of scalars, a computed
// field whose name a column has, unnamed parameters, OUT parameters.
describe('skipped functions are absent from the schema', () => {
  const fields = async (gql, type) =>
    (await gql.data(`{ __type(name: "${type}") { fields { name type { name kind } } } }`)).__type.fields;

  it('blog', async () => {
    const root = (await fields(blog, 'query_root')).map((f) => f.name);
    for (const name of ['search_posts', 'search_posts_aggregate', 'posts_in_status', 'latest_post', 'total_karma', 'user_count'])
      assert.ok(root.includes(name), name);
    for (const name of ['bump_karma', 'karma_of', 'post_titles', 'users_display_name', 'users_recent_posts',
      'users_email', 'posts_comment_count', 'latest_post_aggregate'])
      assert.ok(!root.includes(name), name);
    const email = (await fields(blog, 'users')).find((f) => f.name === 'email');
    assert.deepEqual(email.type, { name: null, kind: 'NON_NULL' }); /* the column, not the function */
    assert.equal(await blog.data('{ __type(name: "karma_of_args") { name } }').then((d) => d.__type), null);
  });

  it('Pagila: unnamed parameters, OUT parameters and VOLATILE functions', async () => {
    const root = (await fields(pagila, 'query_root')).map((f) => f.name);
    for (const name of ['last_day', '_group_concat', 'film_in_stock', 'film_not_in_stock', 'rewards_report',
      'get_customer_balance', 'inventory_in_stock', 'inventory_held_by_customer', 'last_updated', 'group_concat',
      'pg_stat_statements', 'pg_stat_statements_reset'])
      assert.ok(!root.includes(name), name);
    assert.ok(root.includes('film') && root.includes('customer_aggregate'));
  });
});
