// bench/capture.mjs LOG OFFSET DB ID_VALUE OUT.sql [PREFIX] [params]
// Finds the statements graphpost sent to DB for one request after byte OFFSET
// of the PostgreSQL log (log_statement=all): those of the backend that ran the
// last one (a query is one statement; a mutation is its writes, then the read,
// sent on one connection as one transaction), and writes them as a pgbench
// script: the parameter whose value is ID_VALUE becomes :id (PREFIX+ID_VALUE
// becomes ('PREFIX' || :id), since pgbench's \set makes only numbers), every
// other parameter becomes its logged literal. So pgbench runs graphpost's own
// SQL, not a rewrite of it. Several statements go between \startpipeline and
// \endpipeline: pgbench then sends them as graphpost does, back to back with
// one Sync after the last, which PostgreSQL runs as one implicit transaction
// (bench/README). With `params`, every other parameter stays a bind
// parameter too (:pN, or :sK_pN for statement K of several; values in
// OUT.sql.defs as NAME=VALUE lines for pgbench -D): PostgreSQL then plans it as
// it plans graphpost's statement (a LIMIT $n, for one, gets a custom plan per
// execution; a literal LIMIT does not).
import { readFileSync, writeFileSync } from 'node:fs';

const [log, offset, db, idValue, out, prefix = '', mode = ''] = process.argv.slice(2);
const text = readFileSync(log).subarray(Number(offset)).toString('utf8');
const entries = text.split(/\n(?=\d{4}-\d\d-\d\d \d)/);
const head = (e) => e.match(/^\S+ \S+ \S+ \[(\d+)\] (\S*) [^\n]*?(LOG|DETAIL):  /);

// Every statement sent to DB after OFFSET, with its parameters, in log order.
const sent = [];
for (let i = 0; i < entries.length; i++) {
  const h = head(entries[i]);
  if (!h || h[2] !== db || h[3] !== 'LOG') continue;
  const m = entries[i].match(/LOG:  (?:execute [^:]*|statement): ([\s\S]*)$/);
  if (!m || /^\s*(set|show|begin|commit|select\s+1\s*;?\s*$)/i.test(m[1])) continue;
  const params = {};
  const next = entries[i + 1] && head(entries[i + 1]);
  if (next && next[1] === h[1] && next[3] === 'DETAIL') {
    for (const p of entries[i + 1].matchAll(/\$(\d+) = (NULL|'((?:[^']|'')*)')/g))
      params[p[1]] = p[2] === 'NULL' ? null : p[3].replace(/''/g, "'");
  }
  sent.push({ pid: h[1], sql: m[1].trim(), params });
}
if (sent.length === 0) {
  console.error(`capture: no statement for database ${db} in ${log} after byte ${offset}`);
  process.exit(1);
}
// The request's statements: the last one and those its backend ran before it.
const pid = sent[sent.length - 1].pid;
const statements = sent.filter((s) => s.pid === pid);
const quote = (v) => (v === null ? 'NULL' : `'${v.replace(/'/g, "''")}'`);
const defs = [];
const scripts = statements.map(({ sql, params }, k) =>
  sql.replace(/\$(\d+)/g, (all, n) => {
    if (!(n in params)) return all;
    if (params[n] === prefix + idValue) return prefix ? `(${quote(prefix)} || :id)` : ':id';
    if (mode !== 'params' || params[n] === null) return quote(params[n]);
    const name = statements.length === 1 ? `p${n}` : `s${k + 1}_p${n}`;
    defs.push(`${name}=${params[n]}`);
    return `:${name}`;
  }).replace(/;\s*$/, '') + ';\n');
writeFileSync(out, statements.length === 1 ? scripts[0] : `\\startpipeline\n${scripts.join('')}\\endpipeline\n`);
writeFileSync(`${out}.defs`, defs.map((d) => `${d}\n`).join(''));
const bytes = statements.reduce((sum, s) => sum + s.sql.length, 0);
const nparams = statements.reduce((sum, s) => sum + Object.keys(s.params).length, 0);
console.log(statements.length === 1
  ? `captured ${bytes} bytes of SQL with ${nparams} parameters`
  : `captured ${statements.length} statements (one transaction), ${bytes} bytes of SQL with ${nparams} parameters`);
