// The LISTEN connection killed (pg_terminate_backend where application_name = 'graphpost
// listener'), twice, while live subscriptions (the graphql-ws npm client) are open and the
// ledger writer runs: graphpost listens again by itself, a change made after that reaches
// the subscriber within a few seconds, and the subscription over the ledger ends on the
// table's final count.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { Ledger, assertServes, cluster, request, serve, sleep, teardown } from './lib.mjs';

const UPDATE_MS = 3000; // a change after the listener is back reaches the subscriber within this
const RENAME = 'mutation ($name: String!) { update_users_by_pk(pk_columns: {id: 2}, _set: {name: $name}) { id } }';
let pg, srv, ws;

// The messages of one subscription; until(pred, ms) resolves to the first (old or new) that
// satisfies pred, with the time it arrived.
function subscribe(query) {
  const got = [];
  let waiter = null;
  const push = (m) => {
    got.push({ m, at: Date.now() });
    if (waiter) waiter();
  };
  ws.subscribe({ query }, { next: push, error: (e) => push({ error: String(e?.message || JSON.stringify(e)) }), complete: () => push({ complete: true }) });
  return {
    got,
    async until(pred, ms, what) {
      const deadline = Date.now() + ms;
      for (;;) {
        const hit = got.find((g) => pred(g.m));
        if (hit) return hit;
        const left = deadline - Date.now();
        if (left <= 0) assert.fail(`${what}: not within ${ms} ms; last messages ${JSON.stringify(got.slice(-3).map((g) => g.m))}`);
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, left);
          waiter = () => (clearTimeout(timer), (waiter = null), resolve());
        });
      }
    },
  };
}

const listeners = async () => pg.json(`select coalesce(json_agg(pid), '[]') from pg_stat_activity
  where datname = 'blog' and application_name = 'graphpost listener'`);

describe('the LISTEN connection killed', () => {
  before(async () => {
    pg = await cluster('listener');
    srv = await serve(pg, ['--threads', '2']);
    ws = createClient({ url: `${srv.url.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0 });
  });

  after(() => teardown(srv, pg, () => ws?.dispose()));

  it('listens again by itself and the subscribers get the changes made after', async (t) => {
    const user = subscribe('subscription { users_by_pk(id: 2) { id name } }');
    const count = subscribe('subscription { ledger_aggregate { aggregate { count } } }');
    await user.until((m) => m.data?.users_by_pk?.name === 'Alan Turing', 5000, 'the first answer');
    await count.until((m) => m.data, 5000, 'the first count');
    const ledger = new Ledger(srv, 'listener');
    const writer = ledger.start(1);
    const report = [];
    for (let k = 1; k <= 2; k++) {
      const [old] = await listeners();
      assert.ok(old, 'a backend runs LISTEN');
      const killed = Date.now();
      await pg.sql(`select pg_terminate_backend(${old})`);
      let pids = [];
      while (!(pids.length === 1 && pids[0] !== old)) {
        assert.ok(Date.now() - killed < 5000, `no new listener within 5 s: ${JSON.stringify(pids)}`);
        await sleep(20);
        pids = await listeners();
      }
      const back = Date.now();
      const name = `Turing ${k}`;
      const sent = Date.now();
      const a = await request(srv.url, RENAME, { name });
      assert.equal(a.kind, 'data', a.text);
      const { at } = await user.until((m) => m.data?.users_by_pk?.name === name, UPDATE_MS, `the update after kill ${k}`);
      report.push(`kill ${k}: listening again after ${back - killed} ms, the update ${at - sent} ms after the mutation ` +
        `(${at - killed} ms after the kill)`);
    }
    await writer.stop();
    const stopped = Date.now();
    const total = Number(await pg.sql('select count(*) from ledger'));
    const last = await count.until((m) => m.data?.ledger_aggregate?.aggregate?.count === total, UPDATE_MS, `the final count ${total}`);
    t.diagnostic(`${report.join('; ')}; ledger ${JSON.stringify(ledger.counts())}, ${count.got.length} count updates, ` +
      `the final count (${total}) ${Math.max(0, last.at - stopped)} ms after the last write was answered`);
    assert.ok(ledger.counts().committed > 0, 'the writer committed during the faults');
    await assertServes(srv);
    await ledger.assertHolds(pg);
  });
});
