// Differential tests on examples/blog: every answer graphpost gives is compared
// with the same data fetched by hand-written SQL on the same database.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { client, need, sqlRows, sqlRow, env } from '../lib/gql.mjs';

const gql = client(need('GP_BLOG_URL'));
const db = env.blogDb;
const rows = (sql) => sqlRows(db, sql);
const row = (sql) => sqlRow(db, sql);

describe('lists: where, order_by, limit, offset', () => {
  it('lists every user in id order', async () => {
    const d = await gql.data('{ users(order_by: {id: asc}) { id name email bio karma } }');
    assert.deepEqual(d.users, rows('select id, name, email, bio, karma from users order by id'));
  });

  it('filters with _eq', async () => {
    const d = await gql.data('{ users(where: {id: {_eq: 2}}) { id name } }');
    assert.deepEqual(d.users, rows('select id, name from users where id = 2'));
  });

  it('pages with limit and offset', async () => {
    const d = await gql.data('{ posts(order_by: {id: desc}, limit: 2, offset: 1) { id title } }');
    assert.deepEqual(d.posts, rows('select id, title from posts order by id desc limit 2 offset 1'));
  });

  it('returns an empty list, not null, when nothing matches', async () => {
    const d = await gql.data('{ users(where: {id: {_eq: 999}}) { id } }');
    assert.deepEqual(d.users, []);
  });

  it('renders enums, arrays, jsonb, numeric and timestamptz as PostgreSQL does', async () => {
    const d = await gql.data('{ posts(order_by: {id: asc}) { id status tags metadata rating created_at } }');
    assert.deepEqual(d.posts, rows('select id, status, tags, metadata, rating, created_at from posts order by id'));
  });

  it('lists a view', async () => {
    const d = await gql.data('{ published_posts(order_by: {id: asc}) { id title author_id } }');
    assert.deepEqual(d.published_posts, rows('select id, title, author_id from published_posts order by id'));
  });
});

describe('comparison operators', () => {
  const cases = [
    ['_eq', '{id: {_eq: 3}}', 'id = 3'],
    ['_neq', '{id: {_neq: 3}}', 'id <> 3'],
    ['_gt', '{id: {_gt: 3}}', 'id > 3'],
    ['_gte', '{id: {_gte: 3}}', 'id >= 3'],
    ['_lt', '{id: {_lt: 3}}', 'id < 3'],
    ['_lte', '{id: {_lte: 3}}', 'id <= 3'],
    ['_in', '{id: {_in: [1, 3, 5]}}', 'id in (1, 3, 5)'],
    ['_nin', '{id: {_nin: [1, 3, 5]}}', 'id not in (1, 3, 5)'],
    ['_in with an empty list', '{id: {_in: []}}', 'false'],
    ['_is_null true', '{editor_id: {_is_null: true}}', 'editor_id is null'],
    ['_is_null false', '{editor_id: {_is_null: false}}', 'editor_id is not null'],
    ['_eq on text', '{title: {_eq: "The first bug"}}', "title = 'The first bug'"],
    ['_eq on an enum', '{status: {_eq: "published"}}', "status = 'published'"],
    ['_neq on an enum', '{status: {_neq: "published"}}', "status <> 'published'"],
    ['_gte on numeric', '{rating: {_gte: 4.5}}', 'rating >= 4.5'],
    ['two columns (implicit and)', '{author_id: {_eq: 1}, status: {_eq: "draft"}}', "author_id = 1 and status = 'draft'"],
    ['_and', '{_and: [{id: {_gt: 1}}, {id: {_lt: 5}}]}', 'id > 1 and id < 5'],
    ['_or', '{_or: [{id: {_eq: 1}}, {rating: {_gte: 5}}]}', 'id = 1 or rating >= 5'],
    ['_not', '{_not: {status: {_eq: "published"}}}', "not (status = 'published')"],
    [
      '_or of _and and _not',
      '{_or: [{id: {_eq: 2}}, {_and: [{author_id: {_eq: 3}}, {_not: {editor_id: {_is_null: true}}}]}]}',
      'id = 2 or (author_id = 3 and editor_id is not null)',
    ],
    ['two operators on one column', '{id: {_gt: 1, _lt: 4}}', 'id > 1 and id < 4'],
  ];
  for (const [name, where, sqlWhere] of cases) {
    it(name, async () => {
      const d = await gql.data(`{ posts(where: ${where}, order_by: {id: asc}) { id } }`);
      assert.deepEqual(d.posts, rows(`select id from posts where ${sqlWhere} order by id`), `where: ${where}`);
    });
  }
});

describe('order_by', () => {
  const cases = [
    ['desc_nulls_last', '[{rating: desc_nulls_last}, {id: asc}]', 'rating desc nulls last, id'],
    ['desc_nulls_first', '[{rating: desc_nulls_first}, {id: asc}]', 'rating desc nulls first, id'],
    ['asc_nulls_first', '[{editor_id: asc_nulls_first}, {id: desc}]', 'editor_id asc nulls first, id desc'],
    ['asc_nulls_last', '[{editor_id: asc_nulls_last}, {id: desc}]', 'editor_id asc nulls last, id desc'],
    ['asc (nulls last, as in PostgreSQL)', '[{rating: asc}, {id: asc}]', 'rating asc, id'],
    ['desc (nulls first, as in PostgreSQL)', '[{rating: desc}, {id: asc}]', 'rating desc, id'],
    ['two keys in one object', '{author_id: desc, id: asc}', 'author_id desc, id asc'],
    ['a text column', '{title: asc}', 'title collate "C" asc'],
  ];
  for (const [name, orderBy, sqlOrder] of cases) {
    it(name, async () => {
      const d = await gql.data(`{ posts(order_by: ${orderBy}) { id rating } }`);
      assert.deepEqual(d.posts, rows(`select id, rating from posts order by ${sqlOrder}`), `order_by: ${orderBy}`);
    });
  }
});

describe('_by_pk', () => {
  it('finds one row by its primary key', async () => {
    const d = await gql.data('{ users_by_pk(id: 3) { id name bio } }');
    assert.deepEqual(d.users_by_pk, row('select id, name, bio from users where id = 3'));
  });

  it('answers null for a missing key', async () => {
    const d = await gql.data('{ users_by_pk(id: 999) { id } }');
    assert.equal(d.users_by_pk, null);
  });

  it('takes every column of a composite key', async () => {
    const d = await gql.data('{ post_tags_by_pk(post_id: 1, tag_name: "history") { post_id tag_name } }');
    assert.deepEqual(d.post_tags_by_pk, row("select post_id, tag_name from post_tags where post_id = 1 and tag_name = 'history'"));
  });

  it('takes a text key', async () => {
    const d = await gql.data('{ tags_by_pk(name: "ai") { name description } }');
    assert.deepEqual(d.tags_by_pk, row("select name, description from tags where name = 'ai'"));
  });
});

describe('relationships', () => {
  it('follows object relationships, including a nullable one', async () => {
    const d = await gql.data('{ posts(order_by: {id: asc}) { id author { name } editor { name } } }');
    const expected = rows(`
      select p.id,
             (select json_build_object('name', u.name) from users u where u.id = p.author_id) as author,
             (select json_build_object('name', u.name) from users u where u.id = p.editor_id) as editor
        from posts p order by p.id`);
    assert.deepEqual(d.posts, expected);
  });

  it('follows array relationships with their own where, order_by and limit', async () => {
    const d = await gql.data(`{ users(order_by: {id: asc}) {
        name
        posts_by_author_id(order_by: {id: desc}, limit: 1) { title }
        posts_by_editor_id(where: {status: {_eq: "published"}}, order_by: {id: asc}) { id }
      } }`);
    const expected = rows(`
      select u.name,
             coalesce((select json_agg(json_build_object('title', p.title) order by p.id desc)
                         from (select * from posts where author_id = u.id order by id desc limit 1) p), '[]') as posts_by_author_id,
             coalesce((select json_agg(json_build_object('id', p.id) order by p.id)
                         from posts p where p.editor_id = u.id and p.status = 'published'), '[]') as posts_by_editor_id
        from users u order by u.id`);
    assert.deepEqual(d.users, expected);
  });

  it('nests array → array → object three levels deep', async () => {
    const d = await gql.data(`{ users(order_by: {id: asc}) {
        id
        posts_by_author_id(order_by: {id: asc}) {
          title
          comments(order_by: {id: asc}) { body author { name } }
        }
      } }`);
    const expected = rows(`
      select u.id,
             coalesce((select json_agg(json_build_object(
                         'title', p.title,
                         'comments', coalesce((select json_agg(json_build_object(
                                       'body', c.body,
                                       'author', (select json_build_object('name', a.name) from users a where a.id = c.author_id))
                                       order by c.id)
                                      from comments c where c.post_id = p.id), '[]')) order by p.id)
                       from posts p where p.author_id = u.id), '[]') as posts_by_author_id
        from users u order by u.id`);
    assert.deepEqual(d.users, expected);
  });

  it('nests object → array → object (comments.post.comments.author)', async () => {
    const d = await gql.data(`{ comments_by_pk(id: 1) {
        body post { title comments(order_by: {id: asc}) { id author { email } } } } }`);
    const expected = row(`
      select c.body,
             (select json_build_object('title', p.title,
                       'comments', (select json_agg(json_build_object('id', c2.id,
                                        'author', (select json_build_object('email', a.email) from users a where a.id = c2.author_id))
                                        order by c2.id) from comments c2 where c2.post_id = p.id))
                from posts p where p.id = c.post_id) as post
        from comments c where c.id = 1`);
    assert.deepEqual(d.comments_by_pk, expected);
  });

  it('joins through a composite-key table (post_tags.post, post_tags.tags)', async () => {
    const d = await gql.data(`{ post_tags(order_by: [{post_id: asc}, {tag_name: asc}]) {
        post { title } tags { name description } } }`);
    const expected = rows(`
      select json_build_object('title', p.title) as post,
             json_build_object('name', t.name, 'description', t.description) as tags
        from post_tags pt join posts p on p.id = pt.post_id join tags t on t.name = pt.tag_name
       order by pt.post_id, pt.tag_name collate "C"`);
    assert.deepEqual(d.post_tags, expected);
  });

  it('follows the array relationship of a text key (tags.post_tags)', async () => {
    const d = await gql.data('{ tags(order_by: {name: asc}) { name post_tags(order_by: {post_id: asc}) { post_id } } }');
    const expected = rows(`
      select t.name,
             coalesce((select json_agg(json_build_object('post_id', pt.post_id) order by pt.post_id)
                         from post_tags pt where pt.tag_name = t.name), '[]') as post_tags
        from tags t order by t.name collate "C"`);
    assert.deepEqual(d.tags, expected);
  });

  it('filters a nested list by a nested where with _or', async () => {
    const d = await gql.data(`{ posts_by_pk(id: 3) { comments(where: {_or: [{author_id: {_eq: 4}}, {id: {_eq: 99}}]}) { id } } }`);
    assert.deepEqual(d.posts_by_pk, { comments: rows('select id from comments where post_id = 3 and author_id = 4') });
  });
});

describe('the GraphQL language', () => {
  it('answers aliases, in the order asked', async () => {
    const r = await gql.post('{ b: users_by_pk(id: 2) { n: name } a: users_by_pk(id: 1) { n: name id } }');
    assert.equal(r.status, 200);
    assert.equal(
      JSON.stringify(r.body.data),
      JSON.stringify({ b: { n: 'Alan Turing' }, a: { n: 'Ada Lovelace', id: 1 } }),
    );
  });

  it('uses the same field twice under different aliases with different arguments', async () => {
    const d = await gql.data(`{ first: posts(order_by: {id: asc}, limit: 1) { id }
                                last: posts(order_by: {id: desc}, limit: 1) { id } }`);
    assert.deepEqual(d, { first: rows('select id from posts order by id limit 1'), last: rows('select id from posts order by id desc limit 1') });
  });

  it('binds variables, including list and input-object ones', async () => {
    const q = `query Q($min: Int!, $lim: Int, $ids: [Int!], $w: comments_bool_exp) {
      posts(where: {id: {_gte: $min, _in: $ids}}, limit: $lim, order_by: {id: asc}) {
        id comments(where: $w) { id } } }`;
    const d = await gql.data(q, { min: 2, lim: 2, ids: [1, 3, 4, 5], w: { author_id: { _eq: 4 } } });
    const expected = rows(`
      select p.id, coalesce((select json_agg(json_build_object('id', c.id)) from comments c
                               where c.post_id = p.id and c.author_id = 4), '[]') as comments
        from posts p where p.id >= 2 and p.id in (1, 3, 4, 5) order by p.id limit 2`);
    assert.deepEqual(d.posts, expected);
  });

  it('uses a variable default and lets an explicit null mean "no limit"', async () => {
    const q = 'query ($id: Int = 3, $lim: Int) { users_by_pk(id: $id) { id } users(limit: $lim, order_by: {id: asc}) { id } }';
    const d = await gql.data(q, { lim: null });
    assert.deepEqual(d, { users_by_pk: { id: 3 }, users: rows('select id from users order by id') });
  });

  it('treats text variables as values, never as SQL', async () => {
    const evil = "x' or '1'='1";
    const d = await gql.data('query ($t: String!) { posts(where: {title: {_eq: $t}}) { id } }', { t: evil });
    assert.deepEqual(d.posts, []);
  });

  it('expands named and inline fragments', async () => {
    const q = `query {
      users_by_pk(id: 1) { ...who ... on users { karma } posts_by_author_id(order_by: {id: asc}) { ...titled } }
    }
    fragment who on users { id name }
    fragment titled on posts { title ... { id } }`;
    const d = await gql.data(q);
    const expected = row(`
      select u.id, u.name, u.karma,
             (select json_agg(json_build_object('title', p.title, 'id', p.id) order by p.id) from posts p where p.author_id = u.id) as posts_by_author_id
        from users u where u.id = 1`);
    assert.deepEqual(d.users_by_pk, expected);
  });

  it('answers __typename at the root and in nested objects', async () => {
    const d = await gql.data('{ __typename users_by_pk(id: 1) { __typename posts_by_author_id(limit: 1, order_by: {id: asc}) { __typename author { __typename } } } }');
    assert.deepEqual(d, {
      __typename: 'query_root',
      users_by_pk: { __typename: 'users', posts_by_author_id: [{ __typename: 'posts', author: { __typename: 'users' } }] },
    });
  });

  it('honours @skip and @include with literals and variables', async () => {
    const q = `query ($yes: Boolean!, $no: Boolean!) {
      users_by_pk(id: 1) {
        id
        name @skip(if: true)
        email @include(if: $yes)
        bio @include(if: $no)
        karma @skip(if: $no)
        posts_by_author_id(order_by: {id: asc}) @include(if: false) { id }
      }
      posts_by_pk(id: 1) @skip(if: $yes) { id }
    }`;
    const d = await gql.data(q, { yes: true, no: false });
    assert.deepEqual(d, { users_by_pk: { id: 1, email: 'ada@example.com', karma: 120 } });
  });

  it('runs the operation named by operationName', async () => {
    const q = 'query A { users_by_pk(id: 1) { name } } query B { users_by_pk(id: 2) { name } }';
    const r = await gql.post(q, undefined, { operationName: 'B' });
    assert.deepEqual(r.body, { data: { users_by_pk: { name: 'Alan Turing' } } });
  });

  it('reads strings with escapes and block strings as values', async () => {
    const d = await gql.data('{ a: posts(where: {title: {_eq: "The first \\u0062ug"}}) { id } b: posts(where: {title: {_eq: """Computing Machinery"""}}) { id } }');
    assert.deepEqual(d, { a: [{ id: 4 }], b: [{ id: 3 }] });
  });
});

// Declared by schema/ in the SDL (T_bool_exp has relationships and text operators,
// T_order_by has object relationships), so they are part of the API as printed.
describe('relationship filters, order_by paths, text operators', () => {
  it('filters through an object relationship', async () => {
    const d = await gql.data('{ posts(where: {author: {name: {_eq: "Ada Lovelace"}}}, order_by: {id: asc}) { id } }');
    assert.deepEqual(d.posts, rows("select p.id from posts p join users u on u.id = p.author_id where u.name = 'Ada Lovelace' order by p.id"));
  });

  it('filters through an array relationship (some related row matches)', async () => {
    const d = await gql.data('{ users(where: {posts_by_author_id: {status: {_eq: "archived"}}}, order_by: {id: asc}) { id } }');
    assert.deepEqual(d.users, rows("select u.id from users u where exists (select 1 from posts p where p.author_id = u.id and p.status = 'archived') order by u.id"));
  });

  it('orders by a column of an object relationship', async () => {
    const d = await gql.data('{ comments(order_by: [{author: {name: desc}}, {id: asc}]) { id } }');
    assert.deepEqual(d.comments, rows('select c.id from comments c join users u on u.id = c.author_id order by u.name desc, c.id'));
  });

  it('pages a nested list with offset', async () => {
    const d = await gql.data('{ users_by_pk(id: 1) { posts_by_author_id(order_by: {id: asc}, offset: 1) { id } } }');
    assert.deepEqual(d.users_by_pk.posts_by_author_id, rows('select id from posts where author_id = 1 order by id offset 1'));
  });

  for (const [op, pattern, sqlOp] of [
    ['_like', '%ing%', 'like'],
    ['_nlike', '%ing%', 'not like'],
    ['_ilike', 'the%', 'ilike'],
    ['_nilike', 'the%', 'not ilike'],
  ]) {
    it(`matches text with ${op}`, async () => {
      const d = await gql.data(`{ posts(where: {title: {${op}: "${pattern}"}}, order_by: {id: asc}) { id } }`);
      assert.deepEqual(d.posts, rows(`select id from posts where title ${sqlOp} '${pattern}' order by id`));
    });
  }
});

describe('distinct_on and array containment', () => {
  it('keeps the first row of each distinct_on group, in order_by order', async () => {
    const d = await gql.data('{ posts(distinct_on: author_id, order_by: [{author_id: asc}, {id: desc}]) { id author_id } }');
    assert.deepEqual(
      d.posts,
      rows('select distinct on (author_id) id, author_id from posts order by author_id asc, id desc'),
    );
  });

  it('says why when order_by does not start with the distinct_on columns', async () => {
    const r = await gql.post('{ posts(distinct_on: [author_id], order_by: {id: desc}) { id } }');
    assert.equal(r.body.errors[0].extensions.sqlstate, '42P10', r.text);
    assert.equal(r.body.errors[0].extensions.code, 'DATABASE_ERROR', r.text);
  });

  it('filters array columns with _contains and _contained_in', async () => {
    const d = await gql.data('{ a: posts(where: {tags: {_contains: ["math"]}}, order_by: {id: asc}) { id } ' +
      'b: posts(where: {tags: {_contained_in: ["math", "history"]}}, order_by: {id: asc}) { id } }');
    assert.deepEqual(d.a, rows("select id from posts where tags @> '{math}' order by id"));
    assert.deepEqual(d.b, rows("select id from posts where tags <@ '{math,history}' order by id"));
  });
});

describe('aggregates', () => {
  it('counts, sums, averages and takes extremes over a filtered root list, with its nodes', async () => {
    const d = await gql.data(`{ users_aggregate(where: {id: {_lt: 4}}, order_by: {id: desc}) {
        aggregate { count max { id karma name } min { created_at } sum { karma } avg { karma }
                    distinct_bios: count(columns: [bio], distinct: true) }
        nodes { id name } } }`);
    const want = row(`select json_build_object(
        'count', count(*), 'max', json_build_object('id', max(id), 'karma', max(karma), 'name', max(name)),
        'min', json_build_object('created_at', min(created_at)), 'sum', json_build_object('karma', sum(karma)),
        'avg', json_build_object('karma', avg(karma)), 'distinct_bios', count(distinct bio)) as a
        from users where id < 4`).a;
    assert.deepEqual(d.users_aggregate.aggregate, want);
    assert.deepEqual(d.users_aggregate.nodes, rows('select id, name from users where id < 4 order by id desc'));
  });

  it('aggregates an array relationship per parent row', async () => {
    const d = await gql.data(`{ users(order_by: {id: asc}) { id
        posts_by_author_id_aggregate(where: {status: {_neq: "draft"}}) { aggregate { count sum { rating } } } } }`);
    const want = rows(`select u.id, (select json_build_object('aggregate', json_build_object('count', count(*),
        'sum', json_build_object('rating', sum(p.rating)))) from posts p where p.author_id = u.id and p.status <> 'draft')
        as posts_by_author_id_aggregate from users u order by u.id`);
    assert.deepEqual(d.users, want);
  });
});
