// graphpost through a real PgBouncer (Debian's pgbouncer, 1.18) in transaction mode, with
// --prepared-statements off: this file starts its own PgBouncer (config and userlist in a
// temp dir, a free port, default_pool_size 2, as user postgres when run as root: PgBouncer
// refuses root) in front of the cluster scripts/test provides, on a blog copy of its own,
// and stops it afterwards, also when a test fails.
//
// It shows: queries with variables, and 200 concurrent requests over many graphpost
// connections sharing PgBouncer's 2 server connections; mutations, one failing and
// changing nothing; --statement-timeout still ending a slow statement, per statement, with
// nothing left behind on the shared server connections (SHOW through PgBouncer); no named
// statement and no session SET ever reaching PostgreSQL (its statement log); a live
// subscription updated after a mutation, its LISTEN connection going straight to
// PostgreSQL (--listen-database-url), and without that URL, polled.
//
// Not tested, because it is not supported: --prepared-statements on through transaction
// mode. graphpost would prepare gp_<id> on one server connection and execute it in a later
// transaction that PgBouncer 1.18 may give another (tried: the requests of this file then
// fail with 26000 "prepared statement does not exist" and 42P05 "already exists"), and its
// per-connection SET jit/statement_timeout would stay behind on whichever server
// connection ran them. (PgBouncer 1.21+ can track protocol-level prepared statements with
// max_prepared_statements; Debian 12 ships 1.18.) Session mode needs no setting at all.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { freePort, need, post, psql, sqlJson, startServer } from '../lib/gql.mjs';

const root = new URL('../../', import.meta.url).pathname;
const pg = { host: need('PGHOST'), port: need('PGPORT'), user: process.env.PGUSER || 'postgres' };
const DB = `gp_pgb_${process.pid}`;
const POOL_SIZE = 2; // server connections PgBouncer may open to the database: really shared
const STATEMENT_TIMEOUT_MS = 500;
const direct = `postgres://${pg.user}@${pg.host}:${pg.port}/${DB}`;

// ---- PgBouncer --------------------------------------------------------------------------

const bouncer = { dir: null, port: 0, child: null, out: '' };

function bouncerPid() {
  try {
    return Number(readFileSync(join(bouncer.dir, 'pgbouncer.pid'), 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

// Synchronous, so that it also runs from process.on('exit').
function killBouncer() {
  const pid = bouncerPid();
  if (pid) {
    try {
      process.kill(pid, 'SIGTERM'); // 1.18: SIGTERM is the immediate shutdown
    } catch {
      /* gone already */
    }
  }
  if (bouncer.child && bouncer.child.exitCode === null) bouncer.child.kill('SIGTERM');
}

async function startBouncer() {
  bouncer.dir = mkdtempSync(join(tmpdir(), 'graphpost-pgbouncer-'));
  bouncer.port = await freePort();
  writeFileSync(join(bouncer.dir, 'userlist.txt'), `"${pg.user}" ""\n`);
  writeFileSync(join(bouncer.dir, 'pgbouncer.ini'), `[databases]
${DB} = host=${pg.host} port=${pg.port} dbname=${DB}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${bouncer.port}
unix_socket_dir =
auth_type = trust
auth_file = ${bouncer.dir}/userlist.txt
admin_users = ${pg.user}
pool_mode = transaction
default_pool_size = ${POOL_SIZE}
max_db_connections = ${POOL_SIZE}
reserve_pool_size = 0
max_client_conn = 500
pidfile = ${bouncer.dir}/pgbouncer.pid
`);
  const asRoot = process.getuid && process.getuid() === 0;
  if (asRoot) execFileSync('chown', ['-R', 'postgres:', bouncer.dir]);
  chmodSync(bouncer.dir, 0o755);
  const ini = join(bouncer.dir, 'pgbouncer.ini');
  const [cmd, args] = asRoot ? ['runuser', ['-u', 'postgres', '--', 'pgbouncer', ini]] : ['pgbouncer', [ini]];
  bouncer.child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  bouncer.child.stdout.on('data', (d) => (bouncer.out += d));
  bouncer.child.stderr.on('data', (d) => (bouncer.out += d));
  process.on('exit', killBouncer);
  const deadline = Date.now() + 15000;
  for (;;) {
    try {
      if (throughBouncer('select 1') === '1') return;
    } catch (e) {
      if (Date.now() > deadline || bouncer.child.exitCode !== null)
        throw new Error(`pgbouncer did not start: ${e.message}\n${bouncer.out.slice(-2000)}`);
    }
    await sleep(100);
  }
}

async function stopBouncer() {
  if (!bouncer.child) return;
  const closed = bouncer.child.exitCode !== null ? Promise.resolve()
    : new Promise((resolve) => bouncer.child.once('close', resolve));
  killBouncer();
  await Promise.race([closed, sleep(5000)]);
  if (bouncer.dir) rmSync(bouncer.dir, { recursive: true, force: true });
}

// One statement through PgBouncer as a client of its own (psql): any of the server connections.
function throughBouncer(sql, db = DB) {
  return execFileSync('psql', ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p',
    String(bouncer.port), '-U', pg.user, '-d', db, '-c', sql], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

// PgBouncer's own view (its admin console): SHOW CLIENTS / SHOW SERVERS rows for our database.
function bouncerShow(what) {
  const rows = throughBouncer(`show ${what}`, 'pgbouncer').split('\n').filter(Boolean);
  return rows.filter((r) => r.split('|').includes(DB));
}

// ---- the database and graphpost ---------------------------------------------------------

const USER = 'query ($id: Int!) { users_by_pk(id: $id) { id name email } }';
const ADD_USER = 'mutation ($name: String!, $email: String!) { insert_users_one(object: {name: $name, email: $email}) { id name } }';
const RENAME = 'mutation ($id: Int!, $name: String!) { update_users_by_pk(pk_columns: {id: $id}, _set: {name: $name}) { id } }';

let srv;
let logFrom = 0; // PostgreSQL's statement log from where this file began

before(async () => {
  logFrom = process.env.PG_LOG ? statSync(process.env.PG_LOG).size : 0;
  psql('postgres', `drop database if exists ${DB} with (force)`);
  psql('postgres', `create database ${DB}`);
  for (const f of ['examples/blog/schema.sql', 'examples/blog/seed.sql'])
    execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', DB, '-f', `${root}${f}`], { stdio: 'pipe' });
  // A view that takes 2 s to read: --statement-timeout must end it.
  psql(DB, 'create view slow_users as select u.id, u.name from users u where (select true from pg_sleep(2))');
  await startBouncer();
  srv = await startServer({
    args: ['--threads', '2', '--prepared-statements', 'off', '--statement-timeout', String(STATEMENT_TIMEOUT_MS)],
    env: {
      GRAPHPOST_DATABASE_URL: `postgres://${pg.user}@127.0.0.1:${bouncer.port}/${DB}`,
      GRAPHPOST_LISTEN_DATABASE_URL: direct,
    },
  });
});

after(async () => {
  try {
    if (srv) await srv.stop(); // throws on a sanitizer report
  } finally {
    await stopBouncer();
    psql('postgres', `drop database if exists ${DB} with (force)`);
  }
});

describe('graphpost through PgBouncer in transaction mode (--prepared-statements off)', () => {
  it('answers queries with variables, as SQL does', async () => {
    for (const id of [1, 3, 99]) {
      const r = await post(srv.url, USER, { id });
      const want = sqlJson(DB, `select coalesce((select json_build_object('id', id, 'name', name, 'email', email)
        from users where id = ${id}), 'null')`);
      assert.deepEqual(r.body, { data: { users_by_pk: want } }, r.text);
    }
    const list = await post(srv.url, '{ users(order_by: {id: desc}, limit: 2) { id posts_by_author_id_aggregate { aggregate { count } } } }');
    const want = sqlJson(DB, `select json_agg(json_build_object('id', u.id, 'posts_by_author_id_aggregate',
      json_build_object('aggregate', json_build_object('count', (select count(*) from posts p where p.author_id = u.id))))
      order by u.id desc) from (select id from users order by id desc limit 2) u`);
    assert.deepEqual(list.body, { data: { users: want } }, list.text);
  });

  it('serves 200 concurrent requests from many graphpost connections over 2 server connections', async () => {
    const ids = sqlJson(DB, 'select json_agg(id order by id) from users');
    const rows = Object.fromEntries(sqlJson(DB, "select json_agg(json_build_object('id', id, 'name', name, 'email', email)) from users").map((u) => [u.id, u]));
    let maxServers = 0, sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const n = Number(psql('postgres', `select count(*) from pg_stat_activity where datname = '${DB}'
          and backend_type = 'client backend' and application_name <> 'graphpost listener'
          and pid <> pg_backend_pid()`));
        maxServers = Math.max(maxServers, n);
        await sleep(20);
      }
    })();
    try {
      for (let round = 0; round < 3; round++) {
        const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => post(srv.url, USER, { id: ids[i % ids.length] })));
        answers.forEach((r, i) => assert.deepEqual(r.body, { data: { users_by_pk: rows[ids[i % ids.length]] } }, r.text));
      }
    } finally {
      sampling = false;
      await sampler;
    }
    const clients = bouncerShow('clients').length, servers = bouncerShow('servers').length;
    console.log(`graphpost's connections to PgBouncer: ${clients}; PgBouncer's to PostgreSQL: ${servers} (at most ${maxServers} seen)`);
    assert.ok(clients > POOL_SIZE, `graphpost opened only ${clients} connections: nothing was shared`);
    assert.ok(servers <= POOL_SIZE && maxServers <= POOL_SIZE, `${servers} / ${maxServers} server connections`);
  });

  it('runs mutations; a failing one changes nothing', async () => {
    const before = Number(psql(DB, 'select count(*) from users'));
    const ok = await post(srv.url, ADD_USER, { name: 'Barbara Liskov', email: 'barbara@example.com' });
    assert.equal(ok.body?.data?.insert_users_one?.name, 'Barbara Liskov', ok.text);
    const id = ok.body.data.insert_users_one.id;
    assert.equal(psql(DB, `select name from users where id = ${id}`), 'Barbara Liskov');

    // Two writes in one transaction; the second breaks a unique constraint: neither stays.
    const bad = await post(srv.url, `mutation {
      a: insert_users_one(object: {name: "Frances Allen", email: "frances@example.com"}) { id }
      b: insert_users_one(object: {name: "Copy", email: "barbara@example.com"}) { id } }`);
    assert.equal(bad.body?.data, null, bad.text);
    assert.equal(bad.body.errors[0].extensions.code, 'constraint-violation', bad.text);
    assert.equal(psql(DB, "select count(*) from users where email = 'frances@example.com'"), '0');
    assert.equal(Number(psql(DB, 'select count(*) from users')), before + 1);

    // Writes from many clients at once, each its own transaction.
    const many = await Promise.all(Array.from({ length: 40 }, (_, i) =>
      post(srv.url, ADD_USER, { name: `writer ${i}`, email: `writer${i}@example.com` })));
    many.forEach((r) => assert.ok(r.body?.data?.insert_users_one?.id, r.text));
    assert.equal(psql(DB, "select count(*) from users where name like 'writer %'"), '40');
  });

  it('ends a slow statement at --statement-timeout, and leaves nothing set on the server connections', async () => {
    for (let i = 0; i < 3; i++) { // whichever server connection each lands on
      const t0 = Date.now();
      const r = await post(srv.url, '{ slow_users { id } }');
      const ms = Date.now() - t0;
      assert.ok(ms < 1800, `took ${ms} ms`);
      assert.equal(r.body?.data, null, r.text);
      assert.equal(r.body.errors[0].extensions.sqlstate, '57014', r.text);
      assert.match(r.body.errors[0].message, /statement timeout/);
    }
    const ok = await post(srv.url, USER, { id: 2 });
    assert.equal(ok.body?.data?.users_by_pk?.id, 2, ok.text);
    // Each request set jit and statement_timeout for its own transaction only: another
    // client of PgBouncer finds the server defaults on every server connection.
    for (let i = 0; i < 2 * POOL_SIZE; i++)
      assert.equal(throughBouncer("select current_setting('statement_timeout') || ' ' || current_setting('jit')"), '0 on');
  });

  it('sends PostgreSQL no named statement and no session SET', () => {
    if (!process.env.PG_LOG) return; // the cluster's statement log (scripts/test sets it)
    const lines = readFileSync(process.env.PG_LOG, 'utf8').slice(logFrom).split('\n').filter((l) => l.includes(` ${DB} `));
    assert.ok(lines.some((l) => /execute <unnamed>: /.test(l)), "no statement of ours in the log");
    assert.deepEqual(lines.filter((l) => /(execute|parse|bind) gp_/.test(l)), []);
    assert.deepEqual(lines.filter((l) => /(statement|execute <unnamed>): SET (jit|statement_timeout)/i.test(l)), []);
  });

  it('pushes a live subscription after a mutation (LISTEN straight to PostgreSQL)', async () => {
    const c = createClient({ url: `${srv.url.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    try {
      const feed = subscribeFeed(c, 'subscription { users_by_pk(id: 1) { id name } }');
      assert.deepEqual(await feed.next(5000), { data: { users_by_pk: { id: 1, name: 'Ada Lovelace' } } });
      const t0 = Date.now();
      const w = await post(srv.url, RENAME, { id: 1, name: 'Augusta Ada King' });
      assert.ok(w.body?.data, w.text);
      assert.deepEqual(await feed.next(5000), { data: { users_by_pk: { id: 1, name: 'Augusta Ada King' } } });
      console.log(`update ${Date.now() - t0} ms after the mutation was sent`);
      const listeners = Number(psql('postgres', `select count(*) from pg_stat_activity where datname = '${DB}'
        and application_name = 'graphpost listener'`));
      assert.equal(listeners, 1);
      assert.doesNotMatch(srv.output(), /live queries are polled/);
    } finally {
      await c.dispose();
    }
  });

  it('polls live queries when there is no --listen-database-url, and says so once', async () => {
    const own = await startServer({
      args: ['--threads', '1', '--prepared-statements', 'off', '--live-poll-ms', '200'],
      env: { GRAPHPOST_DATABASE_URL: `postgres://${pg.user}@127.0.0.1:${bouncer.port}/${DB}` },
    });
    const c = createClient({ url: `${own.url.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    try {
      const feed = subscribeFeed(c, 'subscription { users_by_pk(id: 2) { name } }');
      assert.deepEqual(await feed.next(5000), { data: { users_by_pk: { name: 'Alan Turing' } } });
      const w = await post(own.url, RENAME, { id: 2, name: 'A. M. Turing' });
      assert.ok(w.body?.data, w.text);
      assert.deepEqual(await feed.next(5000), { data: { users_by_pk: { name: 'A. M. Turing' } } });
      assert.equal(own.output().match(/live queries are polled every 200 ms/g)?.length, 1, own.output());
    } finally {
      await c.dispose();
      await own.stop();
    }
  });
});

// A graphql-ws subscription as a queue of its messages (errors included, as messages).
function subscribeFeed(c, query) {
  const queue = [], waiters = [];
  const push = (v) => (waiters.length ? waiters.shift()(v) : queue.push(v));
  c.subscribe({ query }, {
    next: push,
    error: (e) => push({ error: e instanceof Error ? e.message : e }),
    complete: () => {},
  });
  return {
    next(ms) {
      if (queue.length) return Promise.resolve(queue.shift());
      return new Promise((resolve, reject) => {
        const waiter = (v) => (clearTimeout(t), resolve(v));
        const t = setTimeout(() => (waiters.splice(waiters.indexOf(waiter), 1), reject(new Error(`no message within ${ms} ms`))), ms);
        waiters.push(waiter);
      });
    },
  };
}
