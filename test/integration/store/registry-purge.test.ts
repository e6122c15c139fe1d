import { expect } from 'chai';
import {
  heartbeat,
  liveInstances,
  deregister,
  purgeVnf,
  writeTables,
  readTablesSnapshot,
  regKeys,
  isCluster,
  type StoreClient,
  type PurgeProgress,
} from '../../../src/store/index.js';
import { targets, tablesA, sleep } from './fixtures.js';

const VNF = 'regvnf';
const inst = (id: string, pid = 100) => ({ id, pid, addr: `ns-${id}`, startedAt: 1_700_000_000_000 });

async function allKeys(client: StoreClient): Promise<string[]> {
  const nodes = isCluster(client) ? client.nodes('master') : [client];
  const out: string[] = [];
  for (const n of nodes) out.push(...(await n.keys('*')));
  return out.sort();
}

for (const target of targets) {
  describe(`store registry and purge on ${target.name}`, function () {
    this.timeout(30_000);
    let client: StoreClient;
    let teardown: () => Promise<void>;
    before(async () => {
      ({ client, teardown } = await target.setup());
    });
    after(async () => {
      await teardown?.();
    });

    it('lists live instances sorted by id with their last heartbeat', async () => {
      await heartbeat(client, VNF, { ...inst('i2', 2), heartbeatMs: 100 }, 10_000, 2000);
      await heartbeat(client, VNF, inst('i1', 1), 10_000, 1000);
      const live = await liveInstances(client, VNF);
      // the heartbeat period rides along, for the failure detector to count gaps in
      expect(live).to.deep.equal([
        { ...inst('i1', 1), lastHeartbeat: 1000 },
        { ...inst('i2', 2), heartbeatMs: 100, lastHeartbeat: 2000 },
      ]);
      await deregister(client, VNF, 'i1');
      await deregister(client, VNF, 'i2');
      expect(await liveInstances(client, VNF)).to.deep.equal([]);
    });

    it('drops instances whose heartbeat expired (150 ms TTL) and prunes the index', async () => {
      await heartbeat(client, VNF, inst('a'), 150);
      await heartbeat(client, VNF, inst('b'), 150);
      expect((await liveInstances(client, VNF)).map((i) => i.id)).to.deep.equal(['a', 'b']);
      for (let i = 0; i < 6; i++) {
        await sleep(60);
        await heartbeat(client, VNF, inst('b'), 150);
      }
      expect((await liveInstances(client, VNF)).map((i) => i.id)).to.deep.equal(['b']);
      expect(await client.zrange(regKeys(VNF).instances, 0, -1)).to.deep.equal(['b']);
      await sleep(250);
      expect(await liveInstances(client, VNF)).to.deep.equal([]);
      expect(await client.zcard(regKeys(VNF).instances)).to.equal(0);
    });

    it('rejects bad instance records', async () => {
      let err: unknown;
      try {
        await heartbeat(client, VNF, { ...inst('x'), pid: -1 }, 1000);
      } catch (e) {
        err = e;
      }
      expect(String(err)).to.match(/instance\.pid/);
      try {
        await heartbeat(client, VNF, inst('x:y'), 1000);
      } catch (e) {
        err = e;
      }
      expect(String(err)).to.match(/instance\.id: must be/);
      try {
        await heartbeat(client, VNF, { ...inst('x'), heartbeatMs: 0 }, 1000);
      } catch (e) {
        err = e;
      }
      expect(String(err)).to.match(/instance\.heartbeatMs: must be an integer/);
    });

    it('purges every key of one VNF on every node, and only that VNF', async () => {
      await writeTables(client, 'p1', tablesA);
      await heartbeat(client, 'p1', inst('i1'), 60_000);
      await writeTables(client, 'p10', tablesA); // a VNF whose name extends ours
      // Data-plane style keys: one tag per flow, so they spread over the cluster's nodes.
      const flows = Array.from({ length: 300 }, (_, i) => `snf:p1:{f${i}}:flow`);
      for (let i = 0; i < flows.length; i += 50) {
        await Promise.all(flows.slice(i, i + 50).map((f) => client.set(f, '1')));
      }
      await client.set('snf:{p1}:nat:alloc', '1');
      await client.set('other:p1:key', '1');
      const before = await allKeys(client);
      const mine = before.filter((k) => k.startsWith('snf:{p1:') || k.startsWith('snf:p1:') || k.startsWith('snf:{p1}'));
      expect(mine.length).to.be.greaterThan(310);
      const progress: PurgeProgress[] = [];
      const { deleted } = await purgeVnf(client, 'p1', { batch: 64, onProgress: (p) => progress.push(p) });
      expect(deleted).to.equal(mine.length);
      const after = await allKeys(client);
      expect(after).to.deep.equal(before.filter((k) => !mine.includes(k)));
      expect(after).to.include('other:p1:key');
      expect(after.some((k) => k.startsWith('snf:{p10:ctl}'))).to.equal(true);
      expect(progress.length).to.be.greaterThan(1);
      expect(progress[progress.length - 1]).to.include({ deleted: mine.length, found: mine.length, nodeDone: true });
      const nodes = new Set(progress.map((p) => p.node));
      expect(nodes.size).to.equal(isCluster(client) ? 3 : 1);
      expect((await readTablesSnapshot(client, 'p1')).generation).to.equal(0);
      expect((await purgeVnf(client, 'p1')).deleted).to.equal(0);
    });
  });
}
