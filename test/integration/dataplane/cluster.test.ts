// The same NFs over a real three-master Redis Cluster: slots, MOVED after resharding, ASK during a migration, spread.
import { expect } from 'chai';
import { Cluster } from 'ioredis';
import { Engine, engineConfig, send, uniqueVnf } from '../../support/engine.js';
import { startRedisCluster, type RedisClusterHandle } from '../../support/redis.js';
import { fwScenarios, lbScenarios, natScenarios, type Driver } from './scenarios.js';
import type { NfKind } from '../../../src/dataplane/types.js';

describe('Redis Cluster store', function () {
  this.timeout(60000);
  let cluster: RedisClusterHandle;
  let client: Cluster;
  before(async () => {
    cluster = await startRedisCluster(3);
    client = new Cluster(cluster.nodes.map((n) => ({ host: n.split(':')[0], port: Number(n.split(':')[1]) })));
  });
  after(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  const store = () => ({ kind: 'redis' as const, nodes: [cluster.nodes[0]], cluster: true });

  // Starts moving the slot of the VNF's one firewall key to another master (IMPORTING there,
  // MIGRATING on its owner): the owner, the key, and `finish`, which gives the slot to the new master.
  // Keys of earlier tests that share the slot (other VNFs' flows: one in a few hundred slots
  // holds one) move first, so the slot holds only this key, as the tests assume. `finish` moves
  // nothing: a key the engine wrongly left on the old owner still makes SETSLOT NODE fail.
  async function migrateFwSlot(vnf: string) {
    const masters = client.nodes('master');
    const src = (await Promise.all(masters.map(async (n) => ((await n.keys(`snf:${vnf}:fw:*`)).length > 0 ? n : null)))).find((n) => n)!;
    const [key] = await src.keys(`snf:${vnf}:fw:*`);
    const slot = Number(await client.cluster('KEYSLOT', key));
    const dst = masters.find((n) => n !== src)!;
    const id = async (n: typeof src) => String(await n.cluster('MYID'));
    const [srcId, dstId] = [await id(src), await id(dst)];
    await dst.cluster('SETSLOT', slot, 'IMPORTING', srcId);
    await src.cluster('SETSLOT', slot, 'MIGRATING', dstId);
    const others = ((await src.cluster('GETKEYSINSLOT', slot, 1000)) as string[]).filter((k) => k !== key);
    if (others.length) await src.migrate(dst.options.host!, dst.options.port!, '', 0, 5000, 'KEYS', ...others);
    const finish = async () => {
      for (const n of masters) await n.cluster('SETSLOT', slot, 'NODE', dstId);
    };
    return { src, dst, key, slot, finish };
  }

  for (const [name, chain, scenarios] of [
    ['nat', ['nat'], natScenarios],
    ['firewall', ['firewall'], fwScenarios],
    ['lb', ['lb'], lbScenarios],
  ] as [string, NfKind[], Record<string, (d: Driver) => Promise<void>>][]) {
    it(`${name}: every scenario passes`, async () => {
      for (const [title, run] of Object.entries(scenarios)) {
        // LB buckets are 16 on a cluster, so least-connections balances per bucket: the exact
        // 10/10/20 split of one bucket is not expected there.
        if (title.startsWith('weighted')) continue;
        const e = new Engine(engineConfig(chain, store()));
        try {
          await run({ send: (side, spec) => send(e, side, spec), configure: (t) => e.configure(t) });
        } catch (err) {
          throw new Error(`${title}: ${(err as Error).message}`);
        } finally {
          e.close();
        }
      }
    });
  }

  it('spreads flow keys over the masters, one pipelined exchange per batch', async () => {
    const vnf = uniqueVnf();
    const e = new Engine(engineConfig(['firewall', 'nat'], store(), { vnf }));
    const { buildFrame } = await import('../../support/packets.js');
    const frames = Array.from({ length: 64 }, (_, i) => ({
      side: 'inside' as const,
      data: buildFrame({ ip: { v: 4, src: `10.3.0.${i + 1}`, dst: '203.0.113.9' }, l4: { proto: 'udp', sport: 1000 + i, dport: 53 } }),
    }));
    const before = e.counters().store.roundTrips;
    const outs = await e.process(frames);
    expect(outs.every((o) => o.verdict === 'forward')).to.equal(true);
    // One exchange for both stages, however many shards: the firewall rewrites nothing, so
    // NAT's reads ride along, and both NFs send their creations in place of the reads (the
    // firewall's create-if-absent, NAT's find-or-create for flows the firewall lets open).
    expect(e.counters().store.roundTrips - before).to.equal(1);
    const perNode = await Promise.all(client.nodes('master').map(async (n) => (await n.keys(`snf:${vnf}:*`)).length));
    expect(perNode.filter((c) => c > 0).length).to.equal(3);

    // The first batch leased ports on the cursors it allocated on: the next new flows there are
    // claims (MULTI/MSETNX/EXEC transactions, or the store module's SNF.CLAIM), each on the master
    // of its (address, shard) tag.
    const msetnx = async () => {
      let n = 0;
      for (const m of client.nodes('master')) {
        const info = await m.info('commandstats');
        for (const cmd of ['msetnx', 'snf\\.claim']) n += Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
      }
      return n;
    };
    const m0 = await msetnx();
    const more = frames.map((f, i) => ({
      side: 'inside' as const,
      data: buildFrame({ ip: { v: 4, src: `10.3.0.${i + 1}`, dst: '203.0.113.9' }, l4: { proto: 'udp', sport: 3000 + i, dport: 53 } }),
    }));
    const rt1 = e.counters().store.roundTrips;
    expect((await e.process(more)).every((o) => o.verdict === 'forward')).to.equal(true);
    expect(await msetnx(), 'claims of leased ports').to.be.greaterThan(m0);
    let fwd = 0;
    for (const m of client.nodes('master')) fwd += (await m.keys(`snf:${vnf}:nat:f:*`)).length;
    expect(fwd).to.equal(128);
    // Claims and the allocations on cursors without a lease, in one exchange (no port is taken).
    expect(e.counters().store.roundTrips - rt1).to.equal(1);
    e.close();
  });

  it('follows MOVED when a slot changes owner under it', async () => {
    const vnf = uniqueVnf();
    // The redirect opens a connection to the new owner (connect, script loads, tracking) and
    // retries: give the batch a deadline that a loaded CI machine cannot miss (the deadline
    // itself is the outage test's subject, not this one's).
    const e = new Engine(engineConfig(['firewall'], { ...store(), timeoutMs: 1000 }, { vnf }));
    const spec = { ip: { v: 4 as const, src: '10.4.0.1', dst: '203.0.113.9' }, l4: { proto: 'udp' as const, sport: 1111, dport: 53 } };
    expect((await send(e, 'inside', spec)).out.verdict).to.equal('forward');
    const [found] = await Promise.all(client.nodes('master').map((n) => n.keys(`snf:${vnf}:fw:*`))).then((l) => l.flat());
    expect(found).to.be.a('string');
    // Move the slot (and its key) to another master.
    const { src, dst, key, finish } = await migrateFwSlot(vnf);
    await src.migrate(dst.options.host!, dst.options.port!, key, 0, 5000);
    await finish();
    const reply = await send(e, 'outside', { ip: { v: 4, src: '203.0.113.9', dst: '10.4.0.1' }, l4: { proto: 'udp', sport: 53, dport: 1111 } });
    expect(reply.out.verdict, reply.out.reason).to.equal('forward');
    e.close();
  });

  it('follows ASK while a slot migrates: a new connection is created on the importing master', async () => {
    // A creation goes to Redis as SET NX + GET: after ASK, each of the two needs its ASKING.
    for (const cacheBytes of [undefined, 0]) {
      const label = cacheBytes === 0 ? 'uncached' : 'cached';
      const vnf = uniqueVnf();
      const cfg = { ...store(), timeoutMs: 1000, ...(cacheBytes === 0 ? { cacheBytes } : {}) };
      const spec = { ip: { v: 4 as const, src: '10.4.0.2', dst: '203.0.113.9' }, l4: { proto: 'udp' as const, sport: 2222, dport: 53 } };
      // Learn the connection's key (and so its slot) from a first engine, then forget it.
      const first = new Engine(engineConfig(['firewall'], cfg, { vnf }));
      expect((await send(first, 'inside', spec)).out.verdict, label).to.equal('forward');
      first.close();
      // Migrating with the key absent from the source: the source answers ASK for it.
      const { src, dst, key, slot, finish } = await migrateFwSlot(vnf);
      await src.del(key);
      try {
        const e = new Engine(engineConfig(['firewall'], cfg, { vnf }));
        const out = (await send(e, 'inside', spec)).out;
        expect(out.verdict, `${label}: ${out.reason}`).to.equal('forward');
        expect(e.counters().nf.firewall!.newFlows, label).to.equal(1);
        e.close();
        expect(await src.cluster('COUNTKEYSINSLOT', slot), `${label}: not on the migrating master`).to.equal(0);
        await dst.call('ASKING'); // the slot is still the source's: read the import as Redis allows
        expect(await dst.get(key), label).to.match(/^U\|/);
      } finally {
        await finish();
      }
    }
  });

  it('follows ASK for a connection already moved to the importing master: its transition and the read behind it each get their ASKING', async () => {
    // A transition (SS -> SR on the SYN-ACK) goes as the store module's SNF.CAS with a GET behind
    // it (cached), or as the cas script; after ASK every command of it needs its own ASKING.
    for (const cacheBytes of [undefined, 0]) {
      const label = cacheBytes === 0 ? 'uncached' : 'cached';
      const vnf = uniqueVnf();
      const cfg = { ...store(), timeoutMs: 1000, ...(cacheBytes === 0 ? { cacheBytes } : {}) };
      const c = { v: 4 as const, src: '10.4.0.3', dst: '203.0.113.9' };
      const first = new Engine(engineConfig(['firewall'], cfg, { vnf }));
      expect((await send(first, 'inside', { ip: c, l4: { proto: 'tcp', sport: 3333, dport: 443, flags: 'S', seq: 1 } })).out.verdict, label).to.equal('forward');
      first.close();
      const { src, dst, key, finish } = await migrateFwSlot(vnf);
      // The key moves: the source now answers ASK for it, the importing master holds it.
      await src.migrate(dst.options.host!, dst.options.port!, key, 0, 5000);
      try {
        const e = new Engine(engineConfig(['firewall'], cfg, { vnf }));
        const out = (await send(e, 'outside', { ip: { v: 4, src: c.dst, dst: c.src }, l4: { proto: 'tcp', sport: 443, dport: 3333, flags: 'SA', seq: 70, ack: 2 } })).out;
        expect(out.verdict, `${label}: ${out.reason}`).to.equal('forward');
        e.close();
        await dst.call('ASKING');
        expect(await dst.get(key), `${label}: the transition reached the importing master`).to.match(/^SR\|/);
      } finally {
        await finish();
      }
    }
  });
});
