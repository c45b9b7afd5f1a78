// PostgreSQL restarted under load (pg_ctl restart -m fast, then -m immediate) while 8
// readers and the ledger writer run: graphpost never exits, every request gets data or a
// clean GraphQL error, and it serves data again within 2 s of PostgreSQL accepting
// connections. Then PostgreSQL stopped (503 with a GraphQL error in about the acquire
// timeout, /health 503) and started again (graphpost reconnects by itself).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Ledger, READ, assertServes, cluster, countKinds, load, readVars, request, serve, sleep, teardown, unclean, waitStatus,
} from './lib.mjs';

const RECOVERY_MS = 2000; // data again at most this long after PostgreSQL accepts connections
const ACQUIRE_TIMEOUT_MS = 1000;
let pg, srv;
const rel = (ms) => (ms >= 0 ? `${ms} ms after` : `${-ms} ms before`);

describe('PostgreSQL restarted under load', () => {
  before(async () => {
    pg = await cluster('restart');
    srv = await serve(pg, ['--threads', '2', '--pool-acquire-timeout', String(ACQUIRE_TIMEOUT_MS)]);
  });

  after(() => teardown(srv, pg));

  for (const mode of ['fast', 'immediate']) {
    it(`recovers by itself from pg_ctl restart -m ${mode} within ${RECOVERY_MS} ms`, async (t) => {
      const readers = load(srv.url, 8, READ, readVars);
      const ledger = new Ledger(srv, `restart-${mode}`);
      const writer = ledger.start();
      await sleep(500);
      const down = Date.now();
      await pg.restart(mode);
      const up = Date.now(); // pg_ctl -w saw it accept connections (it looks every 100 ms)
      await sleep(RECOVERY_MS + 1000);
      const answers = await readers.stop();
      const writes = (await writer.stop()).map((e) => e.answer);

      const all = [...answers, ...writes];
      const bad = unclean(all);
      assert.equal(bad.length, 0, `${bad.length} answers neither data nor a clean error, e.g. ${JSON.stringify(bad[0])}`);
      // Recovered: a read answered with data after PostgreSQL came up, and no read or
      // write answered with an error later than RECOVERY_MS after it.
      const firstData = answers.find((a) => a.kind === 'data' && a.start >= up);
      assert.ok(firstData, `no read got data after the restart: ${JSON.stringify(countKinds(answers))}`);
      const lastError = Math.max(down, ...all.filter((a) => a.kind !== 'data').map((a) => a.end));
      const recovery = Math.max(firstData.end, lastError) - up;
      t.diagnostic(`-m ${mode}: PostgreSQL down for ${up - down} ms; graphpost served data again ${recovery} ms after ` +
        `it accepted connections (first data ${rel(firstData.end - up)}, last error ${rel(lastError - up)}); ` +
        `reads ${JSON.stringify(countKinds(answers))}, writes ${JSON.stringify(ledger.counts())}`);
      assert.ok(recovery <= RECOVERY_MS, `graphpost served data again only ${recovery} ms after PostgreSQL came up`);
      assert.ok(ledger.entries.some((e) => e.answer.start >= up && e.verdict === 'committed'), 'writes commit again');
      await assertServes(srv);
      await ledger.assertHolds(pg);
    });
  }

  it('answers 503 with a GraphQL error, in about the acquire timeout, while PostgreSQL is down', async () => {
    await pg.stop();
    await waitStatus(srv, '/health', 503, 10000);
    const ledger = new Ledger(srv, 'stopped');
    for (const a of [await request(srv.url, READ, { id: 1 }), (await ledger.writeOne()).answer]) {
      assert.equal(a.status, 503, a.text);
      assert.equal(a.kind, 'error', a.text);
      assert.equal(a.body.errors[0].extensions.code, 'SERVICE_UNAVAILABLE', a.text);
      assert.ok(a.end - a.start < ACQUIRE_TIMEOUT_MS + 3000, `took ${a.end - a.start} ms`);
    }
    assert.equal(srv.exited(), null, 'graphpost exited');
    await pg.start();
    await waitStatus(srv, '/health', 200, 30000);
    await assertServes(srv);
    await ledger.assertHolds(pg);
  });
});
