// A server's life: the schema reloaded on SIGHUP and after DDL (graphpost's event
// triggers NOTIFY it) without dropping a request, live queries that go on across a
// reload (and no reload from graphpost's own triggers), and a SIGTERM whose slow
// requests are cut at --shutdown-timeout with a clean error and exit 0. Each test has a
// database of its own.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { need, psql, startServer } from '../lib/gql.mjs';

const pg = { host: need('PGHOST'), port: need('PGPORT'), user: process.env.PGUSER || 'postgres' };
const url = (db) => `postgres://${pg.user}@${pg.host}:${pg.port}/${db}`;
let n = 0;
const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

// A database with `sql` run in it, and a graphpost on it.
async function serve(sql, args = []) {
  const db = `gp_life_${process.pid}_${++n}`;
  psql('postgres', `drop database if exists ${db}`);
  psql('postgres', `create database ${db}`);
  psql(db, sql);
  const s = await startServer({ args: ['--database-url', url(db), ...args] });
  cleanups.push(async () => {
    await s.stop();
    psql('postgres', `drop database if exists ${db} with (force)`);
  });
  return { db, s };
}

async function ask(s, query, variables) {
  const r = await fetch(`${s.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return r.json();
}

// Polls `query` until it answers with data; the time it took.
async function timeUntilData(s, query, ms = 5000) {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if ((await ask(s, query)).data) return Date.now() - t0;
    await sleep(20);
  }
  assert.fail(`${query} did not answer within ${ms} ms:\n${s.output().slice(-1500)}`);
}

const reloads = (s) => (s.output().match(/reloaded: schema version/g) || []).length;

describe('schema reload', () => {
  it('shows a table created, altered and dropped within a second, through the DDL event triggers', async () => {
    const { db, s } = await serve('create table things (id int primary key, name text)');
    psql(db, 'create table gadgets (id int primary key, name text); insert into gadgets values (1, \'a\')');
    const created = await timeUntilData(s, '{ gadgets { id name } }');
    assert.ok(created < 1000, `the new table appeared ${created} ms after its CREATE`);
    psql(db, 'alter table gadgets add column color text default \'red\'');
    const altered = await timeUntilData(s, '{ gadgets { id color } }');
    assert.ok(altered < 1000, `the new column appeared ${altered} ms after its ALTER`);
    assert.deepEqual(await ask(s, '{ gadgets { id color } }'), { data: { gadgets: [{ id: 1, color: 'red' }] } });
    psql(db, 'drop table gadgets');
    const t0 = Date.now(); // until the reload, the query fails in PostgreSQL; then it is no field
    const unknown = (r) => r.errors?.[0]?.extensions?.code === 'GRAPHQL_VALIDATION_FAILED';
    while (!unknown(await ask(s, '{ gadgets { id } }')) && Date.now() - t0 < 5000) await sleep(20);
    assert.ok(Date.now() - t0 < 1000, `the dropped table went ${Date.now() - t0} ms after its DROP`);
    assert.match(s.output(), /reloaded: schema version 4/);
  });

  it('reloads on SIGHUP while clients keep asking, and none of them sees an error', async () => {
    const { s } = await serve(`create table things (id int primary key, name text);
      insert into things select i, 'thing ' || i from generate_series(1, 50) i`);
    let stop = false, answered = 0;
    const failures = [];
    const client = async () => {
      while (!stop) {
        try {
          const r = await ask(s, 'query ($n: Int!) { things(where: {id: {_lte: $n}}) { id name } }', { n: 10 });
          if (r.data?.things?.length === 10) answered++;
          else failures.push(JSON.stringify(r));
        } catch (e) {
          failures.push(String(e));
        }
      }
    };
    const clients = Array.from({ length: 8 }, client);
    const before = reloads(s);
    for (let i = 0; i < 6; i++) {
      await sleep(600); // longer than the reload's coalescing window: each HUP is a reload
      s.child.kill('SIGHUP');
    }
    await sleep(800);
    stop = true;
    await Promise.all(clients);
    assert.deepEqual(failures, []);
    assert.ok(answered > 100, `${answered} answers`);
    assert.equal(reloads(s) - before, 6, s.output().slice(-2000));
  });

  it('keeps live queries running across a reload, and its own triggers cause none', async () => {
    const { db, s } = await serve(`create table things (id int primary key, name text);
      insert into things values (1, 'one')`);
    const ws = createClient({ url: `${s.url.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0 });
    cleanups.push(() => ws.dispose());
    const seen = [];
    let wake = null;
    ws.subscribe({ query: 'subscription { things_by_pk(id: 1) { name } }' }, {
      next: (m) => { seen.push(m.data.things_by_pk.name); if (wake) wake(); },
      error: (e) => seen.push(`error: ${JSON.stringify(e)}`),
      complete: () => {},
    });
    const nextName = async (ms = 3000) => {
      const count = seen.length;
      const t0 = Date.now();
      while (seen.length === count && Date.now() - t0 < ms) await new Promise((r) => { wake = r; setTimeout(r, 50); });
      return seen.at(-1);
    };
    assert.equal(await nextName(), 'one');
    const before = reloads(s);
    await sleep(1500); // graphpost.watch gave the table its trigger: DDL graphpost ignores
    assert.equal(reloads(s), before, 'graphpost reloaded for its own trigger');
    await ask(s, 'mutation { update_things_by_pk(pk_columns: {id: 1}, _set: {name: "two"}) { id } }');
    assert.equal(await nextName(), 'two');
    psql(db, 'alter table things add column size int');
    await timeUntilData(s, '{ things { size } }');
    await ask(s, 'mutation { update_things_by_pk(pk_columns: {id: 1}, _set: {name: "three"}) { id } }');
    assert.equal(await nextName(), 'three', 'the subscription still hears changes after the reload');
    assert.ok(!seen.some((x) => String(x).startsWith('error')), seen.join(', '));
  });
});

describe('shutdown', () => {
  it('cancels what still runs at --shutdown-timeout, answers it with an error, and exits 0', async () => {
    const { s } = await serve(`create table things (id int primary key);
      create view sleepy as select 1 as id, pg_sleep(20)::text as slept`, ['--shutdown-timeout', '500']);
    const slow = ask(s, '{ sleepy { id } }');
    await sleep(300); // it runs
    const exited = new Promise((res) => s.child.once('exit', (code, signal) => res({ code, signal })));
    const t0 = Date.now();
    s.child.kill('SIGTERM');
    const answer = await slow;
    assert.ok(answer.errors?.length > 0 && !answer.data?.sleepy, JSON.stringify(answer));
    assert.deepEqual(await exited, { code: 0, signal: null });
    const took = Date.now() - t0;
    assert.ok(took < 3000, `exited ${took} ms after SIGTERM`);
    assert.match(s.output(), /--shutdown-timeout: cancelling/);
  });
});
