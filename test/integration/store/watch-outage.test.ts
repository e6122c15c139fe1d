import { expect } from 'chai';
import {
  connectStore,
  closeStore,
  writeTables,
  watchTables,
  normalizeTables,
  ctlKeys,
  type TablesSnapshot,
} from '../../../src/store/index.js';
import { startRedis, type RedisServer } from '../../support/redis.js';
import { tablesA, tablesB, eventually } from './fixtures.js';

describe('store watchTables across a store outage', function () {
  this.timeout(30_000);
  let r: RedisServer;
  before(async () => {
    r = await startRedis();
  });
  after(async () => {
    await r?.stop();
  });

  it('re-reads after the subscriber reconnects, even when the restarted store lost its data', async () => {
    const client = await connectStore(r.node);
    client.on('error', () => {});
    const snaps: TablesSnapshot[] = [];
    const errors: Error[] = [];
    const unwatch = await watchTables(client, 'outage', (s) => snaps.push(s), { onError: (e) => errors.push(e), pollIntervalMs: 0 });
    try {
      await writeTables(client, 'outage', tablesA);
      await writeTables(client, 'outage', tablesA);
      await eventually('gen 2', () => snaps.at(-1)?.generation === 2);
      await r.kill();
      await r.restart();
      // No persistence: the store came back empty, generation 0. The watcher must say so.
      await eventually('reset seen', () => snaps.at(-1)?.generation === 0, 10_000);
      expect(snaps.at(-1)!.tables).to.deep.equal(normalizeTables({}));
      const g = await writeTables(client, 'outage', tablesB);
      expect(g).to.equal(1);
      await eventually('gen 1 after restart', () => snaps.at(-1)?.generation === 1);
      expect(snaps.at(-1)!.tables).to.deep.equal(normalizeTables(tablesB));
    } finally {
      await unwatch();
      await closeStore(client);
    }
  });

  it('the poll catches changes whose notification was lost', async () => {
    const client = await connectStore(r.node);
    const snaps: TablesSnapshot[] = [];
    const unwatch = await watchTables(client, 'quiet', (s) => snaps.push(s), { pollIntervalMs: 100 });
    try {
      // A change made without PUBLISH, as a writer that crashed between EXEC and PUBLISH would leave it.
      await client.incr(ctlKeys('quiet').gen);
      await eventually('poll', () => snaps.at(-1)?.generation === 1, 3000);
    } finally {
      await unwatch();
      await closeStore(client);
    }
  });
});
