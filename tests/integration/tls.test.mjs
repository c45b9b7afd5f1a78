// TLS to PostgreSQL, on a cluster of its own that lets TCP clients in over TLS only
// (hostssl), with a certificate for `localhost` from a throwaway CA. graphpost connects
// with sslmode=verify-full and the CA from the URL or from GRAPHPOST_DB_SSLROOTCERT, and
// PostgreSQL's pg_stat_ssl shows its connections encrypted. A CA that did not sign the
// certificate, and sslmode=disable, keep it from the database with libpq's reason in its
// log: it keeps running and /ready answers 503, as with any unreachable database (a
// one-shot --print-schema exits 1). A password full of URL and quoting characters works
// percent-encoded in the URL and raw in GRAPHPOST_DB_PASSWORD, and is never printed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, runBin, freePort, need } from '../lib/gql.mjs';

need('GP_BIN');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// Every character that means something in a URL, a key=value string or a shell.
const PASSWORD = `p@ss:w/rd?#%&= 'x"\\`;
// Pieces a log could print even if it escaped or quoted the whole.
const PASSWORD_PIECES = [PASSWORD, encodeURIComponent(PASSWORD), 'p@ss:w', 'w/rd?#%&'];
const QUERY = '{ note(order_by: {id: asc}) { id body } }';
const NOTES = [{ id: 1, body: 'over TLS' }, { id: 2, body: 'verified' }];

let dir, tls, port, stopped = false;
const servers = [];

// Runs a function of tests/lib/pg.sh, so this cluster is made as the others are.
function pgsh(script, ...args) {
  return execFileSync('bash', ['-c', `set -euo pipefail; . tests/lib/pg.sh; ${script}`, 'pgsh', ...args], {
    cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  });
}
// The test's own statements go through the Unix socket, which pg_hba leaves open.
const psql = (db, sql) =>
  execFileSync('psql', ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-h', dir, '-p', String(port), '-U', 'postgres', '-d', db, '-c', sql],
    { encoding: 'utf8' }).trim();
const openssl = (...args) => execFileSync('openssl', args, { cwd: tls, stdio: ['ignore', 'pipe', 'pipe'] });

// A self-signed CA: NAME.crt and NAME.key in the tls directory.
function makeCa(name) {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', `/CN=graphpost ${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`);
  return path.join(tls, `${name}.crt`);
}

// server.crt for CN and SAN localhost, signed by the CA `ca`.
function makeServerCert(ca) {
  writeFileSync(path.join(tls, 'server.ext'),
    'subjectAltName = DNS:localhost\nbasicConstraints = CA:FALSE\nkeyUsage = digitalSignature\nextendedKeyUsage = serverAuth\n');
  openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=localhost',
    '-keyout', 'server.key', '-out', 'server.csr');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '2',
    '-extfile', 'server.ext', '-out', 'server.crt');
}

// Synchronous, so that it also runs from process 'exit' when a hook failed or a signal came.
function cleanup() {
  for (const s of servers) if (!s.exited()) s.child.kill('SIGKILL');
  if (dir && !stopped) {
    stopped = true;
    try { pgsh('pg_stop "$1"', dir); } catch { /* never started */ }
    rmSync(dir, { recursive: true, force: true });
  }
}
process.once('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => { cleanup(); process.exit(1); });

async function start(opts) {
  const s = await startServer({ timeoutMs: 30000, ...opts });
  servers.push(s);
  return s;
}

// Stops a server and checks that nothing it printed holds the password.
async function stopAndCheckLog(s) {
  await s.stop();
  for (const piece of PASSWORD_PIECES)
    assert.ok(!s.output().includes(piece), `the server log shows ${JSON.stringify(piece)}:\n${s.output().slice(-3000)}`);
}

async function notes(s) {
  const r = await fetch(`${s.url}/graphql`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: QUERY }),
  });
  const text = await r.text();
  assert.equal(r.status, 200, text);
  return JSON.parse(text).data?.note;
}

// The server's own connections (tagged with application_name) as PostgreSQL sees them.
const sslRows = (app) =>
  JSON.parse(psql('postgres', `select coalesce(json_agg(json_build_object('ssl', s.ssl, 'version', s.version)), '[]')
    from pg_stat_activity a join pg_stat_ssl s using (pid) where a.application_name = '${app}'`));

// A server that cannot reach the database keeps running and says why in its log;
// waits for that line and checks the server is not ready.
async function expectRefused(s, reason) {
  const deadline = Date.now() + 20000;
  let line;
  while (Date.now() < deadline && !(line = s.output().match(/cannot connect \(attempt \d+\): [^\n]*/)))
    await sleep(100);
  assert.ok(line, `no failed connection attempt logged:\n${s.output().slice(-2000)}`);
  assert.match(line[0], reason);
  assert.equal((await fetch(`${s.url}/ready`)).status, 503);
  assert.equal((await fetch(`${s.url}/health`)).status, 503);
  assert.equal(s.exited(), null, `graphpost exited:\n${s.output().slice(-2000)}`);
}

// A URL to the tls database as `user`, every part percent-encoded (libpq decodes %XX, not '+').
function url({ user = 'postgres', password, query }) {
  const enc = encodeURIComponent;
  const params = Object.entries(query).map(([k, v]) => `${k}=${enc(v)}`).join('&');
  return `postgres://${user}${password !== undefined ? `:${enc(password)}` : ''}@localhost:${port}/tls?${params}`;
}

describe('TLS to PostgreSQL', () => {
  let ca, otherCa;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'graphpost-tls.'));
    tls = path.join(dir, 'tls');
    mkdirSync(tls);
    ca = makeCa('ca');
    otherCa = makeCa('other-ca');
    makeServerCert('ca');
    port = await freePort();
    pgsh('chmod 755 "$1" && pg_init "$1" && pg_tls "$1" "$2" "$3" && pg_start_in "$1" "$4"',
      dir, path.join(tls, 'server.crt'), path.join(tls, 'server.key'), String(port));
    const quoted = PASSWORD.replaceAll("'", "''");
    psql('postgres', `create role app login password '${quoted}'`);
    psql('postgres', 'create database tls owner app');
    psql('tls', `create table note (id int primary key, body text not null);
      insert into note values (1, 'over TLS'), (2, 'verified');
      alter table note owner to app`);
  });

  after(async () => {
    for (const s of servers) await s.stop().catch(() => {});
    cleanup();
  });

  it('connects with verify-full and the CA from the URL, over TLS', async () => {
    const s = await start({
      args: ['--database-url', url({ query: { sslmode: 'verify-full', sslrootcert: ca, application_name: 'gp-tls-url' } }),
        '--threads', '2'],
    });
    assert.deepEqual(await notes(s), NOTES);
    const rows = sslRows('gp-tls-url');
    assert.ok(rows.length >= 2, `one connection per thread at least: ${JSON.stringify(rows)}`);
    assert.ok(rows.every((r) => r.ssl && /^TLSv1\.[23]$/.test(r.version)), JSON.stringify(rows));
    await stopAndCheckLog(s);
  });

  it('connects with verify-full and the CA from GRAPHPOST_DB_* variables alone, over TLS', async () => {
    const s = await start({
      args: ['--threads', '2'],
      env: {
        GRAPHPOST_DB_HOST: 'localhost', GRAPHPOST_DB_PORT: String(port), GRAPHPOST_DB_USER: 'postgres',
        GRAPHPOST_DB_NAME: 'tls', GRAPHPOST_DB_SSLMODE: 'verify-full', GRAPHPOST_DB_SSLROOTCERT: ca,
        PGAPPNAME: 'gp-tls-env', // libpq's own variable: only to tell this server's connections apart
      },
    });
    assert.deepEqual(await notes(s), NOTES);
    const rows = sslRows('gp-tls-env');
    assert.ok(rows.length >= 2, `one connection per thread at least: ${JSON.stringify(rows)}`);
    assert.ok(rows.every((r) => r.ssl), JSON.stringify(rows));
    await stopAndCheckLog(s);
  });

  it('refuses a certificate its CA did not sign: not ready, the reason logged; --print-schema exits 1', async () => {
    const wrong = url({ query: { sslmode: 'verify-full', sslrootcert: otherCa } });
    const s = await start({ args: ['--database-url', wrong], waitHealthy: false });
    await expectRefused(s, /certificate verify failed/);
    await s.stop();

    const r = await runBin(['--database-url', wrong, '--print-schema']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /cannot connect: .*certificate verify failed/);
  });

  it('takes GRAPHPOST_DB_SSLROOTCERT over the URL\'s sslrootcert', async () => {
    const s = await start({
      env: { DATABASE_URL: url({ query: { sslmode: 'verify-full', sslrootcert: otherCa } }), GRAPHPOST_DB_SSLROOTCERT: ca },
    });
    assert.deepEqual(await notes(s), NOTES);
    await s.stop();
  });

  it('is refused by the hostssl-only server with sslmode=disable (GRAPHPOST_DB_SSLMODE over the URL\'s)', async () => {
    const s = await start({
      env: { DATABASE_URL: url({ query: { sslmode: 'verify-full', sslrootcert: ca } }), GRAPHPOST_DB_SSLMODE: 'disable' },
      waitHealthy: false,
    });
    await expectRefused(s, /no pg_hba\.conf entry for host .*no encryption/);
    await s.stop();
  });

  it('logs in with the password percent-encoded in the URL, and never prints it', async () => {
    const s = await start({
      args: ['--database-url', url({ user: 'app', password: PASSWORD, query: { sslmode: 'verify-full', sslrootcert: ca } }),
        '--log-level', 'debug'],
    });
    assert.deepEqual(await notes(s), NOTES);
    assert.match(s.output(), /database-url=postgres:\/\/app:\*\*\*@localhost/, 'the effective-config line masks it');
    await stopAndCheckLog(s);
  });

  it('logs in with the password raw in GRAPHPOST_DB_PASSWORD, and never prints it', async () => {
    const s = await start({
      args: ['--log-level', 'debug'],
      env: {
        GRAPHPOST_DB_HOST: 'localhost', GRAPHPOST_DB_PORT: String(port), GRAPHPOST_DB_USER: 'app', GRAPHPOST_DB_NAME: 'tls',
        GRAPHPOST_DB_PASSWORD: PASSWORD, GRAPHPOST_DB_SSLMODE: 'verify-full', GRAPHPOST_DB_SSLROOTCERT: ca,
      },
    });
    assert.deepEqual(await notes(s), NOTES);
    assert.match(s.output(), /db-password=\*\*\* /, 'the effective-config line masks it');
    await stopAndCheckLog(s);
  });

  // Without this, the two above would also pass against a server that asked for no password.
  it('is refused with the password one character short, and prints neither', async () => {
    const s = await start({
      waitHealthy: false,
      env: {
        DATABASE_URL: url({ user: 'app', query: { sslmode: 'verify-full', sslrootcert: ca } }),
        GRAPHPOST_DB_PASSWORD: PASSWORD.slice(0, -1),
      },
    });
    await expectRefused(s, /password authentication failed for user "app"/);
    await stopAndCheckLog(s);
  });
});
