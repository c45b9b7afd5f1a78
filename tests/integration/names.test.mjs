// Names that are not GraphQL names (schema/README "Columns"), JSON paths and
// --stringify-numeric-types, on examples/blog's "Odd Table" and Pagila's "zip code":
// each case is {document, variables, sql}, where `sql` is a hand-written query
// whose rows (one JSON object per root field) are the expected answer.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { client, need, sqlJson, sqlRows, env, startServer } from '../lib/gql.mjs';

const blog = client(need('GP_BLOG_URL'));
const pagila = client(need('GP_PAGILA_URL'));
const dbUrl = (db) => `postgres://${process.env.PGUSER || 'postgres'}@${need('PGHOST')}:${need('PGPORT')}/${db}`;

// The columns of "Odd Table" under their GraphQL names, as SQL select items.
const ODD = `id, "Weird Name" as "Weird_Name", "weird name" as weird_name_1, weird_name, "x y" as x_y_1,
  "x.y" as x_y_2, "2fa" as "_2fa", "dash-ed" as dash_ed, "__typename" as "_typename", "user-id" as user_id`;
const ODD_FIELDS = 'id Weird_Name weird_name_1 weird_name x_y_1 x_y_2 _2fa dash_ed _typename user_id';

const cases = [
  {
    what: 'every sanitized column is selected under its GraphQL name',
    document: `{ Odd_Table(order_by: {id: asc}) { ${ODD_FIELDS} } }`,
    sql: `select json_build_object('Odd_Table', (select json_agg(t) from (select ${ODD} from "Odd Table" order by id) t))`,
  },
  {
    what: 'filters on sanitized columns (a renamed collision, a leading digit, a dash)',
    document: `{ Odd_Table(where: {weird_name_1: {_neq: "dos"}, _2fa: {_eq: true}, dash_ed: {_gt: 1}}) { id } }`,
    sql: `select json_build_object('Odd_Table', (select json_agg(t) from (select id from "Odd Table"
            where "weird name" <> 'dos' and "2fa" and "dash-ed" > 1) t))`,
  },
  {
    what: 'orders by sanitized columns',
    document: '{ Odd_Table(order_by: [{_2fa: desc}, {x_y_2: desc}]) { id x_y_2 } }',
    sql: `select json_build_object('Odd_Table', (select json_agg(t) from (select id, "x.y" as x_y_2 from "Odd Table"
            order by "2fa" desc, "x.y" desc) t))`,
  },
  {
    what: 'distinct_on a sanitized column',
    document: '{ Odd_Table(distinct_on: [_2fa], order_by: [{_2fa: asc}, {id: desc}]) { id _2fa } }',
    sql: `select json_build_object('Odd_Table', (select json_agg(t) from (select distinct on ("2fa") id, "2fa" as "_2fa"
            from "Odd Table" order by "2fa", id desc) t))`,
  },
  {
    what: 'aggregates over sanitized columns, count(columns:) by its enum value',
    document: `{ Odd_Table_aggregate { aggregate { count(columns: [weird_name_1, dash_ed]) sum { x_y_1 dash_ed }
                  max { Weird_Name _typename } } } }`,
    sql: `select json_build_object('Odd_Table_aggregate', json_build_object('aggregate', json_build_object(
            'count', count(row("weird name", "dash-ed")),
            'sum', json_build_object('x_y_1', sum("x y"), 'dash_ed', sum("dash-ed")),
            'max', json_build_object('Weird_Name', max("Weird Name"), '_typename', max("__typename")))))
          from "Odd Table"`,
  },
  {
    what: '__typename is the type name; the column "__typename" answers as _typename',
    document: '{ Odd_Table(where: {_typename: {_is_null: false}}, order_by: {id: asc}) { __typename _typename } }',
    sql: `select json_build_object('Odd_Table', (select json_agg(t) from (select 'Odd_Table' as "__typename",
            "__typename" as "_typename" from "Odd Table" where "__typename" is not null order by id) t))`,
  },
  {
    what: 'the FK column "user-id" gives the relationship user, and users.Odd_Table back',
    document: `{ Odd_Table(where: {user: {name: {_like: "A%"}}}, order_by: {user: {name: desc}}) { id user { name } }
                users(where: {id: {_eq: 1}}) { Odd_Table { id } Odd_Table_aggregate { aggregate { count } } } }`,
    sql: `select json_build_object(
            'Odd_Table', (select json_agg(t) from (select o.id, json_build_object('name', u.name) as "user"
              from "Odd Table" o join users u on u.id = o."user-id" where u.name like 'A%' order by u.name desc) t),
            'users', (select json_agg(t) from (select (select json_agg(json_build_object('id', o.id))
                        from "Odd Table" o where o."user-id" = users.id) as "Odd_Table",
                      json_build_object('aggregate', json_build_object('count',
                        (select count(*) from "Odd Table" o where o."user-id" = users.id))) as "Odd_Table_aggregate"
              from users where id = 1) t))`,
  },
  {
    what: 'by_pk',
    document: '{ Odd_Table_by_pk(id: 2) { Weird_Name x_y_1 } }',
    sql: `select json_build_object('Odd_Table_by_pk', (select row_to_json(t) from (select "Weird Name" as "Weird_Name",
            "x y" as x_y_1 from "Odd Table" where id = 2) t))`,
  },
  {
    what: 'JSON paths: an object member, array items, $-rooted, quoted keys, a miss, json and jsonb',
    document: `{ Odd_Table(order_by: {id: asc}) { a: doc(path: "a.b[2].c") b: doc(path: "$.a.b[0]") c: doc(path: "a")
                k: doc(path: "$['k y']") miss: doc(path: "nope.x") whole: doc(path: "$") raw(path: "a.b[1]") } }`,
    sql: `select json_build_object('Odd_Table', (select json_agg(t) from (select doc #> '{a,b,2,c}' as a,
            doc #> '{a,b,0}' as b, doc #> '{a}' as c, doc #> '{k y}' as k, doc #> '{nope,x}' as miss, doc as whole,
            raw #> '{a,b,1}' as raw from "Odd Table" order by id) t))`,
  },
  {
    what: 'a JSON path on posts.metadata, null for no path',
    document: '{ posts(order_by: {id: asc}) { id words: metadata(path: "words") metadata(path: null) } }',
    sql: `select json_build_object('posts', (select json_agg(t) from (select id, metadata #> '{words}' as words,
            metadata from posts order by id) t))`,
  },
];

describe('names that are not GraphQL names, on blog', () => {
  for (const c of cases)
    it(c.what, async () => {
      const d = await blog.data(c.document, c.variables);
      assert.deepEqual(d, sqlJson(env.blogDb, c.sql));
    });

  it('says the PostgreSQL name in the descriptions', async () => {
    const d = await blog.data(`{ __type(name: "Odd_Table") { description fields { name description } } }`);
    const f = Object.fromEntries(d.__type.fields.map((x) => [x.name, x.description]));
    assert.equal(d.__type.description, 'Columns whose names are not GraphQL names.\n\nPostgreSQL table "public"."Odd Table"');
    assert.equal(f.Weird_Name, 'PostgreSQL column "Weird Name"');
    assert.equal(f._typename, 'PostgreSQL column "__typename"');
    assert.equal(f.dash_ed, 'A number with a dash in its name.\n\nPostgreSQL column "dash-ed"');
    assert.equal(f.weird_name, null);
    assert.equal(f.id, null);
  });

  it('offers no field __typename besides the meta-field, and keeps valid names', async () => {
    const d = await blog.data(`{ __type(name: "Odd_Table_bool_exp") { inputFields { name } } }`);
    const names = d.__type.inputFields.map((x) => x.name);
    assert.ok(!names.some((n) => n.startsWith('__')));
    assert.ok(names.includes('_typename') && names.includes('weird_name') && names.includes('weird_name_1'));
  });

  it('leaves json (not jsonb) columns out of what PostgreSQL cannot compare: distinct_on, count(columns:), order_by', async () => {
    for (const q of ['{ Odd_Table(distinct_on: [raw]) { id } }',
      '{ Odd_Table_aggregate { aggregate { count(columns: [raw], distinct: true) } } }',
      '{ Odd_Table(order_by: {raw: asc}) { id } }']) {
      const r = await blog.post(q);
      assert.equal(r.body.errors?.[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED', `${q}: ${r.text}`);
    }
    const d = await blog.data('{ Odd_Table(distinct_on: [doc], order_by: [{doc: asc}, {id: asc}]) { id } }');
    assert.ok(Array.isArray(d.Odd_Table), 'jsonb compares');
  });

  it('refuses a bad JSON path with BAD_USER_INPUT, from a literal and from a variable', async () => {
    let r = await blog.post('{ Odd_Table { doc(path: "a..b") } }');
    assert.equal(r.body.errors[0].extensions.code, 'BAD_USER_INPUT');
    assert.match(r.body.errors[0].message, /Invalid JSON path "a\.\.b"/);
    r = await blog.post('query($p: String) { Odd_Table { doc(path: $p) } }', { p: 'a[x]' });
    assert.equal(r.body.errors[0].extensions.code, 'BAD_USER_INPUT');
    assert.equal(r.body.data, undefined);
  });
});

describe('sanitized names on Pagila', () => {
  it('the views\' "zip code" is zip_code', async () => {
    const d = await pagila.data(`{ customer_list(where: {zip_code: {_like: "5%"}}, order_by: [{zip_code: asc}, {id: asc}], limit: 5) { id zip_code }
      staff_list(order_by: {id: asc}) { id zip_code } }`);
    assert.deepEqual(d.customer_list, sqlRows(env.pagilaDb, `select id, "zip code" as zip_code from customer_list
      where "zip code" like '5%' order by "zip code", id limit 5`));
    assert.deepEqual(d.staff_list, sqlRows(env.pagilaDb, 'select id, "zip code" as zip_code from staff_list order by id'));
  });
});

describe('JSON path variables on a cached plan', () => {
  let srv;
  before(async () => {
    srv = await startServer({ args: ['--threads', '1'], env: { GRAPHPOST_DATABASE_URL: dbUrl(env.blogDb) } });
  });
  after(async () => srv && (await srv.stop()));

  it('re-binds the path: the same document with other paths, then a bad one, then a good one again', async () => {
    const c = client(srv.url);
    const q = 'query($p: String!) { Odd_Table(order_by: {id: asc}) { doc(path: $p) } }';
    const expect = (path) =>
      sqlRows(env.blogDb, `select doc #> '${path}' as doc from "Odd Table" order by id`);
    for (const [p, sqlPath] of [['a.b[1]', '{a,b,1}'], ['$.n', '{n}'], ['a.b[1]', '{a,b,1}'], ['$["k y"]', '{k y}']])
      assert.deepEqual((await c.data(q, { p })).Odd_Table, expect(sqlPath), p);
    const r = await c.post(q, { p: 'a[' });
    assert.equal(r.body.errors[0].extensions.code, 'BAD_USER_INPUT');
    assert.deepEqual((await c.data(q, { p: 'n' })).Odd_Table, expect('{n}'));
  });
});

describe('--stringify-numeric-types', () => {
  let srv;
  before(async () => {
    srv = await startServer({
      args: ['--threads', '1', '--stringify-numeric-types'],
      env: { GRAPHPOST_DATABASE_URL: dbUrl(env.blogDb) },
    });
  });
  after(async () => srv && (await srv.stop()));

  it('sends bigint, numeric, double precision and their arrays as strings; Int stays a number', async () => {
    const d = await client(srv.url).data('{ Odd_Table(order_by: {id: asc}) { id big price amounts ratio x_y_1 } users(order_by: {id: asc}) { karma } }');
    assert.deepEqual(d, sqlJson(env.blogDb, `select json_build_object(
      'Odd_Table', (select json_agg(t) from (select id, big::text as big, price::text as price, amounts::text[] as amounts,
                     ratio::text as ratio, "x y" as x_y_1 from "Odd Table" order by id) t),
      'users', (select json_agg(t) from (select karma::text as karma from users order by id) t))`));
    assert.equal(d.Odd_Table[0].big, '9007199254740993'); /* every digit, which a JSON number would lose */
  });

  it('sends aggregates over those columns as strings, count and Int sums as numbers', async () => {
    const d = await client(srv.url).data(`{ Odd_Table_aggregate { aggregate { count sum { big price ratio x_y_1 }
      avg { big } max { price } min { amounts: price } } } }`);
    const want = sqlJson(env.blogDb, `select json_build_object('count', count(*),
      'sum', json_build_object('big', sum(big)::text, 'price', sum(price)::text, 'ratio', sum(ratio)::text, 'x_y_1', sum("x y")),
      'avg', json_build_object('big', avg(big)::text), 'max', json_build_object('price', max(price)::text),
      'min', json_build_object('amounts', min(price)::text)) from "Odd Table"`);
    assert.deepEqual(d.Odd_Table_aggregate.aggregate, want);
  });

  it('is off by default', async () => {
    const d = await blog.data('{ users(where: {id: {_eq: 1}}) { karma } }');
    assert.equal(typeof d.users[0].karma, 'number');
  });
});
