// Clients dropping mid-response: rounds of raw sockets (net.Socket, so nothing reads on
// their behalf) that ask for a large list (~5 MB) and close before reading any of it or
// after its first 64 kB, and that ask for a slow view and close while it sleeps, with the
// ledger writer running. After each round graphpost has freed what they held (no pool
// connection left in use), no statement of a client that left still sleeps in
// PostgreSQL, and its RSS (/proc/<pid>/status VmRSS) peaks no higher in the last half of the rounds
// than in the first.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Ledger, assertServes, cluster, getJson, request, rssKb, serve, sleep, teardown } from './lib.mjs';

const ROUNDS = 12;
const BIG = '{ big(order_by: {id: asc}) { id body } }';
const SLOW = '{ slow_users { id } }';
// The allocator's footprint climbs for some rounds to the high-water mark of responses in
// flight at once (a run of 16 rounds: 76 MB after the first, 145-154 MB from the 7th on,
// flat), so the second half of the rounds may not peak more than this above the first.
// A dropped client's 5 MB response kept would add 60 MB a round.
const RSS_GROWTH_KB = 32 * 1024;
let pg, srv;

// One HTTP/1.1 request on a socket of its own; resolves once the socket is closed, with
// the number of response bytes read. `leave`: 'unread' closes right after sending,
// 'partial' after the first 64 kB of the answer, a number after that many ms.
function drop(port, query, leave) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const body = JSON.stringify({ query });
    let got = 0;
    s.on('connect', () => {
      s.write(`POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      if (leave === 'unread') setTimeout(() => s.destroy(), 20);
      else if (typeof leave === 'number') setTimeout(() => s.destroy(), leave);
    });
    s.on('data', (d) => {
      got += d.length;
      if (leave === 'partial' && got >= 65536) s.destroy();
    });
    s.on('error', () => {});
    s.on('close', () => resolve(got));
  });
}

// Polls `probe` until it returns true; returns how long that took, or fails after `ms`.
async function within(ms, what, probe) {
  const t0 = Date.now();
  let last;
  while (Date.now() - t0 < ms) {
    if ((last = await probe()) === true) return Date.now() - t0;
    await sleep(50);
  }
  assert.fail(`${what} not within ${ms} ms: ${JSON.stringify(last)}`);
}

describe('clients dropping mid-response', () => {
  before(async () => {
    pg = await cluster('drop');
    await pg.sql(`create table big (id int primary key, body text not null);
      insert into big select g, repeat(md5(g::text), 16) from generate_series(1, 10000) g;
      create view slow_users as select id, name from users where (select pg_sleep(5)::text) is not null`);
    // A small ASan quarantine: freed memory is reused soon, so RSS shows what is kept.
    srv = await serve(pg, ['--threads', '2'], { ASAN_OPTIONS: `${process.env.ASAN_OPTIONS || ''}:quarantine_size_mb=16` });
  });

  after(() => teardown(srv, pg));

  it(`frees what ${ROUNDS} rounds of departed clients held and cancels their statements`, async (t) => {
    const size = (await request(srv.url, BIG)).bytes; // also: the plan is cached
    const ledger = new Ledger(srv, 'drop');
    const writer = ledger.start(2);
    const rss = [], freed = [], cancelled = [];
    for (let r = 0; r < ROUNDS; r++) {
      await Promise.all([
        ...Array.from({ length: 8 }, () => drop(srv.port, BIG, 'unread')),
        ...Array.from({ length: 4 }, () => drop(srv.port, BIG, 'partial')),
        ...Array.from({ length: 4 }, () => drop(srv.port, SLOW, 300)),
      ]);
      cancelled.push(await within(3000, 'no sleeping statement left in PostgreSQL', async () => {
        const n = Number(await pg.sql(`select count(*) from pg_stat_activity
          where datname = 'blog' and application_name = 'graphpost' and wait_event = 'PgSleep'`));
        return n === 0 || { sleeping: n };
      }));
      freed.push(await within(5000, 'no pool connection left in use', async () => {
        const w = (await getJson(srv.url, '/health/database')).body.writer;
        return (w.in_use === 0 && w.waiting === 0) || w;
      }));
      assert.equal(srv.exited(), null, 'graphpost exited');
      rss.push(rssKb(srv.child.pid));
    }
    await writer.stop();
    const cancels = (await getJson(srv.url, '/health/database')).body.writer.cancels;
    t.diagnostic(`response ${(size / 1e6).toFixed(1)} MB; VmRSS after each round (MB): ${rss.map((k) => (k / 1024).toFixed(0)).join(', ')}; ` +
      `sleeping statements gone after ${cancelled.join(', ')} ms; pool idle after ${freed.join(', ')} ms; pool cancels ${cancels}; ` +
      `writes ${JSON.stringify(ledger.counts())}`);
    assert.ok(size > 4e6, `the large response is ${size} bytes`);
    const half = ROUNDS / 2, growth = Math.max(...rss.slice(half)) - Math.max(...rss.slice(0, half));
    assert.ok(growth < RSS_GROWTH_KB, `VmRSS peaked ${growth} kB higher in the last ${half} rounds: ${rss.join(', ')} kB`);
    assert.ok(cancels >= 4 * ROUNDS, `only ${cancels} statements cancelled`);
    await assertServes(srv);
    await ledger.assertHolds(pg);
  });
});
