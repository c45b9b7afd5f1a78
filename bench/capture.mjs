// bench/capture.mjs LOG OFFSET DB ID_VALUE OUT.sql [PREFIX] [params]
// Finds the one statement graphpost sent to DB after byte OFFSET of the
// PostgreSQL log (log_statement=all) and writes it as a pgbench script: the
// parameter whose value is ID_VALUE becomes :id (PREFIX+ID_VALUE becomes
// ('PREFIX' || :id), since pgbench's \set makes only numbers), every other
// parameter becomes its logged literal. So pgbench runs graphpost's own SQL,
// not a rewrite of it. With `params`, every other parameter stays a bind
// parameter too (:pN, its value in OUT.sql.defs as NAME=VALUE lines for
// pgbench -D): PostgreSQL then plans it as it plans graphpost's statement (a
// LIMIT $n, for one, gets a custom plan per execution; a literal LIMIT does not).
import { readFileSync, writeFileSync } from 'node:fs';

const [log, offset, db, idValue, out, prefix = '', mode = ''] = process.argv.slice(2);
const text = readFileSync(log).subarray(Number(offset)).toString('utf8');
const entries = text.split(/\n(?=\d{4}-\d\d-\d\d \d)/);
const head = (e) => e.match(/^\S+ \S+ \S+ \[(\d+)\] (\S*) [^\n]*?(LOG|DETAIL):  /);

let sql = null, params = {};
for (let i = 0; i < entries.length; i++) {
  const h = head(entries[i]);
  if (!h || h[2] !== db || h[3] !== 'LOG') continue;
  const m = entries[i].match(/LOG:  (?:execute [^:]*|statement): ([\s\S]*)$/);
  if (!m || /^\s*(set|show|begin|commit|select\s+1\s*;?\s*$)/i.test(m[1])) continue;
  sql = m[1].trim();
  params = {};
  const next = entries[i + 1] && head(entries[i + 1]);
  if (next && next[1] === h[1] && next[3] === 'DETAIL') {
    for (const p of entries[i + 1].matchAll(/\$(\d+) = (NULL|'((?:[^']|'')*)')/g))
      params[p[1]] = p[2] === 'NULL' ? null : p[3].replace(/''/g, "'");
  }
}
if (!sql) {
  console.error(`capture: no statement for database ${db} in ${log} after byte ${offset}`);
  process.exit(1);
}
const quote = (v) => (v === null ? 'NULL' : `'${v.replace(/'/g, "''")}'`);
const defs = [];
const script = sql.replace(/\$(\d+)/g, (all, n) => {
  if (!(n in params)) return all;
  if (params[n] === prefix + idValue) return prefix ? `(${quote(prefix)} || :id)` : ':id';
  if (mode !== 'params' || params[n] === null) return quote(params[n]);
  defs.push(`p${n}=${params[n]}`);
  return `:p${n}`;
});
writeFileSync(out, `${script.replace(/;\s*$/, '')};\n`);
writeFileSync(`${out}.defs`, defs.map((d) => `${d}\n`).join(''));
console.log(`captured ${sql.length} bytes of SQL with ${Object.keys(params).length} parameters`);
