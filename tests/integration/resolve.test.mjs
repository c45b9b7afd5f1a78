// Host names of the database are looked up off the event loop (db/resolve.c), at
// startup and again on every reconnect, and libpq is handed the addresses as hostaddr.
// `localhost` resolves from /etc/hosts, so this needs no network.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, need, psql } from '../lib/gql.mjs';

need('GP_BIN');
const pgPort = need('PGPORT');
const db = process.env.GP_BLOG_DB || 'blog';
const APP = 'gp_resolve_test';
const byPk = 'query ($id: Int!) { users_by_pk(id: $id) { id } }';

async function query(srv, q, variables) {
  const r = await fetch(`${srv.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: q, variables }) });
  return { status: r.status, body: await r.json().catch(() => undefined) };
}
const lookups = (srv, name) => srv.output().split('\n').filter((l) => new RegExp(`resolve +${name}: `).test(l));
const terminate = () =>
  psql('postgres', `select count(pg_terminate_backend(pid)) from pg_stat_activity where application_name = '${APP}'`);

describe('host names resolved off the loop', () => {
  let srv;
  before(async () => {
    srv = await startServer({
      args: ['--database-url', `postgres://postgres@localhost:${pgPort}/${db}?application_name=${APP}`, '--threads', '2', '--pool-max', '4'],
      env: { GRAPHPOST_LOG_LEVEL: 'info' },
    });
  });
  after(async () => {
    if (srv) await srv.stop();
  });

  it('connects to localhost through the address it looked up itself', async () => {
    const r = await query(srv, byPk, { id: 1 });
    assert.deepEqual(r.body, { data: { users_by_pk: { id: 1 } } });
    const found = lookups(srv, 'localhost');
    assert.ok(found.length >= 1, `no lookup logged:\n${srv.output().slice(-1500)}`);
    assert.match(found[0], /127\.0\.0\.1/);
  });

  it('looks the name up again on reconnect and answers every request while backends are terminated', async () => {
    const before = lookups(srv, 'localhost').length;
    const load = Array.from({ length: 200 }, (_, i) => sleep(i * 3).then(() => query(srv, byPk, { id: (i % 4) + 1 })));
    for (let k = 0; k < 3; k++) {
      await sleep(150);
      terminate();
    }
    const answers = await Promise.all(load);
    const failed = answers.filter((r) => r.status !== 200 || !r.body?.data?.users_by_pk);
    assert.equal(failed.length, 0, `${failed.length} of ${answers.length} failed, e.g. ${JSON.stringify(failed[0]?.body)}`);
    assert.ok(lookups(srv, 'localhost').length > before, 'reconnects did not look the name up again');
    const r = await query(srv, byPk, { id: 3 });
    assert.deepEqual(r.body, { data: { users_by_pk: { id: 3 } } });
  });

  it('skips a name of a host list that does not resolve and connects to the next', async () => {
    const other = await startServer({
      args: ['--database-url', `postgres://postgres@nothing.invalid:${pgPort},localhost:${pgPort}/${db}?application_name=${APP}`,
        '--threads', '1'],
      env: { GRAPHPOST_LOG_LEVEL: 'info' },
    });
    try {
      const r = await query(other, byPk, { id: 2 });
      assert.deepEqual(r.body, { data: { users_by_pk: { id: 2 } } });
      assert.match(other.output(), /could not translate host name "nothing\.invalid"/);
    } finally {
      await other.stop();
    }
    const r = await query(srv, byPk, { id: 4 });
    assert.deepEqual(r.body, { data: { users_by_pk: { id: 4 } } });
  });
});
