// Live subscriptions (issue 10, must-shows 2-4 and 7): a `subscription` over any query root
// field gets its current result at once, then a new `next` (legacy: `data`) only when that
// result changed, and nothing after the client's complete/stop. Changes are heard through
// graphpost's statement triggers (NOTIFY graphpost_change, one LISTEN connection) within a
// coalescing window; views, and everything under --no-triggers, are polled every
// --live-poll-ms. Subscribers of one document form a cohort refreshed by ONE statement
// (the string_agg shape of server/live.c), and when nothing changes no statement
// runs at all.
//
// How: every test gets a database of its own (a copy of examples/blog made from a
// template this file loads once) and a graphpost of its own, so that its writes disturb
// nobody. Writes go through HTTP mutations (or psql), subscribers are the npm graphql-ws
// client, subscriptions-transport-ws's SubscriptionClient and a raw `ws` socket; every
// message lands in a Feed awaited with a timeout (`next`) or proved absent for a while
// (`none`). Statements are counted with pg_stat_statements (read from the `postgres`
// database, so the test's own queries never count) and the cluster's statement log.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { SubscriptionClient } from 'subscriptions-transport-ws';
import { client, loggedStatements, need, post, psql, sqlJson, startServer } from '../lib/gql.mjs';

const root = new URL('../../', import.meta.url).pathname;
const pg = { host: need('PGHOST'), port: need('PGPORT'), user: process.env.PGUSER || 'postgres' };
const TEMPLATE = 'gp_sub_template';
const dbUrl = (db) => `postgres://${pg.user}@${pg.host}:${pg.port}/${db}`;

const FAST_MS = 700; // a trigger-driven update (20 ms coalescing) arrives well within this
const POLL_MS = 1500; // a polled one within --live-poll-ms (1000) and a refresh
const QUIET_MS = 500; // how long "no message" is watched for

// ---------------------------------------------------------------------------------------
// Feed: the messages of one subscription, in order, each with its arrival time.

class Feed {
  constructor(label) {
    this.label = label;
    this.queue = [];
    this.waiter = null;
  }

  push(value) {
    const entry = { value, at: Date.now() };
    if (this.waiter) this.waiter(entry);
    else this.queue.push(entry);
  }

  // The next message, failing after `ms`; `this.at` is when it arrived.
  async next(ms = 2000) {
    const entry = this.queue.length ? this.queue.shift() : await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`${this.label}: no message within ${ms} ms`));
      }, ms);
      this.waiter = (e) => {
        clearTimeout(timer);
        this.waiter = null;
        resolve(e);
      };
    });
    this.at = entry.at;
    return entry.value;
  }

  // Fails as soon as anything arrives within `ms`.
  async none(ms = QUIET_MS) {
    if (!this.queue.length) {
      await new Promise((resolve) => {
        const timer = setTimeout(() => ((this.waiter = null), resolve()), ms);
        this.waiter = (e) => {
          clearTimeout(timer);
          this.waiter = null;
          this.queue.push(e);
          resolve();
        };
      });
    }
    assert.deepEqual(this.queue.map((e) => e.value), [], `${this.label}: expected no message for ${ms} ms`);
  }
}

// A subscription through the graphql-ws client: errors and complete become messages, so
// that a test expecting data fails on them with what the server said.
function subscribe(c, query, variables, label = query) {
  const feed = new Feed(label);
  feed.stop = c.subscribe({ query, variables }, {
    next: (v) => feed.push(v),
    error: (e) => feed.push({ error: e instanceof Error ? e.message : e }),
    complete: () => feed.push({ complete: true }),
  });
  return feed;
}

// A raw socket speaking graphql-transport-ws or the legacy graphql-ws: a Feed per id
// receiving the payload of each next/data, and the whole message of anything else.
class Raw {
  static async open(url, protocol = 'graphql-transport-ws') {
    const raw = new Raw();
    raw.legacy = protocol === 'graphql-ws';
    raw.feeds = new Map();
    raw.control = new Feed(`${protocol} socket`);
    raw.ws = new WebSocket(url, protocol);
    raw.ws.on('message', (data) => {
      const m = JSON.parse(String(data));
      if (m.type === 'ka') return;
      if (m.id === undefined) return raw.control.push(m);
      raw.feed(m.id).push(m.type === 'next' || m.type === 'data' ? m.payload : m);
    });
    raw.ws.on('error', () => {});
    await new Promise((resolve, reject) => (raw.ws.once('open', resolve), raw.ws.once('error', reject)));
    raw.send({ type: 'connection_init' });
    assert.deepEqual(await raw.control.next(), { type: 'connection_ack' });
    return raw;
  }

  feed(id) {
    if (!this.feeds.has(id)) this.feeds.set(id, new Feed(`operation ${id}`));
    return this.feeds.get(id);
  }

  send(m) {
    this.ws.send(JSON.stringify(m));
  }

  start(id, query, variables) {
    this.send({ id, type: this.legacy ? 'start' : 'subscribe', payload: { query, variables } });
    return this.feed(id);
  }

  stop(id) {
    this.send({ id, type: this.legacy ? 'stop' : 'complete' });
  }
}

// ---------------------------------------------------------------------------------------
// A database and a graphpost per test, torn down with the test.

let copies = 0;
const stopping = []; // servers on their way out, awaited (and their sanitizer reports read) last

// Starts a server on a fresh copy of the blog database (`prepare` is SQL run in the copy
// before the server starts) and returns what a test needs. When the test `t` ends its
// sockets close and the server is stopped, then its database dropped, without waiting:
// a graphpost takes seconds to exit.
async function serve(t, { args = [], prepare } = {}) {
  const db = `gp_sub_${process.pid}_${++copies}`;
  psql('postgres', `create database ${db} template ${TEMPLATE}`);
  if (prepare) psql(db, prepare);
  const closers = [];
  let srv;
  t.after(async () => {
    for (const close of closers) await close();
    stopping.push((async () => {
      try {
        if (srv) await srv.stop(); // throws on a sanitizer report
      } catch (e) {
        throw new Error(`the server of "${t.name}": ${e.message}`);
      } finally {
        psql('postgres', `drop database if exists ${db} with (force)`);
      }
    })());
  });
  srv = await startServer({ args, env: { GRAPHPOST_DATABASE_URL: dbUrl(db) } });
  const wsUrl = `${srv.url.replace(/^http/, 'ws')}/graphql`;
  const http = client(srv.url);
  return {
    db,
    srv,
    wsUrl,
    http,
    defer: (close) => closers.push(close),
    // A graphql-ws client, disposed of when the test ends.
    client() {
      const c = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
      closers.push(() => c.dispose());
      return c;
    },
    async raw(protocol) {
      const r = await Raw.open(wsUrl, protocol);
      closers.push(() => r.ws.terminate());
      return r;
    },
    // Runs a mutation over HTTP that must succeed; returns when it was answered.
    async write(query, variables) {
      await http.data(query, variables);
      return Date.now();
    },
  };
}

// Waits for the subscription's next message, which must be `expected` and arrive within
// `within` ms of `since` (a mutation's answer: the update may even come before it).
async function expectUpdate(feed, expected, since, within = FAST_MS) {
  assert.deepEqual(await feed.next(within + 2000), expected);
  const took = feed.at - since;
  assert.ok(took < within, `${feed.label}: the update took ${took} ms (expected < ${within} ms)`);
}

// pg_stat_statements, read from the `postgres` database: calls of graphpost's database's
// statements, all of them or the live refresh statements only (server/live.c's shape:
// SELECT string_agg(<alias>.i::text || ':' || … FROM unnest($1 …) CROSS JOIN LATERAL …).
const REFRESH = String.raw`^SELECT string_agg\(\w+\.i::text`;
function statementCalls(db, { refreshOnly = false } = {}) {
  return sqlJson('postgres', `select coalesce(sum(calls), 0)::bigint from pg_stat_statements
    where dbid = (select oid from pg_database where datname = '${db}')
    ${refreshOnly ? `and query ~ '${REFRESH}'` : ''}`);
}

const listenerPids = (db) => sqlJson('postgres', `select coalesce(json_agg(pid order by pid), '[]') from pg_stat_activity
  where datname = '${db}' and application_name = 'graphpost listener'`);

// A psql session of its own that stays connected (for writes while nothing new may connect).
function session(db) {
  const p = spawn('psql', ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-d', db], { stdio: ['pipe', 'pipe', 'pipe'] });
  const output = new Feed('psql');
  p.stdout.on('data', (d) => output.push(String(d)));
  p.stderr.on('data', (d) => output.push(String(d)));
  let n = 0;
  return {
    // Runs `sql` and waits for psql to echo a mark after it (ON_ERROR_STOP: never after an error).
    async run(sql) {
      const mark = `__done_${++n}__`;
      p.stdin.write(`${sql};\n\\echo ${mark}\n`);
      let out = '';
      try {
        while (!out.includes(mark)) out += await output.next(5000);
      } catch {
        assert.fail(`psql did not run ${sql}: ${out}`);
      }
    },
    end: () => p.stdin.end(),
  };
}

const USERS_UP_TO = 'subscription ($n: Int!) { users(where: {id: {_lte: $n}}, order_by: {id: asc}) { id name } }';
const USER = 'subscription ($id: Int!) { users_by_pk(id: $id) { id name } }';
const RENAME = 'mutation ($id: Int!, $name: String!) { update_users_by_pk(pk_columns: {id: $id}, _set: {name: $name}) { id } }';
const ADD_POST = 'mutation ($a: Int!, $t: String!) { insert_posts_one(object: {author_id: $a, title: $t}) { id } }';
const ADD_TAG = 'mutation ($n: String!) { insert_tags_one(object: {name: $n}) { name } }';
const SEED_USERS = [
  { id: 1, name: 'Ada Lovelace' },
  { id: 2, name: 'Alan Turing' },
  { id: 3, name: 'Grace Hopper' },
  { id: 4, name: 'Edsger Dijkstra' },
];

before(() => {
  psql('postgres', `drop database if exists ${TEMPLATE} with (force)`);
  psql('postgres', `create database ${TEMPLATE}`);
  for (const f of ['examples/blog/schema.sql', 'examples/blog/seed.sql'])
    execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', TEMPLATE, '-f', `${root}${f}`], { stdio: 'pipe' });
  psql('postgres', 'create extension if not exists pg_stat_statements');
});

after(async () => {
  const failed = (await Promise.allSettled(stopping)).filter((r) => r.status === 'rejected');
  psql('postgres', `drop database if exists ${TEMPLATE} with (force)`);
  if (failed.length) throw new Error(failed.map((r) => r.reason.message).join('\n\n'));
});

// ---------------------------------------------------------------------------------------

describe('live queries over graphql-transport-ws (the graphql-ws client)', () => {
  it('sends the HTTP answer at once, then an update only when the result changed', async (t) => {
    const s = await serve(t);
    const feed = subscribe(s.client(), USERS_UP_TO, { n: 2 });
    const http = await post(s.srv.url, USERS_UP_TO.replace(/^subscription/, 'query'), { n: 2 });
    assert.deepEqual(http.body, { data: { users: SEED_USERS.slice(0, 2) } });
    assert.deepEqual(await feed.next(), http.body);

    const answered = await s.write(RENAME, { id: 2, name: 'A. M. Turing' });
    await expectUpdate(feed, { data: { users: [SEED_USERS[0], { id: 2, name: 'A. M. Turing' }] } }, answered);

    await s.write(RENAME, { id: 3, name: 'Rear Admiral Hopper' }); // users changed, this result did not
    await feed.none();
    await s.write(ADD_TAG, { n: 'unrelated' }); // a table the query does not read
    await feed.none();

    // Still live: a change to a row it shows arrives as fast as the first one.
    const again = await s.write(RENAME, { id: 1, name: 'Augusta Ada King' });
    await expectUpdate(feed, { data: { users: [{ id: 1, name: 'Augusta Ada King' }, { id: 2, name: 'A. M. Turing' }] } }, again);
  });

  it('follows relationships: a post inserted for the user updates the user\'s posts', async (t) => {
    const s = await serve(t);
    const feed = subscribe(s.client(), 'subscription { users_by_pk(id: 1) { name posts_by_author_id(order_by: {id: asc}) { title } } }');
    const titles = (...more) => ({ data: { users_by_pk: { name: 'Ada Lovelace', posts_by_author_id:
      ['Notes on the Analytical Engine', 'Bernoulli numbers', ...more].map((title) => ({ title })) } } });
    assert.deepEqual(await feed.next(), titles());
    await s.write(ADD_POST, { a: 2, t: 'By Alan' }); // posts changed, not user 1's
    await feed.none();
    const answered = await s.write(ADD_POST, { a: 1, t: 'Sketch of the engine' });
    await expectUpdate(feed, titles('Sketch of the engine'), answered);
  });

  it('follows filters through relationships: posts start and stop matching as their author is renamed', async (t) => {
    const s = await serve(t);
    const feed = subscribe(s.client(),
      'subscription { posts(where: {author: {name: {_eq: "Grace Hopper"}}}, order_by: {id: asc}) { id title } }');
    const posts = (...ids) => ({ data: { posts: ids.map((id) => ({ id, title: {
      3: 'Computing Machinery', 4: 'The first bug', 5: 'COBOL for everyone' }[id] })) } });
    assert.deepEqual(await feed.next(), posts(4, 5));
    let answered = await s.write(RENAME, { id: 3, name: 'Grace Brewster Hopper' });
    await expectUpdate(feed, posts(), answered);
    answered = await s.write(RENAME, { id: 2, name: 'Grace Hopper' });
    await expectUpdate(feed, posts(3), answered);
    await s.write(RENAME, { id: 4, name: 'E. W. Dijkstra' }); // an author none of them has
    await feed.none();
  });

  it('updates an aggregate after an insert and after a delete', async (t) => {
    const s = await serve(t);
    const feed = subscribe(s.client(), 'subscription { posts_aggregate { aggregate { count } } }');
    const count = (n) => ({ data: { posts_aggregate: { aggregate: { count: n } } } });
    assert.deepEqual(await feed.next(), count(5));
    const { insert_posts_one: { id } } = await s.http.data(ADD_POST, { a: 4, t: 'Go To considered harmful' });
    let answered = Date.now();
    await expectUpdate(feed, count(6), answered);
    answered = await s.write('mutation ($id: Int!) { delete_posts_by_pk(id: $id) { id } }', { id });
    await expectUpdate(feed, count(5), answered);
  });

  it('gives each subscriber of one document its own result, and updates only those whose result changed', async (t) => {
    const s = await serve(t);
    const c = s.client();
    const one = subscribe(c, USER, { id: 1 }, 'user 1');
    const two = subscribe(c, USER, { id: 2 }, 'user 2');
    assert.deepEqual(await one.next(), { data: { users_by_pk: SEED_USERS[0] } });
    assert.deepEqual(await two.next(), { data: { users_by_pk: SEED_USERS[1] } });
    let answered = await s.write(RENAME, { id: 1, name: 'Ada' });
    await expectUpdate(one, { data: { users_by_pk: { id: 1, name: 'Ada' } } }, answered);
    await two.none();
    answered = await s.write(RENAME, { id: 2, name: 'Alan' });
    await expectUpdate(two, { data: { users_by_pk: { id: 2, name: 'Alan' } } }, answered);
    await one.none();
  });
});

describe('functions and computed fields', () => {
  it('refresh on a change to a table only their bodies read', async (t) => {
    const s = await serve(t);
    const c = s.client();
    // total_karma() reads users; posts' comment_count (a computed field) reads comments.
    const karma = subscribe(c, 'subscription { total_karma }');
    const counts = subscribe(c, 'subscription { posts_by_pk(id: 1) { id comment_count } }');
    const before = await karma.next();
    const first = await counts.next();
    let since = await s.write('mutation { update_users_by_pk(pk_columns: {id: 1}, _inc: {karma: 5}) { id } }');
    await expectUpdate(karma, { data: { total_karma: before.data.total_karma + 5 } }, since);
    since = await s.write('mutation { insert_comments_one(object: {post_id: 1, author_id: 2, body: "hear, hear"}) { id } }');
    await expectUpdate(counts, { data: { posts_by_pk: { id: 1, comment_count: first.data.posts_by_pk.comment_count + 1 } } }, since);
    await karma.none(); // refreshed too (a function may read anything), but its result is the same
  });
});

describe('the legacy graphql-ws subprotocol', () => {
  it('serves SubscriptionClient: data at once, then data after a change', async (t) => {
    const s = await serve(t);
    const sc = new SubscriptionClient(s.wsUrl, { reconnect: false }, WebSocket);
    s.defer(() => sc.close());
    const feed = new Feed('SubscriptionClient');
    const sub = sc.request({ query: USER, variables: { id: 3 } }).subscribe({
      next: (v) => feed.push(v), error: (e) => feed.push({ error: e }), complete: () => feed.push({ complete: true }),
    });
    assert.deepEqual(await feed.next(), { data: { users_by_pk: SEED_USERS[2] } });
    const answered = await s.write(RENAME, { id: 3, name: 'Amazing Grace' });
    await expectUpdate(feed, { data: { users_by_pk: { id: 3, name: 'Amazing Grace' } } }, answered);
    sub.unsubscribe();
  });

  for (const protocol of ['graphql-ws', 'graphql-transport-ws']) {
    it(`sends nothing for a subscription after its ${protocol === 'graphql-ws' ? 'stop' : 'complete'} (${protocol}, raw)`, async (t) => {
      const s = await serve(t);
      const raw = await s.raw(protocol);
      const stopped = raw.start('stopped', USER, { id: 1 });
      const witness = raw.start('witness', USER, { id: 1 }); // proves the change was heard
      assert.deepEqual(await stopped.next(), { data: { users_by_pk: SEED_USERS[0] } });
      assert.deepEqual(await witness.next(), { data: { users_by_pk: SEED_USERS[0] } });
      raw.stop('stopped');
      const answered = await s.write(RENAME, { id: 1, name: 'Countess of Lovelace' });
      await expectUpdate(witness, { data: { users_by_pk: { id: 1, name: 'Countess of Lovelace' } } }, answered);
      await stopped.none();
    });
  }
});

describe('cohorts', () => {
  it('updates 1,000 subscribers in 10 cohorts, each with its own data, with one statement per cohort', async (t) => {
    const COHORTS = 10, PER = 100, SOCKETS = 10; // 100 operations per socket, the server's limit
    const s = await serve(t, {
      // Two workers: the sockets are spread over both, and still each cohort is one statement.
      args: ['--threads', '2'],
      prepare: `insert into users (id, name, email, karma)
        select i, 'user ' || i, 'u' || i || '@example.com', 10 * i from generate_series(101, ${100 + PER}) i`,
    });
    // Ten documents: distinct aliases and selections over the same root field.
    const extras = [[], ['name'], ['email'], ['bio'], ['created_at'], ['name', 'email'], ['name', 'bio'],
      ['email', 'created_at'], ['bio', 'created_at'], ['name', 'email', 'bio', 'created_at']];
    const doc = (c) => `subscription ($id: Int!) { u${c}: users_by_pk(id: $id) { id karma ${extras[c].join(' ')} } }`;
    const everything = async () => Object.fromEntries(
      (await s.http.data(`{ users(where: {id: {_gt: 100}}) { id karma ${extras.at(-1).join(' ')} } }`)).users.map((u) => [u.id, u]));
    const expected = (rows, c, id) => ({
      data: { [`u${c}`]: Object.fromEntries(['id', 'karma', ...extras[c]].map((k) => [k, rows[id][k]])) },
    });

    const socks = await Promise.all(Array.from({ length: SOCKETS }, () => s.raw()));
    const subs = [];
    for (let c = 0; c < COHORTS; c++)
      for (let j = 0; j < PER; j++) {
        const id = 101 + j; // each socket carries every cohort
        subs.push({ c, id, feed: socks[j % SOCKETS].start(`c${c}-${id}`, doc(c), { id }) });
      }
    let rows = await everything();
    const initial = await Promise.all(subs.map((x) => x.feed.next(10000)));
    subs.forEach((x, k) => assert.deepEqual(initial[k], expected(rows, x.c, x.id), x.feed.label));

    const before = statementCalls(s.db, { refreshOnly: true });
    const answered = await s.write(`mutation { update_users(where: {id: {_gt: 100}}, _inc: {karma: 1}) { affected_rows } }`);
    const updates = await Promise.all(subs.map((x) => x.feed.next(5000)));
    const last = Math.max(...subs.map((x) => x.feed.at));
    rows = await everything();
    subs.forEach((x, k) => {
      assert.equal(rows[x.id].karma, 10 * x.id + 1);
      assert.deepEqual(updates[k], expected(rows, x.c, x.id), x.feed.label);
    });
    assert.ok(last - answered < 5000, `the last update came ${last - answered} ms after the mutation's answer`);
    await Promise.all(subs.map((x) => x.feed.none(300))); // exactly one each
    assert.equal(statementCalls(s.db, { refreshOnly: true }) - before, COHORTS, 'one refresh statement per cohort');
  });
});

describe('change detection', () => {
  it('runs no statement at all while nothing changes', async (t) => {
    const s = await serve(t);
    const c = s.client();
    const feeds = [
      subscribe(c, USERS_UP_TO, { n: 4 }),
      subscribe(c, 'subscription { users_by_pk(id: 1) { name posts_by_author_id { title comments { body } } } }'),
      subscribe(c, 'subscription { posts_aggregate(where: {status: {_eq: published}}) { aggregate { count } } }'),
    ];
    for (const f of feeds) assert.ok((await f.next()).data, f.label);
    // The counters do see graphpost's refresh statements (else "no change" would be trivial).
    const seen = statementCalls(s.db, { refreshOnly: true });
    const answered = await s.write(RENAME, { id: 1, name: 'Lady Lovelace' });
    await expectUpdate(feeds[0], { data: { users: [{ id: 1, name: 'Lady Lovelace' }, ...SEED_USERS.slice(1)] } }, answered);
    assert.ok((await feeds[1].next()).data);
    assert.ok(statementCalls(s.db, { refreshOnly: true }) > seen, 'the refresh statements are counted');

    await sleep(200); // ten coalescing windows: whatever that change set off has ended
    const refreshes = statementCalls(s.db, { refreshOnly: true });
    const all = statementCalls(s.db);
    const logAt = statSync(need('PG_LOG')).size;
    await Promise.all(feeds.map((f) => f.none(5000)));
    assert.deepEqual(loggedStatements(s.db, logAt).map((q) => q.slice(0, 300)), [], 'statements in the log while idle');
    assert.equal(statementCalls(s.db, { refreshOnly: true }), refreshes, 'refresh statements while idle');
    assert.equal(statementCalls(s.db), all, 'statements of graphpost\'s database while idle');
  });

  it('gives a table its trigger when a live query first reads it (never a view), and polls a view', async (t) => {
    const s = await serve(t);
    const triggered = () => sqlJson(s.db, `select coalesce(json_agg(tgrelid::regclass::text order by tgrelid::regclass::text), '[]')
      from pg_trigger where tgname = 'graphpost_notify'`);
    assert.deepEqual(triggered(), [], 'no table pays for a trigger before a live query reads it');
    assert.equal(psql(s.db, `select count(*) from pg_proc where oid = 'graphpost.notify_change()'::regprocedure`), '1');
    const user = subscribe(s.client(), USER, { id: 1 });
    await user.next();
    for (let i = 0; i < 100 && triggered().length === 0; i++) await sleep(20);
    assert.deepEqual(triggered(), ['users']);

    const feed = subscribe(s.client(), 'subscription { published_posts(order_by: {id: asc}) { id } }');
    const ids = (...list) => ({ data: { published_posts: list.map((id) => ({ id })) } });
    assert.deepEqual(await feed.next(), ids(1, 3, 5));
    const answered = await s.write('mutation { update_posts_by_pk(pk_columns: {id: 2}, _set: {status: published}) { id } }');
    await expectUpdate(feed, ids(1, 2, 3, 5), answered, POLL_MS);
  });

  it('has the trigger notify only for tables a live query reads, while it does', async (t) => {
    // A NOTIFY serialises its transaction's commit with every other notifying one: a
    // table nobody watches must not pay it (tests/unit/db/triggers.c checks the silence).
    const s = await serve(t);
    const watched = () => sqlJson(s.db, "select coalesce(json_agg(tab order by tab), '[]') from graphpost.watched");
    const until = async (want) => {
      for (let i = 0; i < 100 && JSON.stringify(watched()) !== JSON.stringify(want); i++) await sleep(20);
      assert.deepEqual(watched(), want);
    };
    assert.deepEqual(watched(), []);
    const feed = subscribe(s.client(), 'subscription { users_by_pk(id: 1) { name posts_by_author_id(order_by: {id: asc}) { id } } }');
    await feed.next();
    await until(['public.posts', 'public.users']);
    const since = await s.write(ADD_POST, { a: 1, t: 'heard' });
    assert.equal((await feed.next()).data.users_by_pk.posts_by_author_id.length, 3);
    assert.ok(feed.at - since < FAST_MS, 'heard through the trigger, not polled');
    feed.stop();
    await until([]); // the last cohort over a table gave its NOTIFYs up
  });

  it('with --no-triggers installs nothing and polls every live query', async (t) => {
    const s = await serve(t, { args: ['--no-triggers'] });
    const feed = subscribe(s.client(), USER, { id: 4 });
    assert.deepEqual(await feed.next(), { data: { users_by_pk: SEED_USERS[3] } });
    assert.equal(psql(s.db, `select count(*) from pg_namespace where nspname = 'graphpost'`), '0');
    assert.equal(psql(s.db, `select count(*) from pg_trigger where tgname = 'graphpost_notify'`), '0');
    const answered = await s.write(RENAME, { id: 4, name: 'EWD' });
    await expectUpdate(feed, { data: { users_by_pk: { id: 4, name: 'EWD' } } }, answered, POLL_MS);
  });

  it('listens again after its LISTEN backend is terminated', async (t) => {
    const s = await serve(t);
    const feed = subscribe(s.client(), USER, { id: 2 });
    assert.deepEqual(await feed.next(), { data: { users_by_pk: SEED_USERS[1] } });
    const [old] = listenerPids(s.db);
    assert.ok(old, 'a backend runs LISTEN "graphpost_change"');
    psql('postgres', `select pg_terminate_backend(${old})`);
    let pids = [];
    for (let i = 0; i < 60 && !(pids.length === 1 && pids[0] !== old); i++) {
      await sleep(50);
      pids = listenerPids(s.db);
    }
    assert.ok(pids.length === 1 && pids[0] !== old, `one new listener within 3 s: ${JSON.stringify(pids)}`);
    await feed.none(0); // the refresh after reconnecting found nothing new: nothing is sent
    const answered = await s.write(RENAME, { id: 2, name: 'Turing' });
    await expectUpdate(feed, { data: { users_by_pk: { id: 2, name: 'Turing' } } }, answered);
  });

  it('refreshes every live query once it listens again, for the changes it could not hear', async (t) => {
    const s = await serve(t);
    const feed = subscribe(s.client(), USER, { id: 3 });
    assert.deepEqual(await feed.next(), { data: { users_by_pk: SEED_USERS[2] } });
    const writer = session(s.db); // connected before connections are refused
    await writer.run('select 1');
    s.defer(() => writer.end());
    psql('postgres', `alter database ${s.db} allow_connections false`);
    try {
      const [old] = listenerPids(s.db);
      assert.ok(old, 'a backend runs LISTEN "graphpost_change"');
      psql('postgres', `select pg_terminate_backend(${old})`);
      await sleep(300); // graphpost tries to reconnect, and cannot
      await writer.run(`update users set name = 'Grace' where id = 3`); // nobody hears its NOTIFY
      await feed.none(300);
    } finally {
      psql('postgres', `alter database ${s.db} allow_connections true`);
    }
    const allowed = Date.now();
    await expectUpdate(feed, { data: { users_by_pk: { id: 3, name: 'Grace' } } }, allowed, 3000);
  });
});

describe('streaming (T_stream)', () => {
  const STREAM = 'subscription ($c: Int!, $b: Int!) { posts_stream(batch_size: $b, cursor: {initial_value: {id: $c}}) { id } }';
  const ids = (payload) => payload.data.posts_stream.map((p) => p.id);

  it('sends the rows past the cursor batch by batch, in cursor order, each once; then new rows as they come', async (t) => {
    const s = await serve(t);
    const feed = (await s.raw()).start('st', STREAM, { c: 1, b: 2 });
    assert.deepEqual(ids(await feed.next()), [2, 3]);
    assert.deepEqual(ids(await feed.next()), [4, 5]);
    await feed.none(); // caught up: an empty batch is not sent
    await s.write('mutation { insert_posts(objects: [{author_id: 1, title: "a"}, {author_id: 2, title: "b"}, {author_id: 3, title: "c"}]) { affected_rows } }');
    const fresh = sqlJson(s.db, 'select json_agg(id order by id) from posts where id > 5');
    assert.equal(fresh.length, 3);
    assert.deepEqual([...ids(await feed.next()), ...ids(await feed.next())], fresh);
    await feed.none();
    await s.write(ADD_TAG, { n: 'not a post' }); // another table: nothing
    await feed.none();
  });

  it('streams downwards with ordering DESC and a where filter; an empty first batch is sent once', async (t) => {
    const s = await serve(t);
    const raw = await s.raw();
    const down = raw.start('down', `subscription { posts_stream(batch_size: 10, where: {author_id: {_eq: 1}},
      cursor: {initial_value: {id: 5}, ordering: DESC}) { id author_id } }`);
    const want = sqlJson(s.db, `select coalesce(json_agg(json_build_object('id', id, 'author_id', author_id) order by id desc), '[]')
      from posts where id < 5 and author_id = 1`);
    assert.ok(want.length > 0, 'the seed has posts of user 1 below id 5');
    assert.deepEqual((await down.next()).data.posts_stream, want);
    const ahead = raw.start('ahead', STREAM, { c: 1000, b: 5 });
    assert.deepEqual(ids(await ahead.next()), []);
    await s.write(ADD_POST, { a: 1, t: 'below the cursor of ahead, above that of down' });
    await ahead.none();
    await down.none();
  });

  it('refuses a stream beside other root fields, and a second cursor', async (t) => {
    const s = await serve(t);
    const raw = await s.raw();
    const both = await raw.start('both', 'subscription { posts_stream(batch_size: 1, cursor: {initial_value: {id: 0}}) { id } users { id } }').next();
    assert.equal(both.type, 'error', JSON.stringify(both));
    assert.match(both.payload[0].message, /only one top level field/); // GraphQL's rule for every subscription
    const two = await raw.start('two', 'subscription { posts_stream(batch_size: 1, cursor: [{initial_value: {id: 0}}, {initial_value: {id: 1}}]) { id } }').next();
    assert.equal(two.type, 'error', JSON.stringify(two));
    assert.match(two.payload[0].message, /exactly one cursor/);
  });
});

describe('a cohort with a subscriber whose values fail', () => {
  it('sends that one its error and the others their data, now and after a change', async (t) => {
    const s = await serve(t);
    const raw = await s.raw();
    const q = 'subscription ($t: timestamptz) { users_aggregate(where: {created_at: {_gt: $t}}) { aggregate { count } } }';
    const count = (n) => ({ data: { users_aggregate: { aggregate: { count: n } } } });
    const early = raw.start('early', q, { t: '2000-01-01T00:00:00Z' });
    const bad = raw.start('bad', q, { t: 'not a time' });
    const late = raw.start('late', q, { t: '2100-01-01T00:00:00Z' });
    assert.deepEqual(await early.next(), count(4));
    assert.deepEqual(await late.next(), count(0));
    const error = await bad.next();
    assert.equal(error.data, null, JSON.stringify(error));
    assert.equal(error.errors[0].extensions.code, 'data-exception');
    const since = await s.write('mutation { insert_users_one(object: {name: "Future", email: "f@x.test", created_at: "2200-01-01T00:00:00Z"}) { id } }');
    await expectUpdate(early, count(5), since);
    await expectUpdate(late, count(1), since);
    await bad.none(); // the same error again is no news
  });
});

describe('a client that does not read', () => {
  it('gets only the latest result once it reads again: the server holds one per subscription', async (t) => {
    const s = await serve(t);
    const raw = await s.raw();
    const feed = raw.start('big', 'subscription { posts_by_pk(id: 1) { title body } }');
    assert.equal((await feed.next()).data.posts_by_pk.title, 'Notes on the Analytical Engine');
    raw.ws.pause(); // the socket is not read: the kernel's buffers fill, then the server's queue
    const writer = session(s.db);
    const ROUNDS = 30;
    for (let i = 1; i <= ROUNDS; i++) { // 1 MB each, apart enough for a refresh each
      await writer.run(`update posts set title = 'round ${i}', body = repeat(md5('${i}'), 32768) where id = 1`);
      await sleep(60);
    }
    writer.end();
    await sleep(500);
    raw.ws.resume();
    const titles = [];
    for (;;) {
      const m = await feed.next(3000);
      titles.push(m.data.posts_by_pk.title);
      if (titles.at(-1) === `round ${ROUNDS}`) break;
    }
    await feed.none(300);
    // Without the cap every round would arrive; the kernel's buffers hold a few megabytes.
    assert.ok(titles.length < ROUNDS - 5, `${titles.length} of ${ROUNDS} results were queued for a client that read nothing`);
    const rounds = titles.map((x) => Number(x.split(' ')[1]));
    assert.deepEqual(rounds, [...rounds].sort((a, b) => a - b), 'in order');
  });

  it('ends a stream it would have to drop rows of, with STREAM_OVERFLOW, and keeps the socket', async (t) => {
    const s = await serve(t);
    const raw = await s.raw();
    const feed = raw.start('st', 'subscription { posts_stream(batch_size: 1, cursor: {initial_value: {id: 5}}) { id body } }');
    assert.deepEqual(await feed.next(), { data: { posts_stream: [] } });
    raw.ws.pause();
    psql(s.db, `insert into posts (author_id, title, body) select 1, 'big ' || i, repeat(md5(i::text), 32768) from generate_series(1, 30) i`);
    await sleep(1500);
    raw.ws.resume();
    const ids = [];
    for (;;) {
      const m = await feed.next(3000);
      if (m.type === 'error') {
        assert.equal(m.payload[0].extensions.code, 'STREAM_OVERFLOW', JSON.stringify(m));
        break;
      }
      ids.push(m.data.posts_stream[0].id);
    }
    assert.ok(ids.length < 30, `${ids.length} batches`);
    assert.deepEqual(ids, Array.from({ length: ids.length }, (_, i) => 6 + i), 'no row skipped before the end');
    await feed.none(300);
    const other = raw.start('other', USER, { id: 1 });
    assert.deepEqual(await other.next(), { data: { users_by_pk: SEED_USERS[0] } });
  });
});

describe('over HTTP', () => {
  it('refuses a subscription with BAD_REQUEST, pointing to the websocket', async (t) => {
    const s = await serve(t);
    const r = await post(s.srv.url, USER, { id: 1 });
    assert.equal(r.body?.errors?.[0]?.extensions?.code, 'BAD_REQUEST', r.text);
    assert.match(r.body.errors[0].message, /websocket/i);
    assert.equal(r.body.data, undefined, r.text);
    assert.ok((await s.http.data(USER.replace(/^subscription/, 'query'), { id: 1 })).users_by_pk, 'the same as a query answers');
  });
});
