// Total state loss on a real Redis: the epoch vanishes with the data (FLUSHALL, as an operator's
// wipe or a restart without persistence does), the control plane's watch notices, restores the
// control tables from the deployment's source, claims a new epoch and records it.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTablesSnapshot, writeTables, ctlKeys } from '../../../src/store/index.js';
import { claimEpoch, readEpoch } from '../../../src/store/epoch.js';
import { EpochWatch, initStoreEpoch, readStoreEpochStatus, readTablesSource, tablesSourcePath } from '../../../src/vim/local/steering/epoch-watch.js';
import type { NfTables } from '../../../src/dataplane/types.js';
import { useRedis } from '../../support/redis.js';

const tables: NfTables = {
  firewall: { rules: [{ id: 'inside-out', action: 'allow', direction: 'out' }], defaultAction: 'deny' },
  nat: { insidePrefixes: ['10.1.0.0/24'], pool: ['192.0.2.1', '192.0.2.2'] },
};

describe('store loss: epoch and control-table restore', function () {
  this.timeout(30_000);
  const redis = useRedis();
  let dir = '';
  let n = 0;
  let vnf = '';
  const events: Record<string, unknown>[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'snf-epoch-'));
    vnf = `eploss${++n}`;
    events.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const watch = () => new EpochWatch({ store: redis.client, vnf, runDir: dir, log: (o) => events.push(o) });

  it('notices a wiped store, restores the tables from their source and claims a new epoch', async () => {
    const gen = await writeTables(redis.client, vnf, tables);
    const first = await initStoreEpoch(redis.client, vnf, dir, tables, gen);
    const w = watch();
    expect(await w.check()).to.equal(undefined);
    const before = await readTablesSnapshot(redis.client, vnf);
    await redis.client.flushall();
    const loss = await w.check();
    expect(loss?.reason).to.equal('epoch vanished');
    expect(loss?.previousEpoch).to.equal(first);
    expect(loss?.epoch).to.not.equal(first);
    expect(await readEpoch(redis.client, vnf)).to.equal(loss?.epoch);
    const after = await readTablesSnapshot(redis.client, vnf);
    expect(after.tables).to.deep.equal(before.tables);
    // generations keep growing across the wipe: a watcher that saw `gen` sees a change
    expect(after.generation).to.be.greaterThan(before.generation);
    expect(loss?.restoredGeneration).to.equal(after.generation);
    const st = readStoreEpochStatus(dir);
    expect(st?.epoch).to.equal(loss?.epoch);
    expect(st?.losses).to.equal(1);
    expect(st?.lastLoss?.restoredGeneration).to.equal(after.generation);
    expect(events.map((e) => e.event)).to.deep.equal(['store-loss']);
    expect(await w.check(), 'once restored, nothing more happens').to.equal(undefined);
  });

  it('restores what the operator last wrote, not what the deployment started with', async () => {
    const gen = await writeTables(redis.client, vnf, tables);
    await initStoreEpoch(redis.client, vnf, dir, tables, gen);
    const w = watch();
    const changed: NfTables = { ...tables, firewall: { rules: [], defaultAction: 'allow' } };
    await writeTables(redis.client, vnf, changed);
    await w.check(); // mirrors the new generation into the source
    const expected = (await readTablesSnapshot(redis.client, vnf)).tables;
    await redis.client.flushall();
    await w.check();
    expect((await readTablesSnapshot(redis.client, vnf)).tables).to.deep.equal(expected);
  });

  it('an epoch changed by another control plane is recorded; tables it restored are left alone', async () => {
    const gen = await writeTables(redis.client, vnf, tables);
    await initStoreEpoch(redis.client, vnf, dir, tables, gen);
    const w = watch();
    await redis.client.del(ctlKeys(vnf).epoch);
    const other = await claimEpoch(redis.client, vnf);
    const genBefore = (await readTablesSnapshot(redis.client, vnf)).generation;
    const loss = await w.check();
    expect(loss?.reason).to.equal('epoch changed');
    expect(loss?.epoch).to.equal(other.epoch);
    expect(loss?.restoredGeneration).to.equal(undefined);
    expect((await readTablesSnapshot(redis.client, vnf)).generation).to.equal(genBefore);
  });

  it('with no source, records the loss and writes no tables (never silently empty)', async () => {
    const gen = await writeTables(redis.client, vnf, tables);
    await initStoreEpoch(redis.client, vnf, dir, tables, gen);
    const w = watch();
    rmSync(tablesSourcePath(dir));
    await redis.client.flushall();
    const loss = await w.check();
    expect(loss?.restoreError).to.match(/no table source/);
    expect((await readTablesSnapshot(redis.client, vnf)).generation).to.equal(0);
    expect(readTablesSource(dir)).to.equal(undefined);
  });

  it('refuses a value in the epoch key that is not an epoch, naming the key', async () => {
    await redis.client.set(ctlKeys(vnf).epoch, 'x'.repeat(5000));
    let err: Error | undefined;
    await readEpoch(redis.client, vnf).catch((e: Error) => (err = e));
    expect(err?.message).to.match(/snf:\{eploss\d+:ctl\}:epoch: not an epoch/);
    expect(err?.message.length).to.be.lessThan(300);
  });
});
