// Mutations (issue 9), as Hasura defines them: insert_T / insert_T_one (nested inserts
// through object and array relationships, on_conflict upserts), update_T /
// update_T_by_pk / update_T_many (_set, _inc, the jsonb operators), delete_T /
// delete_T_by_pk, VOLATILE functions as mutation root fields, the T_mutation_response
// shape, errors (constraint-violation, data-exception, permission-error), atomicity of a
// whole request, mutations over GET (405), concurrency.
//
// Every write goes to databases of this file's own, made from examples/blog (schema +
// seed + a few test-local objects, BLOG_EXTRAS below) and from Pagila (schema + data),
// each served by a graphpost of its own: the shared blog and pagila databases that
// other test files read are never written. Every case makes its own rows, named after
// a tag unique to the case (tag()), so no case depends on another's writes.
//
// The data-driven cases are {name, setup, before, document, variables, expect, sort,
// check}: `setup` writes the case's rows with SQL and returns what the case needs to
// know about them; `before` is SQL read before the mutation (rows about to be deleted);
// `expect` is hand-written SQL, run after the mutation, whose single cell is the
// expected `data`; `sort` names the lists whose order PostgreSQL does not define
// (UPDATE/DELETE ... RETURNING), sorted on both sides before comparing; `check` makes
// the assertions that relate the answer to the inputs the case sent. Error cases check
// extensions.code, the constraint, and that a fingerprint of every table is unchanged.
//
// GP_MUT_ORACLE_ONLY=1 runs the setup and oracle SQL of the data-driven cases without
// sending their mutations (to check the SQL itself against a server without mutations).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { client, need, psql, sqlJson, startServer } from '../lib/gql.mjs';

const root = new URL('../../', import.meta.url).pathname;
const pg = { host: need('PGHOST'), port: need('PGPORT'), user: process.env.PGUSER || 'postgres' };
const ORACLE_ONLY = process.env.GP_MUT_ORACLE_ONLY === '1';

// Hasura's own code maps 23514 (check_violation) to "permission-error" (its insert/update
// permission checks raise check violations); issue 9 asks for constraint-violation, as
// for the other class-23 errors. One place to change if that decision changes.
const CHECK_VIOLATION_CODE = 'constraint-violation';

// Test-local objects in the blog copy: a table with a CHECK constraint, a UNIQUE one and a
// trigger that refuses some rows with SQLSTATE 42501 (insufficient_privilege, standing in
// for a privilege the caller lacks: graphpost connects as a superuser here), and VOLATILE
// functions (mutation root fields): SETOF a table, one row, a scalar. The blog schema's
// own bump_karma (VOLATILE, returns users) is one too.
const BLOG_EXTRAS = `
CREATE TABLE mut_checked (
    id      serial PRIMARY KEY,
    label   text NOT NULL CONSTRAINT mut_checked_label_key UNIQUE,
    qty     integer NOT NULL CONSTRAINT mut_checked_qty_positive CHECK (qty > 0),
    guarded text
);
CREATE FUNCTION mut_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.guarded = 'refuse' THEN
        RAISE EXCEPTION 'writing a guarded row is not allowed' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER mut_guard BEFORE INSERT OR UPDATE ON mut_checked FOR EACH ROW EXECUTE FUNCTION mut_guard();
CREATE FUNCTION archive_posts_of(uid integer) RETURNS SETOF posts LANGUAGE sql VOLATILE AS $$
    UPDATE posts SET status = 'archived' WHERE author_id = uid RETURNING * $$;
CREATE FUNCTION add_checked(lbl text, n integer DEFAULT 1) RETURNS mut_checked LANGUAGE sql VOLATILE AS $$
    INSERT INTO mut_checked (label, qty) VALUES (lbl, n) RETURNING * $$;
CREATE SEQUENCE mut_tickets;
CREATE FUNCTION next_ticket() RETURNS bigint LANGUAGE sql VOLATILE AS $$ SELECT nextval('mut_tickets') $$;
`;

const BLOG_TABLES = ['users', 'posts', 'comments', 'tags', 'post_tags', '"Odd Table"', 'mut_checked'];
const PAGILA_TABLES = ['actor', 'film', 'film_actor', 'film_category', 'category', 'language', 'country', 'city',
  'address', 'store', 'staff', 'inventory', 'rental', 'payment', 'customer'];

const blog = { db: 'gp_mut_blog', tables: BLOG_TABLES };
const pagila = { db: 'gp_mut_pagila', tables: PAGILA_TABLES };

function load(db, args) {
  execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', db, ...args], { stdio: 'pipe' });
}

function createDb(db, files, extra) {
  psql('postgres', `drop database if exists ${db} with (force)`);
  psql('postgres', `create database ${db}`);
  for (const f of files) load(db, ['-f', `${root}${f}`]);
  if (extra) load(db, ['-c', extra]);
}

const dbUrl = (db) => `postgres://${pg.user}@${pg.host}:${pg.port}/${db}`;

before(async () => {
  createDb(blog.db, ['examples/blog/schema.sql', 'examples/blog/seed.sql'], BLOG_EXTRAS);
  createDb(pagila.db, ['examples/pagila/schema.sql', 'examples/pagila/data.sql']);
  for (const target of [blog, pagila]) {
    target.srv = await startServer({ args: ['--threads', '2'], env: { GRAPHPOST_DATABASE_URL: dbUrl(target.db) } });
    target.gql = client(target.srv.url);
  }
});

after(async () => {
  for (const target of [blog, pagila]) if (target.srv) await target.srv.stop();
  for (const target of [blog, pagila]) psql('postgres', `drop database if exists ${target.db} with (force)`);
});

// ---------------------------------------------------------------------------------------
// Helpers

// A tag unique to one case (letters and digits only: safe in GraphQL strings, SQL
// literals and LIKE patterns); rows a case makes are named `${t}-…`.
const RUN = Date.now().toString(36);
let tags = 0;
const tag = () => `t${RUN}n${++tags}`;
const email = (t, s = '') => `${t}-${s}@x.test`;

// An SQL string literal of a value the test sends.
const lit = (s) => (s === null || s === undefined ? 'null' : `'${String(s).replace(/'/g, "''")}'`);
const jlit = (v) => `${lit(JSON.stringify(v))}::jsonb`;

// The one row a data-modifying statement with RETURNING gives, as an object.
const one = (db, sql) => sqlJson(db, `with x as (${sql}) select row_to_json(x) from x`);
// All the rows it gives, as an array.
const many = (db, sql) => sqlJson(db, `with x as (${sql}) select coalesce(json_agg(x), '[]') from x`);

// json_build_object of the columns `cols` of FROM item `a`; a column given as
// [name, expression] is selected under a GraphQL name of its own.
const obj = (a, cols) =>
  `json_build_object(${cols.map((c) => (Array.isArray(c) ? `'${c[0]}', ${c[1]}` : `'${c}', ${a}.${c}`)).join(', ')})`;
// A JSON array of the single column of `select` (which orders its rows), [] when empty.
const list = (select) => `coalesce((select json_agg(j) from (${select}) s(j)), '[]'::json)`;

// The rows a case read before deleting them, as the expected data, if `cond` (SQL) shows the
// delete done; otherwise a string that says so (and fails the comparison readably).
const ifDone = (cond, before) =>
  `select case when ${cond} then ${jlit(before)}::json else '"the database does not show the delete"'::json end`;

// md5 of every row of every table of a target: equal before and after means nothing was
// written (sequences aside).
function fingerprint(target) {
  const parts = target.tables.map((t, i) =>
    `'${i}', (select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) from ${t} x)`);
  return sqlJson(target.db, `select json_build_object(${parts.join(', ')})`);
}

function at(value, path) {
  return path.split('.').reduce((v, k) => (v == null ? v : v[k]), value);
}

function sortAt(value, path, key) {
  const l = at(value, path);
  if (Array.isArray(l)) l.sort((a, b) => (a[key] < b[key] ? -1 : a[key] > b[key] ? 1 : 0));
}

// Runs one data-driven case against a target.
async function runCase(target, c) {
  // psql runs synchronously: let the event loop turn, so that the HTTP client retires the
  // keep-alive connections the server has closed meanwhile (it does after 10 s idle).
  await new Promise(setImmediate);
  const ctx = { t: tag(), db: target.db };
  Object.assign(ctx, c.setup ? c.setup(ctx) : {});
  if (c.before) ctx.before = sqlJson(target.db, c.before(ctx));
  const document = c.document(ctx);
  const variables = c.variables ? c.variables(ctx) : undefined;
  if (ORACLE_ONLY) {
    sqlJson(target.db, c.expect(ctx));
    return;
  }
  const d = await target.gql.data(document, variables);
  const want = sqlJson(target.db, c.expect(ctx));
  for (const [path, key] of Object.entries(c.sort ?? {})) {
    sortAt(d, path, key);
    sortAt(want, path, key);
  }
  assert.deepEqual(d, want, `${c.name}\n${document}`);
  if (c.check) c.check(d, ctx);
}

function cases(target, list_) {
  for (const c of list_) it(c.name, () => runCase(target, c));
}

// Sends a request that must fail as a whole: data null, one error with `code` (and the
// constraint PostgreSQL named, if `constraint` is given; null: none), nothing written.
async function expectFailure(target, document, variables, { code, constraint, message, sqlstate }) {
  const before = fingerprint(target);
  const r = await target.gql.post(document, variables);
  assert.ok(r.body?.errors?.length === 1, `one error expected, got HTTP ${r.status}: ${r.text}`);
  assert.equal(r.body.data, null, `data must be null: ${r.text}`);
  const e = r.body.errors[0];
  assert.equal(e.extensions?.code, code, r.text);
  if (constraint !== undefined) assert.equal(e.extensions.constraint ?? null, constraint, r.text);
  if (message) assert.match(e.message, message);
  if (sqlstate && e.extensions.sqlstate !== undefined) assert.equal(e.extensions.sqlstate, sqlstate, r.text);
  assert.deepEqual(fingerprint(target), before, `nothing may be written: ${document}`);
  return r;
}

// A request refused before it runs (validation, coercion): no data at all, nothing written.
async function expectRefused(target, document, variables, code, message) {
  const before = fingerprint(target);
  const r = await target.gql.post(document, variables);
  assert.ok(r.body?.errors?.length >= 1, `errors expected, got HTTP ${r.status}: ${r.text}`);
  assert.equal(r.body.data, undefined, r.text);
  for (const e of r.body.errors) assert.equal(e.extensions?.code, code, r.text);
  if (message) assert.match(r.body.errors.map((e) => e.message).join('\n'), message);
  assert.deepEqual(fingerprint(target), before, `nothing may be written: ${document}`);
}

// Blog rows for a case.
const mkUser = (c, s, { karma = 0, bio = null } = {}) =>
  one(c.db, `insert into users (name, email, karma, bio) values (${lit(`${c.t} ${s}`)}, ${lit(email(c.t, s))},
             ${karma}, ${lit(bio)}) returning id, name, email, karma, bio`);
const mkPost = (c, authorId, s, { metadata = null, rating = null, body = '' } = {}) =>
  one(c.db, `insert into posts (author_id, title, body, metadata, rating) values (${authorId}, ${lit(`${c.t}-${s}`)},
             ${lit(body)}, ${metadata === null ? 'null' : jlit(metadata)}, ${rating ?? 'null'}) returning id, title, metadata`);
const mkComment = (c, postId, authorId, s) =>
  one(c.db, `insert into comments (post_id, author_id, body) values (${postId}, ${authorId}, ${lit(`${c.t}-${s}`)})
             returning id, body`);

// ---------------------------------------------------------------------------------------
// The mutation schema

describe('the mutation schema (Hasura names and types)', () => {
  const typeString = (t) => (t.kind === 'NON_NULL' ? `${typeString(t.ofType)}!` : t.kind === 'LIST' ? `[${typeString(t.ofType)}]` : t.name);
  const TYPE = 'type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }';
  const rootFields = async (target, root) =>
    (await target.gql.data(`{ __type(name: "${root}") { fields { name args { name defaultValue ${TYPE} } ${TYPE} } } }`))
      .__type?.fields ?? [];
  const signature = (f) => {
    const args = f.args.map((a) => `${a.name}: ${typeString(a.type)}`).sort().join(', ');
    return `${f.name}${args ? `(${args})` : ''}: ${typeString(f.type)}`;
  };

  it('__schema names mutation_root, and `mutation { __typename }` answers it', async () => {
    const d = await blog.gql.data('{ __schema { mutationType { name } } }');
    assert.deepEqual(d, { __schema: { mutationType: { name: 'mutation_root' } } });
    assert.deepEqual(await blog.gql.data('mutation { __typename }'), { __typename: 'mutation_root' });
  });

  it('blog users: the seven fields with Hasura\'s argument and result types', async () => {
    const fields = Object.fromEntries((await rootFields(blog, 'mutation_root')).map((f) => [f.name, signature(f)]));
    // users has no jsonb column: Hasura offers the jsonb operators only where there is one.
    assert.deepEqual(
      ['insert_users', 'insert_users_one', 'update_users', 'update_users_by_pk', 'update_users_many', 'delete_users', 'delete_users_by_pk']
        .map((n) => fields[n]),
      ['insert_users(objects: [users_insert_input!]!, on_conflict: users_on_conflict): users_mutation_response',
        'insert_users_one(object: users_insert_input!, on_conflict: users_on_conflict): users',
        'update_users(_inc: users_inc_input, _set: users_set_input, where: users_bool_exp!): users_mutation_response',
        'update_users_by_pk(_inc: users_inc_input, _set: users_set_input, pk_columns: users_pk_columns_input!): users',
        'update_users_many(updates: [users_updates!]!): [users_mutation_response]',
        'delete_users(where: users_bool_exp!): users_mutation_response',
        'delete_users_by_pk(id: Int!): users']);
    // posts has metadata jsonb: all five operators, on update, update_by_pk and in posts_updates.
    const ops = ['_append: posts_append_input', '_delete_at_path: posts_delete_at_path_input',
      '_delete_elem: posts_delete_elem_input', '_delete_key: posts_delete_key_input', '_inc: posts_inc_input',
      '_prepend: posts_prepend_input', '_set: posts_set_input'];
    assert.equal(fields.update_posts, `update_posts(${[...ops, 'where: posts_bool_exp!'].join(', ')}): posts_mutation_response`);
    assert.equal(fields.update_posts_by_pk, `update_posts_by_pk(${[...ops, 'pk_columns: posts_pk_columns_input!'].join(', ')}): posts`);
    assert.equal(fields.delete_post_tags_by_pk, 'delete_post_tags_by_pk(post_id: Int!, tag_name: String!): post_tags');
  });

  it('the input types: mutation response, on_conflict (update_columns defaults to []), pk_columns, updates', async () => {
    const d = await blog.gql.data(`{
      response: __type(name: "users_mutation_response") { fields { name ${TYPE} } }
      conflict: __type(name: "users_on_conflict") { inputFields { name defaultValue ${TYPE} } }
      pk: __type(name: "posts_pk_columns_input") { inputFields { name ${TYPE} } }
      updates: __type(name: "posts_updates") { inputFields { name ${TYPE} } }
      delete_path: __type(name: "posts_delete_at_path_input") { inputFields { name ${TYPE} } }
      delete_elem: __type(name: "posts_delete_elem_input") { inputFields { name ${TYPE} } }
      delete_key: __type(name: "posts_delete_key_input") { inputFields { name ${TYPE} } }
      append: __type(name: "posts_append_input") { inputFields { name ${TYPE} } }
      inc: __type(name: "posts_inc_input") { inputFields { name ${TYPE} } }
      arr: __type(name: "posts_arr_rel_insert_input") { inputFields { name ${TYPE} } }
      objrel: __type(name: "users_obj_rel_insert_input") { inputFields { name ${TYPE} } }
    }`);
    const fieldsOf = (x, key = 'inputFields') => x[key].map((f) => `${f.name}: ${typeString(f.type)}`).sort();
    assert.deepEqual(fieldsOf(d.response, 'fields'), ['affected_rows: Int!', 'returning: [users!]!']);
    assert.deepEqual(fieldsOf(d.conflict),
      ['constraint: users_constraint!', 'update_columns: [users_update_column!]!', 'where: users_bool_exp']);
    assert.equal(d.conflict.inputFields.find((f) => f.name === 'update_columns').defaultValue, '[]');
    assert.deepEqual(fieldsOf(d.pk), ['id: Int!']);
    assert.deepEqual(fieldsOf(d.updates), ['_append: posts_append_input', '_delete_at_path: posts_delete_at_path_input',
      '_delete_elem: posts_delete_elem_input', '_delete_key: posts_delete_key_input', '_inc: posts_inc_input',
      '_prepend: posts_prepend_input', '_set: posts_set_input', 'where: posts_bool_exp!']);
    assert.deepEqual(fieldsOf(d.delete_path), ['metadata: [String!]']);
    assert.deepEqual(fieldsOf(d.delete_elem), ['metadata: Int']);
    assert.deepEqual(fieldsOf(d.delete_key), ['metadata: String']);
    assert.deepEqual(fieldsOf(d.append), ['metadata: jsonb']);
    assert.deepEqual(fieldsOf(d.inc), ['author_id: Int', 'editor_id: Int', 'id: Int', 'rating: numeric']);
    assert.deepEqual(fieldsOf(d.arr), ['data: [posts_insert_input!]!', 'on_conflict: posts_on_conflict']);
    assert.deepEqual(fieldsOf(d.objrel), ['data: users_insert_input!', 'on_conflict: users_on_conflict']);
  });

  for (const target of [blog, pagila]) {
    it(`${target === blog ? 'blog' : 'Pagila'}: every table with a primary key has the seven fields; T_constraint lists its primary key and unique constraints`, async () => {
      const query = (await rootFields(target, 'query_root')).map((f) => f.name);
      const mutation = new Set((await rootFields(target, 'mutation_root')).map((f) => f.name));
      const tables = query.filter((n) => n.endsWith('_by_pk')).map((n) => n.slice(0, -'_by_pk'.length));
      assert.ok(tables.length >= 5, tables.join(' '));
      for (const t of tables)
        for (const f of [`insert_${t}`, `insert_${t}_one`, `update_${t}`, `update_${t}_by_pk`, `update_${t}_many`, `delete_${t}`, `delete_${t}_by_pk`])
          assert.ok(mutation.has(f), `mutation_root.${f}`);
      // No query field is a mutation field, and no mutation field is a query field.
      for (const f of query) assert.ok(!mutation.has(f), `query field ${f} in mutation_root`);
      // The constraint enums, against the catalog (tables whose constraint names are GraphQL names).
      const catalog = sqlJson(target.db, `select json_object_agg(relname, names) from (
          select c.relname, json_agg(k.conname order by k.conname) names from pg_constraint k
          join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'public' and k.contype in ('p', 'u') and c.relname ~ '^[_A-Za-z][_0-9A-Za-z]*$'
          group by c.relname) x`);
      for (const t of tables.filter((x) => catalog[x])) {
        const d = await target.gql.data(`{ __type(name: "${t}_constraint") { enumValues { name } } }`);
        assert.deepEqual(d.__type?.enumValues.map((v) => v.name).sort(), catalog[t], `${t}_constraint`);
      }
    });
  }

  it('T_update_column and the insert input list the table\'s columns, against the catalog', async () => {
    for (const [target, table] of [[blog, 'users'], [blog, 'posts'], [pagila, 'film']]) {
      const cols = sqlJson(target.db, `select json_agg(column_name::text order by column_name) from information_schema.columns
                                       where table_schema = 'public' and table_name = '${table}'`);
      const d = await target.gql.data(`{ u: __type(name: "${table}_update_column") { enumValues { name } }
                                         i: __type(name: "${table}_insert_input") { inputFields { name } } }`);
      assert.deepEqual(d.u.enumValues.map((v) => v.name).sort(), cols, `${table}_update_column`);
      // The insert input also has a field per relationship (nested inserts).
      const fields = d.i.inputFields.map((f) => f.name);
      for (const col of cols) assert.ok(fields.includes(col), `${table}_insert_input.${col}`);
    }
  });

  it('relationship fields in the insert inputs: object and array relationships, by their query names', async () => {
    const d = await blog.gql.data(`{ u: __type(name: "users_insert_input") { inputFields { name type { name } } }
                                      p: __type(name: "posts_insert_input") { inputFields { name type { name } } }
                                      pt: __type(name: "post_tags_insert_input") { inputFields { name type { name } } } }`);
    const f = (x) => Object.fromEntries(x.inputFields.map((i) => [i.name, i.type.name]));
    assert.equal(f(d.u).posts_by_author_id, 'posts_arr_rel_insert_input');
    assert.equal(f(d.u).posts_by_editor_id, 'posts_arr_rel_insert_input');
    assert.equal(f(d.u).comments, 'comments_arr_rel_insert_input');
    assert.equal(f(d.p).author, 'users_obj_rel_insert_input');
    assert.equal(f(d.p).editor, 'users_obj_rel_insert_input');
    assert.equal(f(d.p).comments, 'comments_arr_rel_insert_input');
    assert.equal(f(d.pt).tags, 'tags_obj_rel_insert_input');
    assert.equal(f(d.pt).post, 'posts_obj_rel_insert_input');
  });

  it('VOLATILE functions are mutation root fields, and only there', async () => {
    const query = new Set((await rootFields(blog, 'query_root')).map((f) => f.name));
    const mutation = Object.fromEntries((await rootFields(blog, 'mutation_root')).map((f) => [f.name, signature(f)]));
    for (const fn of ['bump_karma', 'archive_posts_of', 'add_checked', 'next_ticket']) {
      assert.ok(fn in mutation, `mutation_root.${fn}`);
      assert.ok(!query.has(fn), `query_root.${fn}`);
    }
    for (const fn of ['search_posts', 'posts_in_status', 'latest_post', 'total_karma', 'user_count'])
      assert.ok(!(fn in mutation), `STABLE ${fn} in mutation_root`);
    assert.equal(mutation.bump_karma, 'bump_karma(args: bump_karma_args!): users');
    assert.equal(mutation.next_ticket, 'next_ticket: bigint');
    assert.match(mutation.archive_posts_of, /^archive_posts_of\(args: archive_posts_of_args!, distinct_on: \[posts_select_column!\], limit: Int, offset: Int, order_by: \[posts_order_by!\], where: posts_bool_exp\): \[posts!\]!$/);
  });
});

// ---------------------------------------------------------------------------------------
// Inserts

const userCols = ['id', 'name', 'email', 'bio', 'karma'];

describe('insert (blog)', () => {
  cases(blog, [
    {
      name: 'insert_users: several objects, defaults filled, affected_rows and returning in the objects\' order',
      document: ({ t }) => `mutation { insert_users(objects: [
          {name: "${t} one", email: "${email(t, 1)}"},
          {name: "${t} two", email: "${email(t, 2)}", bio: "b", karma: 7},
          {name: "${t} three", email: "${email(t, 3)}", bio: null}]) {
        affected_rows returning { id name email bio karma created_at } } }`,
      expect: ({ t }) => `select json_build_object('insert_users', json_build_object('affected_rows', count(*),
          'returning', json_agg(${obj('u', [...userCols, 'created_at'])} order by u.id)))
        from users u where u.email like '${t}-%'`,
      check: (d) => {
        assert.equal(d.insert_users.affected_rows, 3);
        assert.deepEqual(d.insert_users.returning.map((u) => u.name.split(' ')[1]), ['one', 'two', 'three']);
      },
    },
    {
      name: 'insert_posts_one: enum, jsonb, numeric, text[] values; returning an object relationship to an existing row',
      document: ({ t }) => `mutation { insert_posts_one(object: {author_id: 2, editor_id: 3, title: "${t}-p", body: "text",
          status: "published", tags: ["x", "y z"], metadata: {words: 12, nested: {a: [1, "two", null]}}, rating: 4.5}) {
        id title body status tags metadata rating author { id name } editor { name } comments { id } } }`,
      expect: ({ t }) => `select json_build_object('insert_posts_one', ${obj('p', ['id', 'title', 'body', 'status', 'tags', 'metadata', 'rating',
        ['author', `(select ${obj('u', ['id', 'name'])} from users u where u.id = p.author_id)`],
        ['editor', `(select ${obj('u', ['name'])} from users u where u.id = p.editor_id)`],
        ['comments', list(`select ${obj('c', ['id'])} from comments c where c.post_id = p.id order by c.id`)]])})
        from posts p where p.title = '${t}-p'`,
      check: (d) => {
        assert.deepEqual(d.insert_posts_one.metadata, { words: 12, nested: { a: [1, 'two', null] } });
        assert.deepEqual(d.insert_posts_one.tags, ['x', 'y z']);
      },
    },
    {
      name: 'the object in a variable',
      document: () => 'mutation($o: users_insert_input!) { insert_users_one(object: $o) { id name email karma bio } }',
      variables: ({ t }) => ({ o: { name: `${t} var`, email: email(t, 'var'), karma: 42, bio: 'from a variable' } }),
      expect: ({ t }) => `select json_build_object('insert_users_one', ${obj('u', userCols)}) from users u where u.email = '${email(t, 'var')}'`,
    },
    {
      name: 'the objects in a variable, with nested data',
      document: () => `mutation($o: [users_insert_input!]!) { insert_users(objects: $o) {
          affected_rows returning { email posts_by_author_id(order_by: {id: asc}) { title author_id } } } }`,
      variables: ({ t }) => ({
        o: [
          { name: `${t} a`, email: email(t, 'a'), posts_by_author_id: { data: [{ title: `${t}-pa1` }, { title: `${t}-pa2` }] } },
          { name: `${t} b`, email: email(t, 'b') },
        ],
      }),
      expect: ({ t }) => `select json_build_object('insert_users', json_build_object(
          'affected_rows', (select count(*) from users where email like '${t}-%') + (select count(*) from posts where title like '${t}-%'),
          'returning', json_agg(json_build_object('email', u.email, 'posts_by_author_id',
             ${list(`select ${obj('p', ['title', 'author_id'])} from posts p where p.author_id = u.id order by p.id`)}) order by u.id)))
        from users u where u.email like '${t}-%'`,
      check: (d) => assert.equal(d.insert_users.affected_rows, 4),
    },
    {
      name: 'an object relationship: the parent row is inserted first and its key fills the child\'s',
      document: ({ t }) => `mutation { insert_posts(objects: [{title: "${t}-p", author: {data: {name: "${t} author", email: "${email(t, 'a')}"}}}]) {
          affected_rows returning { id title author_id author { id name email } } } }`,
      expect: ({ t }) => `select json_build_object('insert_posts', json_build_object('affected_rows', 2, 'returning', json_agg(
          ${obj('p', ['id', 'title', 'author_id', ['author', `(select ${obj('u', ['id', 'name', 'email'])} from users u where u.id = p.author_id)`]])})))
        from posts p join users u on u.id = p.author_id where p.title = '${t}-p' and u.email = '${email(t, 'a')}'`,
      check: (d) => {
        const [p] = d.insert_posts.returning;
        assert.equal(p.author_id, p.author.id);
        assert.equal(d.insert_posts.affected_rows, 2);
      },
    },
    {
      name: 'three levels through array relationships: user → posts → comments; returning lists the children just inserted',
      document: ({ t }) => `mutation { insert_users(objects: [{name: "${t} u", email: "${email(t, 'u')}", posts_by_author_id: {data: [
            {title: "${t}-p1", comments: {data: [{body: "${t}-c1", author_id: 1}, {body: "${t}-c2", author_id: 2}]}},
            {title: "${t}-p2", comments: {data: [{body: "${t}-c3", author_id: 3}]}},
            {title: "${t}-p3"}]}}]) {
          affected_rows
          returning { id name email
            posts_by_author_id(order_by: {id: asc}) { id title author_id comments(order_by: {id: asc}) { id body author_id post_id } }
            posts_by_author_id_aggregate { aggregate { count } } } } }`,
      expect: ({ t }) => `select json_build_object('insert_users', json_build_object(
          'affected_rows', 1 + (select count(*) from posts where title like '${t}-%') + (select count(*) from comments where body like '${t}-%'),
          'returning', json_agg(${obj('u', ['id', 'name', 'email',
            ['posts_by_author_id', list(`select ${obj('p', ['id', 'title', 'author_id',
              ['comments', list(`select ${obj('c', ['id', 'body', 'author_id', 'post_id'])} from comments c where c.post_id = p.id order by c.id`)]])}
              from posts p where p.author_id = u.id order by p.id`)],
            ['posts_by_author_id_aggregate', `json_build_object('aggregate', json_build_object('count', (select count(*) from posts p where p.author_id = u.id)))`]])})))
        from users u where u.email = '${email(t, 'u')}'`,
      check: (d, { t }) => {
        assert.equal(d.insert_users.affected_rows, 7);
        assert.deepEqual(d.insert_users.returning[0].posts_by_author_id.map((p) => p.comments.map((c) => c.body)),
          [[`${t}-c1`, `${t}-c2`], [`${t}-c3`], []]);
      },
    },
    {
      name: 'three levels through object relationships: comment → post → author, each parent first',
      document: ({ t }) => `mutation { insert_comments_one(object: {body: "${t}-c", author_id: 1, post: {data: {title: "${t}-p",
            author: {data: {name: "${t} a", email: "${email(t, 'a')}"}}}}}) {
          id body author_id post_id post { id title author_id author { id name email } comment_count: comments_aggregate { aggregate { count } } } } }`,
      expect: ({ t }) => `select json_build_object('insert_comments_one', ${obj('c', ['id', 'body', 'author_id', 'post_id',
        ['post', `(select ${obj('p', ['id', 'title', 'author_id',
          ['author', `(select ${obj('u', ['id', 'name', 'email'])} from users u where u.id = p.author_id)`],
          ['comment_count', `json_build_object('aggregate', json_build_object('count', (select count(*) from comments x where x.post_id = p.id)))`]])}
          from posts p where p.id = c.post_id)`]])})
        from comments c where c.body = '${t}-c'`,
      check: (d, { t }) => {
        const c = d.insert_comments_one;
        assert.equal(c.post_id, c.post.id);
        assert.equal(c.post.author.email, email(t, 'a'));
        assert.equal(c.post.comment_count.aggregate.count, 1);
      },
    },
    {
      name: 'object and array relationships in one object; a many-to-many link whose tag is inserted first',
      setup: (c) => ({ existing: one(c.db, `insert into tags (name) values ('${c.t}-old') returning name`) }),
      document: ({ t }) => `mutation { insert_posts_one(object: {title: "${t}-p", author: {data: {name: "${t} a", email: "${email(t, 'a')}"}},
            comments: {data: [{body: "${t}-c1", author_id: 2}, {body: "${t}-c2", author_id: 4}]},
            post_tags: {data: [{tag_name: "${t}-old"}, {tags: {data: {name: "${t}-new", description: "made here"}}}]}}) {
          id title author { email posts_by_author_id { title } } comments(order_by: {id: asc}) { body author { name } }
          post_tags(order_by: {tag_name: asc}) { post_id tag_name tags { name description } } } }`,
      expect: ({ t }) => `select json_build_object('insert_posts_one', ${obj('p', ['id', 'title',
        ['author', `(select json_build_object('email', u.email, 'posts_by_author_id', ${list(`select json_build_object('title', x.title) from posts x where x.author_id = u.id order by x.id`)}) from users u where u.id = p.author_id)`],
        ['comments', list(`select json_build_object('body', c.body, 'author', (select json_build_object('name', u.name) from users u where u.id = c.author_id)) from comments c where c.post_id = p.id order by c.id`)],
        ['post_tags', list(`select json_build_object('post_id', pt.post_id, 'tag_name', pt.tag_name, 'tags', (select ${obj('g', ['name', 'description'])} from tags g where g.name = pt.tag_name)) from post_tags pt where pt.post_id = p.id order by pt.tag_name`)]])})
        from posts p where p.title = '${t}-p'`,
      check: (d, { t }) => assert.deepEqual(d.insert_posts_one.post_tags.map((x) => x.tag_name), [`${t}-new`, `${t}-old`]),
    },
    {
      name: 'on_conflict inside a nested insert: the existing tag is updated and linked',
      setup: (c) => one(c.db, `insert into tags (name, description) values ('${c.t}-tag', 'old') returning name`),
      document: ({ t }) => `mutation { insert_posts_one(object: {title: "${t}-p", author_id: 1, post_tags: {data: [
            {tags: {data: {name: "${t}-tag", description: "new"}, on_conflict: {constraint: tags_pkey, update_columns: [description]}}}]}}) {
          title post_tags { tag_name tags { name description } } } }`,
      expect: ({ t }) => `select json_build_object('insert_posts_one', json_build_object('title', p.title, 'post_tags',
          ${list(`select json_build_object('tag_name', pt.tag_name, 'tags', (select ${obj('g', ['name', 'description'])} from tags g where g.name = pt.tag_name)) from post_tags pt where pt.post_id = p.id order by pt.tag_name`)}))
        from posts p where p.title = '${t}-p'`,
      check: (d) => assert.equal(d.insert_posts_one.post_tags[0].tags.description, 'new'),
    },
    {
      name: 'a table whose columns are not GraphQL names ("Odd Table")',
      document: ({ t }) => `mutation { insert_Odd_Table_one(object: {Weird_Name: "${t}", weird_name_1: "w1", weird_name: "w", x_y_1: 1, x_y_2: 2,
            _2fa: true, dash_ed: -3, _typename: "tn", user_id: 2, doc: {k: [1, 2]}, big: 1234567890123, price: 12.5, ratio: 0.25}) {
          id Weird_Name weird_name_1 weird_name x_y_1 x_y_2 _2fa dash_ed _typename user_id user { name } doc big price ratio } }`,
      expect: ({ t }) => `select json_build_object('insert_Odd_Table_one', ${obj('o', ['id', ['Weird_Name', 'o."Weird Name"'],
        ['weird_name_1', 'o."weird name"'], 'weird_name', ['x_y_1', 'o."x y"'], ['x_y_2', 'o."x.y"'], ['_2fa', 'o."2fa"'],
        ['dash_ed', 'o."dash-ed"'], ['_typename', 'o."__typename"'], ['user_id', 'o."user-id"'],
        ['user', `(select json_build_object('name', u.name) from users u where u.id = o."user-id")`], 'doc', 'big', 'price', 'ratio'])})
        from "Odd Table" o where o."Weird Name" = '${t}'`,
    },
  ]);
});

describe('insert (Pagila)', () => {
  cases(pagila, [
    {
      name: 'insert_actor: defaults (last_update) and returning',
      document: ({ t }) => `mutation { insert_actor(objects: [{first_name: "${t}", last_name: "One"}, {first_name: "${t}", last_name: "Two"}]) {
          affected_rows returning { actor_id first_name last_name last_update } } }`,
      expect: ({ t }) => `select json_build_object('insert_actor', json_build_object('affected_rows', count(*),
          'returning', json_agg(${obj('a', ['actor_id', 'first_name', 'last_name', 'last_update'])} order by a.actor_id)))
        from actor a where a.first_name = '${t}'`,
      check: (d) => assert.equal(d.insert_actor.affected_rows, 2),
    },
    {
      name: 'insert_film_one: a domain, an enum, numeric, text[], and the tsvector a trigger fills',
      document: ({ t }) => `mutation { insert_film_one(object: {title: "${t} FILM", description: "A test of ${t}", language_id: 1,
            release_year: 2006, rating: "PG-13", rental_rate: 1.99, length: 90, special_features: ["Trailers", "Deleted Scenes"]}) {
          film_id title release_year rating rental_rate rental_duration replacement_cost length special_features fulltext
          language { name } original_language { name } } }`,
      expect: ({ t }) => `select json_build_object('insert_film_one', ${obj('f', ['film_id', 'title', 'release_year', 'rating', 'rental_rate',
        'rental_duration', 'replacement_cost', 'length', 'special_features', 'fulltext',
        ['language', `(select json_build_object('name', l.name) from language l where l.language_id = f.language_id)`],
        ['original_language', `(select json_build_object('name', l.name) from language l where l.language_id = f.original_language_id)`]])})
        from film f where f.title = '${t} FILM'`,
      check: (d, { t }) => assert.match(d.insert_film_one.fulltext, new RegExp(`'${t.toLowerCase()}'`)),
    },
    {
      name: 'three levels through array relationships: country → city → address',
      document: ({ t }) => `mutation { insert_country_one(object: {country: "${t}-land", city: {data: [
            {city: "${t}-a", address: {data: [{address: "${t} 1 Main St", district: "North", phone: "1"},
                                              {address: "${t} 2 Main St", district: "South", phone: "2", postal_code: "99"}]}},
            {city: "${t}-b"}]}}) {
          country_id country city(order_by: {city: asc}) { city_id city country_id
            address(order_by: {address_id: asc}) { address_id address district phone postal_code city_id } } } }`,
      expect: ({ t }) => `select json_build_object('insert_country_one', ${obj('co', ['country_id', 'country',
        ['city', list(`select ${obj('ci', ['city_id', 'city', 'country_id',
          ['address', list(`select ${obj('a', ['address_id', 'address', 'district', 'phone', 'postal_code', 'city_id'])} from address a where a.city_id = ci.city_id order by a.address_id`)]])}
          from city ci where ci.country_id = co.country_id order by ci.city`)]])})
        from country co where co.country = '${t}-land'`,
      check: (d) => assert.deepEqual(d.insert_country_one.city.map((c) => c.address.length), [2, 0]),
    },
    {
      name: 'three levels through object relationships: address → city → country, each parent first; affected_rows counts all three',
      document: ({ t }) => `mutation { insert_address(objects: [{address: "${t} 3 High St", district: "D", phone: "3",
            city: {data: {city: "${t}-c", country: {data: {country: "${t}-land"}}}}}]) {
          affected_rows returning { address_id city_id city { city_id city country_id country { country_id country } } } } }`,
      expect: ({ t }) => `select json_build_object('insert_address', json_build_object('affected_rows', 3, 'returning', json_agg(
          ${obj('a', ['address_id', 'city_id', ['city', `(select ${obj('ci', ['city_id', 'city', 'country_id',
            ['country', `(select ${obj('co', ['country_id', 'country'])} from country co where co.country_id = ci.country_id)`]])}
            from city ci where ci.city_id = a.city_id)`]])})))
        from address a join city ci using (city_id) join country co using (country_id)
        where a.address = '${t} 3 High St' and ci.city = '${t}-c' and co.country = '${t}-land'`,
      check: (d) => assert.equal(d.insert_address.affected_rows, 3),
    },
    {
      name: 'an array relationship into a composite-key table, whose other key comes from an object relationship inserted first',
      document: ({ t }) => `mutation { insert_film_one(object: {title: "${t} FILM", language_id: 1, film_actor: {data: [
            {actor: {data: {first_name: "${t}", last_name: "Lead"}}},
            {actor_id: 1}]}}) {
          film_id title film_actor(order_by: {actor_id: asc}) { actor_id film_id actor { first_name last_name } } } }`,
      expect: ({ t }) => `select json_build_object('insert_film_one', ${obj('f', ['film_id', 'title',
        ['film_actor', list(`select ${obj('fa', ['actor_id', 'film_id',
          ['actor', `(select ${obj('a', ['first_name', 'last_name'])} from actor a where a.actor_id = fa.actor_id)`]])}
          from film_actor fa where fa.film_id = f.film_id order by fa.actor_id`)]])})
        from film f where f.title = '${t} FILM'`,
      check: (d, { t }) => assert.deepEqual(d.insert_film_one.film_actor.map((x) => x.actor.first_name).sort(),
        [t, sqlJson(pagila.db, 'select to_json(first_name) from actor where actor_id = 1')].sort()),
    },
    {
      name: 'through one of two foreign keys to the same table (language.film_by_language_id), into character(20)',
      document: ({ t }) => `mutation { insert_language_one(object: {name: "${t}", film_by_language_id: {data: [{title: "${t} A"}, {title: "${t} B"}]}}) {
          language_id name film_by_language_id(order_by: {title: asc}) { title language_id original_language_id }
          film_by_original_language_id { film_id } } }`,
      expect: ({ t }) => `select json_build_object('insert_language_one', ${obj('l', ['language_id', 'name',
        ['film_by_language_id', list(`select ${obj('f', ['title', 'language_id', 'original_language_id'])} from film f where f.language_id = l.language_id order by f.title`)],
        ['film_by_original_language_id', list(`select json_build_object('film_id', f.film_id) from film f where f.original_language_id = l.language_id order by f.film_id`)]])})
        from language l where l.name = '${t}'`,
      check: (d) => assert.equal(d.insert_language_one.film_by_language_id.length, 2),
    },
    {
      name: 'a partitioned table (payment): the row lands in its partition; returning reaches its relationships',
      setup: (c) => ({ rental: sqlJson(c.db, 'select to_json(min(rental_id)) from rental') }),
      document: ({ rental }) => `mutation { insert_payment_one(object: {customer_id: 1, staff_id: 1, rental_id: ${rental},
            amount: 7.77, payment_date: "2022-03-15T12:34:56Z"}) {
          payment_id payment_date amount customer { customer_id first_name } rental { rental_id } staff { staff_id } } }`,
      expect: ({ rental }) => `select json_build_object('insert_payment_one', ${obj('p', ['payment_id', 'payment_date', 'amount',
        ['customer', `(select ${obj('c', ['customer_id', 'first_name'])} from customer c where c.customer_id = p.customer_id)`],
        ['rental', `(select ${obj('r', ['rental_id'])} from rental r where r.rental_id = p.rental_id)`],
        ['staff', `(select ${obj('s', ['staff_id'])} from staff s where s.staff_id = p.staff_id)`]])})
        from payment_p2022_03 p where p.rental_id = ${rental} and p.amount = 7.77 and p.payment_date = '2022-03-15T12:34:56Z'`,
    },
  ]);
});

// ---------------------------------------------------------------------------------------
// Upserts

describe('upsert: on_conflict (blog and Pagila)', () => {
  const upsertUsers = (t, s, name, conflict) => `mutation { insert_users(objects: [{name: "${name}", email: "${email(t, s)}"}],
      on_conflict: ${conflict}) { affected_rows returning { id name email bio karma } } }`;
  const userRow = (t, s) => `select ${obj('u', userCols)} from users u where u.email = '${email(t, s)}'`;

  cases(blog, [
    {
      name: 'update_columns non-empty, no where: the conflicting row is updated in place, other columns kept',
      setup: (c) => ({ u: mkUser(c, 'x', { karma: 5, bio: 'kept' }) }),
      document: ({ t }) => upsertUsers(t, 'x', `${t} renamed`, '{constraint: users_email_key, update_columns: [name]}'),
      expect: ({ t }) => `select json_build_object('insert_users', json_build_object('affected_rows', 1, 'returning', json_agg(j)))
        from (${userRow(t, 'x')}) s(j)`,
      check: (d, { t, u }) => {
        assert.deepEqual(d.insert_users.returning, [{ ...u, name: `${t} renamed` }]);
        assert.equal(sqlJson(blog.db, `select count(*) from users where email = '${email(t, 'x')}'`), 1);
      },
    },
    {
      name: 'update_columns with a where that holds: updated',
      setup: (c) => ({ u: mkUser(c, 'x', { karma: 5, bio: 'kept' }) }),
      document: ({ t }) => upsertUsers(t, 'x', `${t} renamed`, '{constraint: users_email_key, update_columns: [name], where: {karma: {_lt: 10}}}'),
      expect: ({ t }) => `select json_build_object('insert_users', json_build_object('affected_rows', 1, 'returning', json_agg(j)))
        from (${userRow(t, 'x')}) s(j)`,
      check: (d, { t, u }) => assert.deepEqual(d.insert_users.returning, [{ ...u, name: `${t} renamed` }]),
    },
    {
      name: 'update_columns with a where that fails: nothing changes, affected_rows 0, returning []',
      setup: (c) => ({ u: mkUser(c, 'x', { karma: 5, bio: 'kept' }) }),
      document: ({ t }) => upsertUsers(t, 'x', `${t} renamed`, '{constraint: users_email_key, update_columns: [name], where: {karma: {_gt: 100}}}'),
      expect: () => `select json_build_object('insert_users', json_build_object('affected_rows', 0, 'returning', '[]'::json))`,
      check: (d, { t, u }) => assert.deepEqual(sqlJson(blog.db, userRow(t, 'x')), u),
    },
    {
      name: 'update_columns: [] ignores the conflicting object; the other object of the batch is inserted',
      setup: (c) => ({ u: mkUser(c, 'x', { karma: 5, bio: 'kept' }) }),
      document: ({ t }) => `mutation { insert_users(objects: [{name: "${t} ignored", email: "${email(t, 'x')}"}, {name: "${t} new", email: "${email(t, 'y')}"}],
          on_conflict: {constraint: users_email_key, update_columns: []}) { affected_rows returning { id name email bio karma } } }`,
      expect: ({ t }) => `select json_build_object('insert_users', json_build_object('affected_rows', 1, 'returning', json_agg(j)))
        from (${userRow(t, 'y')}) s(j)`,
      check: (d, { t, u }) => assert.deepEqual(sqlJson(blog.db, userRow(t, 'x')), u),
    },
    {
      name: 'update_columns left out: its default [] ignores the conflict',
      setup: (c) => ({ u: mkUser(c, 'x', { karma: 5, bio: 'kept' }) }),
      document: ({ t }) => upsertUsers(t, 'x', `${t} ignored`, '{constraint: users_email_key}'),
      expect: () => `select json_build_object('insert_users', json_build_object('affected_rows', 0, 'returning', '[]'::json))`,
      check: (d, { t, u }) => assert.deepEqual(sqlJson(blog.db, userRow(t, 'x')), u),
    },
    {
      name: 'no conflict: the object is inserted',
      document: ({ t }) => upsertUsers(t, 'x', `${t} fresh`, '{constraint: users_email_key, update_columns: [name]}'),
      expect: ({ t }) => `select json_build_object('insert_users', json_build_object('affected_rows', 1, 'returning', json_agg(j)))
        from (${userRow(t, 'x')}) s(j)`,
    },
    {
      name: 'insert_users_one with a conflict it ignores returns null',
      setup: (c) => ({ u: mkUser(c, 'x', { karma: 5 }) }),
      document: ({ t }) => `mutation { insert_users_one(object: {name: "${t} ignored", email: "${email(t, 'x')}"},
          on_conflict: {constraint: users_email_key, update_columns: []}) { id name } }`,
      expect: () => `select json_build_object('insert_users_one', null)`,
      check: (d, { t, u }) => assert.equal(sqlJson(blog.db, `select to_json(name) from users where id = ${u.id}`), u.name),
    },
    {
      name: 'insert_users_one with a conflict it updates returns the existing row, updated',
      setup: (c) => ({ u: mkUser(c, 'x', { karma: 5 }) }),
      document: ({ t }) => `mutation { insert_users_one(object: {name: "${t} renamed", email: "${email(t, 'x')}", karma: 9},
          on_conflict: {constraint: users_email_key, update_columns: [name, karma]}) { id name email karma } }`,
      expect: ({ t }) => `select json_build_object('insert_users_one', ${obj('u', ['id', 'name', 'email', 'karma'])}) from users u where u.email = '${email(t, 'x')}'`,
      check: (d, { t, u }) => assert.deepEqual(d.insert_users_one, { id: u.id, name: `${t} renamed`, email: u.email, karma: 9 }),
    },
    {
      // Hasura sets each update column to EXCLUDED.<column>: the value the object would
      // have inserted, which for a column the object leaves out is its default.
      name: 'on the primary key; an update column the object leaves out takes the value it would have inserted (its default)',
      setup: (c) => ({ p: mkPost(c, 1, 'p', { body: 'old body' }) }),
      document: ({ t, p }) => `mutation { insert_posts(objects: [{id: ${p.id}, title: "${t}-renamed", author_id: 1}],
          on_conflict: {constraint: posts_pkey, update_columns: [title, body]}) { affected_rows returning { id title body author_id } } }`,
      expect: ({ p }) => `select json_build_object('insert_posts', json_build_object('affected_rows', 1, 'returning',
          json_agg(${obj('p', ['id', 'title', 'body', 'author_id'])}))) from posts p where p.id = ${p.id}`,
      check: (d, { t }) => assert.deepEqual(d.insert_posts.returning.map((p) => [p.title, p.body]), [[`${t}-renamed`, '']]),
    },
  ]);

  cases(pagila, [
    {
      name: 'Pagila: on a composite primary key (film_actor_pkey), update_columns non-empty',
      setup: (c) => {
        const a = one(c.db, `insert into actor (first_name, last_name) values ('${c.t}', 'X') returning actor_id`);
        psql(c.db, `insert into film_actor (actor_id, film_id, last_update) values (${a.actor_id}, 1, '2000-01-01T00:00:00Z')`);
        return { a };
      },
      document: ({ a }) => `mutation { insert_film_actor(objects: [{actor_id: ${a.actor_id}, film_id: 1, last_update: "2020-02-02T00:00:00Z"}],
          on_conflict: {constraint: film_actor_pkey, update_columns: [last_update]}) { affected_rows returning { actor_id film_id last_update } } }`,
      expect: ({ a }) => `select json_build_object('insert_film_actor', json_build_object('affected_rows', 1, 'returning',
          json_agg(${obj('fa', ['actor_id', 'film_id', 'last_update'])}))) from film_actor fa where fa.actor_id = ${a.actor_id}`,
      // film_actor's BEFORE UPDATE trigger sets last_update = now(): either way, not the old value.
      check: (d) => assert.notEqual(Date.parse(d.insert_film_actor.returning[0].last_update), Date.parse('2000-01-01T00:00:00Z')),
    },
    {
      name: 'Pagila: update_columns: [] on a composite primary key leaves the row alone',
      setup: (c) => {
        const a = one(c.db, `insert into actor (first_name, last_name) values ('${c.t}', 'X') returning actor_id`);
        psql(c.db, `insert into film_actor (actor_id, film_id, last_update) values (${a.actor_id}, 1, '2000-01-01T00:00:00Z')`);
        return { a };
      },
      document: ({ a }) => `mutation { insert_film_actor(objects: [{actor_id: ${a.actor_id}, film_id: 1, last_update: "2020-02-02T00:00:00Z"}],
          on_conflict: {constraint: film_actor_pkey, update_columns: []}) { affected_rows returning { actor_id } } }`,
      expect: () => `select json_build_object('insert_film_actor', json_build_object('affected_rows', 0, 'returning', '[]'::json))`,
      check: (d, { a }) => assert.equal(
        sqlJson(pagila.db, `select to_json(last_update = '2000-01-01T00:00:00Z') from film_actor where actor_id = ${a.actor_id} and film_id = 1`), true),
    },
    {
      name: 'Pagila: on_conflict where on category_pkey, holding and failing, in one request (aliases)',
      setup: (c) => ({
        yes: one(c.db, `insert into category (name) values ('${c.t}-yes') returning category_id`),
        no: one(c.db, `insert into category (name) values ('${c.t}-no') returning category_id`),
      }),
      document: ({ t, yes, no }) => `mutation {
          yes: insert_category(objects: [{category_id: ${yes.category_id}, name: "${t}-yes2"}],
            on_conflict: {constraint: category_pkey, update_columns: [name], where: {name: {_like: "%-yes"}}}) { affected_rows returning { category_id name } }
          no: insert_category(objects: [{category_id: ${no.category_id}, name: "${t}-no2"}],
            on_conflict: {constraint: category_pkey, update_columns: [name], where: {name: {_like: "%-yes"}}}) { affected_rows returning { category_id name } } }`,
      expect: ({ yes, no }) => `select json_build_object(
          'yes', json_build_object('affected_rows', 1, 'returning', (select json_agg(${obj('c', ['category_id', 'name'])}) from category c where c.category_id = ${yes.category_id})),
          'no', json_build_object('affected_rows', 0, 'returning', '[]'::json))`,
      check: (d, { t, no }) => {
        assert.equal(d.yes.returning[0].name, `${t}-yes2`);
        assert.equal(sqlJson(pagila.db, `select to_json(name) from category where category_id = ${no.category_id}`), `${t}-no`);
      },
    },
  ]);
});

// ---------------------------------------------------------------------------------------
// Updates

describe('update (blog)', () => {
  cases(blog, [
    {
      name: '_set and _inc together on every row the where matches',
      setup: (c) => ({ us: [1, 2, 3].map((k) => mkUser(c, `u${k}`, { karma: k })) }),
      document: ({ t }) => `mutation { update_users(where: {email: {_like: "${t}-%"}}, _set: {bio: "${t} bio"}, _inc: {karma: 10}) {
          affected_rows returning { id bio karma } } }`,
      expect: ({ t }) => `select json_build_object('update_users', json_build_object('affected_rows', count(*),
          'returning', json_agg(${obj('u', ['id', 'bio', 'karma'])}))) from users u where u.email like '${t}-%'`,
      sort: { 'update_users.returning': 'id' },
      check: (d, { t, us }) => {
        assert.equal(d.update_users.affected_rows, 3);
        assert.deepEqual(d.update_users.returning, us.map((u) => ({ id: u.id, bio: `${t} bio`, karma: u.karma + 10 })));
      },
    },
    {
      name: '_inc on bigint past 32 bits, from a variable given as a string and as a number',
      setup: (c) => ({ u: mkUser(c, 'x', { karma: 5 }) }),
      document: ({ u }) => `mutation($s: bigint!, $n: bigint!) {
          a: update_users_by_pk(pk_columns: {id: ${u.id}}, _inc: {karma: $s}) { karma }
          b: update_users_by_pk(pk_columns: {id: ${u.id}}, _inc: {karma: $n}) { id karma } }`,
      variables: () => ({ s: '3000000000', n: 4000000000 }),
      expect: ({ u }) => `select json_build_object('a', json_build_object('karma', karma - 4000000000), 'b', json_build_object('id', id, 'karma', karma))
        from users where id = ${u.id}`,
      check: (d, { u }) => assert.deepEqual([d.a.karma, d.b.karma], [u.karma + 3000000000, u.karma + 7000000000]),
    },
    {
      name: '_inc on numeric columns, a decrement, and on columns whose names are not GraphQL names',
      setup: (c) => ({
        p: mkPost(c, 1, 'p', { rating: 2.5 }),
        o: one(c.db, `insert into "Odd Table" ("Weird Name", "x y", big, price) values ('${c.t}', 10, 100, 1.10) returning id`),
      }),
      document: ({ p, o }) => `mutation {
          update_posts_by_pk(pk_columns: {id: ${p.id}}, _inc: {rating: 1.5}) { id rating }
          update_Odd_Table(where: {id: {_eq: ${o.id}}}, _inc: {x_y_1: -3, big: 1000000000000, price: 0.05}) { affected_rows returning { x_y_1 big price } } }`,
      expect: ({ p, o }) => `select json_build_object(
          'update_posts_by_pk', (select ${obj('p', ['id', 'rating'])} from posts p where p.id = ${p.id}),
          'update_Odd_Table', json_build_object('affected_rows', 1, 'returning',
            (select json_agg(json_build_object('x_y_1', o."x y", 'big', o.big, 'price', o.price)) from "Odd Table" o where o.id = ${o.id})))`,
      check: (d) => {
        assert.equal(d.update_posts_by_pk.rating, 4);
        assert.deepEqual(d.update_Odd_Table.returning, [{ x_y_1: 7, big: 1000000000100, price: 1.15 }]);
      },
    },
    {
      name: 'a where that matches nothing: affected_rows 0, returning []',
      document: ({ t }) => `mutation { update_users(where: {email: {_eq: "${email(t, 'nobody')}"}}, _set: {bio: "x"}, _inc: {karma: 1}) {
          affected_rows returning { id } } }`,
      expect: () => `select json_build_object('update_users', json_build_object('affected_rows', 0, 'returning', '[]'::json))`,
    },
    {
      name: 'a where through an object relationship',
      setup: (c) => {
        const u = mkUser(c, 'a');
        return { u, ps: [mkPost(c, u.id, 'p1'), mkPost(c, u.id, 'p2'), mkPost(c, 1, 'other')] };
      },
      document: ({ t }) => `mutation { update_posts(where: {author: {email: {_eq: "${email(t, 'a')}"}}}, _set: {status: "archived"}) {
          affected_rows returning { id title status } } }`,
      expect: ({ u }) => `select json_build_object('update_posts', json_build_object('affected_rows', count(*),
          'returning', json_agg(${obj('p', ['id', 'title', 'status'])}))) from posts p where p.author_id = ${u.id}`,
      sort: { 'update_posts.returning': 'id' },
      check: (d, { ps }) => {
        assert.equal(d.update_posts.affected_rows, 2);
        assert.equal(sqlJson(blog.db, `select to_json(status) from posts where id = ${ps[2].id}`), 'draft');
      },
    },
    {
      name: 'update_T_by_pk returns the updated row with its relationships',
      setup: (c) => {
        const u = mkUser(c, 'a');
        const p = mkPost(c, 1, 'p');
        mkComment(c, p.id, 2, 'c');
        return { u, p };
      },
      document: ({ t, p, u }) => `mutation { update_posts_by_pk(pk_columns: {id: ${p.id}}, _set: {title: "${t}-new", author_id: ${u.id}, rating: 3.5}) {
          id title rating author { id email } comments { body } } }`,
      expect: ({ p }) => `select json_build_object('update_posts_by_pk', ${obj('p', ['id', 'title', 'rating',
        ['author', `(select ${obj('u', ['id', 'email'])} from users u where u.id = p.author_id)`],
        ['comments', list(`select json_build_object('body', c.body) from comments c where c.post_id = p.id order by c.id`)]])})
        from posts p where p.id = ${p.id}`,
      check: (d, { t, u }) => assert.deepEqual([d.update_posts_by_pk.title, d.update_posts_by_pk.author.id], [`${t}-new`, u.id]),
    },
    {
      name: 'update_T_by_pk of a missing row is null, and changes nothing',
      document: () => 'mutation { update_users_by_pk(pk_columns: {id: -1}, _set: {bio: "x"}) { id bio } }',
      expect: () => `select json_build_object('update_users_by_pk', null)`,
    },
    {
      name: 'update_T_by_pk on a composite key, changing part of it',
      setup: (c) => {
        const p = mkPost(c, 1, 'p');
        psql(c.db, `insert into post_tags values (${p.id}, 'math')`);
        return { p };
      },
      document: ({ p }) => `mutation { update_post_tags_by_pk(pk_columns: {post_id: ${p.id}, tag_name: "math"}, _set: {tag_name: "history"}) {
          post_id tag_name tags { name description } post { title } } }`,
      expect: ({ p }) => `select json_build_object('update_post_tags_by_pk', ${obj('pt', ['post_id', 'tag_name',
        ['tags', `(select ${obj('g', ['name', 'description'])} from tags g where g.name = pt.tag_name)`],
        ['post', `(select json_build_object('title', x.title) from posts x where x.id = pt.post_id)`]])})
        from post_tags pt where pt.post_id = ${p.id}`,
      check: (d) => assert.equal(d.update_post_tags_by_pk.tag_name, 'history'),
    },
    {
      name: 'returning sees the writes: a relationship back to the updated rows shows their new values',
      setup: (c) => {
        const p = mkPost(c, 1, 'p');
        return { p, cs: [mkComment(c, p.id, 2, 'c1'), mkComment(c, p.id, 3, 'c2'), mkComment(c, p.id, 4, 'keep')] };
      },
      document: ({ t }) => `mutation { update_comments(where: {body: {_like: "${t}-c%"}}, _set: {body: "${t}-edited"}) {
          affected_rows returning { id body post { id comments(order_by: {id: asc}) { id body } comments_aggregate(where: {body: {_eq: "${t}-edited"}}) { aggregate { count } } } } } }`,
      expect: ({ t, p }) => `select json_build_object('update_comments', json_build_object('affected_rows', count(*), 'returning', json_agg(
          ${obj('c', ['id', 'body', ['post', `json_build_object('id', ${p.id}, 'comments',
            ${list(`select ${obj('x', ['id', 'body'])} from comments x where x.post_id = ${p.id} order by x.id`)},
            'comments_aggregate', json_build_object('aggregate', json_build_object('count', (select count(*) from comments x where x.post_id = ${p.id} and x.body = '${t}-edited'))))`]])})))
        from comments c where c.post_id = ${p.id} and c.body = '${t}-edited'`,
      sort: { 'update_comments.returning': 'id' },
      check: (d, { t }) => {
        assert.equal(d.update_comments.affected_rows, 2);
        for (const c of d.update_comments.returning) {
          assert.deepEqual(c.post.comments.map((x) => x.body), [`${t}-edited`, `${t}-edited`, `${t}-keep`]);
          assert.equal(c.post.comments_aggregate.aggregate.count, 2);
        }
      },
    },
    {
      name: 'update_T_many: applied in order, each update seeing the ones before; results in order',
      setup: (c) => ({ u: mkUser(c, 'x', { karma: 5, bio: 'start' }) }),
      document: ({ u }) => `mutation { update_users_many(updates: [
            {where: {id: {_eq: ${u.id}}}, _inc: {karma: 1}},
            {where: {id: {_eq: ${u.id}}, karma: {_eq: ${u.karma + 1}}}, _set: {bio: "second saw first"}},
            {where: {id: {_eq: ${u.id}}, bio: {_eq: "start"}}, _set: {bio: "not applied"}},
            {where: {id: {_eq: ${u.id}}, bio: {_eq: "second saw first"}}, _inc: {karma: 100}, _set: {name: "fourth"}}]) {
          affected_rows returning { id karma bio name } } }`,
      expect: ({ u }) => `select json_build_object('update_users_many', json_build_array(
          json_build_object('affected_rows', 1, 'returning', json_build_array(json_build_object('id', ${u.id}, 'karma', ${u.karma + 1}, 'bio', ${lit(u.bio)}, 'name', ${lit(u.name)}))),
          json_build_object('affected_rows', 1, 'returning', json_build_array(json_build_object('id', ${u.id}, 'karma', ${u.karma + 1}, 'bio', 'second saw first', 'name', ${lit(u.name)}))),
          json_build_object('affected_rows', 0, 'returning', '[]'::json),
          json_build_object('affected_rows', 1, 'returning', json_build_array(${obj('u', ['id', 'karma', 'bio', 'name'])}))))
        from users u where u.id = ${u.id}`,
      check: (d, { u }) => assert.equal(sqlJson(blog.db, `select to_json(karma) from users where id = ${u.id}`), u.karma + 101),
    },
    {
      name: 'update_T_many on posts: jsonb operators in sequence on one column',
      setup: (c) => ({ p: mkPost(c, 1, 'p', { metadata: { words: 1, drop: true } }) }),
      document: ({ p }) => `mutation($v: jsonb) { update_posts_many(updates: [
            {where: {id: {_eq: ${p.id}}}, _append: {metadata: $v}},
            {where: {id: {_eq: ${p.id}}, metadata: {_has_key: "added"}}, _delete_key: {metadata: "drop"}}]) {
          affected_rows returning { metadata } } }`,
      variables: () => ({ v: { added: [1, 2] } }),
      expect: ({ p }) => `select json_build_object('update_posts_many', json_build_array(
          json_build_object('affected_rows', 1, 'returning', json_build_array(json_build_object('metadata', ${jlit(p.metadata)} || '{"added": [1, 2]}'::jsonb))),
          json_build_object('affected_rows', 1, 'returning', json_build_array(json_build_object('metadata', metadata)))))
        from posts where id = ${p.id}`,
      check: (d) => assert.deepEqual(d.update_posts_many[1].returning[0].metadata, { words: 1, added: [1, 2] }),
    },
  ]);

  // The jsonb operators on posts.metadata: each result is what PostgreSQL's own operator
  // gives for the same operands, and what the row holds afterwards.
  const jsonbCases = [
    ['_append an object literal', { words: 10, a: { b: 1 } }, '_append: {metadata: {k: "v", words: 11}}', `|| '{"k": "v", "words": 11}'::jsonb`],
    ['_append from a variable', { words: 10 }, '_append: {metadata: $v}', `|| '{"v": [true, null]}'::jsonb`, { v: { v: [true, null] } }],
    ['_append an array to an array', ['x'], '_append: {metadata: $v}', `|| '["y", 2]'::jsonb`, { v: ['y', 2] }],
    ['_append to a null value (PostgreSQL\'s || gives null)', null, '_append: {metadata: {k: 1}}', `|| '{"k": 1}'::jsonb`],
    ['_prepend: the column\'s own keys win', { words: 10 }, '_prepend: {metadata: $v}', `PREPEND '{"words": 2, "p": 0}'::jsonb`, { v: { words: 2, p: 0 } }],
    ['_prepend an element to an array', ['x', 'y'], '_prepend: {metadata: $v}', `PREPEND '"w"'::jsonb`, { v: 'w' }],
    ['_delete_key', { words: 10, keep: 1 }, '_delete_key: {metadata: "words"}', `- 'words'::text`],
    ['_delete_key of a key that is not there', { keep: 1 }, '_delete_key: {metadata: "nope"}', `- 'nope'::text`],
    ['_delete_elem', ['a', 'b', 'c'], '_delete_elem: {metadata: 1}', '- 1'],
    ['_delete_elem with a negative index (from the end)', ['a', 'b', 'c'], '_delete_elem: {metadata: -1}', '- (-1)'],
    ['_delete_at_path', { a: { b: 1, c: 2 }, d: 3 }, '_delete_at_path: {metadata: ["a", "b"]}', `#- '{a,b}'::text[]`],
    ['_delete_at_path through an array index, from a variable', { arr: [{ x: 1 }, { x: 2 }] }, '_delete_at_path: {metadata: $v}', `#- '{arr,0,x}'::text[]`, { v: ['arr', '0', 'x'] }],
  ];
  for (const [name, initial, op, sqlOp, variables] of jsonbCases) {
    it(`jsonb ${name}`, () => runCase(blog, {
      name,
      setup: (c) => ({ p: mkPost(c, 1, 'p', { metadata: initial }) }),
      document: ({ p }) => `mutation${variables ? `($v: ${op.startsWith('_delete_at_path') ? '[String!]' : 'jsonb'})` : ''} {
          update_posts(where: {id: {_eq: ${p.id}}}, ${op}, _set: {body: "changed"}) { affected_rows returning { id metadata body } } }`,
      variables: variables ? () => variables : undefined,
      expect: ({ p }) => `select json_build_object('update_posts', json_build_object('affected_rows', 1, 'returning',
          json_agg(${obj('p', ['id', 'metadata', 'body'])}))) from posts p where p.id = ${p.id}`,
      check: (d) => {
        const init = initial === null ? 'null::jsonb' : jlit(initial);
        const expr = sqlOp.startsWith('PREPEND') ? `${sqlOp.slice('PREPEND '.length)} || ${init}` : `${init} ${sqlOp}`;
        assert.deepEqual(d.update_posts.returning[0].metadata, sqlJson(blog.db, `select coalesce(to_json(${expr}), 'null')`), name);
      },
    }));
  }

  it('update_T_by_pk with several jsonb operators on one row: _delete_key with _set on another column', () => runCase(blog, {
    name: 'by_pk jsonb',
    setup: (c) => ({ p: mkPost(c, 1, 'p', { metadata: { gone: 1, stays: 2 } }) }),
    document: ({ t, p }) => `mutation { update_posts_by_pk(pk_columns: {id: ${p.id}}, _delete_key: {metadata: "gone"}, _set: {title: "${t}-x"}, _inc: {rating: 1}) {
        id title metadata rating } }`,
    expect: ({ p }) => `select json_build_object('update_posts_by_pk', ${obj('p', ['id', 'title', 'metadata', 'rating'])}) from posts p where p.id = ${p.id}`,
    check: (d) => assert.deepEqual([d.update_posts_by_pk.metadata, d.update_posts_by_pk.rating], [{ stays: 2 }, null]),
  }));
});

describe('update (Pagila)', () => {
  const mkFilm = (c, s = 'FILM') => one(c.db, `insert into film (title, language_id, rental_rate, length, rating, release_year, last_update)
      values ('${c.t} ${s}', 1, 2.99, 100, 'G', 2000, '2001-01-01T00:00:00Z') returning film_id, title`);
  const mkActor = (c, s = 'A') => one(c.db, `insert into actor (first_name, last_name, last_update)
      values ('${c.t}', '${s}', '2001-01-01T00:00:00Z') returning actor_id, first_name, last_name`);

  cases(pagila, [
    {
      name: 'an enum and a domain in _set, numeric and smallint in _inc (a decrement too); the triggers\' writes are returned',
      setup: (c) => ({ f: mkFilm(c) }),
      document: ({ t, f }) => `mutation { update_film(where: {film_id: {_eq: ${f.film_id}}}, _set: {rating: "NC-17", release_year: 2155, description: "${t} words"},
            _inc: {rental_rate: 1.5, length: 7, rental_duration: -1}) {
          affected_rows returning { film_id rating release_year description rental_rate length rental_duration last_update fulltext } } }`,
      expect: ({ f }) => `select json_build_object('update_film', json_build_object('affected_rows', 1, 'returning', json_agg(
          ${obj('f', ['film_id', 'rating', 'release_year', 'description', 'rental_rate', 'length', 'rental_duration', 'last_update', 'fulltext'])})))
        from film f where f.film_id = ${f.film_id}`,
      check: (d, { t }) => {
        const r = d.update_film.returning[0];
        assert.deepEqual([r.rating, r.release_year, r.rental_rate, r.length, r.rental_duration], ['NC-17', 2155, 4.49, 107, 2]);
        assert.notEqual(Date.parse(r.last_update), Date.parse('2001-01-01T00:00:00Z')); // BEFORE UPDATE trigger
        assert.match(r.fulltext, new RegExp(`'${t.toLowerCase()}':`)); // the tsvector trigger saw the new description
      },
    },
    {
      name: 'update_T_by_pk on a composite key, moving the row to another film',
      setup: (c) => {
        const a = mkActor(c);
        psql(c.db, `insert into film_actor (actor_id, film_id) values (${a.actor_id}, 1)`);
        return { a };
      },
      document: ({ a }) => `mutation { update_film_actor_by_pk(pk_columns: {actor_id: ${a.actor_id}, film_id: 1}, _set: {film_id: 2}) {
          actor_id film_id film { film_id title } actor { first_name } } }`,
      expect: ({ a }) => `select json_build_object('update_film_actor_by_pk', ${obj('fa', ['actor_id', 'film_id',
        ['film', `(select ${obj('f', ['film_id', 'title'])} from film f where f.film_id = fa.film_id)`],
        ['actor', `(select ${obj('x', ['first_name'])} from actor x where x.actor_id = fa.actor_id)`]])})
        from film_actor fa where fa.actor_id = ${a.actor_id}`,
      check: (d) => assert.equal(d.update_film_actor_by_pk.film.film_id, 2),
    },
    {
      name: 'update_T_by_pk of a missing composite key is null',
      document: () => 'mutation { update_film_actor_by_pk(pk_columns: {actor_id: -1, film_id: -1}, _set: {film_id: 2}) { actor_id } }',
      expect: () => `select json_build_object('update_film_actor_by_pk', null)`,
    },
    {
      name: 'update_T_many on actor: the second update finds the row by the first one\'s value',
      setup: (c) => ({ a: mkActor(c) }),
      document: ({ t, a }) => `mutation { update_actor_many(updates: [
            {where: {actor_id: {_eq: ${a.actor_id}}}, _set: {first_name: "${t}-1"}},
            {where: {first_name: {_eq: "${t}-1"}}, _set: {last_name: "second"}}]) {
          affected_rows returning { actor_id first_name last_name } } }`,
      expect: ({ t, a }) => `select json_build_object('update_actor_many', json_build_array(
          json_build_object('affected_rows', 1, 'returning', json_build_array(json_build_object('actor_id', ${a.actor_id}, 'first_name', '${t}-1', 'last_name', ${lit(a.last_name)}))),
          json_build_object('affected_rows', 1, 'returning', json_build_array(${obj('x', ['actor_id', 'first_name', 'last_name'])}))))
        from actor x where x.actor_id = ${a.actor_id}`,
      check: (d) => assert.equal(d.update_actor_many[1].returning[0].last_name, 'second'),
    },
  ]);
});

// ---------------------------------------------------------------------------------------
// Deletes

describe('delete (blog and Pagila)', () => {
  cases(blog, [
    {
      name: 'delete_T: affected_rows and the deleted rows, with a relationship to a row that remains',
      setup: (c) => {
        const p = mkPost(c, 1, 'p');
        return { p, cs: [mkComment(c, p.id, 2, 'c1'), mkComment(c, p.id, 3, 'c2')] };
      },
      before: ({ t }) => `select json_build_object('delete_comments', json_build_object('affected_rows', count(*), 'returning', json_agg(
          ${obj('c', ['id', 'body', 'author_id', ['post', `(select json_build_object('title', p.title) from posts p where p.id = c.post_id)`]])})))
        from comments c where c.body like '${t}-%'`,
      document: ({ t }) => `mutation { delete_comments(where: {body: {_like: "${t}-%"}}) { affected_rows returning { id body author_id post { title } } } }`,
      expect: ({ t, before }) => ifDone(`not exists (select 1 from comments where body like '${t}-%')`, before),
      sort: { 'delete_comments.returning': 'id' },
      check: (d) => assert.equal(d.delete_comments.affected_rows, 2),
    },
    {
      name: 'delete_T_by_pk returns the deleted row; the comments go with it (ON DELETE CASCADE)',
      setup: (c) => {
        const p = mkPost(c, 2, 'p', { metadata: { x: 1 } });
        mkComment(c, p.id, 1, 'c');
        return { p };
      },
      before: ({ p }) => `select json_build_object('delete_posts_by_pk', ${obj('p', ['id', 'title', 'metadata', 'author_id',
        ['author', `(select json_build_object('email', u.email) from users u where u.id = p.author_id)`]])}) from posts p where p.id = ${p.id}`,
      document: ({ p }) => `mutation { delete_posts_by_pk(id: ${p.id}) { id title metadata author_id author { email } } }`,
      expect: ({ p, before }) => ifDone(`not exists (select 1 from posts where id = ${p.id})
          and not exists (select 1 from comments where post_id = ${p.id})`, before),
    },
    {
      name: 'delete_T_by_pk of a missing row is null',
      document: () => 'mutation { delete_posts_by_pk(id: -1) { id title } }',
      expect: () => `select json_build_object('delete_posts_by_pk', null)`,
    },
    {
      name: 'delete_T with a where that matches nothing: affected_rows 0, returning []',
      document: ({ t }) => `mutation { delete_users(where: {email: {_eq: "${email(t, 'nobody')}"}}) { affected_rows returning { id } } }`,
      expect: () => `select json_build_object('delete_users', json_build_object('affected_rows', 0, 'returning', '[]'::json))`,
    },
    {
      name: 'delete_T_by_pk on a composite key',
      setup: (c) => {
        const p = mkPost(c, 1, 'p');
        psql(c.db, `insert into post_tags values (${p.id}, 'math'), (${p.id}, 'ai')`);
        return { p };
      },
      before: ({ p }) => `select json_build_object('delete_post_tags_by_pk', ${obj('pt', ['post_id', 'tag_name',
        ['post', `(select json_build_object('title', x.title) from posts x where x.id = pt.post_id)`]])})
        from post_tags pt where pt.post_id = ${p.id} and pt.tag_name = 'math'`,
      document: ({ p }) => `mutation { delete_post_tags_by_pk(post_id: ${p.id}, tag_name: "math") { post_id tag_name post { title } } }`,
      expect: ({ p, before }) => ifDone(`(select array_agg(tag_name) from post_tags where post_id = ${p.id}) = '{ai}'`, before),
    },
    {
      name: 'delete_T with a where through a relationship',
      setup: (c) => {
        const u = mkUser(c, 'a');
        return { u, ps: [mkPost(c, u.id, 'p1'), mkPost(c, u.id, 'p2'), mkPost(c, 1, 'p3')] };
      },
      before: ({ u }) => `select json_build_object('delete_posts', json_build_object('affected_rows', count(*),
          'returning', json_agg(${obj('p', ['id', 'title'])}))) from posts p where p.author_id = ${u.id}`,
      document: ({ t }) => `mutation { delete_posts(where: {author: {email: {_eq: "${email(t, 'a')}"}}}) { affected_rows returning { id title } } }`,
      expect: ({ t, u, before }) => ifDone(`not exists (select 1 from posts where author_id = ${u.id})
          and (select count(*) from posts where title like '${t}-%') = 1`, before),
      sort: { 'delete_posts.returning': 'id' },
      check: (d) => assert.equal(d.delete_posts.affected_rows, 2),
    },
  ]);

  cases(pagila, [
    {
      name: 'Pagila: delete_T_by_pk on film_actor\'s composite key, returning relationships',
      setup: (c) => {
        const a = one(c.db, `insert into actor (first_name, last_name) values ('${c.t}', 'X') returning actor_id`);
        psql(c.db, `insert into film_actor (actor_id, film_id) values (${a.actor_id}, 3), (${a.actor_id}, 4)`);
        return { a };
      },
      before: ({ a }) => `select json_build_object('delete_film_actor_by_pk', ${obj('fa', ['actor_id', 'film_id', 'last_update',
        ['actor', `(select ${obj('x', ['first_name'])} from actor x where x.actor_id = fa.actor_id)`],
        ['film', `(select ${obj('f', ['title'])} from film f where f.film_id = fa.film_id)`]])})
        from film_actor fa where fa.actor_id = ${a.actor_id} and fa.film_id = 3`,
      document: ({ a }) => `mutation { delete_film_actor_by_pk(actor_id: ${a.actor_id}, film_id: 3) { actor_id film_id last_update actor { first_name } film { title } } }`,
      expect: ({ a, before }) => ifDone(`(select array_agg(film_id) from film_actor where actor_id = ${a.actor_id}) = '{4}'`, before),
    },
    {
      name: 'Pagila: delete_T_by_pk of a missing composite key is null',
      document: () => 'mutation { delete_film_actor_by_pk(actor_id: -1, film_id: 1) { actor_id } }',
      expect: () => `select json_build_object('delete_film_actor_by_pk', null)`,
    },
    {
      name: 'Pagila: delete from a partitioned table by its primary key (payment_date, payment_id)',
      setup: (c) => ({
        p: one(c.db, `insert into payment (customer_id, staff_id, rental_id, amount, payment_date)
                      select 2, 2, min(rental_id), 1.11, '2022-05-05T05:05:05Z' from rental returning payment_id, payment_date`),
      }),
      before: ({ p }) => `select json_build_object('delete_payment_by_pk', ${obj('x', ['payment_id', 'payment_date', 'amount', 'customer_id'])})
        from payment x where x.payment_id = ${p.payment_id}`,
      document: ({ p }) => `mutation { delete_payment_by_pk(payment_date: "${p.payment_date}", payment_id: ${p.payment_id}) { payment_id payment_date amount customer_id } }`,
      expect: ({ p, before }) => ifDone(`not exists (select 1 from payment where payment_id = ${p.payment_id})`, before),
    },
    {
      name: 'Pagila: delete_T of several rows, returning a relationship (empty: they had no films)',
      setup: (c) => ({ as: many(c.db, `insert into actor (first_name, last_name) values ('${c.t}', 'X'), ('${c.t}', 'Y') returning actor_id`) }),
      before: ({ t }) => `select json_build_object('delete_actor', json_build_object('affected_rows', count(*), 'returning',
          json_agg(${obj('a', ['actor_id', 'last_name', ['film_actor', `'[]'::json`]])}))) from actor a where a.first_name = '${t}'`,
      document: ({ t }) => `mutation { delete_actor(where: {first_name: {_eq: "${t}"}}) { affected_rows returning { actor_id last_name film_actor { film_id } } } }`,
      expect: ({ t, before }) => ifDone(`not exists (select 1 from actor where first_name = '${t}')`, before),
      sort: { 'delete_actor.returning': 'actor_id' },
      check: (d) => assert.equal(d.delete_actor.affected_rows, 2),
    },
    {
      name: 'Pagila: delete_T where nothing matches',
      document: ({ t }) => `mutation { delete_actor(where: {first_name: {_eq: "${t}"}}) { affected_rows returning { actor_id } } }`,
      expect: () => `select json_build_object('delete_actor', json_build_object('affected_rows', 0, 'returning', '[]'::json))`,
    },
  ]);
});

// ---------------------------------------------------------------------------------------
// One request, several fields: run in order, in one transaction

describe('several mutation fields in one request', () => {
  it('run in order: each field sees the writes of the fields before it', () => runCase(blog, {
    name: 'in order',
    document: ({ t }) => `mutation {
        a: insert_users_one(object: {name: "${t} a", email: "${email(t, 'a')}"}) { id karma }
        b: update_users(where: {email: {_eq: "${email(t, 'a')}"}}, _inc: {karma: 5}) { affected_rows returning { karma } }
        c: update_users(where: {email: {_eq: "${email(t, 'a')}"}, karma: {_eq: 5}}, _set: {bio: "c saw b"}) { affected_rows returning { bio } }
        d: insert_posts(objects: [{title: "${t}-p", author_id: 1}]) { affected_rows }
        e: delete_posts(where: {title: {_eq: "${t}-p"}}) { affected_rows returning { title } } }`,
    expect: ({ t }) => `select coalesce((select json_build_object('a', json_build_object('id', u.id, 'karma', 0),
        'b', json_build_object('affected_rows', 1, 'returning', json_build_array(json_build_object('karma', 5))),
        'c', json_build_object('affected_rows', 1, 'returning', json_build_array(json_build_object('bio', u.bio))),
        'd', json_build_object('affected_rows', 1),
        'e', json_build_object('affected_rows', 1, 'returning', json_build_array(json_build_object('title', '${t}-p'))))
      from users u where u.email = '${email(t, 'a')}' and u.karma = 5 and u.bio = 'c saw b'
        and not exists (select 1 from posts where title = '${t}-p')), '"the database does not show all five writes"')`,
  }));

  it('each field is answered as of its own writes: a later delete does not empty an earlier returning', () => runCase(blog, {
    name: 'answered in turn',
    document: ({ t }) => `mutation {
        a: insert_users_one(object: {name: "${t} a", email: "${email(t, 'a')}",
                                     posts_by_author_id: {data: [{title: "${t}-p", comments: {data: [{body: "${t}-c", author_id: 1}]}}]}}) {
          posts_by_author_id { title comments { body } } }
        b: delete_comments(where: {body: {_eq: "${t}-c"}}) { affected_rows }
        c: update_users(where: {email: {_eq: "${email(t, 'a')}"}}, _set: {bio: "b"}) {
          returning { posts_by_author_id { comments_aggregate { aggregate { count } } } } } }`,
    expect: ({ t }) => `select json_build_object(
        'a', json_build_object('posts_by_author_id', json_build_array(json_build_object('title', '${t}-p',
             'comments', json_build_array(json_build_object('body', '${t}-c'))))),
        'b', json_build_object('affected_rows', 1),
        'c', json_build_object('returning', json_build_array(json_build_object('posts_by_author_id', json_build_array(
             json_build_object('comments_aggregate', json_build_object('aggregate', json_build_object('count',
               (select count(*) from comments where body = '${t}-c'))))))))) `,
  }));

  it('the same field twice under aliases: both applied, answered under their aliases in order', () => runCase(blog, {
    name: 'aliases',
    document: ({ t }) => `mutation {
        second: insert_users_one(object: {name: "${t} 1", email: "${email(t, 1)}"}) { id email }
        first: insert_users_one(object: {name: "${t} 2", email: "${email(t, 2)}"}) { id email } }`,
    expect: ({ t }) => `select json_build_object('second', (select ${obj('u', ['id', 'email'])} from users u where email = '${email(t, 1)}'),
        'first', (select ${obj('u', ['id', 'email'])} from users u where email = '${email(t, 2)}'))`,
    check: (d) => {
      assert.deepEqual(Object.keys(d), ['second', 'first']);
      assert.ok(d.second.id < d.first.id, 'inserted in document order');
    },
  }));

  it('the second field fails: the first is rolled back and data is null', async () => {
    const t = tag();
    const u = mkUser({ t, db: blog.db }, 'taken');
    await expectFailure(blog, `mutation {
        a: insert_users_one(object: {name: "${t} new", email: "${email(t, 'new')}"}) { id }
        b: delete_comments(where: {body: {_eq: "${t}-none"}}) { affected_rows }
        c: insert_users(objects: [{name: "${t} dup", email: "${u.email}"}]) { affected_rows } }`, undefined,
    { code: 'constraint-violation', constraint: 'users_email_key', sqlstate: '23505' });
    assert.equal(sqlJson(blog.db, `select count(*) from users where email = '${email(t, 'new')}'`), 0);
  });

  it('a delete, then a failing insert: the delete is rolled back', async () => {
    const t = tag();
    const p = mkPost({ t, db: blog.db }, 1, 'p');
    await expectFailure(blog, `mutation {
        delete_posts_by_pk(id: ${p.id}) { id }
        insert_comments_one(object: {body: "${t}-c", post_id: ${p.id}, author_id: 1}) { id } }`, undefined,
    { code: 'constraint-violation', constraint: 'comments_post_id_fkey', sqlstate: '23503' });
    assert.equal(sqlJson(blog.db, `select count(*) from posts where id = ${p.id}`), 1);
  });

  it('update_T_many whose last update fails: the earlier ones are rolled back', async () => {
    const t = tag();
    const u = mkUser({ t, db: blog.db }, 'x', { karma: 5 });
    await expectFailure(blog, `mutation { update_users_many(updates: [
        {where: {id: {_eq: ${u.id}}}, _inc: {karma: 1}},
        {where: {id: {_eq: ${u.id}}}, _set: {email: "ada@example.com"}}]) { affected_rows } }`, undefined,
    { code: 'constraint-violation', constraint: 'users_email_key', sqlstate: '23505' });
    assert.equal(sqlJson(blog.db, `select to_json(karma) from users where id = ${u.id}`), 5);
  });

  it('a nested insert failing at the third level: nothing of it remains', async () => {
    const t = tag();
    await expectFailure(blog, `mutation { insert_users(objects: [{name: "${t} u", email: "${email(t, 'u')}", posts_by_author_id: {data: [
        {title: "${t}-p1", comments: {data: [{body: "${t}-c1", author_id: 1}]}},
        {title: "${t}-p2", comments: {data: [{body: "${t}-c2", author_id: -1}]}}]}}]) { affected_rows } }`, undefined,
    { code: 'constraint-violation', constraint: 'comments_author_id_fkey', sqlstate: '23503' });
    assert.deepEqual(sqlJson(blog.db, `select json_build_array((select count(*) from users where email like '${t}-%'),
        (select count(*) from posts where title like '${t}-%'), (select count(*) from comments where body like '${t}-%'))`), [0, 0, 0]);
  });

  // Hasura inserts a nested object in steps (its parents, the row, its children) and
  // stops when a step that others take a key from wrote no row; so does graphpost.
  it('a parent that on_conflict skips stops the nested insert: not-supported, nothing written', async () => {
    const t = tag();
    const u = mkUser({ t, db: blog.db }, 'x');
    await expectFailure(blog, `mutation { insert_posts_one(object: {title: "${t}-p", author_id: 1,
        editor: {data: {name: "n", email: "${u.email}"}, on_conflict: {constraint: users_email_key, update_columns: []}}}) { id } }`,
    undefined, { code: 'not-supported', sqlstate: 'ZG001',
      message: /^cannot proceed to insert object relation "editor" since insert to table "users" affects zero rows$/ });
    await expectFailure(blog, `mutation { insert_users_one(object: {name: "n", email: "${u.email}",
        posts_by_author_id: {data: [{title: "${t}-p"}]}}, on_conflict: {constraint: users_email_key, update_columns: [name],
        where: {karma: {_gt: 100}}}) { id } }`,
    undefined, { code: 'not-supported', sqlstate: 'ZG001',
      message: /^cannot proceed to insert array relations since insert to table "users" affects zero rows$/ });
    // Without children to key, a skipped row is no error: it is simply not written.
    const d = await blog.gql.data(`mutation { insert_users(objects: [{name: "n", email: "${u.email}"}],
        on_conflict: {constraint: users_email_key, update_columns: []}) { affected_rows } }`);
    assert.deepEqual(d, { insert_users: { affected_rows: 0 } });
  });

  it('two objects of one field upserting the same parent: the second sees the first\'s row', async () => {
    const t = tag();
    const d = await blog.gql.data(`mutation { insert_posts(objects: [
        {title: "${t}-1", author: {data: {name: "first", email: "${email(t, 'a')}"}, on_conflict: {constraint: users_email_key, update_columns: [name]}}},
        {title: "${t}-2", author: {data: {name: "second", email: "${email(t, 'a')}"}, on_conflict: {constraint: users_email_key, update_columns: [name]}}}]) {
          affected_rows returning { title author { name email } } } }`);
    assert.deepEqual(d.insert_posts, { affected_rows: 4, returning: [
      { title: `${t}-1`, author: { name: 'second', email: email(t, 'a') } },
      { title: `${t}-2`, author: { name: 'second', email: email(t, 'a') } }] });
    assert.equal(sqlJson(blog.db, `select count(distinct author_id) from posts where title like '${t}-%'`), 1);
  });

  it('an on_conflict where over a relationship sees the rows earlier objects of the field wrote', async () => {
    const t = tag();
    const d = await blog.gql.data(`mutation { insert_users(objects: [
        {name: "first", email: "${email(t, 'a')}", posts_by_author_id: {data: [{title: "${t}-p1"}]}},
        {name: "second", email: "${email(t, 'a')}", posts_by_author_id: {data: [{title: "${t}-p2"}]}}],
        on_conflict: {constraint: users_email_key, update_columns: [name], where: {posts_by_author_id: {title: {_eq: "${t}-p1"}}}}) {
          affected_rows returning { name posts_by_author_id(order_by: {title: asc}) { title } } } }`);
    // Each returned row as its step wrote it (Hasura's too); relationships as they are at the end.
    const posts = [{ title: `${t}-p1` }, { title: `${t}-p2` }];
    assert.deepEqual(d.insert_users, { affected_rows: 4, returning: [
      { name: 'first', posts_by_author_id: posts }, { name: 'second', posts_by_author_id: posts }] });
  });

  it('Pagila: a nested insert whose object relationship fails after the parent of another object succeeded', async () => {
    const t = tag();
    await expectFailure(pagila, `mutation {
        ok: insert_country_one(object: {country: "${t}-ok", city: {data: [{city: "${t}-c"}]}}) { country_id }
        bad: insert_address_one(object: {address: "${t}", district: "d", phone: "1", city: {data: {city: "${t}-c2", country_id: -1}}}) { address_id } }`,
    undefined, { code: 'constraint-violation', constraint: 'city_country_id_fkey', sqlstate: '23503' });
    assert.equal(sqlJson(pagila.db, `select count(*) from country where country like '${t}-%'`), 0);
  });
});

// ---------------------------------------------------------------------------------------
// Errors

describe('errors: a failing mutation answers data null, applies nothing', () => {
  const errorCases = [
    // [name, target, setup(ctx) → ctx additions, document(ctx), {code, constraint, message, sqlstate}]
    ['unique violation (23505)', blog, (c) => ({ u: mkUser(c, 'x') }),
      ({ t, u }) => `mutation { insert_users_one(object: {name: "${t}", email: "${u.email}"}) { id } }`,
      { code: 'constraint-violation', constraint: 'users_email_key', sqlstate: '23505', message: /duplicate key value violates unique constraint "users_email_key"/ }],
    ['unique violation of the primary key, from an update', blog, (c) => ({ p: mkPost(c, 1, 'p') }),
      ({ p }) => `mutation { update_posts_by_pk(pk_columns: {id: ${p.id}}, _set: {id: 1}) { id } }`,
      { code: 'constraint-violation', constraint: 'posts_pkey', sqlstate: '23505' }],
    ['foreign key violation on insert (23503)', blog, null,
      ({ t }) => `mutation { insert_posts_one(object: {title: "${t}", author_id: -1}) { id } }`,
      { code: 'constraint-violation', constraint: 'posts_author_id_fkey', sqlstate: '23503', message: /violates foreign key constraint "posts_author_id_fkey"/ }],
    ['foreign key violation on update', blog, (c) => ({ p: mkPost(c, 1, 'p') }),
      ({ p }) => `mutation { update_posts(where: {id: {_eq: ${p.id}}}, _set: {editor_id: -5}) { affected_rows } }`,
      { code: 'constraint-violation', constraint: 'posts_editor_id_fkey', sqlstate: '23503' }],
    ['foreign key violation on delete (a referenced row)', blog, (c) => {
      const u = mkUser(c, 'x');
      mkPost(c, u.id, 'p');
      return { u };
    }, ({ u }) => `mutation { delete_users_by_pk(id: ${u.id}) { id } }`,
    { code: 'constraint-violation', constraint: 'posts_author_id_fkey', sqlstate: '23503', message: /violates foreign key constraint "posts_author_id_fkey" on table "posts"/ }],
    ['check violation on insert (23514)', blog, null,
      ({ t }) => `mutation { insert_mut_checked(objects: [{label: "${t}", qty: 0}]) { affected_rows } }`,
      { code: CHECK_VIOLATION_CODE, constraint: 'mut_checked_qty_positive', sqlstate: '23514', message: /violates check constraint "mut_checked_qty_positive"/ }],
    ['check violation from _inc', blog, (c) => ({ m: one(c.db, `insert into mut_checked (label, qty) values ('${c.t}', 3) returning id`) }),
      ({ m }) => `mutation { update_mut_checked_by_pk(pk_columns: {id: ${m.id}}, _inc: {qty: -3}) { qty } }`,
      { code: CHECK_VIOLATION_CODE, constraint: 'mut_checked_qty_positive', sqlstate: '23514' }],
    ['not-null violation, the column left out (23502)', blog, null,
      ({ t }) => `mutation { insert_users_one(object: {email: "${email(t, 'x')}"}) { id } }`,
      { code: 'constraint-violation', constraint: null, sqlstate: '23502', message: /null value in column "name" of relation "users" violates not-null constraint/ }],
    ['not-null violation, an explicit null', blog, null,
      () => 'mutation { insert_posts_one(object: {title: null, author_id: 1}) { id } }',
      { code: 'constraint-violation', constraint: null, sqlstate: '23502' }],
    ['not-null violation from _set', blog, (c) => ({ u: mkUser(c, 'x') }),
      ({ u }) => `mutation { update_users_by_pk(pk_columns: {id: ${u.id}}, _set: {name: null}) { id } }`,
      { code: 'constraint-violation', constraint: null, sqlstate: '23502' }],
    ['data exception: numeric overflow (22003)', blog, null,
      ({ t }) => `mutation { insert_posts_one(object: {title: "${t}", author_id: 1, rating: 1000}) { id } }`,
      { code: 'data-exception', sqlstate: '22003', message: /numeric field overflow/ }],
    ['data exception: _delete_elem on a jsonb object (22023)', blog, (c) => ({ p: mkPost(c, 1, 'p', { metadata: { a: 1 } }) }),
      ({ p }) => `mutation { update_posts_by_pk(pk_columns: {id: ${p.id}}, _delete_elem: {metadata: 0}) { id } }`,
      { code: 'data-exception', sqlstate: '22023' }],
    ['permission error: insufficient_privilege raised while writing (42501)', blog, null,
      ({ t }) => `mutation { insert_mut_checked_one(object: {label: "${t}", qty: 1, guarded: "refuse"}) { id } }`,
      { code: 'permission-error', sqlstate: '42501', message: /writing a guarded row is not allowed/ }],
    ['an error inside a VOLATILE function mutation', blog, null,
      ({ t }) => `mutation { add_checked(args: {lbl: "${t}", n: -1}) { id } }`,
      { code: CHECK_VIOLATION_CODE, constraint: 'mut_checked_qty_positive', sqlstate: '23514' }],
    ['Pagila: a domain\'s check constraint (year_check)', pagila, null,
      ({ t }) => `mutation { insert_film_one(object: {title: "${t}", language_id: 1, release_year: 1800}) { film_id } }`,
      { code: CHECK_VIOLATION_CODE, constraint: 'year_check', sqlstate: '23514', message: /violates check constraint "year_check"/ }],
    ['Pagila: a unique index that is not a constraint (idx_unq_manager_staff_id)', pagila, null,
      () => 'mutation { insert_store_one(object: {manager_staff_id: 1, address_id: 1}) { store_id } }',
      { code: 'constraint-violation', constraint: 'idx_unq_manager_staff_id', sqlstate: '23505' }],
    ['Pagila: ON DELETE RESTRICT', pagila, null,
      () => 'mutation { delete_language_by_pk(language_id: 1) { language_id } }',
      { code: 'constraint-violation', constraint: 'film_language_id_fkey', sqlstate: '23503' }],
    ['Pagila: a foreign key to film', pagila, null,
      () => 'mutation { insert_inventory(objects: [{film_id: -1, store_id: 1}]) { affected_rows } }',
      { code: 'constraint-violation', constraint: 'inventory_film_id_fkey', sqlstate: '23503' }],
    ['Pagila: no partition for the row (23514, no constraint)', pagila, null,
      () => 'mutation { insert_payment_one(object: {customer_id: 1, staff_id: 1, rental_id: 1, amount: 1, payment_date: "2030-01-01T00:00:00Z"}) { payment_id } }',
      { code: CHECK_VIOLATION_CODE, constraint: null, sqlstate: '23514', message: /no partition of relation "payment" found for row/ }],
    ['Pagila: not-null', pagila, null,
      ({ t }) => `mutation { insert_actor_one(object: {first_name: "${t}"}) { actor_id } }`,
      { code: 'constraint-violation', constraint: null, sqlstate: '23502' }],
    ['Pagila: numeric overflow in numeric(4,2)', pagila, null,
      ({ t }) => `mutation { insert_film_one(object: {title: "${t}", language_id: 1, rental_rate: 100}) { film_id } }`,
      { code: 'data-exception', sqlstate: '22003' }],
  ];
  for (const [name, target, setup, document, expected] of errorCases) {
    it(name, async () => {
      const c = { t: tag(), db: target.db };
      if (setup) Object.assign(c, setup(c));
      await expectFailure(target, document(c), undefined, expected);
    });
  }

  it('the server answers afterwards', async () => {
    const d = await blog.gql.data('{ users_by_pk(id: 1) { id } }');
    assert.deepEqual(d, { users_by_pk: { id: 1 } });
  });
});

describe('requests refused before they run: nothing applied', () => {
  const V = 'GRAPHQL_VALIDATION_FAILED';
  it('an unknown column in objects, beside a valid field', async () => {
    const t = tag();
    await expectRefused(blog, `mutation {
        ok: insert_users_one(object: {name: "${t}", email: "${email(t, 'ok')}"}) { id }
        bad: insert_users(objects: [{name: "${t}", email: "${email(t, 'bad')}", nope: 1}]) { affected_rows } }`, undefined, V,
    /"nope" is not defined by type "users_insert_input"/);
  });
  it('an unknown constraint', () => expectRefused(blog,
    'mutation { insert_users(objects: [{name: "x", email: "x"}], on_conflict: {constraint: users_nope_key, update_columns: []}) { affected_rows } }', undefined, V));
  it('an unknown update column', () => expectRefused(blog,
    'mutation { insert_users(objects: [{name: "x", email: "x"}], on_conflict: {constraint: users_email_key, update_columns: [nope]}) { affected_rows } }', undefined, V));
  it('_inc on a text column', () => expectRefused(blog,
    'mutation { update_users(where: {id: {_eq: 1}}, _inc: {name: 1}) { affected_rows } }', undefined, V));
  it('a jsonb operator on a table without jsonb columns', () => expectRefused(blog,
    'mutation { update_users(where: {id: {_eq: 1}}, _append: {bio: "x"}) { affected_rows } }', undefined, V));
  it('delete_T without where', () => expectRefused(blog, 'mutation { delete_users { affected_rows } }', undefined, V));
  it('update_T_by_pk without pk_columns', () => expectRefused(blog, 'mutation { update_users_by_pk(_set: {bio: "x"}) { id } }', undefined, V));
  it('a query field in a mutation', () => expectRefused(blog, 'mutation { users { id } }', undefined, V));
  it('a mutation field in a query', () => expectRefused(blog, '{ delete_users(where: {}) { affected_rows } }', undefined, V));
  it('a selection on the mutation response that does not exist', () => expectRefused(blog,
    'mutation { delete_users(where: {id: {_eq: -1}}) { affected_rows count } }', undefined, V));
  it('objects from a variable with an unknown field: BAD_USER_INPUT', () => expectRefused(blog,
    'mutation($o: [users_insert_input!]!) { insert_users(objects: $o) { affected_rows } }',
    { o: [{ name: 'x', email: email(tag(), 'v'), nope: 1 }] }, 'BAD_USER_INPUT'));

  // Hasura: "At least any one of _set, _inc operators or the jsonb operators ... is required."
  it('an update with no operator at all is an error', async () => {
    const t = tag();
    const u = mkUser({ t, db: blog.db }, 'x');
    const before = fingerprint(blog);
    const r = await blog.gql.post(`mutation { update_users(where: {id: {_eq: ${u.id}}}) { affected_rows } }`);
    assert.ok(r.body?.errors?.length, r.text);
    assert.ok(r.body.data == null, r.text);
    assert.deepEqual(fingerprint(blog), before);
  });
});

// ---------------------------------------------------------------------------------------
// HTTP

describe('mutations over HTTP', () => {
  it('GET with a mutation is refused with 405 (Allow: POST), and nothing is written', async () => {
    const t = tag();
    const before = fingerprint(blog);
    const u = new URL(`${blog.srv.url}/graphql`);
    u.searchParams.set('query', `mutation { insert_users_one(object: {name: "${t}", email: "${email(t, 'get')}"}) { id } }`);
    for (const accept of ['application/json', 'application/graphql-response+json']) {
      const r = await fetch(u, { headers: { accept } });
      await r.text();
      assert.equal(r.status, 405, accept);
      assert.equal(r.headers.get('allow'), 'POST');
    }
    assert.deepEqual(fingerprint(blog), before);
  });

  it('GET of a document holding a query and a mutation: the query may be run, the mutation is refused', async () => {
    const t = tag();
    const before = fingerprint(blog);
    const u = new URL(`${blog.srv.url}/graphql`);
    u.searchParams.set('query', `query Q { users_by_pk(id: 1) { id } } mutation M { insert_users_one(object: {name: "${t}", email: "${email(t, 'get')}"}) { id } }`);
    u.searchParams.set('operationName', 'Q');
    const q = await fetch(u, { headers: { accept: 'application/json' } });
    assert.equal(q.status, 200);
    assert.deepEqual(await q.json(), { data: { users_by_pk: { id: 1 } } });
    u.searchParams.set('operationName', 'M');
    const m = await fetch(u, { headers: { accept: 'application/json' } });
    await m.text();
    assert.equal(m.status, 405);
    assert.deepEqual(fingerprint(blog), before);
  });

  it('POST of a document holding a query and a mutation runs the operation operationName names', async () => {
    const t = tag();
    const document = `query Q { users_by_pk(id: 1) { id } } mutation M { insert_users_one(object: {name: "${t}", email: "${email(t, 'post')}"}) { email } }`;
    const before = fingerprint(blog);
    const none = await blog.gql.post(document); // which one? refused, nothing written
    assert.ok(none.body?.errors?.length, none.text);
    assert.deepEqual(fingerprint(blog), before);
    const q = await blog.gql.post(document, undefined, { operationName: 'Q' });
    assert.deepEqual(q.body, { data: { users_by_pk: { id: 1 } } });
    assert.deepEqual(fingerprint(blog), before);
    const m = await blog.gql.post(document, undefined, { operationName: 'M' });
    assert.deepEqual(m.body, { data: { insert_users_one: sqlJson(blog.db,
      `select json_build_object('email', email) from users where email = '${email(t, 'post')}'`) } });
  });
});

// ---------------------------------------------------------------------------------------
// VOLATILE functions

describe('VOLATILE functions as mutation fields', () => {
  cases(blog, [
    {
      name: 'bump_karma (returns one users row): with both arguments, then with the defaulted one left out',
      setup: (c) => ({ u: mkUser(c, 'x', { karma: 10 }) }),
      document: ({ u }) => `mutation {
          a: bump_karma(args: {user_id: ${u.id}, by: 5}) { id karma }
          b: bump_karma(args: {user_id: ${u.id}}) { id karma email posts_by_author_id { id } } }`,
      expect: ({ u }) => `select json_build_object('a', json_build_object('id', id, 'karma', karma - 1),
          'b', json_build_object('id', id, 'karma', karma, 'email', email, 'posts_by_author_id', '[]'::json)) from users where id = ${u.id}`,
      check: (d, { u }) => assert.deepEqual([d.a.karma, d.b.karma], [u.karma + 5, u.karma + 6]),
    },
    {
      name: 'a SETOF function: every row it writes is written; where/order_by/limit pick the rows returned',
      setup: (c) => {
        const u = mkUser(c, 'x');
        return { u, ps: ['keep-1', 'keep-2', 'other'].map((s) => mkPost(c, u.id, s)) };
      },
      document: ({ u }) => `mutation { archive_posts_of(args: {uid: ${u.id}}, where: {title: {_like: "%-keep-%"}}, order_by: {id: desc}) {
          id title status author { email } } }`,
      expect: ({ u }) => `select json_build_object('archive_posts_of', ${list(`select ${obj('p', ['id', 'title', 'status',
        ['author', `(select json_build_object('email', x.email) from users x where x.id = p.author_id)`]])}
        from posts p where p.author_id = ${u.id} and p.title like '%-keep-%' order by p.id desc`)})`,
      check: (d, { u }) => {
        assert.equal(d.archive_posts_of.length, 2);
        assert.deepEqual(sqlJson(blog.db, `select json_agg(distinct status) from posts where author_id = ${u.id}`), ['archived']);
      },
    },
    {
      name: 'a function returning a row of a test-local table; its arguments from variables',
      document: () => 'mutation($l: String!, $n: Int) { add_checked(args: {lbl: $l, n: $n}) { id label qty } }',
      variables: ({ t }) => ({ l: t, n: 4 }),
      expect: ({ t }) => `select json_build_object('add_checked', ${obj('m', ['id', 'label', 'qty'])}) from mut_checked m where m.label = '${t}'`,
    },
    {
      name: 'a function returning a scalar, twice in one request: run in order',
      document: () => 'mutation { first: next_ticket second: next_ticket }',
      expect: () => `select json_build_object('first', last_value - 1, 'second', last_value) from mut_tickets`,
    },
  ]);
});

// ---------------------------------------------------------------------------------------
// Concurrency

describe('concurrent mutations', () => {
  it('100 clients inserting 50 rows each: exactly 5000 rows, every id answered once', async () => {
    const t = tag();
    const CLIENTS = 100;
    const ROWS = 50;
    const one_ = 'mutation($o: posts_insert_input!) { insert_posts_one(object: $o) { id title } }';
    const batch = 'mutation($o: [posts_insert_input!]!) { insert_posts(objects: $o) { affected_rows returning { id } } }';
    const answered = await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
      const ids = [];
      if (c % 2 === 0) { // one row per request
        for (let i = 0; i < ROWS; i++) {
          const d = await blog.gql.data(one_, { o: { author_id: 1 + (c % 4), title: `${t}-c${c}-r${i}` } });
          assert.equal(d.insert_posts_one.title, `${t}-c${c}-r${i}`);
          ids.push(d.insert_posts_one.id);
        }
      } else { // ten rows per request
        for (let i = 0; i < ROWS; i += 10) {
          const o = Array.from({ length: 10 }, (_, k) => ({ author_id: 1 + (c % 4), title: `${t}-c${c}-r${i + k}` }));
          const d = await blog.gql.data(batch, { o });
          assert.equal(d.insert_posts.affected_rows, 10);
          ids.push(...d.insert_posts.returning.map((r) => r.id));
        }
      }
      return ids;
    }));
    const got = answered.flat().sort((a, b) => a - b);
    const db = sqlJson(blog.db, `select json_build_object('count', count(*), 'titles', count(distinct title),
        'ids', coalesce(json_agg(id order by id), '[]')) from posts where title like '${t}-c%'`);
    assert.equal(db.count, CLIENTS * ROWS);
    assert.equal(db.titles, CLIENTS * ROWS);
    assert.deepEqual(got, db.ids);
  });

  it('100 concurrent _inc of one row: every increment applied, each answer a distinct step', async () => {
    const t = tag();
    const u = mkUser({ t, db: blog.db }, 'x', { karma: 1000 });
    const N = 100;
    const karmas = await Promise.all(Array.from({ length: N }, () =>
      blog.gql.data(`mutation { update_users_by_pk(pk_columns: {id: ${u.id}}, _inc: {karma: 1}) { karma } }`)
        .then((d) => d.update_users_by_pk.karma)));
    assert.equal(sqlJson(blog.db, `select to_json(karma) from users where id = ${u.id}`), u.karma + N);
    assert.deepEqual(karmas.sort((a, b) => a - b), Array.from({ length: N }, (_, i) => u.karma + 1 + i));
  });

  it('50 concurrent upserts of one new key: one row, every request answered with it', async () => {
    const t = tag();
    const N = 50;
    const rows = await Promise.all(Array.from({ length: N }, (_, i) => blog.gql.data(`mutation {
        insert_users_one(object: {name: "${t} n${i}", email: "${email(t, 'same')}"},
          on_conflict: {constraint: users_email_key, update_columns: [name]}) { id name } }`).then((d) => d.insert_users_one)));
    const db = sqlJson(blog.db, `select json_build_object('count', count(*), 'id', min(id), 'name', min(name)) from users where email = '${email(t, 'same')}'`);
    assert.equal(db.count, 1);
    for (const r of rows) assert.equal(r.id, db.id);
    assert.ok(rows.some((r) => r.name === db.name), 'the last writer\'s name is one of the answers');
    assert.deepEqual(new Set(rows.map((r) => r.name)).size, N, 'each request answered its own write');
  });
});
