// Pool exhausted: one thread with --pool-max 2 and a short --pool-acquire-timeout gets
// more slow requests (a view that sleeps) than it has connections, while the ledger
// writer runs. The requests that get no connection in time get HTTP 503 with a GraphQL
// error after about the acquire timeout, the others get data, /health/database counts the
// timeouts and the exhaustion, and no write that got a 503 committed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Ledger, assertServes, cluster, countKinds, getJson, request, serve, teardown, unclean } from './lib.mjs';

const POOL_MAX = 2;
const ACQUIRE_TIMEOUT_MS = 800;
const SLEEP_S = 2; // each slow request holds its connection this long
const SLOW = '{ slow_users { id } }';
let pg, srv;

describe('pool exhausted', () => {
  before(async () => {
    pg = await cluster('pool');
    // An InitPlan: the sleep runs once per statement, not once per row.
    await pg.sql(`create view slow_users as select id, name from users where (select pg_sleep(${SLEEP_S})::text) is not null`);
    srv = await serve(pg, ['--threads', '1', '--pool-min', '1', '--pool-max', String(POOL_MAX),
      '--pool-acquire-timeout', String(ACQUIRE_TIMEOUT_MS)]);
  });

  after(() => teardown(srv, pg));

  it(`answers 503 after about ${ACQUIRE_TIMEOUT_MS} ms to the requests that got no connection, data to the rest`, async (t) => {
    const before = (await getJson(srv.url, '/health/database')).body.writer;
    const ledger = new Ledger(srv, 'pool');
    const slow = Promise.all(Array.from({ length: 4 * POOL_MAX }, () => request(srv.url, SLOW)));
    const writes = Promise.all(Array.from({ length: 4 }, () => ledger.writeOne()));
    const reads = await slow;
    await writes;
    const after = (await getJson(srv.url, '/health/database')).body.writer;
    const all = [...reads, ...ledger.entries.map((e) => e.answer)];
    const took = (a) => a.end - a.start;
    t.diagnostic(`slow reads ${JSON.stringify(countKinds(reads))} (${reads.map(took).join(', ')} ms); ` +
      `writes ${JSON.stringify(countKinds(ledger.entries.map((e) => e.answer)))}; ` +
      `acquire_timeouts +${after.acquire_timeouts - before.acquire_timeouts}, exhausted +${after.exhausted - before.exhausted}`);
    assert.equal(unclean(all).length, 0, JSON.stringify(unclean(all)[0]));
    const refused = all.filter((a) => a.kind === 'error');
    for (const a of refused) {
      assert.equal(a.status, 503, a.text);
      assert.equal(a.body.errors[0].extensions.code, 'SERVICE_UNAVAILABLE', a.text);
      // The acquire timer is checked by the pool's timer list: a little late, never early.
      assert.ok(took(a) >= ACQUIRE_TIMEOUT_MS - 50 && took(a) <= ACQUIRE_TIMEOUT_MS + 600,
        `a 503 after ${took(a)} ms (acquire timeout ${ACQUIRE_TIMEOUT_MS} ms)`);
    }
    const served = reads.filter((a) => a.kind === 'data');
    assert.equal(served.length, POOL_MAX, `${served.length} slow reads got a connection`);
    for (const a of served) assert.equal(a.body.data.slow_users.length, 4);
    assert.ok(refused.length >= 3 * POOL_MAX, `only ${refused.length} requests were refused`);
    assert.ok(after.acquire_timeouts - before.acquire_timeouts >= refused.length, 'acquire_timeouts counts every 503');
    assert.ok(after.exhausted > before.exhausted, 'exhausted went up');
    await assertServes(srv);
    await ledger.assertHolds(pg);
  });
});
