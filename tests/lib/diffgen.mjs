// tests/lib/diffgen.mjs — the random side of tests/integration/differential.test.mjs:
// a seeded PRNG, the model of a database (its catalog for SQL, the server's
// introspection for GraphQL names and operators), and a generator of random
// operations. One random AST gives both the GraphQL document (printGraphQL here)
// and the oracle's SQL (difforacle.mjs), so the two can only disagree where the
// server does.
import { sqlJson } from './gql.mjs';

// mulberry32: small, fast and the same on every node version.
export function makeRng(seed) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const r = {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), // inclusive
    chance: (p) => next() < p,
    pick: (a) => a[Math.floor(next() * a.length)],
    sample(a, n) {
      const c = [...a];
      const out = [];
      while (out.length < n && c.length) out.push(c.splice(Math.floor(next() * c.length), 1)[0]);
      return out;
    },
  };
  // A second stream of the same seed, for choices added to the generator later: drawing
  // them from it leaves every earlier choice, and so every operation a seed made, as it was.
  let side, third;
  r.side = () => (side ??= makeRng(seed ^ 0x5bd1e995));
  // A third one, for functions, computed fields and tables with sanitized names: the
  // side stream's aggregate terms stay as they were too.
  r.third = () => (third ??= makeRng(seed ^ 0x27d4eb2f));
  return r;
}

const SKIP_TYPES = new Set(['tsvector', 'bytea']);
const INTROSPECT = `{ __schema { types { name kind
  fields { name description type { ...T } }
  inputFields { name type { ...T } }
  enumValues { name } } } }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } }`;

function typeStr(t) {
  if (t.kind === 'NON_NULL') return `${typeStr(t.ofType)}!`;
  if (t.kind === 'LIST') return `[${typeStr(t.ofType)}]`;
  return t.name;
}
function unwrap(t) {
  let list = false;
  while (t.kind === 'NON_NULL' || t.kind === 'LIST') {
    if (t.kind === 'LIST') list = true;
    t = t.ofType;
  }
  return { name: t.name, kind: t.kind, list };
}

// schema/README's naming rule for columns (and tables): a GraphQL name not starting with
// __ stays; any other is sanitized byte by byte; sanitized names that collide with another
// column's take _N, N the first number no column has, in byte order of their PostgreSQL names.
const isGqlName = (s) => /^[_A-Za-z][_0-9A-Za-z]*$/.test(s) && !s.startsWith('__');
function sanitize(s) {
  let out = [...Buffer.from(s, 'utf8')].map((b) => (/[_0-9A-Za-z]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : '_')).join('');
  if (out === '' || /^[0-9]/.test(out)) out = `_${out}`;
  return out.replace(/^__+/, '_');
}
export function gqlNames(pgNames) {
  const out = new Map();
  const taken = new Set(pgNames.filter(isGqlName));
  for (const n of taken) out.set(n, n);
  const bad = pgNames.filter((n) => !isGqlName(n)).sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
  const san = bad.map((n) => [n, sanitize(n)]);
  const colliding = (g) => taken.has(g) || san.filter(([, h]) => h === g).length > 1;
  const clash = san.filter(([, g]) => colliding(g));
  for (const [n, g] of san) if (!colliding(g)) { out.set(n, g); taken.add(g); }
  for (const [n, g] of clash) {
    let k = 1;
    while (taken.has(`${g}_${k}`)) k++;
    out.set(n, `${g}_${k}`);
    taken.add(`${g}_${k}`);
  }
  return out;
}

// The model of one database: tables with columns (SQL cast, GraphQL scalar, the
// comparison operators the schema offers), primary keys, relationships (names by
// schema/README's rules, each checked against the server's introspection) and
// the aggregate functions offered per column. `tables` limits what is generated.
// `extraTables` (GraphQL names) are generated only from the third stream (rng.third), with
// relationships to and from them, so that a seed still makes what it made before them.
// Functions: root fields (fns) and computed fields (t.computed), from the catalog, each
// checked against the introspection.
export async function loadModel(db, serverUrl, tableNames, extraTables = []) {
  const cat = sqlJson(db, `select json_build_object(
    'tables', (select json_agg(json_build_object('name', c.relname, 'oid', c.oid)) from pg_class c
                where c.relnamespace = 'public'::regnamespace and c.relkind in ('r','p','v','m') and not c.relispartition),
    'columns', (select json_agg(json_build_object('table', c.relname, 'name', a.attname, 'notnull', a.attnotnull,
                  'isarray', t.typcategory = 'A',
                  'base', case when t.typcategory = 'A' then et.typname else t.typname end,
                  'cast', case when t.typcategory = 'A' then format('%I.%I[]', en.nspname, et.typname)
                               else format('%I.%I', tn.nspname, t.typname) end) order by c.relname, a.attnum)
                from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_type t on t.oid = a.atttypid
                join pg_namespace tn on tn.oid = t.typnamespace
                left join pg_type et on et.oid = t.typelem and t.typcategory = 'A'
                left join pg_namespace en on en.oid = et.typnamespace
               where c.relnamespace = 'public'::regnamespace and c.relkind in ('r','p','v','m') and not c.relispartition
                 and a.attnum > 0 and not a.attisdropped),
    'pks', (select json_agg(json_build_object('table', c.relname, 'cols',
                  (select json_agg(a.attname order by k.ord) from unnest(i.indkey) with ordinality k(attnum, ord)
                     join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum)))
              from pg_index i join pg_class c on c.oid = i.indrelid
             where i.indisprimary and c.relnamespace = 'public'::regnamespace and not c.relispartition),
    'indexes', (select json_agg(json_build_object('table', c.relname, 'cols',
                  (select json_agg(a.attname order by k.ord) from unnest(i.indkey) with ordinality k(attnum, ord)
                     join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum)))
              from pg_index i join pg_class c on c.oid = i.indrelid
             where c.relnamespace = 'public'::regnamespace and not c.relispartition),
    'fks', (select json_agg(json_build_object('name', k.conname, 'child', c.relname, 'parent', p.relname,
                  'ccols', (select json_agg(a.attname order by u.ord) from unnest(k.conkey) with ordinality u(n, ord)
                              join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.n),
                  'pcols', (select json_agg(a.attname order by u.ord) from unnest(k.confkey) with ordinality u(n, ord)
                              join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.n)))
              from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_class p on p.oid = k.confrelid
             where k.contype = 'f' and c.relnamespace = 'public'::regnamespace and not c.relispartition
               and p.relnamespace = 'public'::regnamespace),
    'functions', (select json_agg(json_build_object('name', p.proname, 'retset', p.proretset,
                  'retrel', rc.relname, 'retcast', format('%I.%I', rn.nspname, rt.typname),
                  'nargs', p.pronargs, 'ndefaults', p.pronargdefaults, 'argnames', p.proargnames,
                  'args', (select json_agg(json_build_object('cast', format('%I.%I', n.nspname, t.typname), 'rel', tc.relname) order by u.o)
                             from unnest(p.proargtypes::oid[]) with ordinality u(oid, o) join pg_type t on t.oid = u.oid
                             join pg_namespace n on n.oid = t.typnamespace left join pg_class tc on tc.oid = t.typrelid)))
              from pg_proc p join pg_type rt on rt.oid = p.prorettype join pg_namespace rn on rn.oid = rt.typnamespace
              left join pg_class rc on rc.oid = rt.typrelid
             where p.pronamespace = 'public'::regnamespace and p.prokind = 'f' and p.provolatile in ('s', 'i')
               and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')))`);
  const res = await fetch(`${serverUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: INTROSPECT }),
  });
  const intro = await res.json();
  if (!intro.data) throw new Error(`introspection failed: ${JSON.stringify(intro)}`);
  const types = new Map(intro.data.__schema.types.map((t) => [t.name, t]));
  const exposed = new Set(cat.tables.map((t) => t.name));
  // GraphQL names of tables and columns by the naming rule; SQL keeps the PostgreSQL ones (pg).
  const tableGql = gqlNames([...exposed]);

  const tables = new Map();
  for (const name of exposed) {
    const pgCols = cat.columns.filter((c) => c.table === name);
    const colGql = gqlNames(pgCols.map((c) => c.name));
    const cols = pgCols.map((c) => ({ ...c, name: colGql.get(c.name), pg: c.name }));
    const pk = ((cat.pks.find((p) => p.table === name) || {}).cols || null)?.map((k) => colGql.get(k)) ?? null;
    tables.set(name, { name: tableGql.get(name), pg: name, cols, colGql, pk, rels: [] });
  }
  // Relationship names (schema/README): object on the child, array on the parent;
  // every colliding one gets _by_<fk columns>; the columns' GraphQL names count.
  for (const fk of cat.fks) {
    if (!exposed.has(fk.child) || !exposed.has(fk.parent)) continue;
    const child = tables.get(fk.child);
    const parent = tables.get(fk.parent);
    const c0 = child.colGql.get(fk.ccols[0]);
    const objName = fk.ccols.length === 1 && c0.endsWith('_id') ? c0.slice(0, -3) : parent.name;
    child.rels.push({ kind: 'object', name: objName, target: parent.name, from: fk.ccols, to: fk.pcols, fk });
    parent.rels.push({ kind: 'array', name: child.name, target: child.name, from: fk.pcols, to: fk.ccols, fk });
  }
  for (const t of tables.values()) {
    const colNames = new Set(t.cols.map((c) => c.name));
    const count = new Map();
    for (const r of t.rels) count.set(r.name, (count.get(r.name) || 0) + 1);
    for (const r of t.rels)
      if (count.get(r.name) > 1 || colNames.has(r.name)) r.name = `${r.name}_by_${r.fk.ccols.map((c) => tables.get(r.fk.child).colGql.get(c)).join('_')}`;
  }
  const byGql = new Map([...tables.values()].map((t) => [t.name, t]));
  const queryRoot = new Map(types.get('query_root').fields.map((f) => [f.name, f]));
  // The comparison operators of a comparison input type; json has no equality in
  // PostgreSQL, so of a json column only _is_null is generated.
  const opsOf = (cmpType, base) => types.get(cmpType).inputFields.map((i) => ({ name: i.name, type: typeStr(i.type) }))
    .filter((o) => base !== 'json' || o.name === '_is_null');
  // The parameters after `skip` of catalog function f, with their GraphQL input types.
  const params = (f, skip) => {
    const argsType = types.get(`${f.name}_args`);
    const inputs = new Map((argsType?.inputFields || []).map((i) => [i.name, typeStr(i.type)]));
    return (f.args || []).slice(skip).map((a, k) => {
      const name = (f.argnames || [])[k + skip];
      if (!inputs.has(name)) throw new Error(`parameter ${name} of ${f.name} is not in ${f.name}_args`);
      return { name, cast: a.cast, gtype: inputs.get(name), required: k + skip < f.nargs - f.ndefaults };
    });
  };

  // Keep the tables asked for, with what the server's schema says about them.
  const model = { db, tables: new Map(), fns: [] };
  const all = [...tableNames, ...extraTables];
  for (const name of all) {
    const t = byGql.get(name);
    const type = types.get(name);
    if (!t || !type) throw new Error(`table ${name} is not in ${db}'s schema`);
    const fields = new Map(type.fields.map((f) => [f.name, f]));
    const boolExp = new Map(types.get(`${name}_bool_exp`).inputFields.map((f) => [f.name, f]));
    const orderBy = new Set(types.get(`${name}_order_by`).inputFields.map((f) => f.name));
    const selectCols = new Set((types.get(`${name}_select_column`).enumValues || []).map((e) => e.name));
    const cols = [];
    for (const c of t.cols) {
      if (SKIP_TYPES.has(c.base)) continue;
      const f = fields.get(c.name);
      if (!f) throw new Error(`${name}.${c.name} (PostgreSQL column "${c.pg}") is not a field of type ${name}: the naming rule and the server disagree`);
      const said = /PostgreSQL column "((?:[^"]|"")*)"\s*$/.exec(f.description || '');
      if ((said ? said[1].replace(/""/g, '"') : c.name) !== c.pg)
        throw new Error(`${name}.${c.name}: the description names ${said ? said[1] : 'no PostgreSQL column'}, the catalog ${c.pg}`);
      const g = unwrap(f.type);
      const cmpType = unwrap(boolExp.get(c.name).type).name;
      // json has no equality: no DISTINCT or count(DISTINCT) of it (Odd_Table's raw)
      cols.push({ ...c, gql: g.name, list: g.list, ops: opsOf(cmpType, c.base), orderable: orderBy.has(c.name), distinct: selectCols.has(c.name) && c.base !== 'json' });
    }
    const rels = [];
    const xrels = []; // to extra tables, from a main one
    for (const r of t.rels) {
      if (!all.includes(r.target)) continue;
      const f = fields.get(r.name);
      if (!f) throw new Error(`relationship ${name}.${r.name} (from ${r.fk.name}) is not a field of ${name}: the naming rules and the server disagree`);
      const g = unwrap(f.type);
      if (g.name !== r.target || g.list !== (r.kind === 'array'))
        throw new Error(`relationship ${name}.${r.name} has type ${JSON.stringify(g)}, expected ${r.kind} of ${r.target}`);
      // Whether an index leads with the child's FK columns (an EXISTS through it is cheap).
      const child = r.kind === 'array' ? byGql.get(r.target).pg : t.pg;
      const fkCols = r.kind === 'array' ? r.to : r.from;
      const indexed = r.kind === 'object' || (cat.indexes || []).some((i) => i.table === child && fkCols.every((c, k) => i.cols[k] === c));
      const rel = { ...r, indexed, hasAggregate: r.kind === 'array' && fields.has(`${r.name}_aggregate`), inBoolExp: boolExp.has(r.name), inOrderBy: orderBy.has(r.name), aggInOrderBy: r.kind === 'array' && orderBy.has(`${r.name}_aggregate`) };
      (tableNames.includes(name) && extraTables.includes(r.target) ? xrels : rels).push(rel);
    }
    // Aggregate functions: T_aggregate_fields.{sum,avg,...} → T_<fn>_fields columns.
    const aggFns = [];
    const af = types.get(`${name}_aggregate_fields`);
    for (const f of af.fields) {
      if (f.name === 'count') continue;
      const ft = types.get(unwrap(f.type).name);
      aggFns.push({ fn: f.name, cols: ft.fields.map((x) => x.name), float: ['avg', 'stddev', 'stddev_pop', 'stddev_samp', 'variance', 'var_pop', 'var_samp'].includes(f.name) });
    }
    // Computed fields: <table>_<field>(row of table, …) that are fields of the type.
    const computed = [];
    for (const f of cat.functions || []) {
      if (!f.name.startsWith(`${t.pg}_`) || f.args?.[0]?.rel !== t.pg || f.retset && !f.retrel) continue;
      const field = f.name.slice(t.pg.length + 1);
      const ff = fields.get(field);
      if (!ff || cols.some((c) => c.name === field) || rels.some((r) => r.name === field)) continue;
      const g = unwrap(ff.type);
      const ps = params(f, 1);
      const cf = { name: field, fn: f.name, params: ps, cast: f.retcast, gql: g.name, isarray: false, samples: [] };
      if (f.retrel) {
        const target = byGql.get(tables.get(f.retrel)?.name);
        if (!target || !all.includes(target.name)) continue;
        Object.assign(cf, { kind: f.retset ? 'setof' : 'row', target: target.name });
      } else {
        cf.kind = 'scalar';
        cf.inBoolExp = boolExp.has(field);
        cf.orderable = orderBy.has(field);
        if (cf.inBoolExp !== !ps.some((p) => p.required) || cf.orderable !== cf.inBoolExp)
          throw new Error(`computed field ${name}.${field}: in bool_exp ${cf.inBoolExp}, in order_by ${cf.orderable}, required args ${ps.some((p) => p.required)}`);
        if (cf.inBoolExp) cf.ops = opsOf(unwrap(boolExp.get(field).type).name, null);
      }
      computed.push(cf);
    }
    model.tables.set(name, { name, pg: t.pg, cols, pk: t.pk, rels, xrels, aggFns, computed, extra: extraTables.includes(name), hasByPk: queryRoot.has(`${name}_by_pk`) });
  }
  // Root functions: every other function the query root has a field for.
  for (const f of cat.functions || []) {
    const field = queryRoot.get(f.name);
    if (!field) continue;
    const g = unwrap(field.type);
    const fn = { name: f.name, pg: f.name, params: params(f, 0), cast: f.retcast, gql: g.name };
    if (f.retrel) {
      const target = tables.get(f.retrel)?.name;
      if (!model.tables.has(target)) continue;
      fn.kind = f.retset ? 'setof' : 'row';
      fn.target = target;
      if (g.name !== target || g.list !== f.retset) throw new Error(`root function ${f.name}: type ${JSON.stringify(g)}`);
      fn.hasAggregate = f.retset && queryRoot.has(`${f.name}_aggregate`);
    } else fn.kind = 'scalar';
    model.fns.push(fn);
  }
  model.fns.sort((x, y) => (x.name < y.name ? -1 : 1));
  // Sample values per column (and computed scalar field), so that filters select something.
  const parts = [];
  for (const t of model.tables.values()) {
    for (const c of t.cols)
      if (c.base !== 'json')
        parts.push(`'${t.name}.${c.name}', (select coalesce(json_agg(v), '[]') from (select distinct ${qid(c.pg)} v from ${qid(t.pg)} where ${qid(c.pg)} is not null order by 1 limit 25) s)`);
    for (const cf of t.computed)
      if (cf.kind === 'scalar' && cf.inBoolExp)
        parts.push(`'${t.name}.${cf.name}()', (select coalesce(json_agg(v), '[]') from (select distinct "public".${qid(cf.fn)}(r) v from ${qid(t.pg)} r order by 1 limit 25) s where v is not null)`);
  }
  const samples = {};
  for (let i = 0; i < parts.length; i += 40) Object.assign(samples, sqlJson(db, `select json_build_object(${parts.slice(i, i + 40).join(', ')})`));
  for (const t of model.tables.values()) {
    for (const c of t.cols) c.samples = samples[`${t.name}.${c.name}`] || [];
    for (const cf of t.computed) if (cf.kind === 'scalar' && cf.inBoolExp) cf.samples = samples[`${t.name}.${cf.name}()`];
  }
  return model;
}
const qid = (s) => `"${s.replace(/"/g, '""')}"`;

// ---------------------------------------------------------------------------
// The generator. An operation is
//   { db, vars: [{name, type, a, b}], roots: [Sel], frags: [{name, on, sels}] }
// and a value anywhere in it is V = {var: name|null, a, b, gtype} (a literal has
// a === b). Sel kinds: col, typename, obj, arr, agg, frag (inline or named).

const TEXT_OPS = ['_like', '_nlike', '_ilike', '_nilike', '_similar', '_regex', '_iregex'];
const DIRS = ['asc', 'desc', 'asc_nulls_first', 'asc_nulls_last', 'desc_nulls_first', 'desc_nulls_last'];
const reEscape = (s) => s.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
const likeEscapeSafe = (s) => s.replace(/[\\%_]/g, '');
const hasBadKey = (v) => !!v && typeof v === 'object' &&
  (Array.isArray(v) ? v.some(hasBadKey) : Object.entries(v).some(([k, x]) => !/^[_A-Za-z][_0-9A-Za-z]*$/.test(k) || hasBadKey(x)));

export function generateOp(model, rng, opts = {}) {
  const op = { db: model.db, vars: [], roots: [], frags: [], big: opts.big, features: new Set() };
  const feat = (f) => op.features.add(f);
  let nVar = 0, nAlias = 0, nFrag = 0;
  // Functions, computed fields and extra tables are drawn from the third stream (X), with
  // names of their own (c…, x…, G…), so that every choice and name of the main stream stays.
  const X = rng.third();
  let extra = false, nAliasX = 0, nVarX = 0, nFragX = 0;
  // Computed fields in where and order_by only in the arguments of root fields (selDepth 0):
  // nested, a function call per row of every subquery made statements take 30 s on blog.
  let selDepth = 0;
  // …and computed fields and relationships to extra tables only in the root fields of
  // functions and extra tables, so that the main roots are exactly what they were: added to
  // the big nested main operations, a few of them made cold statements take 18–31 s.
  let inExtraRoot = false;
  const withExtra = (f) => {
    const saved = [rng, extra];
    rng = X;
    extra = true;
    try { return f(); } finally { [rng, extra] = saved; }
  };
  const alias = () => (extra ? `c${++nAliasX}` : `a${++nAlias}`);
  const varName = (p) => (extra ? `x${p}${++nVarX}` : `${p}${++nVar}`);
  // A value: a literal, or a variable with two different values for the two sets.
  let inWhereVar = false; // inside a where passed whole as one variable: values differ per set, no own variables
  const val = (gtype, gen, pVar = 0.45) => {
    const a = gen();
    // A jsonb object with a key that is no GraphQL name ("k y") cannot be a literal.
    if (!inWhereVar && !rng.chance(pVar) && !hasBadKey(a)) return { var: null, a, b: a, gtype };
    let b = gen();
    for (let i = 0; i < 3 && JSON.stringify(a) === JSON.stringify(b); i++) b = gen();
    if (inWhereVar) return { var: null, a, b, gtype };
    const name = varName('v');
    op.vars.push({ name, type: gtype, a, b });
    return { var: name, a, b, gtype };
  };
  const val0 = val;
  const boolVal = (p = 0.5) => val('Boolean!', () => rng.chance(0.5), p);

  const scalarGen = (col) => () => {
    const s = col.samples;
    if (col.gql === 'Boolean') return rng.chance(0.5);
    if (!s.length) return col.gql === 'String' ? 'zzz' : 0;
    let v = rng.pick(s);
    if (col.isarray) return v;
    if (typeof v === 'number' && Number.isInteger(v) && rng.chance(0.2)) v += rng.int(-1, 1);
    return v;
  };
  const elemGen = (col) => () => {
    const all = col.samples.flat();
    return all.length ? rng.pick(all) : 'x';
  };
  const textPattern = (col, opName) => () => {
    const s = String(rng.pick(col.samples.length ? col.samples : ['abc'])).trimEnd();
    const i = rng.int(0, Math.max(0, s.length - 1));
    const sub = s.slice(i, i + rng.int(1, 3));
    const flip = (x) => (rng.chance(0.5) ? x.toUpperCase() : x.toLowerCase());
    switch (opName) {
      case '_like': case '_nlike': return rng.chance(0.5) ? `%${likeEscapeSafe(sub)}%` : `${likeEscapeSafe(s.slice(0, 2))}%`;
      case '_ilike': case '_nilike': return rng.chance(0.5) ? `%${flip(likeEscapeSafe(sub))}%` : `${flip(likeEscapeSafe(s.slice(0, 2)))}%`;
      case '_similar': {
        const t = String(rng.pick(col.samples.length ? col.samples : ['x'])).trimEnd();
        return `%(${likeEscapeSafe(sub).replace(/[|*+?{}()[\]]/g, '')}|${likeEscapeSafe(t.slice(0, 2)).replace(/[|*+?{}()[\]]/g, '')})%`;
      }
      case '_regex': return rng.chance(0.5) ? `^${reEscape(s.slice(0, 2))}` : `${reEscape(sub)}|qq`;
      default: return rng.chance(0.5) ? `^${reEscape(flip(s.slice(0, 2)))}` : reEscape(flip(sub));
    }
  };
  const jsonGen = (col) => () => {
    const s = col.samples;
    const pick = s.length ? rng.pick(s) : {};
    switch (rng.int(0, 3)) {
      case 0: return pick;
      case 1: return rng.chance(0.5);
      case 2: return {};
      default: return typeof pick === 'object' && pick && !Array.isArray(pick) ? Object.fromEntries(rng.sample(Object.entries(pick), 1)) : pick;
    }
  };
  const jsonKeys = (col) => {
    const keys = new Set(['zz']);
    for (const v of col.samples) if (v && typeof v === 'object' && !Array.isArray(v)) for (const k of Object.keys(v)) keys.add(k);
    return [...keys];
  };

  // One comparison: {op, v} with the value as GraphQL types it.
  const cmp = (col, o) => {
    const declared = col.ops.find((x) => x.name === o).type; // the operator's input type, as the schema says
    const val = (_t, gen, p) => val0(declared, gen, p);
    feat(`operator ${o}${col.isarray ? ' (array)' : ''}`);
    const scalar = col.isarray ? () => rng.sample(col.samples.flat().length ? [...new Set(col.samples.flat())] : ['x'], rng.int(0, 2)) : scalarGen(col);
    switch (o) {
      case '_is_null': return boolVal(0.5);  // a Boolean! variable in a Boolean position
      case '_in': case '_nin':
        if (col.isarray) return val(null, () => Array.from({ length: rng.int(0, 2) }, () => rng.pick(col.samples.length ? col.samples : [[]])));
        return val(null, () => Array.from({ length: rng.int(0, 4) }, scalar));
      case '_contains': case '_contained_in':
        if (col.isarray) return val(null, () => rng.sample([...new Set([...col.samples.flat(), ...(col.gql === 'String' ? ['zz'] : [])])], rng.int(0, 2)));
        return val('jsonb', jsonGen(col));
      case '_has_key': return val('String', () => rng.pick(jsonKeys(col)));
      case '_has_keys_any': case '_has_keys_all': return val('[String!]', () => rng.sample(jsonKeys(col), rng.int(0, 2)));
      default:
        if (TEXT_OPS.includes(o)) return val('String', textPattern(col, o));
        if (col.gql === 'jsonb') return val('jsonb', jsonGen(col));
        return val(null, scalar);
    }
  };

  // A boolean expression over table t; hops = relationship hops left.
  const boolExp = (t, depth, hops) => {
    const entries = [];
    const used = new Set();
    const n = depth === 0 ? rng.int(1, 3) : rng.int(1, 2);
    for (let i = 0; i < n; i++) {
      const kinds = ['col', 'col', 'col'];
      if (depth < 3) kinds.push('_and', '_or', '_not');
      // On the big database, only through indexed foreign keys: an unindexed EXISTS per row
      // (rental.staff_id) costs seconds, in the server and the oracle alike, and tests nothing more.
      const filterRels = t.rels.filter((r) => r.inBoolExp && (!op.big || r.indexed));
      if (hops > 0 && filterRels.length) kinds.push('rel');
      const k = rng.pick(kinds);
      if (k === 'col') {
        const col = rng.pick(t.cols);
        if (used.has(col.name)) continue;
        used.add(col.name);
        const ops = rng.sample(col.ops.map((x) => x.name), rng.chance(0.8) ? 1 : 2);
        entries.push({ kind: 'col', col, cmps: ops.map((o) => ({ op: o, v: cmp(col, o) })) });
      } else if (k === 'rel') {
        const r = rng.pick(filterRels);
        if (used.has(r.name)) continue;
        used.add(r.name);
        entries.push({ kind: 'rel', rel: r, exp: boolExp(model.tables.get(r.target), depth + 1, hops - 1) });
        feat(`filter through ${r.kind} relationship`);
      } else {
        if (used.has(k)) continue;
        used.add(k);
        feat(k);
        if (k === '_not') entries.push({ kind: '_not', exp: boolExp(t, depth + 1, hops) });
        else entries.push({ kind: k, exps: Array.from({ length: rng.int(1, 3) }, () => boolExp(t, depth + 1, hops)) });
      }
    }
    // A computed scalar field (without required args) compared as a column is; only at the
    // top of a root field's where (selDepth above).
    withExtra(() => {
      const cfs = t.computed.filter((c) => c.kind === 'scalar' && c.inBoolExp);
      if (!inExtraRoot || selDepth > 0 || depth > 0 || hops < 2 || !cfs.length || !rng.chance(0.3)) return;
      const cf = rng.pick(cfs);
      const ops = rng.sample(cf.ops.map((x) => x.name), rng.chance(0.8) ? 1 : 2);
      entries.push({ kind: 'col', col: cf, cf: true, cmps: ops.map((o) => ({ op: o, v: cmp(cf, o) })) });
      feat('computed field in where');
    });
    return { entries };
  };

  const dir = () => {
    const d = rng.pick(DIRS);
    return rng.chance(0.2) ? val('order_by!', () => rng.pick(DIRS), 1) : { var: null, a: d, b: d, gtype: 'order_by' };
  };
  // An aggregate of an array relationship of t to order by: count, or a function of a
  // column. Sums, averages and statistics only of exact columns (int, numeric): of a
  // float column they depend on the order rows are added in, which two plans of one
  // query need not share, so rows that tie could sort either way. On the big database only
  // through indexed foreign keys, as filters: the aggregate is one subquery per row.
  // Drawn from the side stream, instead of a column term (p: how often), so that a seed
  // still makes the operations it made before aggregate ordering existed.
  const aggTerm = (t, p) => {
    const s = rng.side();
    const rels = t.rels.filter((r) => r.aggInOrderBy && (!op.big || r.indexed));
    if (!s.chance(p) || !rels.length) return null;
    const r = s.pick(rels);
    const tt = model.tables.get(r.target);
    const exact = (f, c) => f.fn === 'min' || f.fn === 'max' || tt.cols.find((x) => x.name === c)?.gql !== 'Float';
    const fns = tt.aggFns.map((f) => ({ fn: f.fn, cols: f.cols.filter((c) => exact(f, c)) })).filter((f) => f.cols.length);
    if (!fns.length || s.chance(0.4)) return { rel: r, fn: 'count' };
    const f = s.pick(fns);
    return { rel: r, fn: f.fn, col: s.pick(f.cols) };
  };
  // order_by items end with the primary key (a unique tiebreak).
  const orderBy = (t, distinctCol) => {
    const items = [];
    if (distinctCol) items.push({ path: [], col: distinctCol, dir: dir() });
    for (let i = rng.int(0, 2); i > 0; i--) {
      const viaRel = t.rels.filter((r) => r.kind === 'object' && r.inOrderBy);
      if (viaRel.length && rng.chance(0.35)) {
        const r = rng.pick(viaRel);
        const tt = model.tables.get(r.target);
        const c = rng.pick(tt.cols.filter((x) => x.orderable));
        const agg = aggTerm(tt, 0.25);
        items.push(agg ? { path: [r], agg, dir: dir() } : { path: [r], col: c.name, dir: dir() });
        feat(agg ? 'order_by an aggregate through an object relationship' : 'order_by through an object relationship');
      } else {
        const c = rng.pick(t.cols.filter((x) => x.orderable));
        const agg = aggTerm(t, 0.3);
        items.push(agg ? { path: [], agg, dir: dir() } : { path: [], col: c.name, dir: dir() });
        if (agg) feat(`order_by ${agg.fn} of an array relationship`);
      }
    }
    // A computed scalar field, of the table or through an object relationship (root fields only).
    withExtra(() => {
      if (!inExtraRoot || selDepth > 0 || !rng.chance(0.3)) return;
      const own = t.computed.filter((c) => c.kind === 'scalar' && c.orderable).map((cf) => ({ path: [], cf }));
      const via = t.rels.filter((r) => r.kind === 'object' && r.inOrderBy)
        .flatMap((r) => model.tables.get(r.target).computed.filter((c) => c.kind === 'scalar' && c.orderable).map((cf) => ({ path: [r], cf })));
      if (!own.length && !via.length) return;
      const it = rng.pick([...own, ...via]);
      items.push({ ...it, col: it.cf.name, dir: dir() });
      feat(it.path.length ? 'order_by a computed field through an object relationship' : 'order_by a computed field');
    });
    for (const k of t.pk) items.push({ path: [], col: k, dir: { var: null, a: 'asc', b: 'asc', gtype: 'order_by' } });
    return items;
  };
  const listArgs = (t, maxLimit, mustLimit) => {
    const args = {};
    if (rng.chance(0.6)) {
      inWhereVar = rng.chance(0.15);
      args.where = boolExp(t, 0, 2);
      if (inWhereVar) args.whereVar = varName('w');
      if (inWhereVar) feat('where as one variable');
      inWhereVar = false;
    }
    if (rng.chance(0.2)) {
      const c = rng.pick(t.cols.filter((x) => x.distinct && x.orderable));
      if (c) args.distinct = c.name;
      if (c) feat('distinct_on');
    }
    args.orderBy = orderBy(t, args.distinct);
    // null (no limit, no offset) as a literal or a variable's value, beside non-null ones
    if (mustLimit || rng.chance(0.5)) args.limit = val('Int', () => (!mustLimit && rng.chance(0.15) ? null : rng.int(0, maxLimit)), 0.4);
    if (rng.chance(0.25)) args.offset = val('Int', () => (rng.chance(0.15) ? null : rng.int(0, 3)), 0.4);
    if (args.limit) feat(`limit${args.limit.var ? ' (variable)' : ''}`);
    if (args.offset) feat(`offset${args.offset.var ? ' (variable)' : ''}`);
    return args;
  };
  const dirs = () => {
    if (!rng.chance(0.2)) return [];
    const d = { name: rng.chance(0.5) ? 'include' : 'skip', v: boolVal(0.6) };
    feat(`@${d.name}${d.v.var ? ' (variable)' : ' (literal)'}`);
    return [d];
  };

  const aggSels = (t) => {
    const out = [];
    if (rng.chance(0.7)) out.push({ kind: 'count', key: 'count' });
    if (rng.chance(0.4)) {
      const c = rng.pick(t.cols.filter((x) => x.distinct));
      out.push({ kind: 'count', key: alias(), col: c.name, distinct: rng.chance(0.7) ? boolVal(0.5) : null });
    }
    for (const f of rng.sample(t.aggFns, rng.int(0, 3)))
      if (f.cols.length) out.push({ kind: 'fn', key: rng.chance(0.2) ? alias() : f.fn, fn: f.fn, float: f.float, cols: rng.sample(f.cols, rng.int(1, 2)) });
    if (rng.chance(0.15)) out.push({ kind: 'typename', key: '__typename' });
    if (!out.length) out.push({ kind: 'count', key: 'count' });
    return out;
  };

  // The selection set of a row of t; level = relationship levels so far.
  const sels = (t, level, maxLevel, inFrag) => {
    selDepth++;
    try { return sels1(t, level, maxLevel, inFrag); } finally { selDepth--; }
  };
  const sels1 = (t, level, maxLevel, inFrag) => {
    const out = [];
    const cols = rng.sample(t.cols, rng.int(1, 4));
    for (const c of cols) out.push({ kind: 'col', key: rng.chance(0.15) ? alias() : c.name, col: c.name, dirs: dirs() });
    if (rng.chance(0.1)) out.push({ kind: 'typename', key: '__typename', dirs: [] });
    if (level < maxLevel) {
      const rels = rng.sample(t.rels, rng.int(level === 1 ? 1 : 0, 2));
      for (const r of rels) {
        const tt = model.tables.get(r.target);
        const key = rng.chance(0.3) ? alias() : r.name;
        feat(`nesting level ${level + 1}`);
        if (r.kind === 'object') out.push({ kind: 'obj', key, rel: r, sels: sels(tt, level + 1, maxLevel), dirs: dirs() });
        else if (r.hasAggregate && rng.chance(0.25)) {
          const nodes = rng.chance(0.4) ? sels(tt, level + 1, maxLevel, true) : null;
          feat('<rel>_aggregate');
          out.push({ kind: 'agg', key: rng.chance(0.5) ? alias() : `${r.name}_aggregate`, rel: r, table: tt, args: listArgs(tt, 3, !!nodes && op.big), agg: aggSels(tt), nodes, dirs: dirs() });
        } else out.push({ kind: 'arr', key, rel: r, args: listArgs(tt, 4, op.big), sels: sels(tt, level + 1, maxLevel), dirs: dirs() });
      }
    }
    // A duplicate of a column (merged by the server), sometimes with a directive.
    if (rng.chance(0.15)) {
      const c = rng.pick(out.filter((s) => s.kind === 'col'));
      if (c) out.push({ ...c, dirs: dirs() });
    }
    // Group a stretch of the selections into an inline or a named fragment.
    if (!inFrag && out.length >= 2 && rng.chance(0.35)) {
      const i = rng.int(0, out.length - 1);
      const j = rng.int(i, out.length - 1);
      const inner = out.slice(i, j + 1);
      let frag;
      if (rng.chance(0.5)) {
        frag = { kind: 'frag', on: rng.chance(0.6) ? t.name : null, sels: inner, dirs: dirs() };
        feat(frag.on ? 'inline fragment' : 'inline fragment without type condition');
      } else {
        feat('named fragment');
        const name = extra ? `G${++nFragX}` : `F${++nFrag}`;
        op.frags.push({ name, on: t.name, sels: inner });
        frag = { kind: 'frag', named: name, dirs: dirs() };
      }
      out.splice(i, j - i + 1, frag);
    }
    withExtra(() => extraSels(t, level, maxLevel, inFrag, out));
    return out;
  };
  // The function arguments of f: required ones always, optional ones sometimes (null
  // sometimes, which takes the default as leaving it out does); values by the parameter's type.
  const fnArgs = (f) => {
    const out = [];
    for (const p of f.params) {
      if (!p.required && rng.chance(0.4)) continue;
      out.push({ p, v: val(p.gtype, argGen(p, p.required)) });
    }
    if (out.length) feat('function arguments');
    if (out.some((x) => x.v.var)) feat('function argument (variable)');
    return { list: out, empty: !out.length && f.params.length > 0 && rng.chance(0.2) };
  };
  const sameCast = (cast) => [...model.tables.values()].flatMap((t) => t.cols.filter((c) => c.cast === cast && !c.isarray && c.samples.length));
  const argGen = (p, required) => () => {
    if (!required && rng.chance(0.15)) return null;
    if (p.cast === 'pg_catalog.text') {
      const s = String(rng.pick(sameCast(p.cast).flatMap((c) => c.samples).filter((x) => typeof x === 'string')) ?? 'e');
      const i = rng.int(0, s.length);
      return s.slice(i, i + rng.int(0, 3));
    }
    if (p.cast === 'pg_catalog.int4' || p.cast === 'pg_catalog.int2') return rng.int(0, 5);
    const cols = sameCast(p.cast);
    if (cols.length) return rng.pick(rng.pick(cols).samples);
    if (p.cast === 'pg_catalog.int8' || p.cast === 'pg_catalog.numeric') return rng.int(0, 50);
    throw new Error(`no values for a parameter of type ${p.cast}`);
  };
  // Computed fields of t (scalar, with or without args; SETOF another table with args and
  // list arguments, nested) and relationships to extra tables, after the main selections.
  const extraSels = (t, level, maxLevel, inFrag, out) => {
    // Only near the root: deeper (SETOF inside SETOF, scalars on every nested list) the
    // cold server's statements took 30 s on blog's handful of rows (see the report in
    // tests/README), which times out the other requests waiting for its connections.
    if (inExtraRoot && level <= 2 && t.computed.length && rng.chance(0.6)) {
      for (const cf of rng.sample(t.computed, rng.int(1, 2))) {
        const key = rng.chance(0.2) ? alias() : cf.name;
        if (cf.kind === 'scalar') {
          out.push({ kind: 'cf', key, cf, fnArgs: fnArgs(cf), dirs: dirs() });
          feat(cf.params.length ? 'computed scalar field with args' : 'computed scalar field');
        } else if (cf.kind === 'setof') {
          const tt = model.tables.get(cf.target);
          out.push({ kind: 'cfset', key, cf, fnArgs: fnArgs(cf), args: listArgs(tt, 4, op.big), sels: sels(tt, level + 1, maxLevel), dirs: dirs() });
          feat(`SETOF computed field (nesting level ${level + 1})`);
        }
      }
    }
    if (inExtraRoot && level < maxLevel && level <= 2 && t.xrels.length && rng.chance(0.3)) {
      const r = rng.pick(t.xrels);
      const tt = model.tables.get(r.target);
      const key = rng.chance(0.3) ? alias() : r.name;
      feat(`relationship to ${tt.name}`);
      if (r.kind === 'object') out.push({ kind: 'obj', key, rel: r, sels: sels(tt, level + 1, maxLevel), dirs: dirs() });
      else out.push({ kind: 'arr', key, rel: r, args: listArgs(tt, 4, op.big), sels: sels(tt, level + 1, maxLevel), dirs: dirs() });
    }
  };

  const maxLevel = rng.int(1, 4);
  const nRoots = rng.int(1, 3);
  const tableList = [...model.tables.values()].filter((t) => !t.extra);
  for (let i = 0; i < nRoots; i++) {
    const t = rng.pick(tableList);
    const kind = rng.next();
    const key = i === 0 && rng.chance(0.5) ? null : alias();
    if (kind < 0.12 && t.hasByPk) {
      const pkv = t.pk.map((k) => {
        const c = t.cols.find((x) => x.name === k);
        return { col: k, v: val(`${c.gql}!`, scalarGen(c)) };
      });
      feat('T_by_pk');
      op.roots.push({ kind: 'pk', key: key || `${t.name}_by_pk`, table: t, pk: pkv, sels: sels(t, 1, maxLevel), dirs: dirs() });
    } else if (kind < 0.3) {
      const nodes = rng.chance(0.5) ? sels(t, 1, maxLevel, true) : null;
      feat('T_aggregate');
      op.roots.push({ kind: 'agg', key: key || `${t.name}_aggregate`, table: t, args: listArgs(t, 8, !!nodes && op.big), agg: aggSels(t), nodes, dirs: dirs() });
    } else {
      op.roots.push({ kind: 'arr', key: key || t.name, table: t, args: listArgs(t, 8, op.big), sels: sels(t, 1, maxLevel), dirs: dirs() });
    }
  }
  // What broke the plan cache: a Boolean variable next to a literal true/false.
  // …and where the literal is a bound value: a Boolean or jsonb literal true/false in
  // a filter, beside `_is_null: $b` whose first value equals the literal.
  const boolish = (c) => c.gql === 'Boolean' || c.gql === 'jsonb';
  for (const r of op.roots) {
    if (!r.args || r.args.whereVar || !rng.chance(0.4)) continue;
    const t = r.table;
    const lit = rng.chance(0.5);
    const mk = (c) => ({ kind: 'col', col: c, cmps: [{ op: rng.pick(['_eq', '_neq']), v: { var: null, a: lit, b: lit, gtype: c.gql } }] });
    const direct = t.cols.filter(boolish);
    const viaRel = t.rels.filter((x) => x.inBoolExp).flatMap((x) => model.tables.get(x.target).cols.filter(boolish).map((c) => ({ rel: x, c })));
    let litEntry;
    if (direct.length && (!viaRel.length || rng.chance(0.6))) litEntry = mk(rng.pick(direct));
    else if (viaRel.length) {
      const p = rng.pick(viaRel);
      litEntry = { kind: 'rel', rel: p.rel, exp: { entries: [mk(p.c)] } };
    } else continue;
    const name = `v${++nVar}`;
    op.vars.push({ name, type: 'Boolean!', a: lit, b: !lit });
    const nullable = t.cols.filter((c) => !c.notnull);
    const isNull = { kind: 'col', col: rng.pick(nullable.length ? nullable : t.cols), cmps: [{ op: '_is_null', v: { var: name, a: lit, b: !lit, gtype: 'Boolean!' } }] };
    const exps = [{ entries: [litEntry] }, { entries: [isNull] }];
    if (r.args.where && rng.chance(0.5)) exps.unshift(r.args.where); // else alone, so that a wrong binding shows
    r.args.where = { entries: [{ kind: '_and', exps }] };
    feat('bound Boolean literal beside a Boolean variable');
  }
  // A where replaced above may have taken the only use of a variable with it.
  const body = `${op.roots.map(printRoot).join(' ')} ${op.frags.map((f) => printSels(f.sels)).join(' ')}`;
  op.vars = op.vars.filter((v) => new RegExp(`\\$${v.name}\\b`).test(body));
  const r0 = op.roots[0];
  if (r0.sels && rng.chance(0.5)) {
    const lit = rng.chance(0.5);
    r0.sels.push({ kind: 'col', key: alias(), col: r0.table.cols[0].name, dirs: [{ name: rng.chance(0.5) ? 'include' : 'skip', v: { var: null, a: lit, b: lit, gtype: 'Boolean' } }] });
  }
  // Root fields of SQL functions and of extra tables, after all the main ones.
  inExtraRoot = true;
  withExtra(() => {
    const extraTables = [...model.tables.values()].filter((t) => t.extra);
    // Not beside a big main operation: the cold server (one thread) took 7–28 s on such
    // pairs, and the requests queued behind it timed out waiting for a connection.
    const mainSize = op.roots.map(printRoot).join(' ').length;
    for (let i = rng.chance(mainSize < 1500 ? 0.6 : 0) ? rng.int(1, 2) : 0; i > 0; i--) {
      const key = alias();
      if (extraTables.length && (!model.fns.length || rng.chance(0.35))) {
        const t = rng.pick(extraTables);
        const kind = rng.next();
        feat(`${t.name} root`);
        if (kind < 0.15 && t.hasByPk) {
          const pk = t.pk.map((k) => {
            const c = t.cols.find((x) => x.name === k);
            return { col: k, v: val(`${c.gql}!`, scalarGen(c)) };
          });
          op.roots.push({ kind: 'pk', key, table: t, pk, sels: sels(t, 1, maxLevel), dirs: dirs() });
        } else if (kind < 0.35) {
          const nodes = rng.chance(0.5) ? sels(t, 1, maxLevel, true) : null;
          op.roots.push({ kind: 'agg', key, table: t, args: listArgs(t, 8, !!nodes && op.big), agg: aggSels(t), nodes, dirs: dirs() });
        } else op.roots.push({ kind: 'arr', key, table: t, args: listArgs(t, 8, op.big), sels: sels(t, 1, maxLevel), dirs: dirs() });
        continue;
      }
      if (!model.fns.length) continue;
      const fn = rng.pick(model.fns);
      const fa = fnArgs(fn);
      const t = fn.target && model.tables.get(fn.target);
      if (fn.kind === 'scalar') {
        feat('scalar function root');
        op.roots.push({ kind: 'fnscalar', key, fn, fnArgs: fa, dirs: dirs() });
      } else if (fn.kind === 'row') {
        feat('one-row function root');
        op.roots.push({ kind: 'fnrow', key, fn, fnArgs: fa, table: t, sels: sels(t, 1, maxLevel), dirs: dirs() });
      } else if (fn.hasAggregate && rng.chance(0.3)) {
        const nodes = rng.chance(0.5) ? sels(t, 1, maxLevel, true) : null;
        feat('<function>_aggregate root');
        op.roots.push({ kind: 'agg', key, fn, fnArgs: fa, table: t, args: listArgs(t, 8, !!nodes && op.big), agg: aggSels(t), nodes, dirs: dirs() });
      } else {
        feat('SETOF function root');
        op.roots.push({ kind: 'arr', key, fn, fnArgs: fa, table: t, args: listArgs(t, 8, op.big), sels: sels(t, 1, maxLevel), dirs: dirs() });
      }
    }
  });
  return op;
}

// ---------------------------------------------------------------------------
// Printing: the GraphQL document and the variables of one set ('a' or 'b').

export function gqlValue(x, gtype) {
  if (x === null || x === undefined) return 'null';
  if (gtype === 'order_by' || gtype === 'order_by!') return x; // enum
  if (typeof x === 'boolean' || typeof x === 'number') return String(x);
  if (typeof x === 'string') return JSON.stringify(x);
  if (Array.isArray(x)) return `[${x.map((e) => gqlValue(e)).join(', ')}]`;
  return `{${Object.entries(x).map(([k, v]) => `${k}: ${gqlValue(v)}`).join(', ')}}`;
}
const pv = (v) => (v.var ? `$${v.var}` : gqlValue(v.a, v.gtype));

// The bool_exp as a JSON value (for a whole-where variable) in set S.
export function boolExpJson(exp, S) {
  const o = {};
  for (const e of exp.entries) {
    if (e.kind === 'col') o[e.col.name] = Object.fromEntries(e.cmps.map((c) => [c.op, c.v[S]]));
    else if (e.kind === 'rel') o[e.rel.name] = boolExpJson(e.exp, S);
    else if (e.kind === '_not') o._not = boolExpJson(e.exp, S);
    else o[e.kind] = e.exps.map((x) => boolExpJson(x, S));
  }
  return o;
}
function printBoolExp(exp) {
  return `{${exp.entries.map((e) => {
    if (e.kind === 'col') return `${e.col.name}: {${e.cmps.map((c) => `${c.op}: ${pv(c.v)}`).join(', ')}}`;
    if (e.kind === 'rel') return `${e.rel.name}: ${printBoolExp(e.exp)}`;
    if (e.kind === '_not') return `_not: ${printBoolExp(e.exp)}`;
    return `${e.kind}: [${e.exps.map(printBoolExp).join(', ')}]`;
  }).join(', ')}}`;
}
// args: {…} of a function call (root or computed field); '' when left out.
function printFnArgs(fa) {
  if (!fa || (!fa.list.length && !fa.empty)) return '';
  return `args: {${fa.list.map((x) => `${x.p.name}: ${pv(x.v)}`).join(', ')}}`;
}
function printArgs(a, fa) {
  const parts = [];
  const fs = printFnArgs(fa);
  if (fs) parts.push(fs);
  if (a.where) parts.push(`where: ${a.whereVar ? `$${a.whereVar}` : printBoolExp(a.where)}`);
  if (a.distinct) parts.push(`distinct_on: ${a.distinct.length % 2 ? a.distinct : `[${a.distinct}]`}`);
  const ob = a.orderBy.map((it) => {
    let inner = `{${it.col}: ${pv(it.dir)}}`;
    if (it.agg) {
      const fn = it.agg.fn === 'count' ? `count: ${pv(it.dir)}` : `${it.agg.fn}: {${it.agg.col}: ${pv(it.dir)}}`;
      inner = `{${it.agg.rel.name}_aggregate: {${fn}}}`;
    }
    for (const r of [...it.path].reverse()) inner = `{${r.name}: ${inner}}`;
    return inner;
  });
  parts.push(`order_by: ${ob.length === 1 ? ob[0] : `[${ob.join(', ')}]`}`);
  if (a.limit) parts.push(`limit: ${pv(a.limit)}`);
  if (a.offset) parts.push(`offset: ${pv(a.offset)}`);
  return `(${parts.join(', ')})`;
}
const printDirs = (ds) => (ds || []).map((d) => ` @${d.name}(if: ${pv(d.v)})`).join('');
const aliasOf = (key, field) => (key === field ? field : `${key}: ${field}`);
function printAgg(agg) {
  return agg.map((s) => {
    if (s.kind === 'typename') return '__typename';
    if (s.kind === 'count') {
      if (!s.col) return aliasOf(s.key, 'count');
      const args = [`columns: [${s.col}]`];
      if (s.distinct) args.push(`distinct: ${pv(s.distinct)}`);
      return `${aliasOf(s.key, 'count')}(${args.join(', ')})`;
    }
    return `${aliasOf(s.key, s.fn)} { ${s.cols.join(' ')} }`;
  }).join(' ');
}
function printSels(sels) {
  return sels.map((s) => {
    switch (s.kind) {
      case 'col': return aliasOf(s.key, s.col) + printDirs(s.dirs);
      case 'typename': return '__typename';
      case 'obj': return `${aliasOf(s.key, s.rel.name)}${printDirs(s.dirs)} { ${printSels(s.sels)} }`;
      case 'arr': return `${aliasOf(s.key, s.rel.name)}${printArgs(s.args)}${printDirs(s.dirs)} { ${printSels(s.sels)} }`;
      case 'cf': {
        const fs = printFnArgs(s.fnArgs);
        return `${aliasOf(s.key, s.cf.name)}${fs ? `(${fs})` : ''}${printDirs(s.dirs)}`;
      }
      case 'cfset': return `${aliasOf(s.key, s.cf.name)}${printArgs(s.args, s.fnArgs)}${printDirs(s.dirs)} { ${printSels(s.sels)} }`;
      case 'agg': return `${aliasOf(s.key, `${s.rel.name}_aggregate`)}${printArgs(s.args)}${printDirs(s.dirs)} { aggregate { ${printAgg(s.agg)} }${s.nodes ? ` nodes { ${printSels(s.nodes)} }` : ''} }`;
      case 'frag': return s.named ? `...${s.named}${printDirs(s.dirs)}` : `...${s.on ? ` on ${s.on}` : ''}${printDirs(s.dirs)} { ${printSels(s.sels)} }`;
    }
    throw new Error(`unknown selection ${s.kind}`);
  }).join(' ');
}
function printRoot(r) {
  if (r.fn) {
    const fs = printFnArgs(r.fnArgs);
    const call = (name) => `${aliasOf(r.key, name)}${fs ? `(${fs})` : ''}${printDirs(r.dirs)}`;
    if (r.kind === 'fnscalar') return call(r.fn.name);
    if (r.kind === 'fnrow') return `${call(r.fn.name)} { ${printSels(r.sels)} }`;
    if (r.kind === 'agg') return `${aliasOf(r.key, `${r.fn.name}_aggregate`)}${printArgs(r.args, r.fnArgs)}${printDirs(r.dirs)} { aggregate { ${printAgg(r.agg)} }${r.nodes ? ` nodes { ${printSels(r.nodes)} }` : ''} }`;
    return `${aliasOf(r.key, r.fn.name)}${printArgs(r.args, r.fnArgs)}${printDirs(r.dirs)} { ${printSels(r.sels)} }`;
  }
  const t = r.table.name;
  if (r.kind === 'pk') return `${aliasOf(r.key, `${t}_by_pk`)}(${r.pk.map((p) => `${p.col}: ${pv(p.v)}`).join(', ')})${printDirs(r.dirs)} { ${printSels(r.sels)} }`;
  if (r.kind === 'agg') return `${aliasOf(r.key, `${t}_aggregate`)}${printArgs(r.args)}${printDirs(r.dirs)} { aggregate { ${printAgg(r.agg)} }${r.nodes ? ` nodes { ${printSels(r.nodes)} }` : ''} }`;
  return `${aliasOf(r.key, t)}${printArgs(r.args)}${printDirs(r.dirs)} { ${printSels(r.sels)} }`;
}

// Every whole-where variable of the operation (declared with its bool_exp type).
function whereVars(op) {
  const out = [];
  const visit = (sels) => {
    for (const s of sels || []) {
      if (s.args?.whereVar) out.push({ name: s.args.whereVar, type: `${s.rel ? s.rel.target : s.cf ? s.cf.target : s.table.name}_bool_exp`, exp: s.args.where });
      visit(s.sels);
      visit(s.nodes);
    }
  };
  for (const r of op.roots) {
    if (r.args?.whereVar) out.push({ name: r.args.whereVar, type: `${r.table.name}_bool_exp`, exp: r.args.where });
    visit(r.sels);
    visit(r.nodes);
  }
  for (const f of op.frags) visit(f.sels);
  return out;
}

export function printGraphQL(op) {
  const defs = [...op.vars.map((v) => `$${v.name}: ${v.type}`), ...whereVars(op).map((w) => `$${w.name}: ${w.type}`)];
  const head = defs.length ? `query Q(${defs.join(', ')})` : 'query Q';
  const frags = op.frags.map((f) => `\nfragment ${f.name} on ${f.on} { ${printSels(f.sels)} }`).join('');
  return `${head} { ${op.roots.map(printRoot).join(' ')} }${frags}`;
}

export function variables(op, S) {
  const v = Object.fromEntries(op.vars.map((x) => [x.name, x[S]]));
  for (const w of whereVars(op)) v[w.name] = boolExpJson(w.exp, S);
  return v;
}

// True when the document holds a Boolean variable and a literal true/false:
// the shape of the known plan-cache bug (issue 6).
export function boolVarBesideLiteral(op, text) {
  const boolVar = op.vars.some((v) => v.type.startsWith('Boolean'));
  const body = text.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return boolVar && /[:(\s]\s*(true|false)\b/.test(body);
}
