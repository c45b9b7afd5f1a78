// Backends terminated mid-query: pg_terminate_backend of graphpost's pool backends (told
// apart by application_name, so the listener and psql live on) again and again while 8
// readers and the ledger writer run. Reads all get data (a read whose connection breaks
// is sent again on another), writes get data or a clean error, and the ledger holds.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Ledger, READ, assertServes, cluster, countKinds, getJson, load, readVars, serve, sleep, teardown, unclean } from './lib.mjs';

let pg, srv;

describe('backends terminated mid-query', () => {
  before(async () => {
    pg = await cluster('terminate');
    srv = await serve(pg, ['--threads', '2', '--pool-max', '4']);
  });

  after(() => teardown(srv, pg));

  it('retries the reads, answers the writes cleanly, and the ledger holds', async (t) => {
    const before = (await getJson(srv.url, '/health/database')).body.writer;
    const readers = load(srv.url, 8, READ, readVars);
    const ledger = new Ledger(srv, 'terminate');
    const writer = ledger.start();
    let killed = 0;
    for (let k = 0; k < 8; k++) {
      await sleep(200);
      killed += Number(await pg.sql(`select count(pg_terminate_backend(pid)) from pg_stat_activity
        where datname = 'blog' and application_name = 'graphpost'`));
    }
    await sleep(500);
    const reads = await readers.stop();
    const writes = (await writer.stop()).map((e) => e.answer);
    const after = (await getJson(srv.url, '/health/database')).body.writer;
    t.diagnostic(`${killed} backends terminated; reads ${JSON.stringify(countKinds(reads))}, ` +
      `writes ${JSON.stringify(countKinds(writes))} (${JSON.stringify(ledger.counts())}); ` +
      `pool retries ${after.retries - before.retries}, reconnects ${after.reconnects - before.reconnects}`);
    assert.ok(killed >= 8, `only ${killed} backends were terminated`);
    const failedReads = reads.filter((a) => a.kind !== 'data');
    assert.equal(failedReads.length, 0, `${failedReads.length} of ${reads.length} reads failed, e.g. ${JSON.stringify(failedReads[0])}`);
    const bad = unclean(writes);
    assert.equal(bad.length, 0, `${bad.length} writes answered neither data nor a clean error, e.g. ${JSON.stringify(bad[0])}`);
    assert.ok(after.retries > before.retries, 'the pool retried reads');
    await assertServes(srv);
    await ledger.assertHolds(pg);
  });
});
