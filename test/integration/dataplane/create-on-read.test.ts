// Create on read (issue 12): with the coherent cache, a NAT flow the cache does not hold goes to
// Redis as its find-or-create script instead of a GET that would miss, so a batch of new flows
// costs one round trip instead of a read exchange and then a write exchange. Real Redis.
import { expect } from 'chai';
import { Engine, TABLES, engineConfig, uniqueVnf, verdicts } from '../../support/engine.js';
import { buildFrame, decodeFrame, type FrameSpec } from '../../support/packets.js';
import { useRedis } from '../../support/redis.js';
import type { Side } from '../../../src/dataplane/types.js';

describe('create on read (NAT, coherent cache)', function () {
  this.timeout(30000);
  const r = useRedis();
  // A generous deadline: on a crowded machine hundreds of scripts can take tens of ms.
  const store = () => ({ kind: 'redis' as const, nodes: [r.server.node], timeoutMs: 5000 });
  const frame = (side: Side, spec: FrameSpec) => ({ side, data: buildFrame(spec) });
  const udp = (i: number) => frame('inside', { ip: { v: 4, src: `10.7.0.${i + 1}`, dst: '203.0.113.9' }, l4: { proto: 'udp', sport: 5000 + i, dport: 53 } });

  it('a batch of new flows costs one round trip; their later reads are cached', async () => {
    const vnf = uniqueVnf();
    const e = new Engine(engineConfig(['nat'], store(), { vnf }));
    // 20 new flows, 5 of them with a second packet in the same batch.
    const batch = [...Array.from({ length: 20 }, (_, i) => udp(i)), ...Array.from({ length: 5 }, (_, i) => udp(i))];
    const c0 = e.counters();
    const outs = await e.process(batch);
    const c1 = e.counters();
    expect(verdicts(outs)).to.deep.equal(batch.map(() => 'forward'));
    expect(c1.store.roundTrips - c0.store.roundTrips, 'one exchange: scripts and GETs pipelined').to.equal(1);
    expect(c1.nf.nat!.newFlows - c0.nf.nat!.newFlows).to.equal(20);
    for (let i = 0; i < 5; i++) expect(decodeFrame(outs[20 + i].data).l4).to.deep.equal(decodeFrame(outs[i].data).l4);
    expect((await r.client.keys(`snf:${vnf}:nat:f:*`)).length).to.equal(20);

    // The script returns the mapping it found or made, read last so that Redis tracks the key:
    // the cache keeps it as it keeps a GET's. The next batch is all hits.
    const again = await e.process(batch);
    const c2 = e.counters();
    expect(again.map((o) => o.data.toString('hex'))).to.deep.equal(outs.map((o) => o.data.toString('hex')));
    expect(c2.store.roundTrips - c1.store.roundTrips, 'all cached').to.equal(0);
    expect(c2.store.commands - c1.store.commands).to.equal(0);
    expect(c2.cache!.hits - c1.cache!.hits).to.equal(25);
    expect(c2.nf.nat!.newFlows - c0.nf.nat!.newFlows).to.equal(20);
    e.close();
  });

  it("a flow's first reply finds its reverse mapping cached (a GET posted behind the allocation), and a deletion reaches it", async () => {
    const vnf = uniqueVnf();
    const e = new Engine(engineConfig(['nat'], store(), { vnf }));
    const outs = await e.process(Array.from({ length: 20 }, (_, i) => udp(i)));
    expect(verdicts(outs)).to.deep.equal(outs.map(() => 'forward'));
    const replies = outs.map((o) => {
      const d = decodeFrame(o.data);
      const l4 = d.l4 as { sport: number };
      return frame('outside', { ip: { v: 4, src: '203.0.113.9', dst: d.ip.src }, l4: { proto: 'udp', sport: 53, dport: l4.sport } });
    });
    await new Promise((res) => setTimeout(res, 20)); // the posted GETs' replies land (well under 1 ms)
    const c0 = e.counters();
    const back = await e.process(replies);
    const c1 = e.counters();
    expect(verdicts(back)).to.deep.equal(replies.map(() => 'forward'));
    expect(c1.store.roundTrips - c0.store.roundTrips, 'round trips of the first replies').to.equal(0);
    expect(c1.cache!.hits - c0.cache!.hits).to.equal(20);
    // A plain GET is tracked: deleting the mappings in the store reaches the cache.
    const keys = await r.client.keys(`snf:${vnf}:nat:[rf]:*`);
    expect(keys.length).to.equal(40);
    await r.client.del(...keys);
    await new Promise((res) => setTimeout(res, 20));
    expect(verdicts(await e.process(replies))).to.deep.equal(replies.map(() => 'drop:nat_no_mapping'));
    e.close();
  });

  it('two engines creating the same flows at once: one mapping per flow, both use it', async () => {
    const vnf = uniqueVnf();
    const a = new Engine(engineConfig(['nat'], store(), { vnf, id: 'a' }));
    const b = new Engine(engineConfig(['nat'], store(), { vnf, id: 'b' }));
    const frames = Array.from({ length: 200 }, (_, i) => frame('inside', { ip: { v: 4, src: `10.8.${i >> 8}.${i & 255}`, dst: '203.0.113.9' }, l4: { proto: 'udp', sport: 6000 + i, dport: 53 } }));
    const [ra, rb] = await Promise.all([a.process(frames), b.process(frames)]);
    // Each engine sent the find-or-create script for every flow in one round trip: the script's
    // atomicity alone decides who made each mapping. Behind it, each posted a GET of the reverse
    // key of every mapping it made (or found made within the same millisecond, which reads alike).
    for (const e of [a, b]) {
      // ... and leased ports for its next flows: one INCRBY per cursor (8 shards, 2 addresses).
      expect(e.counters().store.commands).to.be.within(200, 416);
      expect(e.counters().store.roundTrips).to.equal(1);
    }
    expect(verdicts(ra)).to.deep.equal(frames.map(() => 'forward'));
    expect(ra.map((o) => o.data.toString('hex'))).to.deep.equal(rb.map((o) => o.data.toString('hex')));
    expect((await r.client.keys(`snf:${vnf}:nat:f:*`)).length).to.equal(200);
    expect((await r.client.keys(`snf:${vnf}:nat:r:*`)).length).to.equal(200);
    a.close();
    b.close();
  });

  // Calls Redis has served so far, by kind.
  const calls = async () => {
    const info = await r.client.info('commandstats');
    const n = (cmd: string) => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
    return { scripts: n('evalsha') + n('eval'), claims: n('msetnx') + n('snf\\.claim'), incrby: n('incrby'), get: n('get') };
  };
  // One pool address and one shard: one allocation cursor per protocol.
  const tables = { ...TABLES, nat: { ...TABLES.nat!, pool: ['198.51.100.1'], shards: 1 } };

  it('new flows take ports from a leased block by a claim (MULTI/MSETNX, or the store module\'s SNF.CLAIM), no script; a port taken or a mapping found is left as it was', async () => {
    const vnf = uniqueVnf();
    // One pool address and one shard: one cursor per protocol, ports 20000 + (cursor value % 10000).
    const e = new Engine(engineConfig(['nat'], store(), { vnf, tables }));
    const s0 = await calls();
    // No lease yet: nat_alloc (cursor value 1), and a lease of the next 64 values behind it.
    expect(verdicts(await e.process([udp(0)]))).to.deep.equal(['forward']);
    const s1 = await calls();
    expect(s1.scripts - s0.scripts, 'first flow: nat_alloc').to.equal(1);
    expect(s1.incrby - s0.incrby, 'one lease').to.equal(1);
    const [fwd0] = await r.client.keys(`snf:${vnf}:nat:f:*`);
    const tag = fwd0.slice(fwd0.indexOf('{'), fwd0.indexOf('}') + 1);
    expect(await r.client.get(`snf:${vnf}:nat:c:${tag}:17`)).to.equal('65');
    const rev = (port: number) => `snf:${vnf}:nat:r:${tag}:17:${port}`;
    const fwd = (i: number) => fwd0.replace(/10\.7\.0\.1:5000$/, `10.7.0.${i + 1}:${5000 + i}`);
    // The lease's next ports: 20002 is held by another mapping (here a quarantine), and flow 2
    // has a mapping another instance made, which this engine's cache does not hold.
    await r.client.set(rev(20002), 'quarantine', 'PX', 3_600_000);
    // (A recent stamp: an old one would have the engine refresh the mapping, TTL and all; one
    // of this millisecond would read as the engine's own creation.)
    const stamp = Date.now() - 1000;
    await r.client.set(fwd(2), `198.51.100.1|25555|U|${stamp}`, 'PX', 3_600_000);
    await r.client.set(rev(25555), `10.7.0.3|5002|U|${stamp}`, 'PX', 3_600_000);

    const rt0 = e.counters().store.roundTrips;
    const made0 = e.counters().nf.nat!.newFlows;
    const batch = [udp(1), udp(2), udp(3)];
    const outs = await e.process(batch);
    const s2 = await calls();
    expect(verdicts(outs)).to.deep.equal(['forward', 'forward', 'forward']);
    const sport = (i: number) => (decodeFrame(outs[i].data).l4 as { sport: number }).sport;
    // Flow 1's claim of 20002 made nothing, and nat_alloc found it another port.
    expect(await r.client.get(rev(20002)), 'a taken port stays taken').to.equal('quarantine');
    expect(sport(0)).to.not.equal(20002);
    expect(await r.client.get(rev(sport(0)))).to.match(/^10\.7\.0\.2\|5001\|U\|/);
    // Flow 2's claim found its mapping: used as it is, its TTL untouched (PEXPIRE NX), and
    // the port it would have taken left free.
    expect(sport(1)).to.equal(25555);
    expect(await r.client.pttl(fwd(2)), 'the found mapping keeps its TTL').to.be.greaterThan(3_000_000);
    expect(await r.client.exists(rev(20003))).to.equal(0);
    // Flow 3 took 20004, both keys with the UDP TTL.
    expect(sport(2)).to.equal(20004);
    expect(await r.client.get(fwd(3))).to.match(/^198\.51\.100\.1\|20004\|U\|/);
    for (const k of [fwd(3), rev(20004)]) expect(await r.client.pttl(k), k).to.be.within(1, 30_000);
    expect(s2.claims - s1.claims, 'a claim per new flow').to.equal(3);
    expect(s2.scripts - s1.scripts, 'nat_alloc only for the port found taken').to.equal(1);
    expect(s2.incrby - s1.incrby, 'the lease lasts').to.equal(0);
    expect(e.counters().store.roundTrips - rt0, 'the claims, then the fallback').to.equal(2);
    expect(e.counters().nf.nat!.newFlows - made0, 'flows 1 and 3 made, 2 found').to.equal(2);
    // The claims' replies are tracked reads: the cache holds all three mappings.
    const c0 = e.counters();
    expect((await e.process(batch)).map((o) => o.data.toString('hex'))).to.deep.equal(outs.map((o) => o.data.toString('hex')));
    expect(e.counters().store.roundTrips - c0.store.roundTrips, 'all cached').to.equal(0);
    // ... and tracked by Redis (the GET inside the transaction): a change made elsewhere reaches the cache.
    await r.client.set(fwd(3), `198.51.100.1|29999|U|${Date.now() - 1000}`, 'PX', 60000);
    await new Promise((res) => setTimeout(res, 30));
    const [again3] = await e.process([udp(3)]);
    expect((decodeFrame(again3.data).l4 as { sport: number }).sport, 'the cached claim reply was invalidated').to.equal(29999);
    e.close();
  });

  // A flow's first packets often arrive together: the later ones read the key the claim answers
  // with, and take its reply (RedisStore: one read per key per exchange) instead of a GET each.
  it("a new flow's later packets in its batch take the claim's answer: one claim, no GET", async () => {
    const e = new Engine(engineConfig(['nat'], store(), { vnf: uniqueVnf(), tables }));
    expect(verdicts(await e.process([udp(0)]))).to.deep.equal(['forward']); // the lease
    const s0 = await calls();
    const c0 = e.counters();
    const outs = await e.process([udp(1), udp(1), udp(1), udp(1)]);
    const s1 = await calls();
    expect(verdicts(outs)).to.deep.equal(['forward', 'forward', 'forward', 'forward']);
    const ports = outs.map((o) => (decodeFrame(o.data).l4 as { sport: number }).sport);
    expect(new Set(ports).size, 'one mapping').to.equal(1);
    expect(s1.claims - s0.claims, 'one claim').to.equal(1);
    expect(s1.get - s0.get, 'no GET behind it').to.equal(0);
    expect(e.counters().store.roundTrips - c0.store.roundTrips).to.equal(1);
    e.close();
  });

  it('the lease is the instance\'s: batches in flight lease a cursor once, and the next lease comes before the last runs dry', async () => {
    const vnf = uniqueVnf();
    // One UDP cursor.
    const e = new Engine(engineConfig(['nat'], store(), { vnf, tables }));
    e.setInflight(4);
    // Submits the batches (four at most), then reaps them: every packet forwarded.
    let next = 0;
    const inFlight = (sizes: number[]) => {
      for (const n of sizes) e.submitSync(Array.from({ length: n }, () => udp(next++)));
      for (const n of sizes) expect(verdicts(e.reapSync(true)!.frames)).to.deep.equal(Array(n).fill('forward'));
    };
    const s0 = await calls();
    // Four batches in flight, a new flow each, before any lease is back: one lease is asked for,
    // not one per batch in flight (each lane's NAT used to hold its own).
    inFlight([1, 1, 1, 1]);
    const s1 = await calls();
    expect(s1.incrby - s0.incrby, 'one lease for the four lanes').to.equal(1);
    // 56 more new flows, four batches in flight: every lane claims from the one lease, and the
    // next lease is asked for while 16 of its 64 values are left.
    inFlight([8, 8, 8, 8]);
    inFlight([8, 8, 8]);
    const s2 = await calls();
    expect(s2.scripts - s1.scripts, 'no nat_alloc once leased').to.equal(0);
    expect(s2.claims - s1.claims, 'a claim per new flow').to.equal(56);
    expect(s2.incrby - s1.incrby, 'the next lease, asked ahead').to.equal(1);
    // The first lease runs dry here: the flows after it take the second's values, none waits
    // for a lease or falls back to nat_alloc.
    for (let k = 0; k < 3; k++) inFlight([4, 4, 4, 4]);
    const s3 = await calls();
    expect(s3.scripts - s2.scripts, 'still no nat_alloc').to.equal(0);
    expect(s3.claims - s2.claims).to.equal(48);
    expect(s3.incrby - s2.incrby, 'the second lease lasts').to.equal(0);
    expect((await r.client.keys(`snf:${vnf}:nat:f:*`)).length).to.equal(108);
    e.close();
  });

  it('more batches in flight keep the leases taken with fewer: the new lanes claim from them', async () => {
    const vnf = uniqueVnf();
    const e = new Engine(engineConfig(['nat'], store(), { vnf, tables }));
    expect(verdicts(await e.process([udp(0)]))).to.deep.equal(['forward']); // nat_alloc, and a lease
    const s0 = await calls();
    e.setInflight(4);
    for (let i = 1; i <= 4; i++) e.submitSync([udp(i)]);
    for (let i = 1; i <= 4; i++) expect(verdicts(e.reapSync(true)!.frames)).to.deep.equal(['forward']);
    const s1 = await calls();
    expect(s1.scripts - s0.scripts, 'no nat_alloc').to.equal(0);
    expect(s1.incrby - s0.incrby, 'no new lease').to.equal(0);
    expect(s1.claims - s0.claims).to.equal(4);
    e.close();
  });

  it('a pool out of ports drops the next new flow as nat_pool_exhausted, not as a store failure (Redis words the script error "ERR exhausted")', async () => {
    const vnf = uniqueVnf();
    const tiny = { ...TABLES, nat: { ...TABLES.nat!, pool: ['198.51.100.1'], shards: 1, portRange: [20000, 20001] as [number, number] } };
    const e = new Engine(engineConfig(['nat'], store(), { vnf, tables: tiny }));
    expect(verdicts(await e.process([udp(0)]))).to.deep.equal(['forward']);
    expect(verdicts(await e.process([udp(1)]))).to.deep.equal(['forward']);
    expect(verdicts(await e.process([udp(2)]))).to.deep.equal(['drop:nat_pool_exhausted']);
    expect(e.counters().drops).to.not.have.property('store_unavailable');
    e.close();
  });

  it("an address's first flow leases every shard's cursor: the other shards' first flows claim, none pays a nat_alloc", async () => {
    const vnf = uniqueVnf();
    // One pool address, 8 shards: a cursor per shard and protocol.
    const sharded = { ...TABLES, nat: { ...TABLES.nat!, pool: ['198.51.100.1'], shards: 8 } };
    const e = new Engine(engineConfig(['nat'], store(), { vnf, tables: sharded }));
    const s0 = await calls();
    expect(verdicts(await e.process([udp(0)]))).to.deep.equal(['forward']);
    const s1 = await calls();
    expect(s1.scripts - s0.scripts, 'the first flow: nat_alloc').to.equal(1);
    expect(s1.incrby - s0.incrby, "a lease of each shard's UDP cursor").to.equal(8);
    // 40 new flows over the 8 shards (inside endpoints hash to shards).
    const outs = await e.process(Array.from({ length: 40 }, (_, i) => udp(i + 1)));
    expect(verdicts(outs)).to.deep.equal(outs.map(() => 'forward'));
    const s2 = await calls();
    const shards = new Set((await r.client.keys(`snf:${vnf}:nat:f:*`)).map((k) => k.slice(k.indexOf('{'), k.indexOf('}'))));
    expect(shards.size, 'the flows spread over the shards').to.be.greaterThan(4);
    expect(s2.scripts - s1.scripts, 'no nat_alloc').to.equal(0);
    expect(s2.claims - s1.claims, 'a claim per new flow').to.equal(40);
    expect(s2.incrby - s1.incrby, 'no lease asked again').to.equal(0);
    // TCP is another cursor family: its first flow leases its own shards.
    const tcp = frame('inside', { ip: { v: 4, src: '10.7.9.9', dst: '203.0.113.9' }, l4: { proto: 'tcp', sport: 7000, dport: 80, flags: 'S' } });
    expect(verdicts(await e.process([tcp]))).to.deep.equal(['forward']);
    const s3 = await calls();
    expect(s3.incrby - s2.incrby, "each shard's TCP cursor").to.equal(8);
    e.close();
  });

  it('a RST right behind the first packet: forwarded, the mapping ends in state R', async () => {
    const vnf = uniqueVnf();
    const e = new Engine(engineConfig(['nat'], store(), { vnf }));
    const ip = { v: 4 as const, src: '10.7.1.1', dst: '192.0.2.80' };
    const outs = await e.process([
      frame('inside', { ip, l4: { proto: 'tcp', sport: 40000, dport: 443, flags: 'PA', seq: 1000 }, payload: Buffer.from('hello') }),
      frame('inside', { ip, l4: { proto: 'tcp', sport: 40000, dport: 443, flags: 'R', seq: 1005 } }),
    ]);
    expect(verdicts(outs)).to.deep.equal(['forward', 'forward']);
    const keys = await r.client.keys(`snf:${vnf}:nat:f:*`);
    expect(keys.length).to.equal(1);
    expect((await r.client.get(keys[0])) ?? '').to.match(/^198\.51\.100\.\d\|\d+\|R\|/);
    expect(e.counters().nf.nat!.newFlows).to.equal(1);
    e.close();
  });

  it('no mapping for a packet an earlier stage drops (firewall before NAT: reads prefetched)', async () => {
    const vnf = uniqueVnf();
    const e = new Engine(engineConfig(['firewall', 'nat'], store(), { vnf }));
    // The firewall denies telnet outbound; the web packet passes both stages.
    const ip = { v: 4 as const, src: '10.7.2.1', dst: '203.0.113.9' };
    const outs = await e.process([
      frame('inside', { ip, l4: { proto: 'tcp', sport: 40001, dport: 23, flags: 'S', seq: 1 } }),
      frame('inside', { ip, l4: { proto: 'tcp', sport: 40002, dport: 80, flags: 'S', seq: 1 } }),
    ]);
    expect(verdicts(outs)[0]).to.match(/^drop:fw_/);
    expect(verdicts(outs)[1]).to.equal('forward');
    const keys = await r.client.keys(`snf:${vnf}:nat:f:*`);
    expect(keys.map((k) => k.split(':').pop())).to.deep.equal(['40002']);
    e.close();
  });

  it('behind the firewall, a flow it lets open is created with the reads: one round trip, not three', async () => {
    const vnf = uniqueVnf();
    const e = new Engine(engineConfig(['firewall', 'nat'], store(), { vnf }));
    const ip = { v: 4 as const, src: '10.7.3.1', dst: '203.0.113.9' };
    const rt0 = e.counters().store.roundTrips;
    const outs = await e.process([
      frame('inside', { ip, l4: { proto: 'tcp', sport: 41001, dport: 80, flags: 'S', seq: 1 } }),
      frame('inside', { ip, l4: { proto: 'udp', sport: 41002, dport: 53 } }),
      // Refused by the firewall before any state is read: no mapping may be made for them.
      frame('inside', { ip, l4: { proto: 'tcp', sport: 41003, dport: 80, flags: 'A', seq: 1, ack: 1 } }),
      frame('inside', { ip, l4: { proto: 'tcp', sport: 41004, dport: 23, flags: 'S', seq: 1 } }),
    ]);
    expect(verdicts(outs).slice(0, 2)).to.deep.equal(['forward', 'forward']);
    expect(verdicts(outs)[2]).to.match(/^drop:fw_/);
    expect(verdicts(outs)[3]).to.match(/^drop:fw_/);
    // The firewall's create-if-absent and the NAT's find-or-create, both in place of reads.
    expect(e.counters().store.roundTrips - rt0).to.equal(1);
    const keys = await r.client.keys(`snf:${vnf}:nat:f:*`);
    expect(keys.map((k) => k.split(':').pop()).sort()).to.deep.equal(['41001', '41002']);
    expect((await r.client.keys(`snf:${vnf}:fw:*`)).length, 'firewall connections').to.equal(2);
    e.close();
  });
});

describe('create on read (firewall, coherent cache)', function () {
  this.timeout(30000);
  const r = useRedis();
  const store = () => ({ kind: 'redis' as const, nodes: [r.server.node], timeoutMs: 5000 });
  const frame = (side: Side, spec: FrameSpec) => ({ side, data: buildFrame(spec) });
  const ip = (i: number) => ({ v: 4 as const, src: `10.9.0.${i + 1}`, dst: '203.0.113.9' });
  const back = (i: number) => ({ v: 4 as const, src: '203.0.113.9', dst: `10.9.0.${i + 1}` });
  const syn = (i: number) => frame('inside', { ip: ip(i), l4: { proto: 'tcp', sport: 42000 + i, dport: 80, flags: 'S', seq: 100 } });
  const synack = (i: number) => frame('outside', { ip: back(i), l4: { proto: 'tcp', sport: 80, dport: 42000 + i, flags: 'SA', seq: 500, ack: 101 } });

  it('a batch of new connections costs one round trip, and their replies find them cached', async () => {
    const vnf = uniqueVnf();
    const e = new Engine(engineConfig(['firewall'], store(), { vnf }));
    // 10 SYNs and 5 UDP flows; 3 of the SYNs retransmitted in the same batch.
    const udp = (i: number) => frame('inside', { ip: ip(i), l4: { proto: 'udp', sport: 43000 + i, dport: 53 } });
    const batch = [...Array.from({ length: 10 }, (_, i) => syn(i)), ...Array.from({ length: 5 }, (_, i) => udp(i)), syn(0), syn(1), syn(2)];
    const c0 = e.counters();
    const outs = await e.process(batch);
    const c1 = e.counters();
    expect(verdicts(outs)).to.deep.equal(batch.map(() => 'forward'));
    expect(c1.store.roundTrips - c0.store.roundTrips, 'creations in place of reads, retransmissions read behind them').to.equal(1);
    expect(c1.nf.firewall!.newFlows - c0.nf.firewall!.newFlows).to.equal(15);
    expect((await r.client.keys(`snf:${vnf}:fw:*`)).length).to.equal(15);
    // The SYN-ACKs read the connections from the cache and wait only for their openings (SS -> SR).
    const replies = await e.process(Array.from({ length: 10 }, (_, i) => synack(i)));
    const c2 = e.counters();
    expect(verdicts(replies)).to.deep.equal(replies.map(() => 'forward'));
    expect(c2.cache!.hits - c1.cache!.hits).to.equal(10);
    expect(c2.store.roundTrips - c1.store.roundTrips).to.equal(1);
    e.close();
  });

  it('a connection is created by SET NX and a GET, with no script; an entry already there is left as found', async () => {
    const calls = async () => {
      const info = await r.client.info('commandstats');
      const n = (cmd: string) => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
      return { evalsha: n('evalsha') + n('eval'), set: n('set') };
    };
    for (const cacheBytes of [undefined, 0]) {
      const label = cacheBytes === 0 ? 'uncached' : 'cached';
      const vnf = uniqueVnf();
      const a = new Engine(engineConfig(['firewall'], store(), { vnf, id: 'a' }));
      expect(verdicts(await a.process([syn(30)]))).to.deep.equal(['forward']);
      a.close();
      // Another instance has taken connection 30 to ES meanwhile.
      const [key] = await r.client.keys(`snf:${vnf}:fw:*`);
      const established = (await r.client.get(key))!.replace(/^SS\|/, 'ES|');
      await r.client.set(key, established, 'PX', 60000);

      const b = new Engine(engineConfig(['firewall'], cacheBytes === 0 ? { ...store(), cacheBytes } : store(), { vnf, id: 'b' }));
      const s0 = await calls();
      const outs = await b.process([...Array.from({ length: 10 }, (_, i) => syn(i)), syn(30)]);
      const s1 = await calls();
      // A SYN on an established connection is refused: SET NX did not replace the entry.
      expect(verdicts(outs), label).to.deep.equal([...Array(10).fill('forward'), 'drop:fw_bad_tcp_state']);
      expect(await r.client.get(key), label).to.equal(established);
      expect(s1.evalsha - s0.evalsha, `${label}: scripts`).to.equal(0);
      // Cached, every SYN whose key the cache lacks sends its creation in place of the read;
      // uncached, the read comes first and finds connection 30.
      expect(s1.set - s0.set, `${label}: SET NX per creation`).to.equal(cacheBytes === 0 ? 10 : 11);
      expect(b.counters().nf.firewall!.newFlows, label).to.equal(10);
      const keys = await r.client.keys(`snf:${vnf}:fw:*`);
      expect(keys.length, label).to.equal(11);
      for (const k of keys) {
        const ttl = await r.client.pttl(k);
        expect(ttl, `${label}: ${k} expires`).to.be.greaterThan(0);
      }
      // Cached, the created entries come back with the creation (the GET behind the SET is
      // tracked): the SYN-ACKs read them from the cache.
      if (cacheBytes === undefined) {
        const c0 = b.counters();
        expect(verdicts(await b.process(Array.from({ length: 10 }, (_, i) => synack(i))))).to.deep.equal(Array(10).fill('forward'));
        expect(b.counters().cache!.hits - c0.cache!.hits).to.equal(10);
      }
      b.close();
    }
  });

  it('a packet that may not open a connection reads and creates nothing', async () => {
    const vnf = uniqueVnf();
    const e = new Engine(engineConfig(['firewall'], store(), { vnf }));
    const outs = await e.process([
      frame('inside', { ip: ip(20), l4: { proto: 'tcp', sport: 42100, dport: 23, flags: 'S', seq: 1 } }), // rules deny telnet
      frame('inside', { ip: ip(21), l4: { proto: 'tcp', sport: 42101, dport: 80, flags: 'A', seq: 1, ack: 1 } }), // no connection
      frame('outside', { ip: back(22), l4: { proto: 'tcp', sport: 80, dport: 42102, flags: 'S', seq: 1 } }), // inbound: denied by default
    ]);
    expect(verdicts(outs).every((v) => v.startsWith('drop:fw_'))).to.equal(true);
    expect(await r.client.keys(`snf:${vnf}:fw:*`)).to.deep.equal([]);
    expect(e.counters().nf.firewall!.newFlows).to.equal(0);
    e.close();
  });

  it('two engines opening the same connections at once: one entry each, the handshake completes', async () => {
    const vnf = uniqueVnf();
    const a = new Engine(engineConfig(['firewall'], store(), { vnf, id: 'a' }));
    const b = new Engine(engineConfig(['firewall'], store(), { vnf, id: 'b' }));
    const syns = Array.from({ length: 100 }, (_, i) => syn(i));
    const [ra, rb] = await Promise.all([a.process(syns), b.process(syns)]);
    expect(verdicts(ra)).to.deep.equal(syns.map(() => 'forward'));
    expect(verdicts(rb)).to.deep.equal(syns.map(() => 'forward'));
    expect((await r.client.keys(`snf:${vnf}:fw:*`)).length).to.equal(100);
    // (newFlows may count a connection at both: within one millisecond the entry the other made
    // is the very value this one would have written, and nothing tells the two apart.)
    // SYN-ACKs through B, ACKs through A: every connection is one the store holds.
    expect(verdicts(await b.process(Array.from({ length: 100 }, (_, i) => synack(i))))).to.deep.equal(syns.map(() => 'forward'));
    await new Promise((res) => setTimeout(res, 20));
    const acks = Array.from({ length: 100 }, (_, i) => frame('inside', { ip: ip(i), l4: { proto: 'tcp', sport: 42000 + i, dport: 80, flags: 'A', seq: 101, ack: 501 } }));
    expect(verdicts(await a.process(acks))).to.deep.equal(syns.map(() => 'forward'));
    a.close();
    b.close();
  });
});

describe('create on read (load balancer, coherent cache)', function () {
  this.timeout(30000);
  const r = useRedis();
  const store = () => ({ kind: 'redis' as const, nodes: [r.server.node], timeoutMs: 5000 });
  const frame = (side: Side, spec: FrameSpec) => ({ side, data: buildFrame(spec) });
  const toVip = (i: number, flags = 'S') =>
    frame('outside', { ip: { v: 4, src: `198.18.0.${i + 1}`, dst: '192.0.2.10' }, l4: { proto: 'tcp', sport: 44000 + i, dport: 80, flags, seq: 1 } });

  it('a batch of new flows costs one round trip, and their next packets find them cached', async () => {
    const vnf = uniqueVnf();
    const e = new Engine(engineConfig(['lb'], store(), { vnf }));
    // 12 new flows; 4 of them send a second packet in the same batch.
    const batch = [...Array.from({ length: 12 }, (_, i) => toVip(i)), ...Array.from({ length: 4 }, (_, i) => toVip(i, 'A'))];
    const c0 = e.counters();
    const outs = await e.process(batch);
    const c1 = e.counters();
    expect(verdicts(outs)).to.deep.equal(batch.map(() => 'forward'));
    expect(c1.store.roundTrips - c0.store.roundTrips, 'assignments in place of reads, second packets read behind them').to.equal(1);
    expect(c1.nf.lb!.newFlows - c0.nf.lb!.newFlows).to.equal(12);
    // A flow's packets go to one backend.
    for (let i = 0; i < 4; i++) expect(decodeFrame(outs[12 + i].data).ip.dst).to.equal(decodeFrame(outs[i].data).ip.dst);
    const again = await e.process(batch.slice(12));
    const c2 = e.counters();
    expect(c2.store.roundTrips - c1.store.roundTrips, 'all cached').to.equal(0);
    expect(again.map((o) => decodeFrame(o.data).ip.dst)).to.deep.equal(outs.slice(12).map((o) => decodeFrame(o.data).ip.dst));
    e.close();
  });

  it("the backend's first reply finds the flow's reverse assignment cached (a GET posted behind the assignment)", async () => {
    const vnf = uniqueVnf();
    const e = new Engine(engineConfig(['lb'], store(), { vnf }));
    const outs = await e.process(Array.from({ length: 10 }, (_, i) => toVip(20 + i)));
    expect(verdicts(outs)).to.deep.equal(outs.map(() => 'forward'));
    const synacks = outs.map((o, i) => {
      const d = decodeFrame(o.data);
      return frame('inside', { ip: { v: 4, src: d.ip.dst, dst: `198.18.0.${21 + i}` }, l4: { proto: 'tcp', sport: 8080, dport: 44020 + i, flags: 'SA', seq: 9, ack: 2 } });
    });
    await new Promise((res) => setTimeout(res, 20)); // the posted GETs' replies land (well under 1 ms)
    const c0 = e.counters();
    const back = await e.process(synacks);
    const c1 = e.counters();
    expect(verdicts(back)).to.deep.equal(synacks.map(() => 'forward'));
    expect(back.map((o) => decodeFrame(o.data).ip.src)).to.deep.equal(back.map(() => '192.0.2.10'));
    expect(c1.cache!.hits - c0.cache!.hits, 'reverse keys read from the cache').to.equal(10);
    // The SYN-ACKs' S -> E writes are posted, nobody waiting (write-before-forward.test.ts):
    // the batch costs no exchange at all.
    expect(c1.store.roundTrips - c0.store.roundTrips).to.equal(0);
    e.close();
  });

  it('a RST or an ICMP error creates nothing; a VIP without backends refuses and records nothing', async () => {
    const vnf = uniqueVnf();
    const tables = structuredClone(TABLES);
    for (const b of tables.lb!.vips[0].backends) b.state = 'drained';
    const e = new Engine(engineConfig(['lb'], store(), { vnf }));
    const rst = await e.process([toVip(30, 'R')]);
    expect(verdicts(rst)).to.deep.equal(['drop:lb_no_backend']);
    const none = new Engine(engineConfig(['lb'], store(), { vnf, tables }));
    expect(verdicts(await none.process([toVip(31)]))).to.deep.equal(['drop:lb_no_backend']);
    expect(await r.client.keys(`snf:${vnf}:lb:*`)).to.deep.equal([]);
    e.close();
    none.close();
  });

  it('two engines assigning the same flows at once: one assignment per flow, one backend', async () => {
    const vnf = uniqueVnf();
    const a = new Engine(engineConfig(['lb'], store(), { vnf, id: 'a' }));
    const b = new Engine(engineConfig(['lb'], store(), { vnf, id: 'b' }));
    const frames = Array.from({ length: 100 }, (_, i) => toVip(i));
    const [ra, rb] = await Promise.all([a.process(frames), b.process(frames)]);
    expect(verdicts(ra)).to.deep.equal(frames.map(() => 'forward'));
    expect(ra.map((o) => decodeFrame(o.data).ip.dst)).to.deep.equal(rb.map((o) => decodeFrame(o.data).ip.dst));
    for (const e of [a, b]) expect(e.counters().store.roundTrips).to.equal(1);
    a.close();
    b.close();
  });
});
