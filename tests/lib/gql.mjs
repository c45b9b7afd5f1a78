// tests/lib/gql.mjs — what the integration tests share: a GraphQL client for a
// running graphpost, hand-written SQL through psql for the expected answers,
// and spawning the binary for tests that need their own server.
// Environment (set by scripts/test): GP_BLOG_URL, GP_PAGILA_URL (http://host:port),
// GP_BIN (the binary under test), PGHOST/PGPORT/PGUSER (the test cluster),
// GP_BLOG_DB, GP_PAGILA_DB (database names), PG_LOG (the cluster's statement log).
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export const env = {
  blogUrl: process.env.GP_BLOG_URL,
  pagilaUrl: process.env.GP_PAGILA_URL,
  bin: process.env.GP_BIN,
  blogDb: process.env.GP_BLOG_DB || 'blog',
  pagilaDb: process.env.GP_PAGILA_DB || 'pagila',
  pgLog: process.env.PG_LOG,
};

// Fails fast with a readable reason when a test file is run outside scripts/test.
export function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set; run the integration tests through scripts/test`);
  return v;
}

// POSTs one GraphQL request; returns the parsed body plus the HTTP status.
export async function post(base, query, variables, extra = {}) {
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables, ...extra }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: parseOr(text) };
}

export async function get(base, path) {
  const res = await fetch(`${base}${path}`);
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: parseOr(text) };
}

function parseOr(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// A client bound to one server whose `data` returns the data of a request that
// must succeed, and fails with the server's own errors otherwise.
export function client(base) {
  return {
    post: (q, v, extra) => post(base, q, v, extra),
    get: (path) => get(base, path),
    async data(q, v) {
      const r = await post(base, q, v);
      if (r.status !== 200 || !r.body || r.body.errors || !r.body.data)
        throw new Error(`GraphQL request failed (HTTP ${r.status}): ${r.text.slice(0, 800)}\nquery: ${q}`);
      return r.body.data;
    },
  };
}

// Runs one statement with psql and parses its single cell as JSON. The SQL is
// written by hand in the tests; it is the reference graphpost is compared to.
export function sqlJson(db, text) {
  const out = execFileSync('psql', ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-d', db, '-c', text], {
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

// The rows of a SELECT as a JSON array of objects (columns in select order).
export function sqlRows(db, select) {
  return sqlJson(db, `select coalesce(json_agg(t), '[]'::json) from (${select}) t`);
}

// The first row as an object, or null.
export function sqlRow(db, select) {
  const rows = sqlRows(db, select);
  return rows.length ? rows[0] : null;
}

// Statements a pool may send on its own (session setup, health checks) are not
// part of answering the request; everything else is.
export const HOUSEKEEPING = /^\s*(set|reset|show|begin|commit|rollback|discard|listen|unlisten|deallocate|select\s+(1|\$1)\s*;?\s*$|select set_config\('jit', 'off', true\))/i;

// The statements database `db` ran since byte `offset` of the cluster's statement log
// (PG_LOG, log_statement=all), without the housekeeping ones.
export function loggedStatements(db, offset) {
  const text = readFileSync(need('PG_LOG')).subarray(offset).toString('utf8'); // offset is in bytes
  // One entry per log line prefix ('%m [%p] %d %a: ', %m starts with the date);
  // a multi-line statement continues on lines without one.
  const entries = text.split(/\n(?=\d{4}-\d\d-\d\d \d)/);
  const mine = new RegExp(`^\\S+ \\S+ \\S+ \\[\\d+\\] ${db} [^\\n]*?LOG:  (statement|execute [^:]*): `);
  return entries
    .filter((e) => mine.test(e))
    .map((e) => e.replace(mine, ''))
    .filter((q) => !HOUSEKEEPING.test(q));
}

export function psql(db, text) {
  return execFileSync('psql', ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-d', db, '-c', text], {
    encoding: 'utf8',
  }).trim();
}

// A free TCP port below the ephemeral range, checked by binding it exclusively.
export async function freePort() {
  for (let i = 0; i < 200; i++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const ok = await new Promise((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error('no free port');
}

// Runs the binary to completion (for --help, --print-schema, bad settings).
export function runBin(args, extraEnv = {}, timeoutMs = 30000) {
  return new Promise((resolve) => {
    const child = spawn(need('GP_BIN'), args, { env: { ...cleanEnv(), ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

// The environment without any graphpost or libpq settings of the caller, so a
// test decides every setting the server sees.
export function cleanEnv() {
  const e = { ...process.env };
  for (const k of Object.keys(e)) if (/^(GRAPHPOST_|DATABASE_URL$|PG)/.test(k)) delete e[k];
  return e;
}

// Starts the binary on a free port (unless args already name one) and returns
// { url, port, child, output(), stop() }; `bin` another binary than GP_BIN. waitHealthy: resolve only once /health
// answers 200; otherwise once the port accepts connections.
//
// GP_TEST_PREPARED_STATEMENTS=off (scripts/test's second pass over some files) starts every
// server with --prepared-statements off unless the test chose itself, its LISTEN connection
// on the same database URL (as behind PgBouncer with --listen-database-url).
export async function startServer({ args = [], env: extraEnv = {}, waitHealthy = true, timeoutMs = 60000, bin } = {}) {
  const port = await freePort();
  const all = ['--host', '127.0.0.1', '--port', String(port), ...args];
  if (process.env.GP_TEST_PREPARED_STATEMENTS && !args.includes('--prepared-statements') &&
      !('GRAPHPOST_PREPARED_STATEMENTS' in extraEnv)) {
    extraEnv = { GRAPHPOST_PREPARED_STATEMENTS: process.env.GP_TEST_PREPARED_STATEMENTS, ...extraEnv };
    if (extraEnv.GRAPHPOST_DATABASE_URL && !('GRAPHPOST_LISTEN_DATABASE_URL' in extraEnv))
      extraEnv.GRAPHPOST_LISTEN_DATABASE_URL = extraEnv.GRAPHPOST_DATABASE_URL;
  }
  const child = spawn(bin || need('GP_BIN'), all, { env: { ...cleanEnv(), ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));
  const url = `http://127.0.0.1:${port}`;
  const srv = {
    url,
    port,
    child,
    output: () => out,
    exited: () => exited,
    // Stops the server and fails if a sanitizer reported anything meanwhile.
    async stop() {
      let r = exited;
      if (!r) {
        const done = new Promise((res) => child.once('close', (code, signal) => res({ code, signal })));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 15000);
        r = await done;
        clearTimeout(t);
      }
      const report = out.search(/ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/);
      if (report >= 0) throw new Error(`graphpost's sanitizers reported:\n${out.slice(report, report + 3000)}`);
      return r;
    },
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`graphpost exited early (${JSON.stringify(exited)}):\n${out.slice(-2000)}`);
    try {
      const r = await fetch(`${url}/health`);
      await r.text();
      if (!waitHealthy || r.status === 200) return srv;
    } catch {
      /* not listening yet */
    }
    await sleep(100);
  }
  await srv.stop();
  throw new Error(`graphpost did not ${waitHealthy ? 'become healthy' : 'listen'} within ${timeoutMs} ms:\n${out.slice(-2000)}`);
}

// startServer for a test file that starts servers as it goes: each is stopped (and
// checked for sanitizer reports) once the file's tests end. Pass node:test's `after`.
export function serverStarter(after) {
  const servers = [];
  after(async () => {
    for (const s of servers) await s.stop();
  });
  return async (opts) => {
    const s = await startServer(opts);
    servers.push(s);
    return s;
  };
}
