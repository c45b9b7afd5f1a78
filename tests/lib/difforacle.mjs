// tests/lib/difforacle.mjs — the independent oracle of tests/integration/differential.test.mjs.
// From the same random AST that diffgen.mjs prints as GraphQL, it writes flat SQL per
// level (SELECT … FROM one table WHERE … ORDER BY … LIMIT, the filter written from the
// AST), runs it through psql and joins and nests the rows in JavaScript: no
// json_build_object, no json_agg, no relationship joins done by PostgreSQL. Each row
// comes back as row_to_json of the flat SELECT, only so that every scalar is rendered
// by PostgreSQL's own JSON output (numeric, timestamptz, arrays, jsonb).
// GraphQL's field collection (fragments, @skip/@include, merging of duplicate fields,
// response key order) is done here too, as the spec's CollectFields describes.
import { spawn } from 'node:child_process';

// Many statements per psql call: every statement asked for before the event loop
// turns goes into one script, whose rows come back as "<n>\t<row json>" lines.
export class Batcher {
  constructor(db) {
    this.db = db;
    this.queue = [];
    this.scheduled = false;
    this.statements = 0;
    this.calls = 0;
    this.busyMs = 0; // wall time with at least one psql call running
    this.running = 0;
  }
  rows(sql) {
    return new Promise((resolve, reject) => {
      this.queue.push({ sql, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }
  flush() {
    this.scheduled = false;
    const batch = this.queue.splice(0);
    if (!batch.length) return;
    this.statements += batch.length;
    // A big batch goes to two psql processes at once (the machine has two cores).
    const n = batch.length > 100 ? 2 : 1;
    const size = Math.ceil(batch.length / n);
    for (let i = 0; i < batch.length; i += size) this.run(batch.slice(i, i + size));
  }
  async run(batch) {
    this.calls++;
    const script = batch.map((b, i) => `select '${i}' || chr(9) || row_to_json(q)::text from (${b.sql}) q;`).join('\n');
    let out = '';
    let err = '';
    if (this.running++ === 0) this.busySince = Date.now();
    const done = () => {
      if (--this.running === 0) this.busyMs += Date.now() - this.busySince;
    };
    try {
      const code = await new Promise((resolve, reject) => {
        const child = spawn('psql', ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-d', this.db, '-f', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        child.on('error', reject);
        child.on('close', resolve);
        child.stdin.on('error', () => {}); // psql stopped at an error: its exit code and stderr say which
        child.stdin.end(script);
      });
      if (code !== 0) throw new Error(`psql failed (${code}): ${err.slice(0, 2000)}`);
    } catch (e) {
      done();
      // Find the statement at fault (one statement per line), so that the message names it.
      const m = /psql:<stdin>:(\d+):/.exec(err);
      const bad = m ? batch[Number(m[1]) - 1]?.sql : undefined;
      for (const b of batch) b.reject(new Error(`${e.message}${bad ? `\nstatement: ${bad}` : ''}`));
      return;
    }
    done();
    const results = batch.map(() => []);
    for (const line of out.split('\n')) {
      if (!line) continue;
      const tab = line.indexOf('\t');
      results[Number(line.slice(0, tab))].push(JSON.parse(line.slice(tab + 1)));
    }
    batch.forEach((b, i) => b.resolve(results[i]));
  }
}

const q = (s) => s.replace(/'/g, "''");
const id = (s) => `"${s.replace(/"/g, '""')}"`;

// A literal of a column's type, cast explicitly (the cast the model read from the catalog).
export function sqlLit(v, cast) {
  if (v === null || v === undefined) return 'NULL';
  if (cast.endsWith('[]')) {
    const elem = cast.slice(0, -2);
    return `ARRAY[${v.map((e) => sqlLit(e, elem)).join(', ')}]::${cast}`;
  }
  if (cast === 'pg_catalog.jsonb' || cast === 'pg_catalog.json') return `'${q(JSON.stringify(v))}'::pg_catalog.jsonb`;
  return `'${q(String(v))}'::${cast}`;
}

const TEXT_SQL = { _like: 'LIKE', _nlike: 'NOT LIKE', _ilike: 'ILIKE', _nilike: 'NOT ILIKE', _similar: 'SIMILAR TO', _regex: '~', _iregex: '~*' };
const CMP_SQL = { _eq: '=', _neq: '<>', _gt: '>', _gte: '>=', _lt: '<', _lte: '<=' };
const DIR_SQL = { asc: 'ASC', desc: 'DESC', asc_nulls_first: 'ASC NULLS FIRST', asc_nulls_last: 'ASC NULLS LAST', desc_nulls_first: 'DESC NULLS FIRST', desc_nulls_last: 'DESC NULLS LAST' };

export class Oracle {
  constructor(model, S, frags) {
    this.model = model;
    this.S = S;
    this.frags = new Map(frags.map((f) => [f.name, f]));
    this.n = 0;
  }
  alias() {
    return `x${++this.n}`;
  }
  // Columns by GraphQL name (the AST's) and by PostgreSQL name (relationships', SQL's).
  colOf(t, name) {
    const c = t.cols.find((x) => x.name === name);
    if (!c) throw new Error(`no column ${t.name}.${name} in the model`);
    return c;
  }
  colByPg(t, pg) {
    const c = t.cols.find((x) => x.pg === pg);
    if (!c) throw new Error(`no column "${pg}" of ${t.name} in the model`);
    return c;
  }
  table(name) {
    return this.model.tables.get(name);
  }
  // name => value of the arguments given, in set S; null or left out: the default.
  namedArgs(fa) {
    return (fa?.list || []).filter((x) => x.v[this.S] !== null && x.v[this.S] !== undefined)
      .map((x) => `${id(x.p.name)} => ${sqlLit(x.v[this.S], x.p.cast)}`);
  }
  // The function called directly: "public".fn(row, name => value, …).
  call(fn, fa, row) {
    return `"public".${id(fn)}(${[...(row ? [row] : []), ...this.namedArgs(fa)].join(', ')})`;
  }

  // One comparison operator on one column, in SQL.
  cmpSql(ref, col, op, v) {
    if (op === '_is_null') return v ? `${ref} IS NULL` : `${ref} IS NOT NULL`;
    if (CMP_SQL[op]) return `${ref} ${CMP_SQL[op]} ${sqlLit(v, col.cast)}`;
    if (op === '_in') return v.length ? `${ref} IN (${v.map((x) => sqlLit(x, col.cast)).join(', ')})` : 'false';
    if (op === '_nin') return v.length ? `${ref} NOT IN (${v.map((x) => sqlLit(x, col.cast)).join(', ')})` : 'true';
    if (TEXT_SQL[op]) return `${ref} ${TEXT_SQL[op]} ${sqlLit(v, 'pg_catalog.text')}`;
    if (op === '_contains') return `${ref} @> ${sqlLit(v, col.cast)}`;
    if (op === '_contained_in') return `${ref} <@ ${sqlLit(v, col.cast)}`;
    if (op === '_has_key') return `${ref} ? ${sqlLit(v, 'pg_catalog.text')}`;
    if (op === '_has_keys_any') return `${ref} ?| ${sqlLit(v, 'pg_catalog.text[]')}`;
    if (op === '_has_keys_all') return `${ref} ?& ${sqlLit(v, 'pg_catalog.text[]')}`;
    throw new Error(`the oracle does not know operator ${op}`);
  }

  // A bool_exp of table t on alias a, in SQL; relationships as EXISTS.
  whereSql(t, a, exp) {
    const parts = exp.entries.map((e) => {
      if (e.kind === 'col') {
        const ref = e.cf ? this.call(e.col.fn, null, a) : `${a}.${id(e.col.pg)}`;
        return e.cmps.map((c) => this.cmpSql(ref, e.col, c.op, c.v[this.S])).join(' AND ');
      }
      if (e.kind === '_not') return `NOT (${this.whereSql(t, a, e.exp)})`;
      if (e.kind === '_and') return e.exps.length ? e.exps.map((x) => `(${this.whereSql(t, a, x)})`).join(' AND ') : 'true';
      if (e.kind === '_or') return e.exps.length ? e.exps.map((x) => `(${this.whereSql(t, a, x)})`).join(' OR ') : 'false';
      if (e.kind === 'rel') {
        const tt = this.model.tables.get(e.rel.target);
        const b = this.alias();
        const on = e.rel.from.map((f, i) => `${b}.${id(e.rel.to[i])} = ${a}.${id(f)}`).join(' AND ');
        return `EXISTS (SELECT 1 FROM ${id(tt.pg)} ${b} WHERE ${on} AND (${this.whereSql(tt, b, e.exp)}))`;
      }
      throw new Error(`bool_exp entry ${e.kind}`);
    });
    return parts.length ? parts.map((p) => `(${p})`).join(' AND ') : 'true';
  }

  // (SELECT count(*) | fn(col) FROM target b WHERE b.key = a.fk) for an aggregate term.
  aggSql(a, agg) {
    const b = this.alias();
    const on = agg.rel.from.map((f, i) => `${b}.${id(agg.rel.to[i])} = ${a}.${id(f)}`).join(' AND ');
    const tt = this.table(agg.rel.target);
    const v = agg.fn === 'count' ? 'count(*)' : `${agg.fn}(${b}.${id(this.colOf(tt, agg.col).pg)})`;
    return `(SELECT ${v} FROM ${id(tt.pg)} ${b} WHERE ${on})`;
  }

  orderSql(t, a, items) {
    return items.map((it) => {
      let ref;
      const colRef = (tt, b) => (it.cf ? this.call(it.cf.fn, null, b) : `${b}.${id(this.colOf(tt, it.col).pg)}`);
      if (!it.path.length) ref = it.agg ? this.aggSql(a, it.agg) : colRef(t, a);
      else {
        // (SELECT col FROM target WHERE target.key = a.fk), one level per relationship.
        let cur = a;
        let expr = null;
        const froms = [];
        for (const r of it.path) {
          const b = this.alias();
          froms.push(`${id(this.table(r.target).pg)} ${b}`);
          const on = r.from.map((f, i) => `${b}.${id(r.to[i])} = ${cur}.${id(f)}`).join(' AND ');
          expr = expr ? `${expr} AND ${on}` : on;
          cur = b;
        }
        ref = `(SELECT ${it.agg ? this.aggSql(cur, it.agg) : colRef(this.table(it.path.at(-1).target), cur)} FROM ${froms.join(', ')} WHERE ${expr})`;
      }
      return `${ref} ${DIR_SQL[it.dir[this.S]]}`;
    }).join(', ');
  }

  // SELECT [DISTINCT ON] cols FROM t (or a function's rows) WHERE cond AND where ORDER BY … LIMIT … OFFSET …
  // cols: '*', or a → the select items (a."pg", or expressions AS their key).
  listSql(t, args, cond, cols, from) {
    const a = this.alias();
    const items = cols === '*' ? [`${a}.*`] : [...new Set(cols(a))];
    const sel = items.length ? items.join(', ') : '1 AS one';
    const where = [cond(a)];
    if (args.where) where.push(this.whereSql(t, a, args.where));
    let sql = `SELECT ${args.distinct ? `DISTINCT ON (${a}.${id(this.colOf(t, args.distinct).pg)}) ` : ''}${sel} FROM ${from || id(t.pg)} ${a} WHERE ${where.map((w) => `(${w})`).join(' AND ')}`;
    if (args.orderBy?.length) sql += ` ORDER BY ${this.orderSql(t, a, args.orderBy)}`;
    const lim = args.limit?.[this.S];
    if (lim !== undefined && lim !== null) sql += ` LIMIT ${Number(lim)}`;
    const off = args.offset?.[this.S];
    if (off !== undefined && off !== null) sql += ` OFFSET ${Number(off)}`;
    return sql;
  }

  included(dirs) {
    for (const d of dirs || []) {
      const v = d.v[this.S];
      if (d.name === 'skip' && v === true) return false;
      if (d.name === 'include' && v !== true) return false;
    }
    return true;
  }
  // CollectFields: response key → the first field with that key (duplicates generated
  // are identical leaves), in the order of first appearance; fragments flattened.
  collect(sels, out = new Map()) {
    for (const s of sels) {
      if (!this.included(s.dirs)) continue;
      if (s.kind === 'frag') this.collect(s.named ? this.frags.get(s.named).sels : s.sels, out);
      else if (!out.has(s.key)) out.set(s.key, s);
    }
    return out;
  }

  // The flat rows of t with what fields need: columns (under their PostgreSQL names), the
  // relationships' key columns, computed scalars (under "$<key>"), and the row as text
  // ("$row") for SETOF computed fields, which are called with it.
  async rows(t, args, cond, fields, from) {
    const cols = (a) => {
      const out = [];
      for (const [key, f] of fields) {
        if (f.kind === 'col') out.push(`${a}.${id(this.colOf(t, f.col).pg)}`);
        else if (f.rel) out.push(...f.rel.from.map((c) => `${a}.${id(c)}`));
        else if (f.kind === 'cf') out.push(`${this.call(f.cf.fn, f.fnArgs, a)} AS ${id(`$${key}`)}`);
        else if (f.kind === 'cfset') out.push(`${a}::text AS "$row"`);
      }
      return out;
    };
    return this.model.batcher.rows(this.listSql(t, args, cond, cols, from));
  }

  async objects(t, rows, fields) {
    return Promise.all(rows.map(async (row) => {
      const entries = await Promise.all([...fields.entries()].map(async ([key, f]) => [key, await this.field(t, row, f, key)]));
      return Object.fromEntries(entries);
    }));
  }

  relCond(t, row, rel) {
    const tt = this.model.tables.get(rel.target);
    return (a) => rel.from.map((f, i) => `${a}.${id(rel.to[i])} = ${sqlLit(row[f], this.colByPg(t, f).cast)}`).join(' AND ');
  }

  async field(t, row, f, key) {
    switch (f.kind) {
      case 'col': return row[this.colOf(t, f.col).pg];
      case 'cf': return row[`$${key}`];
      case 'cfset': {
        const tt = this.table(f.cf.target);
        return this.list(tt, f.args, () => 'true', f.sels, this.call(f.cf.fn, f.fnArgs, `${sqlLit(row.$row, `"public".${id(t.pg)}`)}`));
      }
      case 'typename': return t.name;
      case 'obj': {
        if (f.rel.from.some((c) => row[c] === null)) return null;
        const tt = this.model.tables.get(f.rel.target);
        const fields = this.collect(f.sels);
        const rows = await this.rows(tt, {}, this.relCond(t, row, f.rel), fields);
        return rows.length ? (await this.objects(tt, rows, fields))[0] : null;
      }
      case 'arr': {
        const tt = this.model.tables.get(f.rel.target);
        return this.list(tt, f.args, this.relCond(t, row, f.rel), f.sels);
      }
      case 'agg': {
        const tt = this.model.tables.get(f.rel.target);
        return this.aggregate(tt, f, this.relCond(t, row, f.rel));
      }
    }
    throw new Error(`field kind ${f.kind}`);
  }

  async list(t, args, cond, sels, from) {
    const fields = this.collect(sels);
    const rows = await this.rows(t, args, cond, fields, from);
    return this.objects(t, rows, fields);
  }

  async aggregate(t, f, cond, from) {
    const inner = this.listSql(t, f.args, cond, '*', from);
    const exprs = [];
    const shape = [];
    for (const s of f.agg) {
      if (s.kind === 'typename') shape.push([s.key, () => `${t.name}_aggregate_fields`]);
      else if (s.kind === 'count') {
        const k = `k${exprs.length}`;
        const c = s.col && id(this.colOf(t, s.col).pg);
        exprs.push(`${!s.col ? 'count(*)' : s.distinct && s.distinct[this.S] ? `count(DISTINCT s.${c})` : `count(s.${c})`} AS ${k}`);
        shape.push([s.key, (r) => r[k]]);
      } else {
        const ks = s.cols.map((c) => {
          const k = `k${exprs.length}`;
          exprs.push(`${s.fn}(s.${id(this.colOf(t, c).pg)}) AS ${k}`);
          return [c, k];
        });
        shape.push([s.key, (r) => Object.fromEntries(ks.map(([c, k]) => [c, r[k]]))]);
      }
    }
    const agg = async () => {
      if (!exprs.length) return {};
      const [r] = await this.model.batcher.rows(`SELECT ${exprs.join(', ')} FROM (${inner}) s`);
      return r;
    };
    const [r, nodes] = await Promise.all([agg(), f.nodes ? this.list(t, f.args, cond, f.nodes, from) : null]);
    const out = { aggregate: Object.fromEntries(shape.map(([k, fn]) => [k, fn(r)])) };
    if (f.nodes) out.nodes = nodes;
    return out;
  }

  // The expected `data` of the whole operation for variable set S.
  async data(op) {
    const out = await Promise.all(op.roots.filter((r) => this.included(r.dirs)).map(async (r) => {
      const t = r.table;
      if (r.fn) {
        const from = this.call(r.fn.pg, r.fnArgs);
        if (r.kind === 'fnscalar') return [r.key, (await this.model.batcher.rows(`SELECT ${from} AS v`))[0].v];
        // A function of one row that finds none returns a row of nulls.
        if (r.kind === 'fnrow') {
          const fields = this.collect(r.sels);
          const rows = await this.rows(t, {}, (a) => `NOT (${a} IS NULL)`, fields, from);
          return [r.key, rows.length ? (await this.objects(t, rows, fields))[0] : null];
        }
        if (r.kind === 'agg') return [r.key, await this.aggregate(t, r, () => 'true', from)];
        return [r.key, await this.list(t, r.args, () => 'true', r.sels, from)];
      }
      if (r.kind === 'pk') {
        const fields = this.collect(r.sels);
        const cond = (a) => r.pk.map((p) => `${a}.${id(this.colOf(t, p.col).pg)} = ${sqlLit(p.v[this.S], this.colOf(t, p.col).cast)}`).join(' AND ');
        const rows = await this.rows(t, {}, cond, fields);
        return [r.key, rows.length ? (await this.objects(t, rows, fields))[0] : null];
      }
      if (r.kind === 'agg') return [r.key, await this.aggregate(t, r, () => 'true')];
      return [r.key, await this.list(t, r.args, () => 'true', r.sels)];
    }));
    return Object.fromEntries(out);
  }
}
