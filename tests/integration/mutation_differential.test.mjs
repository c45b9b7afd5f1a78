// The random mutation differential test (issue 9, must-show 9): random sequences of
// mutations applied to graphpost and, by this file's own SQL, to a twin database; every
// answer and, after every operation, every table must be equal.
//
// For each of examples/blog (schema + seed) and Pagila (schema + data) two databases are
// made: gp_mdiff_[pagila_]gql, served by a graphpost of this file's own, and
// gp_mdiff_[pagila_]sql, the twin, which only this file's SQL changes. A seeded generator
// (GP_MDIFF_SEED replays a run, the seed is printed; GP_MDIFF_OPS operations per database,
// default 300; GP_MDIFF_DB=blog or pagila runs one) makes operations of 1-3 root fields:
// insert_T and insert_T_one (with nested inserts 1-3 levels deep through object and array
// relationships: users → posts_by_author_id → comments, comments → post → author, posts →
// post_tags → tags, language → film_by_original_language_id → film_actor → actor, …),
// on_conflict (update_columns with and without where, and []), update_T (where with
// _eq/_neq/_gt/…/_in/_nin/_is_null/_like/_has_key/_contains, _and/_or/_not and
// relationship filters; _set, _inc, _append, _prepend, _delete_key, _delete_elem,
// _delete_at_path), update_T_by_pk, update_T_many, delete_T and delete_T_by_pk, over
// blog's users, posts, comments, tags and post_tags and Pagila's language, category,
// actor, film, film_actor and film_category (an enum whose labels are not GraphQL names,
// the year domain and its check, smallint, numeric(p,s), character(20), text[], composite
// keys, two foreign keys to one table, ON UPDATE CASCADE, triggers); the answers select
// columns, __typename and now and then object and array relationships. Any argument,
// input object or value may be sent as a variable. The generator reads the twin's rows
// after every operation (Pagila's after every 10th), so upserts often meet a row that is there, filters pick rows that
// exist, deletes mostly pick rows nothing refers to, and a few values are wrong on purpose
// (a key taken, a foreign key to nothing, a required column left out, a numeric too large,
// a smallint out of range, a year outside its domain, a timestamp that is none,
// _delete_elem on an object). Every inserted row has an explicit key and an explicit
// created_at, so neither sequences nor now() can tell the databases apart; Pagila's
// last_update, which a trigger sets to now() on every update, is left out everywhere.
//
// The twin runs each operation as one transaction through one long-lived psql: the root
// fields in document order, each as the statements Hasura runs for it (a nested insert:
// for each object its object relationships' rows first, then the row, then its array
// relationships' rows; each statement's RETURNING gives its children their keys through
// psql's \gset; a relationship whose insert affects zero rows is an error, as in Hasura),
// which are graphpost's statements too. Relationships in an answer are read right after
// the field's writes (after each update of update_T_many), as Hasura answers one field
// after the other. Before each statement the twin tries the values graphpost binds to it,
// in graphpost's parameter order (PostgreSQL reads bound parameters, and folds them into
// the columns' types while planning, before it runs any part of it; the graphpost
// database plans with force_custom_plan, so that this does not depend on how often a
// shape was prepared before). The twin COMMITs when graphpost answered data and
// ROLLBACKs when it answered an error; the two must agree on whether the operation failed
// and on the class of the error (extensions.code for SQLSTATE class 23 and 22, the
// SQLSTATE itself otherwise, and for "affects zero rows" the message too). The
// answer must be what the twin's RETURNING gave: affected_rows, `returning` (in insertion
// order for inserts, as a multiset for updates and deletes) and the one-row fields,
// __typename included. After every operation an md5 of every table of both databases is
// compared (the tables written and those that refer to them), and every 50 operations and
// at the end every row.
//
// On the first failure the run stops: the seed, the operation's index, its GraphQL,
// variables, the twin's SQL and both results are printed and written to
// $GP_LOG_DIR/mutation-differential-failures-<db>.json.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { need, post, psql, startServer } from '../lib/gql.mjs';
import { makeRng } from '../lib/diffgen.mjs';

const SEED = process.env.GP_MDIFF_SEED ? Number(process.env.GP_MDIFF_SEED) : 20260915;
const OPS = Number(process.env.GP_MDIFF_OPS || 300);
const FULL_EVERY = 50; // every row of both databases compared this often (md5s after every operation)

const root = new URL('../../', import.meta.url).pathname;
const pg = { host: need('PGHOST'), port: need('PGPORT'), user: process.env.PGUSER || 'postgres' };
const dbUrl = (db) => `postgres://${pg.user}@${pg.host}:${pg.port}/${db}`;
// GP_MDIFF_DB=blog or pagila: only that database.
const ONLY = process.env.GP_MDIFF_DB;

// ---------------------------------------------------------------------------------------
// The databases as this file knows them (relationship names as tests/unit/schema/golden/
// <db>.graphql has them). A table: `pk`; `key`, its one-column key that children of an
// array relationship take (none for a link table); `cols` by type (types below), of which
// `req` must be given (NOT NULL, no default), `always` are always given (now() defaults),
// `gens` make their values themselves, `typmods` give the column's type where a value may
// not fit it; `constraints` (unique ones: on_conflict); `fresh` makes the unique keys of a
// new row; `obj`/`arr` relationships, `col` being the referencing column and `ref` the
// referenced one (an object relationship's `col` is on this table, an array
// relationship's on the target); `inc` the columns _inc takes; `notNull` the NOT NULL
// columns with a default (null for them is rare).

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'engine', 'notes', 'relay', 'moth', 'loop', 'proof', 'machine', 'draft'];
const ODD_TEXT = ["it's", 'say "hi"', 'back\\slash', 'ünïcödé', '😀 emoji', '50% _off_', 'tab\there', 'line\nbreak', '', ':colon :x'];
const TAG_POOL = ['math', 'history', 'ai', 'philosophy', 'c', 'sql', 'graphs', 'news', 'misc', 'music'];
const FEATURES = ['Trailers', 'Commentaries', 'Deleted Scenes', 'Behind the Scenes'];
const JSON_KEYS = ['a', 'b', 'n', 'words', 'k y'];

// Per type: its SQL name, the comparison operators the generator uses, a value, an _inc step.
const TYPES = {
  Int: { sql: 'int', ops: 'ord', gen: (g) => g.r.int(0, 1000), inc: (g) => g.r.pick([1, -1, 2]) },
  smallint: {
    sql: 'smallint', ops: 'ord',
    gen: (g) => (g.r.chance(0.01) ? (g.feature('value: smallint out of range'), 40000) : g.r.int(1, 200)),
    inc: (g) => g.r.pick([1, -1, 30, 20000]),
  },
  bigint: { sql: 'bigint', ops: 'ord', gen: (g) => g.r.int(-50, 300), inc: (g) => g.r.int(-20, 20) },
  numeric: { sql: 'numeric', ops: 'ord', gen: (g) => g.r.int(0, 500) / 10, inc: (g) => g.r.pick([0.5, -1, 2.25, 10, 60]) },
  year: {
    sql: 'year', ops: 'ord',
    gen: (g) => (g.r.chance(0.01) ? (g.feature('value: year outside its domain'), 1800) : g.r.int(1950, 2024)),
  },
  String: { sql: 'text', ops: 'text', gen: (g) => g.text() },
  bpchar: { sql: 'bpchar', ops: 'text', gen: (g) => `${g.r.pick(WORDS)}${g.r.int(0, 99)}` },
  timestamptz: { sql: 'timestamptz', ops: 'ord', gen: (g) => g.time() },
  jsonb: { sql: 'jsonb', ops: 'json', gen: (g) => g.json() },
  '[String!]': { sql: 'text[]', ops: null, gen: (g) => g.r.sample(TAG_POOL, g.r.int(0, 3)) },
  post_status: { sql: 'post_status', ops: 'ord', gen: (g) => g.r.pick(['draft', 'published', 'archived']) },
  mpaa_rating: { sql: 'mpaa_rating', ops: 'ord', gen: (g) => g.r.pick(['G', 'PG', 'PG-13', 'R', 'NC-17']) },
  tsvector: { sql: 'tsvector', ops: null },
};

const BLOG = {
  name: 'blog',
  gqlDb: 'gp_mdiff_gql',
  sqlDb: 'gp_mdiff_sql',
  files: ['examples/blog/schema.sql', 'examples/blog/seed.sql'],
  weights: { users: 2, posts: 3, comments: 2, tags: 1, post_tags: 1 },
  must: ['_append', '_prepend', '_delete_key', '_delete_elem', '_delete_at_path'],
  // Compared too, and read for what refers to users (their user-id).
  others: { 'Odd Table': { pk: ['id'], refs: [{ col: 'user-id', table: 'users', ref: 'id' }] } },
  omit: [],
  stateEvery: 1,
  tables: {
    users: {
      pk: ['id'], key: 'id',
      cols: { id: 'Int', name: 'String', email: 'String', bio: 'String', karma: 'bigint', created_at: 'timestamptz' },
      req: ['name', 'email'], always: ['created_at'], notNull: ['karma'],
      gens: { email: (g) => g.email() },
      constraints: { users_pkey: ['id'], users_email_key: ['email'] },
      fresh: (g) => ({ id: g.counter('users', 1000), email: g.email() }),
      obj: {},
      arr: {
        posts_by_author_id: { table: 'posts', col: 'author_id', ref: 'id' },
        posts_by_editor_id: { table: 'posts', col: 'editor_id', ref: 'id' },
        comments: { table: 'comments', col: 'author_id', ref: 'id' },
      },
      inc: ['karma'],
    },
    posts: {
      pk: ['id'], key: 'id',
      cols: {
        id: 'Int', author_id: 'Int', editor_id: 'Int', title: 'String', body: 'String', status: 'post_status',
        tags: '[String!]', metadata: 'jsonb', rating: 'numeric', created_at: 'timestamptz',
      },
      req: ['author_id', 'title'], always: ['created_at'], notNull: ['body', 'status', 'tags'],
      gens: {
        rating: (g) => (g.r.chance(0.015) ? (g.feature('value: numeric too large for its column'), 123.4)
          : g.r.pick([g.r.int(0, 50) / 10, g.r.int(0, 500) / 100, 5, 99.9])),
      },
      typmods: { rating: 'numeric(3,1)' },
      constraints: { posts_pkey: ['id'] },
      fresh: (g) => ({ id: g.counter('posts', 1000) }),
      obj: { author: { table: 'users', col: 'author_id', ref: 'id' }, editor: { table: 'users', col: 'editor_id', ref: 'id' } },
      arr: { comments: { table: 'comments', col: 'post_id', ref: 'id' }, post_tags: { table: 'post_tags', col: 'post_id', ref: 'id' } },
      inc: ['rating', 'editor_id'],
    },
    comments: {
      pk: ['id'], key: 'id',
      cols: { id: 'Int', post_id: 'Int', author_id: 'Int', body: 'String', created_at: 'timestamptz' },
      req: ['post_id', 'author_id', 'body'], always: ['created_at'],
      constraints: { comments_pkey: ['id'] },
      fresh: (g) => ({ id: g.counter('comments', 1000) }),
      obj: { post: { table: 'posts', col: 'post_id', ref: 'id' }, author: { table: 'users', col: 'author_id', ref: 'id' } },
      arr: {},
      inc: ['author_id'],
    },
    tags: {
      pk: ['name'], key: 'name',
      cols: { name: 'String', description: 'String' },
      req: ['name'],
      constraints: { tags_pkey: ['name'] },
      // Now and then a name from a pool, which may be taken.
      fresh: (g) => ({ name: g.r.chance(0.25) ? g.r.pick(TAG_POOL) : `tag${g.counter('tags', 0)}` }),
      obj: {},
      arr: { post_tags: { table: 'post_tags', col: 'tag_name', ref: 'name' } },
      inc: [],
    },
    post_tags: {
      pk: ['post_id', 'tag_name'], key: null,
      cols: { post_id: 'Int', tag_name: 'String' },
      req: ['post_id', 'tag_name'],
      constraints: { post_tags_pkey: ['post_id', 'tag_name'] },
      obj: { post: { table: 'posts', col: 'post_id', ref: 'id' }, tags: { table: 'tags', col: 'tag_name', ref: 'name' } },
      arr: {},
      // Not post_id: `post_id + 1` over several rows may pass through a duplicate key or not,
      // depending on the order the rows are visited in, which the two databases need not share.
      inc: [],
    },
  },
};

// Pagila's films and what they link to. Its last_update columns are left out everywhere:
// a trigger sets them to now() on every update.
const PAGILA = {
  name: 'pagila',
  gqlDb: 'gp_mdiff_pagila_gql',
  sqlDb: 'gp_mdiff_pagila_sql',
  files: ['examples/pagila/schema.sql', 'examples/pagila/data.sql'],
  weights: { language: 1, category: 1, actor: 2, film: 3, film_actor: 2, film_category: 2 },
  must: [],
  others: {
    inventory: { pk: ['inventory_id'], cols: ['inventory_id', 'film_id', 'store_id'], refs: [{ col: 'film_id', table: 'film', ref: 'film_id' }] },
  },
  // fulltext: what a trigger makes of title and description, which are compared; costly to print.
  omit: ['last_update', 'fulltext'],
  // Its rows are many: the generator's view of them is read every 10 operations (a view a
  // few operations old only changes which mistakes the generator makes, never what the
  // twin expects).
  stateEvery: 10,
  tables: {
    language: {
      pk: ['language_id'], key: 'language_id',
      cols: { language_id: 'Int', name: 'bpchar' },
      req: ['name'],
      constraints: { language_pkey: ['language_id'] },
      fresh: (g) => ({ language_id: g.counter('language', 100) }),
      obj: {},
      arr: {
        film_by_language_id: { table: 'film', col: 'language_id', ref: 'language_id' },
        film_by_original_language_id: { table: 'film', col: 'original_language_id', ref: 'language_id' },
      },
      inc: [],
    },
    category: {
      pk: ['category_id'], key: 'category_id',
      cols: { category_id: 'Int', name: 'String' },
      req: ['name'],
      constraints: { category_pkey: ['category_id'] },
      fresh: (g) => ({ category_id: g.counter('category', 100) }),
      obj: {},
      arr: { film_category: { table: 'film_category', col: 'category_id', ref: 'category_id' } },
      inc: [],
    },
    actor: {
      pk: ['actor_id'], key: 'actor_id',
      cols: { actor_id: 'Int', first_name: 'String', last_name: 'String' },
      req: ['first_name', 'last_name'],
      constraints: { actor_pkey: ['actor_id'] },
      fresh: (g) => ({ actor_id: g.counter('actor', 1000) }),
      obj: {},
      arr: { film_actor: { table: 'film_actor', col: 'actor_id', ref: 'actor_id' } },
      inc: [],
    },
    film: {
      pk: ['film_id'], key: 'film_id',
      cols: {
        film_id: 'Int', title: 'String', description: 'String', release_year: 'year', language_id: 'Int',
        original_language_id: 'Int', rental_duration: 'smallint', rental_rate: 'numeric', length: 'smallint',
        replacement_cost: 'numeric', rating: 'mpaa_rating', special_features: '[String!]', fulltext: 'tsvector',
      },
      req: ['title', 'language_id'], notNull: ['rental_duration', 'rental_rate', 'replacement_cost'],
      noGive: ['fulltext'], // a trigger makes it
      gens: {
        rental_rate: (g) => (g.r.chance(0.015) ? (g.feature('value: numeric too large for its column'), 123.45) : g.r.int(0, 999) / 100),
        replacement_cost: (g) => g.r.int(0, 99999) / 100,
        special_features: (g) => g.r.sample(FEATURES, g.r.int(0, 3)),
      },
      typmods: { rental_rate: 'numeric(4,2)', replacement_cost: 'numeric(5,2)' },
      constraints: { film_pkey: ['film_id'] },
      fresh: (g) => ({ film_id: g.counter('film', 2000) }),
      obj: {
        language: { table: 'language', col: 'language_id', ref: 'language_id' },
        original_language: { table: 'language', col: 'original_language_id', ref: 'language_id' },
      },
      arr: {
        film_actor: { table: 'film_actor', col: 'film_id', ref: 'film_id' },
        film_category: { table: 'film_category', col: 'film_id', ref: 'film_id' },
      },
      inc: ['rental_duration', 'rental_rate', 'length', 'replacement_cost'],
    },
    film_actor: {
      pk: ['actor_id', 'film_id'], key: null,
      cols: { actor_id: 'Int', film_id: 'Int' },
      req: ['actor_id', 'film_id'],
      constraints: { film_actor_pkey: ['actor_id', 'film_id'] },
      obj: { actor: { table: 'actor', col: 'actor_id', ref: 'actor_id' }, film: { table: 'film', col: 'film_id', ref: 'film_id' } },
      arr: {},
      inc: [],
    },
    film_category: {
      pk: ['film_id', 'category_id'], key: null,
      cols: { film_id: 'Int', category_id: 'Int' },
      req: ['film_id', 'category_id'],
      constraints: { film_category_pkey: ['film_id', 'category_id'] },
      obj: { film: { table: 'film', col: 'film_id', ref: 'film_id' }, category: { table: 'category', col: 'category_id', ref: 'category_id' } },
      arr: {},
      inc: [],
    },
  },
};

// The database the running describe works on (they run one after the other).
let TABLES = BLOG.tables;

// ---------------------------------------------------------------------------------------
// One long-lived psql per database: a script in, its output and errors back (two
// markers end them), so an operation costs a round trip, not a process.

class Psql {
  constructor(db) {
    this.db = db;
    this.p = spawn('psql', ['-X', '-A', '-t', '-q', '-v', 'VERBOSITY=verbose', '-d', db, '-f', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.out = '';
    this.err = '';
    this.n = 0;
    this.exited = null;
    this.p.stdout.setEncoding('utf8');
    this.p.stderr.setEncoding('utf8');
    this.p.stdout.on('data', (d) => { this.out += d; this.poke(); });
    this.p.stderr.on('data', (d) => { this.err += d; this.poke(); });
    this.p.on('exit', (code, signal) => { this.exited = { code, signal }; this.poke(); });
    this.p.stdin.on('error', () => {});
    this.wake = null;
  }

  poke() {
    if (this.wake) this.wake();
  }

  async run(script, timeoutMs = 60000) {
    const mark = `@@end${++this.n}@@`;
    this.out = '';
    this.err = '';
    this.p.stdin.write(`${script}\n\\echo ${mark}\n\\warn ${mark}\n`);
    const deadline = Date.now() + timeoutMs;
    while (!(this.out.includes(`${mark}\n`) && this.err.includes(`${mark}\n`))) {
      if (this.exited) throw new Error(`psql on ${this.db} exited (${JSON.stringify(this.exited)}): ${this.err.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`psql on ${this.db} did not finish within ${timeoutMs} ms:\n${script.slice(0, 4000)}\nerr: ${this.err.slice(-2000)}`);
      await new Promise((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 200);
      });
      this.wake = null;
    }
    return { out: this.out.replace(`${mark}\n`, ''), err: this.err.replace(`${mark}\n`, '') };
  }

  close() {
    this.p.stdin.end();
  }
}

// The first error of a psql script's stderr (VERBOSITY verbose): its SQLSTATE and words.
function firstError(err) {
  const m = /ERROR:\s+([0-9A-Z]{5}): ([^\n]*)/.exec(err);
  if (m) return { sqlstate: m[1], message: m[2] };
  return /ERROR|error/.test(err) ? { sqlstate: 'psql', message: err.slice(0, 500) } : null;
}

// ---------------------------------------------------------------------------------------
// GraphQL printing: a value is printed by the input type of its position (introspected
// from the server), and any position may take a variable instead.

const isName = (s) => /^[_A-Za-z][_0-9A-Za-z]*$/.test(s);
const typeStr = (t) => (t.kind === 'NON_NULL' ? `${typeStr(t.ofType)}!` : t.kind === 'LIST' ? `[${typeStr(t.ofType)}]` : t.name);

class Printer {
  constructor(schema, rng, varRate) {
    this.schema = schema;
    this.rng = rng;
    this.varRate = varRate;
    this.defs = [];
    this.vars = {};
  }

  // A JSON value as a GraphQL literal (for jsonb); undefined when it cannot be one.
  static jsonLiteral(v) {
    if (v === null || typeof v === 'boolean') return String(v);
    if (typeof v === 'number') return String(v);
    if (typeof v === 'string') return JSON.stringify(v);
    if (Array.isArray(v)) {
      const items = v.map(Printer.jsonLiteral);
      return items.includes(undefined) ? undefined : `[${items.join(', ')}]`;
    }
    const entries = Object.entries(v).map(([k, x]) => (isName(k) ? [k, Printer.jsonLiteral(x)] : [k, undefined]));
    return entries.some(([, x]) => x === undefined) ? undefined : `{${entries.map(([k, x]) => `${k}: ${x}`).join(', ')}}`;
  }

  variable(v, t) {
    const name = `v${this.defs.length + 1}`;
    this.defs.push(`$${name}: ${typeStr(t)}`);
    this.vars[name] = v;
    return `$${name}`;
  }

  // `v` at a position of type `t` (an introspection type reference).
  value(v, t, { noVar = false } = {}) {
    if (!noVar && this.rng.chance(this.varRate)) return this.variable(v, t);
    if (v === null) return 'null';
    if (t.kind === 'NON_NULL') return this.value(v, t.ofType, { noVar: true });
    if (t.kind === 'LIST') return `[${v.map((x) => this.value(x, t.ofType)).join(', ')}]`;
    const kind = this.schema.kinds[t.name];
    if (kind === 'ENUM') return v;
    if (kind === 'INPUT_OBJECT') {
      const fields = this.schema.inputs[t.name];
      return `{${Object.entries(v).map(([k, x]) => {
        if (!fields[k]) throw new Error(`the test made a field ${k} that ${t.name} does not have`);
        return `${k}: ${this.value(x, fields[k])}`;
      }).join(', ')}}`;
    }
    if (t.name === 'jsonb' || t.name === 'json') {
      const lit = Printer.jsonLiteral(v);
      return lit === undefined ? this.variable(v, t) : lit;
    }
    return typeof v === 'string' ? JSON.stringify(v) : String(v);
  }
}

// ---------------------------------------------------------------------------------------
// SQL literals of the twin.

const lit = (s) => `'${String(s).replace(/'/g, "''")}'`;
// The values PostgreSQL may refuse before it runs a statement (see Twin.statement), while
// one statement of graphpost's is written: `bound`, every value in the order graphpost
// numbers its parameters (text a type cannot read, a number out of its type's range, a
// domain's check); `planned`, values too large for the column they are assigned to.
let parsed = null;
// A value assigned to column `col` (insert or _set).
function sqlAssigned(table, col, v) {
  const mod = TABLES[table].typmods?.[col];
  if (parsed && mod && v !== null) parsed.planned.push(`${v}::${mod}`);
  return sqlValue(v, TABLES[table].cols[col]);
}

function sqlValue(v, type) {
  if (v === null) return 'NULL';
  const sql = TYPES[type].sql;
  let text;
  if (type === 'jsonb') text = `${lit(JSON.stringify(v))}::jsonb`;
  else if (typeof v === 'number') text = `${v}::${sql}`;
  else if (Array.isArray(v)) text = v.length ? `ARRAY[${v.map(lit).join(', ')}]::${sql}` : `'{}'::${sql}`;
  else text = `${lit(v)}::${sql}`;
  if (parsed) parsed.bound.push(text);
  return text;
}
const COMPARE = { _eq: '=', _neq: '<>', _gt: '>', _lt: '<', _gte: '>=', _lte: '<=', _like: 'LIKE', _ilike: 'ILIKE', _nlike: 'NOT LIKE' };

// A T_bool_exp as SQL over alias `a` of `table`; `n` numbers the aliases of EXISTS.
function whereSql(table, w, a, n = { i: 0 }) {
  const T = TABLES[table];
  const parts = [];
  for (const [k, v] of Object.entries(w)) {
    if (k === '_and') parts.push(v.length ? `(${v.map((x) => whereSql(table, x, a, n)).join(' AND ')})` : 'true');
    else if (k === '_or') parts.push(v.length ? `(${v.map((x) => whereSql(table, x, a, n)).join(' OR ')})` : 'false');
    else if (k === '_not') parts.push(`(NOT ${whereSql(table, v, a, n)})`);
    else if (T.obj[k] || T.arr[k]) {
      const r = T.obj[k] || T.arr[k];
      const b = `_r${++n.i}`;
      const on = T.obj[k] ? `${b}.${r.ref} = ${a}.${r.col}` : `${b}.${r.col} = ${a}.${r.ref}`;
      parts.push(`EXISTS (SELECT 1 FROM ${r.table} ${b} WHERE ${on} AND ${whereSql(r.table, v, b, n)})`);
    } else {
      const type = T.cols[k];
      for (const [op, x] of Object.entries(v)) {
        const c = `${a}.${k}`;
        if (COMPARE[op]) parts.push(`(${c} ${COMPARE[op]} ${sqlValue(x, type)})`);
        else if (op === '_in') parts.push(x.length ? `(${c} IN (${x.map((y) => sqlValue(y, type)).join(', ')}))` : 'false');
        else if (op === '_nin') parts.push(x.length ? `(${c} NOT IN (${x.map((y) => sqlValue(y, type)).join(', ')}))` : 'true');
        else if (op === '_is_null') parts.push(`(${c} IS ${x ? '' : 'NOT '}NULL)`);
        else if (op === '_has_key') parts.push(`(${c} ? ${lit(x)})`);
        else if (op === '_contains') parts.push(`(${c} @> ${sqlValue(x, 'jsonb')})`);
        else throw new Error(`no SQL for ${op}`);
      }
    }
  }
  return parts.length ? `(${parts.join(' AND ')})` : 'true';
}

// ---------------------------------------------------------------------------------------
// The generator. `st` is the twin's tables as they are (rows by table), read after every
// operation; fresh keys come from counters above every key the examples' data has.

class Gen {
  constructor(rng, schema, D) {
    this.r = rng;
    this.schema = schema;
    this.D = D;
    this.counters = {};
    this.features = new Map();
  }

  feature(f) {
    this.features.set(f, (this.features.get(f) || 0) + 1);
  }

  counter(name, start) {
    this.counters[name] = (this.counters[name] ?? start) + 1;
    return this.counters[name];
  }

  email() {
    return `m${this.counter('email', 0)}@mdiff.test`;
  }

  text() {
    const r = this.r;
    return r.chance(0.12) ? r.pick(ODD_TEXT) : `${r.pick(WORDS)} ${r.pick(WORDS)} ${r.int(0, 99)}`;
  }

  time() {
    const r = this.r;
    if (r.chance(0.005)) { this.feature('value: bad timestamptz'); return 'not a time'; }
    const p = (n) => String(n).padStart(2, '0');
    const zone = r.chance(0.2) ? '+02:00' : 'Z';
    return `2024-${p(r.int(1, 12))}-${p(r.int(1, 28))}T${p(r.int(0, 23))}:${p(r.int(0, 59))}:${p(r.int(0, 59))}${zone}`;
  }

  json(depth = 2) {
    const r = this.r;
    const x = r.next();
    if (depth <= 0 || x < 0.25) return r.pick([r.int(-5, 50), `s${r.int(0, 9)}`, true, null, 1.5]);
    if (x < 0.45) return Array.from({ length: r.int(0, 3) }, () => this.json(depth - 1));
    const o = {};
    for (const k of r.sample(JSON_KEYS, r.int(0, 3))) o[k] = this.json(depth - 1);
    return o;
  }

  // A value for column `col` of `table`.
  value(table, col) {
    const T = TABLES[table];
    return (T.gens?.[col] ?? TYPES[T.cols[col]].gen)(this);
  }

  someRow(table) {
    const rows = this.st[table];
    return rows.length ? this.r.pick(rows) : null;
  }

  // A value that no row of `table` has in `col`.
  dangling(table, col) {
    return TABLES[table].cols[col] === 'Int' ? 999999 : `no-such-${table}`;
  }

  // A key of `table` for a row to refer to: mostly an existing one, sometimes none at all.
  refKey(table, col) {
    const row = this.someRow(table);
    if (!row || this.r.chance(0.01)) {
      this.feature('value: dangling foreign key');
      return this.dangling(table, col);
    }
    return row[col];
  }

  fkOf(table, col) {
    return Object.values(TABLES[table].obj).find((rel) => rel.col === col);
  }

  // ---- insert objects ----

  // The on_conflict of rows of `table`: DO NOTHING ([]), or DO UPDATE of some columns,
  // with a where sometimes.
  onConflict(table) {
    const r = this.r;
    const T = TABLES[table];
    const constraint = r.pick(Object.keys(T.constraints));
    const cols = Object.keys(T.cols).filter((c) => !(T.noGive ?? []).includes(c));
    const update_columns = r.chance(0.3) ? [] : r.sample(cols, r.int(1, Math.min(3, cols.length)));
    const oc = { constraint, update_columns };
    if (update_columns.length && r.chance(0.3)) {
      oc.where = this.where(table, 1);
      this.feature('on_conflict where');
    }
    this.feature(update_columns.length ? 'on_conflict update' : 'on_conflict []');
    return oc;
  }

  // The unique keys of a new row of `table`: fresh ones mostly; for an upsert, often those
  // of a row that is there (by the constraint the upsert names); now and then a key of a
  // row that is there, or of an earlier object of the same field, without one.
  keys(table, oc, f) {
    const r = this.r;
    const T = TABLES[table];
    let k = T.fresh(this);
    const row = this.someRow(table);
    if (oc && row && r.chance(0.5)) {
      for (const c of T.constraints[oc.constraint]) k[c] = row[c];
      this.feature('on_conflict on a row that is there');
    } else if (row && r.chance(0.03)) {
      const c = r.pick(Object.keys(k));
      k[c] = row[c];
    }
    const siblings = f.keys[table] ?? [];
    if (siblings.length && r.chance(0.15)) {
      const c = r.pick(Object.keys(k));
      k[c] = r.pick(siblings)[c];
      this.feature('a key of an earlier object of the field');
    }
    (f.keys[table] ??= []).push(k);
    return k;
  }

  // One object for insert_T(_one) into `table`; `filled`: the columns its parent fills
  // `depth`: how many more levels of relationships it may have; f: the field's state.
  object(table, depth, f, { filled = [], oc = null } = {}) {
    const r = this.r;
    const T = TABLES[table];
    const o = {};
    const keys = T.fresh ? this.keys(table, oc, f) : {};
    const fks = new Set(Object.values(T.obj).map((rel) => rel.col));
    for (const c of Object.keys(T.cols)) {
      if (filled.includes(c) || fks.has(c) || (T.noGive ?? []).includes(c)) continue;
      if (T.pk.includes(c) || (T.always ?? []).includes(c)) o[c] = c in keys ? keys[c] : this.value(table, c);
      else if ((T.req ?? []).includes(c)) {
        if (!r.chance(0.01)) o[c] = c in keys ? keys[c] : this.value(table, c);
      } else if (c in keys || r.chance(0.5)) {
        o[c] = c in keys ? keys[c] : r.chance((T.notNull ?? []).includes(c) ? 0.01 : 0.2) ? null : this.value(table, c);
      }
    }
    for (const [name, rel] of Object.entries(T.obj)) {
      if (filled.includes(rel.col)) continue;
      const req = (T.req ?? []).includes(rel.col);
      if (depth > 1 && r.chance(req ? 0.3 : 0.15)) o[name] = this.objRel(rel.table, depth - 1, f);
      else if (req ? !r.chance(0.01) : r.chance(0.4)) o[rel.col] = !req && r.chance(0.3) ? null : this.refKey(rel.table, rel.ref);
    }
    if (depth > 1) {
      for (const [name, rel] of Object.entries(T.arr)) {
        const nullable = !(TABLES[rel.table].req ?? []).includes(rel.col);
        if (r.chance(nullable ? 0.12 : 0.35)) o[name] = this.arrRel(rel.table, [rel.col], depth - 1, f);
      }
    }
    // Keys in the input type's order: graphpost coerces variables in that order and literals
    // in document order, and the order of a nested insert's statements follows it.
    const order = Object.keys(this.schema.inputs[`${table}_insert_input`]);
    return Object.fromEntries(order.filter((k) => k in o).map((k) => [k, o[k]]));
  }

  objRel(table, depth, f) {
    const r = this.r;
    this.feature(`nested object relationship → ${table}`);
    const rel = {};
    if (r.chance(0.35)) {
      // An upsert of the parent. One that affects zero rows fails the insert (Hasura).
      rel.on_conflict = this.onConflict(table);
    }
    rel.data = this.object(table, depth, f, { oc: rel.on_conflict });
    return Object.fromEntries(['data', 'on_conflict'].filter((k) => k in rel).map((k) => [k, rel[k]]));
  }

  arrRel(table, filled, depth, f) {
    const r = this.r;
    this.feature(`nested array relationship → ${table}`);
    const rel = {};
    if (r.chance(0.25)) rel.on_conflict = this.onConflict(table);
    rel.data = Array.from({ length: r.int(1, 2) }, () => this.object(table, depth, f, { filled, oc: rel.on_conflict }));
    return Object.fromEntries(['data', 'on_conflict'].filter((k) => k in rel).map((k) => [k, rel[k]]));
  }

  // ---- filters ----

  // A comparison on a column of `table`, its value mostly taken from an existing row.
  comparison(table) {
    const r = this.r;
    const T = TABLES[table];
    const cols = Object.keys(T.cols).filter((c) => TYPES[T.cols[c]].ops);
    const col = r.pick(cols);
    const type = T.cols[col];
    const row = this.someRow(table);
    const sample = () => {
      const v = row ? row[col] : null;
      if (v !== null && v !== undefined && r.chance(0.8)) return v;
      // Values a filter compares with are always of their type: which of several wrong values
      // PostgreSQL reports first would depend on the order graphpost's coercion gives a
      // where's keys.
      if (type === 'timestamptz') return '2024-06-01T00:00:00Z';
      if (type === 'year') return r.int(1950, 2024);
      if (type === 'smallint') return r.int(1, 200);
      return this.value(table, col);
    };
    const v0 = sample();
    if (TYPES[type].ops === 'json') {
      const op = r.pick(['_has_key', '_contains', '_is_null']);
      this.feature(`where ${op}`);
      if (op === '_has_key') return { [col]: { _has_key: r.pick(JSON_KEYS) } };
      if (op === '_contains') return { [col]: { _contains: r.chance(0.5) && v0 && typeof v0 === 'object' && !Array.isArray(v0) ? Object.fromEntries(Object.entries(v0).slice(0, 1)) : { a: r.int(0, 3) } } };
      return { [col]: { _is_null: r.chance(0.5) } };
    }
    if (v0 === null) {
      this.feature('where _is_null');
      return { [col]: { _is_null: r.chance(0.5) } };
    }
    const ops = ['_eq', '_neq', '_gt', '_lt', '_gte', '_lte', '_in', '_nin', '_is_null'];
    if (TYPES[type].ops === 'text') ops.push('_like', '_ilike');
    const op = r.pick(ops);
    this.feature(`where ${op}`);
    if (op === '_in' || op === '_nin') return { [col]: { [op]: Array.from({ length: r.int(1, 3) }, sample) } };
    if (op === '_is_null') return { [col]: { _is_null: r.chance(0.5) } };
    if (op === '_like' || op === '_ilike') return { [col]: { [op]: `%${String(v0).slice(0, 3)}%` } };
    return { [col]: { [op]: v0 } };
  }

  // A random T_bool_exp.
  where(table, depth, { relationships = true } = {}) {
    const r = this.r;
    const T = TABLES[table];
    const x = r.next();
    if (depth <= 0 || x < 0.45) return this.comparison(table);
    if (x < 0.6) {
      this.feature('where _and');
      return { _and: [this.where(table, depth - 1, { relationships }), this.where(table, depth - 1, { relationships })] };
    }
    if (x < 0.72) {
      this.feature('where _or');
      return { _or: [this.where(table, depth - 1, { relationships }), this.where(table, depth - 1, { relationships })] };
    }
    if (x < 0.82) {
      this.feature('where _not');
      return { _not: this.where(table, depth - 1, { relationships }) };
    }
    const rels = relationships ? [...Object.keys(T.obj), ...Object.keys(T.arr)] : [];
    if (!rels.length) return { ...this.comparison(table), ...this.comparison(table) };
    const rel = r.pick(rels);
    this.feature(`where through ${T.obj[rel] ? 'an object' : 'an array'} relationship`);
    const target = (T.obj[rel] || T.arr[rel]).table;
    return { [rel]: this.where(target, depth - 1, { relationships }) };
  }

  // Rows no other row refers to (a delete of them can succeed).
  unreferenced(table) {
    const key = TABLES[table].key;
    if (!key) return this.st[table];
    const used = new Set();
    const refs = [
      ...Object.entries(TABLES).flatMap(([t, T]) => Object.values(T.obj).map((rel) => ({ ...rel, from: t }))),
      ...Object.entries(this.D.others).flatMap(([t, O]) => O.refs.map((rel) => ({ ...rel, from: t }))),
    ];
    for (const rel of refs) if (rel.table === table) for (const row of this.st[rel.from]) used.add(row[rel.col]);
    return this.st[table].filter((row) => !used.has(row[key]));
  }

  // The where of an update or delete: mostly a few rows by key, with more conditions.
  targetWhere(table, { forDelete = false } = {}) {
    const r = this.r;
    const T = TABLES[table];
    if (r.chance(forDelete ? 0.15 : 0.3)) return this.where(table, 2);
    let rows = this.st[table];
    if (forDelete && r.chance(0.7)) rows = this.unreferenced(table);
    const keys = rows.length ? r.sample(rows, r.int(1, 3)) : [];
    let w;
    if (T.key) {
      const vals = keys.map((k) => k[T.key]);
      if (r.chance(0.1)) vals.push(this.dangling(table, T.key));
      w = vals.length === 1 && r.chance(0.5) ? { [T.key]: { _eq: vals[0] } } : { [T.key]: { _in: vals } };
    } else {
      w = { _or: keys.map((k) => Object.fromEntries(T.pk.map((c) => [c, { _eq: k[c] }]))) };
    }
    if (r.chance(0.4)) return { _and: [w, this.where(table, 1)] };
    return w;
  }

  // ---- update operators ----

  // _set/_inc/jsonb operators for `table`: an object keyed by operator, at least one.
  updateOps(table, { byPk = false } = {}) {
    const r = this.r;
    const T = TABLES[table];
    const ops = {};
    const used = new Set();
    const jsonCols = Object.keys(T.cols).filter((c) => T.cols[c] === 'jsonb');
    // A key column now and then (to a constant: fails or not whatever the order of the rows).
    const cols = Object.keys(T.cols).filter((c) => !(T.noGive ?? []).includes(c) &&
      (!T.pk.includes(c) || !T.key || r.chance(byPk ? 0.1 : 0.03)));
    const setCols = r.sample(cols, r.int(jsonCols.length ? 0 : 1, 2));
    const setVal = (c) => {
      const fk = this.fkOf(table, c);
      const req = (T.req ?? []).includes(c) || (T.notNull ?? []).includes(c);
      if (fk) return !req && r.chance(0.3) ? null : this.refKey(fk.table, fk.ref);
      if (T.pk.includes(c)) return T.fresh(this)[c];
      const unique = Object.values(T.constraints).some((k) => k.length === 1 && k[0] === c);
      if (unique && r.chance(0.2)) return this.someRow(table)?.[c] ?? this.value(table, c);
      if (req || T.always?.includes(c) || TYPES[T.cols[c]].sql === 'timestamptz') return req && r.chance(0.05) ? null : this.value(table, c);
      return r.chance(0.2) ? null : this.value(table, c);
    };
    if (setCols.length) {
      ops._set = {};
      for (const c of setCols) { ops._set[c] = setVal(c); used.add(c); }
      this.feature('_set');
    }
    const incCols = T.inc.filter((c) => !used.has(c));
    if (incCols.length && (r.chance(0.4) || !setCols.length)) {
      ops._inc = {};
      for (const c of r.sample(incCols, r.int(1, incCols.length))) {
        ops._inc[c] = TYPES[T.cols[c]].inc(this);
        used.add(c);
      }
      this.feature('_inc');
    }
    const json = jsonCols.filter((c) => !used.has(c));
    if (json.length && (r.chance(0.8) || !Object.keys(ops).length)) {
      const op = r.pick(['_append', '_prepend', '_delete_key', '_delete_elem', '_delete_at_path']);
      const v = {
        // Not null: graphpost refuses a null operand (a JSON null is `null` in GraphQL too).
        _append: () => this.json(1) ?? {},
        _prepend: () => this.json(1) ?? [],
        _delete_key: () => r.pick(JSON_KEYS),
        _delete_elem: () => r.pick([0, 1, -1]),
        _delete_at_path: () => r.sample(['a', 'b', 'n', '0', '1', '-1'], r.int(1, 2)),
      }[op]();
      ops[op] = { [r.pick(json)]: v };
      this.feature(op);
    }
    if (!Object.keys(ops).length) {
      const c = r.pick(cols);
      ops._set = { [c]: setVal(c) };
    }
    // Keys in the input type's order, as graphpost coerces a variable (and so numbers its
    // parameters: the first of two wrong values is the one PostgreSQL reports).
    for (const [op, cols] of Object.entries(ops)) {
      const order = Object.keys(this.schema.inputs[`${table}${op}_input`]);
      ops[op] = Object.fromEntries(order.filter((k) => k in cols).map((k) => [k, cols[k]]));
    }
    return ops;
  }

  // ---- root fields ----

  // The columns of the rows a field answers with, and now and then relationships of them
  // (read after the field's writes, so they show them).
  rows(table) {
    const r = this.r;
    const T = TABLES[table];
    const cols = r.sample(Object.keys(T.cols), r.int(1, 4));
    const rels = [];
    if (r.chance(0.3)) {
      for (const name of r.sample([...Object.keys(T.obj), ...Object.keys(T.arr)], r.int(1, 2))) {
        const rel = T.obj[name] ?? T.arr[name];
        rels.push({ name, arr: !T.obj[name], ...rel, cols: r.sample(Object.keys(TABLES[rel.table].cols), r.int(1, 3)) });
        this.feature(`returning an ${T.obj[name] ? 'object' : 'array'} relationship`);
      }
    }
    return { cols, rels };
  }

  selection(table, kind) {
    const r = this.r;
    const typename = r.chance(0.1);
    if (kind === 'one') return { ...this.rows(table), typename };
    const s = { affected: r.chance(0.8), returning: r.chance(0.75) ? this.rows(table) : null, typename };
    if (!s.affected && !s.returning) s.affected = true;
    return s;
  }

  field() {
    const r = this.r;
    const table = r.pick(Object.entries(this.D.weights).flatMap(([t, n]) => Array(n).fill(t)));
    const size = this.st[table].length;
    const x = r.next();
    // Fewer deletes while a table is small, more once it has grown.
    const delRate = size < 8 ? 0.05 : size > 60 ? 0.35 : 0.18;
    if (x < 0.45) return this.insertField(table);
    if (x < 0.45 + delRate) return this.deleteField(table);
    return this.updateField(table);
  }

  insertField(table) {
    const r = this.r;
    const one = r.chance(0.4);
    const depth = r.pick([1, 1, 2, 2, 3, 3]);
    const f = { keys: {} };
    const args = {};
    const oc = r.chance(0.35) ? this.onConflict(table) : null;
    const objects = one ? [this.object(table, depth, f, { oc })]
      : Array.from({ length: r.chance(0.03) ? 0 : r.int(1, 3) }, () => this.object(table, depth, f, { oc }));
    if (one) args.object = objects[0];
    else args.objects = objects;
    if (oc) args.on_conflict = oc;
    const depthUsed = 1 + Math.max(0, ...objects.map(levels));
    this.feature(`insert${one ? '_one' : ''} depth ${depthUsed}`);
    return { kind: one ? 'insert_one' : 'insert', table, args, sel: this.selection(table, one ? 'one' : 'many') };
  }

  // The key of an existing row (of one nothing refers to, mostly, for a delete), or of none.
  pkOf(table, { forDelete = false } = {}) {
    const r = this.r;
    const T = TABLES[table];
    const candidates = forDelete && r.chance(0.7) ? this.unreferenced(table) : this.st[table];
    const row = candidates.length && !r.chance(0.08) ? r.pick(candidates) : null;
    return Object.fromEntries(T.pk.map((c) => [c, row ? row[c] : this.dangling(table, c)]));
  }

  updateField(table) {
    const r = this.r;
    const x = r.next();
    if (x < 0.45) {
      this.feature('update');
      return { kind: 'update', table, args: { ...this.updateOps(table), where: this.targetWhere(table) }, sel: this.selection(table, 'many') };
    }
    if (x < 0.75) {
      this.feature('update_by_pk');
      return { kind: 'update_by_pk', table, args: { ...this.updateOps(table, { byPk: true }), pk_columns: this.pkOf(table) }, sel: this.selection(table, 'one') };
    }
    this.feature('update_many');
    const updates = Array.from({ length: r.chance(0.05) ? 0 : r.int(1, 3) }, () => ({ ...this.updateOps(table), where: this.targetWhere(table) }));
    return { kind: 'update_many', table, args: { updates }, sel: this.selection(table, 'many') };
  }

  deleteField(table) {
    const r = this.r;
    if (r.chance(0.5)) {
      this.feature('delete');
      return { kind: 'delete', table, args: { where: this.targetWhere(table, { forDelete: true }) }, sel: this.selection(table, 'many') };
    }
    this.feature('delete_by_pk');
    return { kind: 'delete_by_pk', table, args: this.pkOf(table, { forDelete: true }), sel: this.selection(table, 'one') };
  }

  operation(st) {
    this.st = st;
    const r = this.r;
    const n = r.pick([1, 1, 1, 2, 2, 3]);
    const fields = Array.from({ length: n }, () => this.field());
    this.feature(`${n} root field${n > 1 ? 's' : ''}`);
    return fields;
  }
}

// How many levels of relationships an insert object has below it.
function levels(o) {
  let d = 0;
  for (const v of Object.values(o)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && 'data' in v) {
      const items = Array.isArray(v.data) ? v.data : [v.data];
      d = Math.max(d, 1 + Math.max(0, ...items.map(levels)));
    }
  }
  return d;
}

// ---------------------------------------------------------------------------------------
// An operation → GraphQL (document + variables) and the twin's psql script.

const FIELD_NAME = {
  insert: (t) => `insert_${t}`, insert_one: (t) => `insert_${t}_one`, update: (t) => `update_${t}`,
  update_by_pk: (t) => `update_${t}_by_pk`, update_many: (t) => `update_${t}_many`, delete: (t) => `delete_${t}`,
  delete_by_pk: (t) => `delete_${t}_by_pk`,
};

// How an array relationship's rows are ordered (by the target's key), in GraphQL and in SQL.
const order = (table) => {
  const pk = TABLES[table].pk;
  return {
    gql: pk.length === 1 ? `{${pk[0]}: asc}` : `[${pk.map((c) => `{${c}: asc}`).join(', ')}]`,
    sql: pk.map((c) => `x.${c}`).join(', '),
  };
};

function printOperation(fields, schema, rng) {
  const p = new Printer(schema, rng, rng.chance(0.5) ? 0.15 : 0);
  const body = fields.map((f, i) => {
    const name = FIELD_NAME[f.kind](f.table);
    const argTypes = schema.rootArgs[name];
    const args = Object.entries(f.args).map(([k, v]) => {
      if (!argTypes[k]) throw new Error(`${name} has no argument ${k}`);
      return `${k}: ${p.value(v, argTypes[k])}`;
    });
    const s = f.sel;
    const rows = ({ cols, rels }) => [...cols, ...rels.map((x) => `${x.name}${x.arr ? `(order_by: ${order(x.table).gql})` : ''} { ${x.cols.join(' ')} }`)].join(' ');
    let sel;
    if (f.kind === 'insert_one' || f.kind === 'update_by_pk' || f.kind === 'delete_by_pk') {
      sel = `${s.typename ? '__typename ' : ''}${rows(s)}`;
    } else {
      sel = [s.typename ? '__typename' : '', s.affected ? 'affected_rows' : '', s.returning ? `returning { ${rows(s.returning)} }` : '']
        .filter(Boolean).join(' ');
    }
    return `  f${i}: ${name}${args.length ? `(${args.join(', ')})` : ''} { ${sel} }`;
  });
  const defs = p.defs.length ? `(${p.defs.join(', ')})` : '';
  return { query: `mutation M${defs} {\n${body.join('\n')}\n}`, variables: p.defs.length ? p.vars : undefined, usedVars: p.defs.length > 0 };
}

// The twin's psql script for one operation (`lines`); field() returns, for a root field,
// the statements whose rows it counts (all) and answers with (roots), or for update_T_many
// one per update (each).
class Twin {
  constructor(op) {
    this.op = op;
    this.lines = [];
    this.k = 0;
  }

  // A data-modifying statement with RETURNING *; its row count, rows and key (for the
  // children) go to psql variables <name>n, <name>j, <name>k and to the output.
  stmt(sql, keyCol) {
    const name = `o${this.op}s${++this.k}_`;
    const key = keyCol ? `coalesce(min(w.${keyCol})::text, '')` : `''`;
    this.lines.push(`WITH w AS (${sql} RETURNING *) SELECT count(*) AS n, coalesce(jsonb_agg(to_jsonb(w)), '[]')::text AS j, ${key} AS k FROM w \\gset ${name}`);
    this.lines.push(`\\echo @@${name} :${name}n :${name}j`);
    return name;
  }

  // The relationships `rels` of the rows statement `step` returned, as they are now: a JSON
  // array, one object per row, in the order of the rows (to <step>r).
  relationships(step, table, rels) {
    if (!rels.length) return;
    const cast = (t, c) => TYPES[TABLES[t].cols[c]].sql;
    const obj = (cols) => `jsonb_build_object(${cols.map((c) => `'${c}', x.${c}`).join(', ')})`;
    const values = rels.map((x) => {
      if (!x.arr) return `'${x.name}', (SELECT ${obj(x.cols)} FROM ${x.table} x WHERE x.${x.ref} = (r.e->>'${x.col}')::${cast(table, x.col)})`;
      return `'${x.name}', (SELECT coalesce(jsonb_agg(${obj(x.cols)} ORDER BY ${order(x.table).sql}), '[]'::jsonb) FROM ${x.table} x ` +
        `WHERE x.${x.col} = (r.e->>'${x.ref}')::${cast(table, x.ref)})`;
    });
    const name = `${step}r`;
    this.lines.push(`SELECT coalesce(jsonb_agg(jsonb_build_object(${values.join(', ')}) ORDER BY r.i), '[]')::text AS j ` +
      `FROM jsonb_array_elements(:'${step}j'::jsonb) WITH ORDINALITY AS r(e, i) \\gset ${name}`);
    this.lines.push(`\\echo @@${name} 0 :${name}j`);
  }

  needRow(step, what, table) {
    this.lines.push(`SELECT mdiff_need_row(:${step}n, ${lit(what)}, ${lit(table)}) \\g /dev/null`);
  }

  onConflictSql(table, oc) {
    if (!oc) return '';
    const c = ` ON CONFLICT ON CONSTRAINT ${oc.constraint}`;
    if (!oc.update_columns.length) return `${c} DO NOTHING`;
    const set = oc.update_columns.map((col) => `${col} = EXCLUDED.${col}`).join(', ');
    return `${c} DO UPDATE SET ${set}${oc.where ? ` WHERE ${whereSql(table, oc.where, '_t')}` : ''}`;
  }

  // INSERT of `objects` (their columns; `fill`: column → SQL of the parent's key).
  insertSql(table, objects, oc, fill) {
    const T = TABLES[table];
    const cols = Object.keys(T.cols).filter((c) => c in fill || objects.some((o) => c in o));
    const rows = objects.map((o) => `(${cols.map((c) => (c in fill ? fill[c] : c in o ? sqlAssigned(table, c, o[c]) : 'DEFAULT')).join(', ')})`);
    return `INSERT INTO ${table} AS _t (${cols.join(', ')}) VALUES ${rows.join(', ')}${this.onConflictSql(table, oc)}`;
  }

  // Returns the steps whose rows the field answers with; every step goes to `all`.
  insertRows(table, objects, oc, fill, all) {
    const T = TABLES[table];
    if (!objects.length) return [];
    const hasRel = objects.some((o) => Object.keys(o).some((k) => T.obj[k] || T.arr[k]));
    if (!hasRel) {
      const s = this.statement(() => this.stmt(this.insertSql(table, objects, oc, fill), T.key));
      all.push(s);
      return [s];
    }
    return objects.map((o) => this.insertObject(table, o, oc, fill, all));
  }

  insertObject(table, o, oc, fill, all) {
    const T = TABLES[table];
    const fills = { ...fill };
    for (const [k, v] of Object.entries(o)) {
      const rel = T.obj[k];
      if (!rel || v === null) continue;
      const p = this.insertObject(rel.table, v.data, v.on_conflict ?? null, {}, all);
      this.needRow(p, `object relation "${k}"`, rel.table);
      fills[rel.col] = `:'${p}k'::${TYPES[TABLES[rel.table].cols[rel.ref]].sql}`;
    }
    const cols = Object.fromEntries(Object.entries(o).filter(([k]) => T.cols[k] !== undefined));
    const s = this.statement(() => this.stmt(this.insertSql(table, [cols], oc, fills), T.key));
    all.push(s);
    const arrs = Object.entries(o).filter(([k, v]) => T.arr[k] && v !== null);
    if (arrs.length) this.needRow(s, 'array relations', table);
    for (const [k, v] of arrs) {
      const rel = T.arr[k];
      const keyType = TYPES[T.cols[rel.ref]].sql;
      this.insertRows(rel.table, v.data, v.on_conflict ?? null, { [rel.col]: `:'${s}k'::${keyType}` }, all);
    }
    return s;
  }

  setSql(table, ops) {
    const T = TABLES[table];
    const parts = [];
    for (const [op, cols] of Object.entries(ops)) {
      for (const [c, v] of Object.entries(cols)) {
        const type = T.cols[c];
        switch (op) {
          case '_set': parts.push(`${c} = ${sqlAssigned(table, c, v)}`); break;
          case '_inc': parts.push(`${c} = _t.${c} + ${sqlValue(v, type)}`); break;
          case '_append': parts.push(`${c} = _t.${c} || ${sqlValue(v, 'jsonb')}`); break;
          case '_prepend': parts.push(`${c} = ${sqlValue(v, 'jsonb')} || _t.${c}`); break;
          case '_delete_key': parts.push(`${c} = _t.${c} - ${lit(v)}::text`); break;
          case '_delete_elem': parts.push(`${c} = _t.${c} - ${v}::int`); break;
          case '_delete_at_path': parts.push(`${c} = _t.${c} #- ${sqlValue(v, '[String!]')}`); break;
          default: throw new Error(op);
        }
      }
    }
    return parts.join(', ');
  }

  pkWhere(table, key) {
    return TABLES[table].pk.map((c) => `_t.${c} = ${sqlValue(key[c], TABLES[table].cols[c])}`).join(' AND ');
  }

  // The twin's statement for one statement of graphpost's (an insert step, an update or
  // a delete), written by `write`. graphpost sends the values as parameters of that
  // statement, which PostgreSQL reads one after the other when they are bound (22007,
  // 22003, a domain's 23514) and, planning the statement with them, folds into the columns'
  // types (22003) before it runs any of it: the twin tries them first too, each on its own
  // (PostgreSQL would convert some constants of one SELECT while parsing it, others later).
  statement(write) {
    const mark = this.lines.length;
    parsed = { bound: [], planned: [] };
    try {
      const plan = write();
      const tries = parsed.bound.map((v) => `SELECT ${v} \\g /dev/null`);
      if (parsed.planned.length) tries.push(`SELECT ${parsed.planned.join(', ')} \\g /dev/null`);
      this.lines.splice(mark, 0, ...tries);
      return plan;
    } finally {
      parsed = null;
    }
  }

  field(f) {
    if (f.kind === 'update_many') return this.fieldStatements(f);
    const plan = this.fieldStatements(f);
    const rels = (f.sel.returning ?? f.sel).rels ?? [];
    for (const step of plan.roots) this.relationships(step, f.table, rels);
    return plan;
  }

  fieldStatements(f) {
    const { table, args } = f;
    const ops = (a) => Object.fromEntries(Object.entries(a).filter(([k]) => k.startsWith('_')));
    switch (f.kind) {
      case 'insert':
      case 'insert_one': {
        const objects = f.kind === 'insert' ? args.objects : [args.object];
        const all = [];
        const roots = this.insertRows(table, objects, args.on_conflict ?? null, {}, all);
        return { all, roots };
      }
      case 'update': {
        const s = this.statement(() => this.stmt(`UPDATE ${table} AS _t SET ${this.setSql(table, ops(args))} WHERE ${whereSql(table, args.where, '_t')}`));
        return { all: [s], roots: [s] };
      }
      case 'update_by_pk': {
        const s = this.statement(() => this.stmt(`UPDATE ${table} AS _t SET ${this.setSql(table, ops(args))} WHERE ${this.pkWhere(table, args.pk_columns)}`));
        return { all: [s], roots: [s] };
      }
      case 'update_many': {
        const each = args.updates.map((u) => {
          const step = this.statement(() =>
            this.stmt(`UPDATE ${table} AS _t SET ${this.setSql(table, ops(u))} WHERE ${whereSql(table, u.where, '_t')}`));
          this.relationships(step, table, f.sel.returning?.rels ?? []);
          return step;
        });
        return { each };
      }
      case 'delete': {
        const s = this.statement(() => this.stmt(`DELETE FROM ${table} AS _t WHERE ${whereSql(table, args.where, '_t')}`));
        return { all: [s], roots: [s] };
      }
      case 'delete_by_pk': {
        const s = this.statement(() => this.stmt(`DELETE FROM ${table} AS _t WHERE ${this.pkWhere(table, args)}`));
        return { all: [s], roots: [s] };
      }
      default:
        throw new Error(f.kind);
    }
  }
}

// The data the twin's statements say graphpost must answer.
function expectedData(fields, plans, results) {
  const data = {};
  // The rows of statements `steps`, with the columns and relationships `sel` asks for.
  const rowsOf = (steps, sel) => steps.flatMap((x) => results[x].rows.map((row, k) => ({
    ...Object.fromEntries(sel.cols.map((c) => [c, row[c]])),
    ...Object.fromEntries(sel.rels.map((rel) => [rel.name, results[`${x}r`].rows[k][rel.name]])),
  })));
  const response = (f, steps, roots) => {
    const o = {};
    const s = f.sel;
    if (s.typename) o.__typename = `${f.table}_mutation_response`;
    if (s.affected) o.affected_rows = steps.reduce((n, x) => n + results[x].n, 0);
    if (s.returning) o.returning = rowsOf(roots, s.returning);
    return o;
  };
  fields.forEach((f, i) => {
    const plan = plans[i];
    const key = `f${i}`;
    if (f.kind === 'update_many') {
      data[key] = plan.each.map((x) => response(f, [x], [x]));
    } else if (f.kind === 'insert_one' || f.kind === 'update_by_pk' || f.kind === 'delete_by_pk') {
      const rows = rowsOf(plan.roots, f.sel);
      data[key] = rows.length ? { ...(f.sel.typename ? { __typename: f.table } : {}), ...rows[0] } : null;
    } else {
      data[key] = response(f, plan.all, plan.roots);
    }
  });
  return data;
}

// JSON text with the keys of every object sorted.
const sortedJson = (v) => JSON.stringify(v, (k, x) => (x && typeof x === 'object' && !Array.isArray(x)
  ? Object.fromEntries(Object.keys(x).sort().map((key) => [key, x[key]])) : x));

// Updates and deletes return their rows in no defined order: compare them as multisets.
function canonical(fields, data) {
  const out = structuredClone(data);
  const sortRows = (o) => {
    if (o && Array.isArray(o.returning)) {
      const key = new Map(o.returning.map((row) => [row, sortedJson(row)]));
      o.returning.sort((a, b) => (key.get(a) < key.get(b) ? -1 : key.get(a) > key.get(b) ? 1 : 0));
    }
  };
  fields.forEach((f, i) => {
    const v = out?.[`f${i}`];
    if (f.kind === 'update' || f.kind === 'delete') sortRows(v);
    if (f.kind === 'update_many' && Array.isArray(v)) v.forEach(sortRows);
  });
  return out;
}

// Hasura's extensions.code for a SQLSTATE's class; any other SQLSTATE stands for itself.
function errorClass(sqlstate) {
  if (!sqlstate) return null;
  if (sqlstate.startsWith('23')) return 'constraint-violation';
  if (sqlstate.startsWith('22')) return 'data-exception';
  if (sqlstate === '42501') return 'permission-error';
  return sqlstate;
}

// ---------------------------------------------------------------------------------------

const TWIN_EXTRAS = `
CREATE FUNCTION mdiff_need_row(n bigint, what text, tbl text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF n = 0 THEN
        RAISE EXCEPTION 'cannot proceed to insert % since insert to table "%" affects zero rows', what, tbl
            USING ERRCODE = 'ZG001';
    END IF;
END $$;
`;

// A database loaded from `files`, or a copy of database `template`; then `extra` run in it.
function createDb(db, { files = [], template, extra }) {
  psql('postgres', `drop database if exists ${db} with (force)`);
  psql('postgres', `create database ${db}${template ? ` template ${template}` : ''}`);
  for (const f of files) execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', db, '-f', `${root}${f}`], { stdio: 'pipe' });
  if (extra) execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', db, '-c', extra], { stdio: 'pipe' });
}

// Every table of a database the test writes (and those that refer to them: cascades reach
// them), in key order, less the omitted columns, as one JSON document: compared after every
// operation (md5) and at the end (rows).
function dumpSql(D) {
  const all = { ...D.tables, ...D.others };
  const omit = D.omit.map((c) => ` - ${lit(c)}`).join('');
  return `json_build_object(${Object.entries(all).map(([t, T]) =>
    `'${t}', (select coalesce(jsonb_agg(to_jsonb(x)${omit} order by ${T.pk.map((c) => `x.${c}`).join(', ')}), '[]') from "${t}" x)`).join(', ')})`;
}

// An md5 of every table (as dumpSql has them), cheaper to make than their JSON.
function md5Sql(D) {
  const parts = Object.entries({ ...D.tables, ...D.others }).map(([t, T]) => {
    const cols = T.cols ? (Array.isArray(T.cols) ? T.cols : Object.keys(T.cols)).filter((c) => !D.omit.includes(c)) : null;
    return `(select md5(coalesce(string_agg(x::text, '|' order by ${T.pk.map((c) => `x."${c}"`).join(', ')}), '')) ` +
      `from (select ${cols ? cols.map((c) => `"${c}"`).join(', ') : '*'} from "${t}") x)`;
  });
  return `md5(concat_ws(',', ${parts.join(', ')}))`;
}

// What the generator reads of the twin after every operation: the rows of the tables it
// writes (less tsvectors) and the columns that refer to them of the others.
function stateSql(D) {
  const omit = D.omit.map((c) => ` - ${lit(c)}`).join('');
  // In key order: the generator picks rows by their place, and a replay must see them in it.
  const by = (T) => T.pk.map((c) => `x."${c}"`).join(', ');
  const tables = Object.entries(D.tables).map(([t, T]) => `'${t}', (select coalesce(jsonb_agg(to_jsonb(x)${omit} order by ${by(T)}), '[]') from "${t}" x)`);
  const others = Object.entries(D.others).map(([t, O]) =>
    `'${t}', (select coalesce(jsonb_agg(jsonb_build_object(${O.refs.map((r) => `'${r.col}', x."${r.col}"`).join(', ')}) order by ${by(O)}), '[]') from "${t}" x)`);
  return `jsonb_build_object(${[...tables, ...others].join(', ')})`;
}

async function introspect(url) {
  const T = 'kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }';
  const r = await post(url, `{ __schema { types { name kind inputFields { name type { ${T} } } }
    mutationType { fields { name args { name type { ${T} } } } } } }`);
  if (!r.body?.data) throw new Error(`introspection failed: ${r.text.slice(0, 500)}`);
  const s = r.body.data.__schema;
  const schema = { kinds: {}, inputs: {}, rootArgs: {} };
  for (const t of s.types) {
    schema.kinds[t.name] = t.kind;
    if (t.inputFields) schema.inputs[t.name] = Object.fromEntries(t.inputFields.map((f) => [f.name, f.type]));
  }
  for (const f of s.mutationType.fields) schema.rootArgs[f.name] = Object.fromEntries(f.args.map((a) => [a.name, a.type]));
  return schema;
}

// The rows of two dumps that differ, table by table (for the failure message).
function dumpDiff(a, b, D) {
  const keyOf = (t) => (D.tables[t] ?? D.others[t]).pk;
  const out = [];
  for (const t of Object.keys(a)) {
    const key = (row) => JSON.stringify(keyOf(t).map((c) => row[c]));
    const ma = new Map(a[t].map((r) => [key(r), r]));
    const mb = new Map(b[t].map((r) => [key(r), r]));
    for (const k of new Set([...ma.keys(), ...mb.keys()])) {
      const x = JSON.stringify(ma.get(k) ?? null);
      const y = JSON.stringify(mb.get(k) ?? null);
      if (x !== y) out.push(`${t} ${k}:\n    graphpost: ${x}\n    twin:      ${y}`);
    }
  }
  return out;
}

console.log(`mutation differential: seed ${SEED} (replay with GP_MDIFF_SEED=${SEED}), ${OPS} operations per database`);

for (const D of [BLOG, PAGILA].filter((x) => !ONLY || x.name === ONLY)) describe(`random mutation sequences on ${D.name}: graphpost = the twin database`, () => {
  let srv;
  let gqlDb;
  let twinDb;
  let schema;

  before(async () => {
    // graphpost prepares a mutation's statements; after a few runs of one shape PostgreSQL may
    // plan it generically, and then a value too large for its column fails while the
    // statement runs (or, in an update that matches no row, not at all) instead of while it
    // is planned. Which one is PostgreSQL's business; the twin expects the custom plan's.
    createDb(D.gqlDb, { files: D.files, extra: `ALTER DATABASE ${D.gqlDb} SET plan_cache_mode = force_custom_plan` });
    createDb(D.sqlDb, { template: D.gqlDb, extra: TWIN_EXTRAS });
    srv = await startServer({ args: ['--threads', '1'], env: { GRAPHPOST_DATABASE_URL: dbUrl(D.gqlDb) } });
    gqlDb = new Psql(D.gqlDb);
    twinDb = new Psql(D.sqlDb);
    schema = await introspect(srv.url);
  });

  after(async () => {
    gqlDb?.close();
    twinDb?.close();
    if (srv) await srv.stop();
    psql('postgres', `drop database if exists ${D.gqlDb} with (force)`);
    psql('postgres', `drop database if exists ${D.sqlDb} with (force)`);
  });

  it(`${OPS} random mutation operations (seed ${SEED})`, async () => {
    TABLES = D.tables;
    const rng = makeRng(D.name === 'blog' ? SEED : SEED ^ 0x9e3779b9);
    const gen = new Gen(rng, schema, D);
    const t0 = Date.now();
    const stats = { ok: 0, failed: 0, byError: {}, httpMs: 0, twinMs: 0, vars: 0, failedFields: {} };
    const DUMP = dumpSql(D);
    const MD5 = md5Sql(D);
    const STATE = stateSql(D);
    // md5 of every table; with `state`, the generator's view; with `rows`, every row.
    const reads = ({ state = false, rows = false } = {}) => [`SELECT '@@md5 ' || ${MD5};`,
      state ? `SELECT '@@state ' || (${STATE})::text;` : '', rows ? `SELECT '@@rows ' || (${DUMP})::jsonb::text;` : ''].join('\n');
    const parse = (out) => ({
      md5: /^@@md5 (\w+)$/m.exec(out)?.[1],
      state: /^@@state /m.test(out) ? JSON.parse(/^@@state (.*)$/m.exec(out)[1]) : undefined,
      rows: /^@@rows /m.test(out) ? JSON.parse(/^@@rows (.*)$/m.exec(out)[1]) : undefined,
    });
    const read = async (db, what) => parse((await db.run(reads(what))).out);
    let { state } = await read(twinDb, { state: true });
    let failure = null;

    const fail = (kind, ctx, extra = {}) => {
      failure = { seed: SEED, index: ctx.i, kind, graphql: ctx.query, variables: ctx.variables, twinSql: ctx.script, graphpost: ctx.answer, twin: ctx.twin, ...extra };
    };

    for (let i = 0; i < OPS && !failure; i++) {
      // psql's answers come through the event loop too; let it turn between operations.
      await new Promise(setImmediate);
      const fields = gen.operation(state);
      const { query, variables, usedVars } = printOperation(fields, schema, rng);
      if (usedVars) { gen.feature('variables'); stats.vars++; }

      const t1 = Date.now();
      const res = await post(srv.url, query, variables);
      stats.httpMs += Date.now() - t1;
      const body = res.body;
      const gpOk = res.status === 200 && body && !body.errors && body.data != null;
      const gpErr = body?.errors?.[0];

      const twin = new Twin(i);
      const plans = fields.map((f) => twin.field(f));
      const script = ['BEGIN;', ...twin.lines, gpOk ? 'COMMIT;' : 'ROLLBACK;'].join('\n');
      // Then every table of both databases (the twin's after its script, in the same round trip).
      const full = (i + 1) % FULL_EVERY === 0;
      const t2 = Date.now();
      const [tw, g] = await Promise.all([
        twinDb.run(`${script}\n${reads({ state: (i + 1) % D.stateEvery === 0, rows: full })}`),
        read(gqlDb, { rows: full }),
      ]);
      stats.twinMs += Date.now() - t2;
      const t = parse(tw.out);
      const twinErr = firstError(tw.err);
      const ctx = { i, query, variables, script, answer: res.text, twin: { out: tw.out, err: tw.err } };

      if (!gpOk && (!gpErr || gpErr.extensions?.sqlstate === undefined)) {
        fail('graphpost refused the operation (not a database error): a bug of the test or of graphpost', ctx);
        break;
      }
      if (twinErr && twinErr.sqlstate === 'psql') {
        fail('the twin script itself failed (a bug of the test)', ctx);
        break;
      }
      if (gpOk && twinErr) {
        fail(`graphpost answered data, the twin failed with ${twinErr.sqlstate} (${twinErr.message})`, ctx);
        break;
      }
      if (!gpOk && !twinErr) {
        fail(`graphpost failed with ${gpErr.extensions.code} (${gpErr.extensions.sqlstate}: ${gpErr.message}), the twin did not`, ctx);
        break;
      }
      if (!gpOk) {
        const want = errorClass(twinErr.sqlstate);
        const got = gpErr.extensions.sqlstate;
        const ok = want === 'constraint-violation' || want === 'data-exception' || want === 'permission-error'
          ? gpErr.extensions.code === want
          : got === twinErr.sqlstate && (got !== 'ZG001' || gpErr.message === twinErr.message);
        if (!ok) {
          fail(`both failed, but graphpost with ${gpErr.extensions.code} (${got}: ${gpErr.message}), the twin with ${twinErr.sqlstate} (${twinErr.message})`, ctx);
          break;
        }
        stats.failed++;
        const k = `${twinErr.sqlstate}${twinErr.sqlstate === got ? '' : ` (graphpost ${got})`}`;
        stats.byError[k] = (stats.byError[k] || 0) + 1;
        const failed = fields[Number(/^f(\d+)$/.exec(gpErr.path?.[0] ?? '')?.[1])];
        if (failed) {
          const where = `${failed.kind} ${failed.table}`;
          stats.failedFields[where] = (stats.failedFields[where] || 0) + 1;
        }
        gen.feature(`error ${errorClass(twinErr.sqlstate) ?? twinErr.sqlstate}`);
      } else {
        stats.ok++;
        const results = {};
        for (const m of tw.out.matchAll(/^@@(o\d+s\d+_r?) (\d+) (.*)$/gm)) results[m[1]] = { n: Number(m[2]), rows: JSON.parse(m[3]) };
        const want = expectedData(fields, plans, results);
        const a = canonical(fields, body.data);
        const b = canonical(fields, want);
        try {
          assert.deepEqual(a, b);
        } catch {
          fail('the answers differ', ctx, { expected: want });
          break;
        }
      }

      state = t.state ?? state;
      if (g.md5 !== t.md5 || full) {
        const [gr, tr] = full ? [g.rows, t.rows] : [(await read(gqlDb, { rows: true })).rows, (await read(twinDb, { rows: true })).rows];
        const diff = dumpDiff(gr, tr, D);
        if (!diff.length && g.md5 !== t.md5) diff.push('the md5s differ, the rows do not');
        if (diff.length) {
          fail('the tables differ after the operation', ctx, { tableDiff: diff });
          break;
        }
      }
    }

    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    const sizes = Object.fromEntries(Object.keys(D.tables).map((t) => [t, state[t].length]));
    console.log(`mutation differential on ${D.name}: ${stats.ok + stats.failed} operations in ${secs} s (graphpost ${(stats.httpMs / 1000).toFixed(1)} s, ` +
      `twin ${(stats.twinMs / 1000).toFixed(1)} s): ${stats.ok} answered data, ${stats.failed} failed on both sides ${JSON.stringify(stats.byError)}; ` +
      `${stats.vars} with variables; rows at the end ${JSON.stringify(sizes)}`);
    console.log(`mutation differential on ${D.name}: the fields that failed: ${JSON.stringify(stats.failedFields)}`);
    console.log(`mutation differential on ${D.name}, coverage (operations or values using each):\n  ${[...gen.features].sort().map(([f, n]) => `${f}: ${n}`).join('\n  ')}`);

    if (failure) {
      const dir = process.env.GP_LOG_DIR;
      if (dir) fs.writeFileSync(path.join(dir, `mutation-differential-failures-${D.name}.json`), JSON.stringify({ db: D.name, ...failure }, null, 1));
      assert.fail(`mutation differential on ${D.name} (seed ${SEED}, replay with GP_MDIFF_SEED=${SEED} GP_MDIFF_OPS=${failure.index + 1}): ` +
        `operation #${failure.index}: ${failure.kind}\n` +
        `graphql:\n${failure.graphql}\nvariables: ${JSON.stringify(failure.variables)}\n` +
        `twin SQL:\n${failure.twinSql}\n` +
        `graphpost: ${failure.graphpost.slice(0, 3000)}\n` +
        (failure.expected ? `expected:  ${JSON.stringify(failure.expected).slice(0, 3000)}\n` : '') +
        `twin output: ${failure.twin.out.slice(0, 3000)}\ntwin errors: ${failure.twin.err.slice(0, 1500)}\n` +
        (failure.tableDiff ? `rows that differ:\n  ${failure.tableDiff.slice(0, 20).join('\n  ')}\n` : ''));
    }

    // The end: every row once more.
    const [g, t] = await Promise.all([read(gqlDb, { rows: true }), read(twinDb, { rows: true })]);
    assert.deepEqual(dumpDiff(g.rows, t.rows, D), [], 'the tables differ at the end');
    // What every run must have exercised (with the default number of operations).
    if (OPS >= 300) {
      const must = ['insert depth 1', 'insert_one depth 1', 'insert depth 2', 'insert_one depth 2', 'insert depth 3', 'on_conflict update',
        'on_conflict []', 'on_conflict where', 'on_conflict on a row that is there', 'update', 'update_by_pk', 'update_many', 'delete',
        'delete_by_pk', '_set', '_inc', 'where _and', 'where _or', 'where _not', 'where through an object relationship',
        'where through an array relationship', 'returning an object relationship', 'returning an array relationship', 'variables',
        '2 root fields', '3 root fields', 'error constraint-violation', 'error data-exception', ...D.must];
      const missing = must.filter((m) => !gen.features.has(m));
      assert.deepEqual(missing, [], 'features no operation of this seed used');
      assert.ok(stats.ok >= OPS / 3, `only ${stats.ok} of ${OPS} operations answered data`);
    }
  });
});
