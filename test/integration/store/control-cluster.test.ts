// The instance's control connection (registry heartbeats, tables) on a Redis Cluster store, as a
// VM instance of the dpdk-sriov flavour has it: its one seed may not own the VNF's slot.
import { expect } from 'chai';
import { connectControl } from '../../../src/store/control-client.js';
import { closeStore, heartbeat, liveInstances, type StoreClient } from '../../../src/store/index.js';
import { startRedisCluster, type RedisClusterHandle } from '../../support/redis.js';

describe('control connection on a Redis Cluster', function () {
  this.timeout(60_000);
  let cluster: RedisClusterHandle;
  const clients: StoreClient[] = [];
  before(async () => (cluster = await startRedisCluster(3)));
  after(async () => {
    for (const c of clients) await closeStore(c).catch(() => {});
    await cluster?.stop();
  });

  it('registers through any seed with cluster = true; a single-node client is redirected away (MOVED)', async () => {
    // Three VNF names over three masters: for at least two of them the first seed is not the owner.
    const vnfs = ['vm-a', 'vm-b', 'vm-c', 'vm-d', 'vm-e'];
    const c = await connectControl(cluster.nodes[0], 'test-cluster', 3000, true);
    clients.push(c);
    for (const vnf of vnfs) await heartbeat(c, vnf, { id: 'i1', pid: 1, addr: 'vm', startedAt: Date.now() }, 5000);
    for (const vnf of vnfs) expect((await liveInstances(c, vnf)).map((i) => i.id), vnf).to.deep.equal(['i1']);

    const single = await connectControl(cluster.nodes[0], 'test-single', 3000, false);
    clients.push(single);
    const errors: string[] = [];
    for (const vnf of vnfs) {
      try {
        await heartbeat(single, vnf, { id: 'i2', pid: 2, addr: 'vm', startedAt: Date.now() }, 5000);
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    expect(errors.length).to.be.greaterThan(0);
    // MOVED, or EXECABORT when the redirected command was inside the heartbeat's MULTI.
    expect(errors.join('\n')).to.match(/MOVED|EXECABORT/);
  });
});
