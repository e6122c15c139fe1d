// The coherent flow cache: established flows cost no store round trip, and a change made
// through another instance (or directly in the store) is never ignored once its invalidation
// has arrived.
import { expect } from 'chai';
import { Engine, TABLES, engineConfig, send, uniqueVnf } from '../../support/engine.js';
import { buildFrame, decodeFrame } from '../../support/packets.js';
import { useRedis } from '../../support/redis.js';
import { redisModuleWanted } from '../../../src/dataplane/redis-module.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('coherent flow cache', function () {
  this.timeout(30000);
  const r = useRedis();
  const store = () => ({ kind: 'redis' as const, nodes: [r.server.node] });

  function udpOut(i: number) {
    return { side: 'inside' as const, data: buildFrame({ ip: { v: 4, src: `10.0.2.${i + 1}`, dst: '203.0.113.9' }, l4: { proto: 'udp', sport: 7000, dport: 53 } }) };
  }

  it('established flows: zero round trips once warm, same verdicts and bytes', async () => {
    const vnf = uniqueVnf();
    const cached = new Engine(engineConfig(['nat'], store(), { vnf, id: 'a' }));
    const frames = Array.from({ length: 32 }, (_, i) => udpOut(i));
    const first = await cached.process(frames); // create
    await cached.process(frames); // read once: tracked and cached
    const c0 = cached.counters();
    let last = first;
    for (let i = 0; i < 20; i++) last = await cached.process(frames);
    const c1 = cached.counters();
    expect(c1.store.roundTrips - c0.store.roundTrips).to.equal(0);
    expect(c1.cache!.hits - c0.cache!.hits).to.equal(20 * 32);
    expect(last.map((o) => o.data.toString('hex'))).to.deep.equal(first.map((o) => o.data.toString('hex')));
    cached.close();
  });

  it('a NAT mapping deleted in the store is never used by B after the invalidation arrived', async () => {
    const vnf = uniqueVnf();
    const a = new Engine(engineConfig(['nat'], store(), { vnf, id: 'a' }));
    const b = new Engine(engineConfig(['nat'], store(), { vnf, id: 'b' }));
    const outs = await a.process(Array.from({ length: 100 }, (_, i) => udpOut(i)));
    const replies = outs.map((o) => {
      const d = decodeFrame(o.data);
      const l4 = d.l4 as { sport: number };
      return { side: 'outside' as const, data: buildFrame({ ip: { v: 4, src: '203.0.113.9', dst: d.ip.src }, l4: { proto: 'udp', sport: 53, dport: l4.sport } }) };
    });
    // B reads every mapping twice: the second time from its cache.
    expect((await b.process(replies)).every((o) => o.verdict === 'forward')).to.equal(true);
    const warm = b.counters().cache!.hits;
    expect((await b.process(replies)).every((o) => o.verdict === 'forward')).to.equal(true);
    expect(b.counters().cache!.hits - warm).to.equal(100);
    // The mappings go away in the store (an operator, an expiry, another instance).
    const keys = [...(await r.client.keys(`snf:${vnf}:nat:r:*`)), ...(await r.client.keys(`snf:${vnf}:nat:f:*`))];
    expect(keys.length).to.equal(200);
    await r.client.del(...keys);
    await sleep(20); // invalidations travel over loopback in microseconds
    const after = await b.process(replies);
    expect(after.map((o) => o.reason)).to.deep.equal(replies.map(() => 'nat_no_mapping'));
    expect(b.counters().cache!.invalidations).to.be.at.least(100);
    a.close();
    b.close();
  });

  it('a RST through A closes the connection for B, whose cache held it established', async () => {
    const vnf = uniqueVnf();
    const a = new Engine(engineConfig(['firewall'], store(), { vnf, id: 'a' }));
    const b = new Engine(engineConfig(['firewall'], store(), { vnf, id: 'b' }));
    const c = { v: 4 as const, src: '10.0.0.5', dst: '203.0.113.9' };
    const s = { v: 4 as const, src: '203.0.113.9', dst: '10.0.0.5' };
    await send(a, 'inside', { ip: c, l4: { proto: 'tcp', sport: 40000, dport: 80, flags: 'S', seq: 1 } });
    await send(b, 'outside', { ip: s, l4: { proto: 'tcp', sport: 80, dport: 40000, flags: 'SA', seq: 100, ack: 2 } });
    await send(a, 'inside', { ip: c, l4: { proto: 'tcp', sport: 40000, dport: 80, flags: 'A', seq: 2, ack: 101 } });
    const data = { ip: s, l4: { proto: 'tcp' as const, sport: 80, dport: 40000, flags: 'PA', seq: 101, ack: 2 }, payload: Buffer.from('x') };
    for (let i = 0; i < 3; i++) expect((await send(b, 'outside', data)).out.verdict).to.equal('forward');
    const hits = b.counters().cache!.hits;
    expect(hits).to.be.greaterThan(0);
    expect((await send(a, 'inside', { ip: c, l4: { proto: 'tcp', sport: 40000, dport: 80, flags: 'R', seq: 2 } })).out.verdict).to.equal('forward');
    await sleep(20);
    const late = await send(b, 'outside', data);
    expect(late.out.verdict).to.equal('drop');
    expect(late.out.reason).to.equal('fw_bad_tcp_state');
    a.close();
    b.close();
  });

  it("a script's reply is cached like a read, and dropped when another instance changes the key", async () => {
    const vnf = uniqueVnf();
    const a = new Engine(engineConfig(['firewall'], store(), { vnf, id: 'a' }));
    const b = new Engine(engineConfig(['firewall'], store(), { vnf, id: 'b' }));
    const c = { v: 4 as const, src: '10.0.0.6', dst: '203.0.113.9' };
    const s = { v: 4 as const, src: '203.0.113.9', dst: '10.0.0.6' };
    const syn = { ip: c, l4: { proto: 'tcp' as const, sport: 40001, dport: 80, flags: 'S', seq: 1 } };
    expect((await send(a, 'inside', syn)).out.verdict).to.equal('forward');
    // The value the creating script returned is in A's cache: the retransmitted SYN costs nothing.
    const c0 = a.counters();
    expect((await send(a, 'inside', syn)).out.verdict).to.equal('forward');
    const c1 = a.counters();
    expect(c1.store.roundTrips - c0.store.roundTrips, 'round trips of the retransmission').to.equal(0);
    expect(c1.cache!.hits - c0.cache!.hits).to.equal(1);
    // B moves the connection on (SS -> SR). The script read the key last, so Redis tracks it for
    // A and tells A; with SS still cached, A would refuse the ACK (fw_bad_tcp_state).
    expect((await send(b, 'outside', { ip: s, l4: { proto: 'tcp', sport: 80, dport: 40001, flags: 'SA', seq: 100, ack: 2 } })).out.verdict).to.equal('forward');
    await sleep(20);
    const ack = await send(a, 'inside', { ip: c, l4: { proto: 'tcp', sport: 40001, dport: 80, flags: 'A', seq: 2, ack: 101 } });
    expect(ack.out.verdict, ack.out.reason).to.equal('forward');
    expect(a.counters().cache!.invalidations - c1.cache!.invalidations).to.be.at.least(1);
    a.close();
    b.close();
  });

  it('closings posted one after another leave the cache with the last state, not a refill of the first', async () => {
    // Real traffic (snf replay) closes like this: the initiator's FIN, the responder's FIN and a
    // RST in one batch. Each change is posted (nothing waits for a closing) on the one
    // connection: the first is followed by a refill of the cached connection, which Redis
    // answers before it applies the second and third. Our own writes raise no invalidation, so
    // unless they poison that refill, the cache ends up holding FO while Redis holds RS, and
    // a second RST is let through.
    const vnf = uniqueVnf();
    const e = new Engine(engineConfig(['firewall'], store(), { vnf, id: 'a' }));
    const c = { v: 4 as const, src: '10.0.0.5', dst: '203.0.113.9' };
    const s = { v: 4 as const, src: '203.0.113.9', dst: '10.0.0.5' };
    const out = (flags: string, seq: number, ack = 0) => ({ side: 'inside' as const, data: buildFrame({ ip: c, l4: { proto: 'tcp', sport: 40100, dport: 443, flags, seq, ack } }) });
    const back = (flags: string, seq: number, ack: number) => ({ side: 'outside' as const, data: buildFrame({ ip: s, l4: { proto: 'tcp', sport: 443, dport: 40100, flags, seq, ack } }) });
    for (const f of [out('S', 1), back('SA', 100, 2), out('A', 2, 101), out('A', 2, 101), out('A', 2, 101)])
      expect((await e.process([f]))[0].verdict).to.equal('forward');
    expect(e.counters().cache!.hits, 'the connection is cached').to.be.greaterThan(0);
    const closing = await e.process([out('FA', 2, 101), back('FA', 101, 3), out('R', 3)]);
    expect(closing.map((o) => o.verdict)).to.deep.equal(['forward', 'forward', 'forward']);
    await sleep(30); // the posted closings and the refill behind the first have landed
    expect(await r.client.get(`snf:${vnf}:fw:{${vnf}|6|10.0.0.5|40100|203.0.113.9|443}`)).to.match(/^RS\|/);
    const again = (await e.process([out('R', 3)]))[0];
    expect(again.verdict, 'a RST after the reset').to.equal('drop');
    expect(again.reason).to.equal('fw_bad_tcp_state');
    e.close();
  });

  it('an LB flow moved by A (its backend left the pool) follows through B', async () => {
    const vnf = uniqueVnf();
    const a = new Engine(engineConfig(['lb'], store(), { vnf, id: 'a' }));
    const b = new Engine(engineConfig(['lb'], store(), { vnf, id: 'b' }));
    const spec = (flags: string, port: number) => ({ ip: { v: 4 as const, src: '198.18.5.1', dst: '192.0.2.10' }, l4: { proto: 'tcp' as const, sport: port, dport: 80, flags, seq: 1 } });
    // Find a flow that lands on b1.
    let port = 0;
    for (let p = 20000; p < 20100 && !port; p++) if ((await send(a, 'outside', spec('S', p))).pkt!.ip.dst === '10.1.0.1') port = p;
    expect(port).to.be.greaterThan(0);
    expect((await send(b, 'outside', spec('A', port))).pkt!.ip.dst).to.equal('10.1.0.1');
    expect((await send(b, 'outside', spec('A', port))).pkt!.ip.dst).to.equal('10.1.0.1'); // from cache
    const without = structuredClone(TABLES);
    without.lb!.vips[0].backends = without.lb!.vips[0].backends.filter((x) => x.id !== 'b1');
    a.configure(without);
    const moved = (await send(a, 'outside', spec('A', port))).pkt!.ip.dst;
    expect(moved).to.not.equal('10.1.0.1');
    await sleep(20);
    // B still lists b1 (its tables are not updated yet), but the store says the flow moved.
    expect((await send(b, 'outside', spec('A', port))).pkt!.ip.dst).to.equal(moved);
    a.close();
    b.close();
  });

  // Redis commands a posted NAT refresh costs: its script and a GET of the reverse key; with the
  // store module loaded (the test Redis has it unless SNF_REDIS_MODULE=off), a GET of the forward key too.
  const perRefresh = redisModuleWanted() ? 3 : 2;

  // Short timeouts so that refreshes come due within the test: refresh after 100 ms, TTL 400 ms.
  const shortTtl = { ...TABLES, timeouts: { udpMs: 400, icmpMs: 400, tcpTransitoryMs: 20000, tcpEstablishedMs: 60000, tcpClosedMs: 2000, refreshIntervalMs: 100 } };

  it('a TTL refresh costs no waiting and the flow stays cached (refilled by its own reply)', async () => {
    const vnf = uniqueVnf();
    const e = new Engine(engineConfig(['nat'], store(), { vnf, tables: shortTtl }));
    const frames = Array.from({ length: 32 }, (_, i) => udpOut(i));
    const ref = (await e.process(frames)).map((o) => o.data.toString('hex'));
    await e.process(frames); // cached already: the creating scripts' replies
    await sleep(150); // every flow is now due for a refresh
    const c0 = e.counters();
    await e.process(frames); // all hits; 32 refreshes posted, nothing waited for
    const c1 = e.counters();
    expect(c1.store.roundTrips - c0.store.roundTrips, 'round trips of the refreshing batch').to.equal(0);
    // Each refresh's reply is its flow's new value and refills the forward key: no GET behind
    // the script for that one (the store module's command needs one: only a read has Redis
    // track the key again). The reverse key it also writes is cached (a GET was posted behind
    // the mapping's creation), so a GET refills it behind the refresh.
    expect(c1.store.commands - c0.store.commands, 'refreshes and reverse-key refills sent').to.equal(32 * perRefresh);
    await sleep(30); // the refills land
    const outs = await e.process(frames);
    const c2 = e.counters();
    expect(c2.store.roundTrips - c1.store.roundTrips, 'round trips after the refills').to.equal(0);
    expect(c2.store.commands - c1.store.commands, 'the cache holds the new stamps: no second refresh').to.equal(0);
    expect(c2.cache!.hits - c1.cache!.hits).to.equal(32);
    expect(outs.map((o) => o.data.toString('hex'))).to.deep.equal(ref);
    // The refresh reached the store: 400 ms TTLs set ~180 ms after creation are well above 220 ms.
    const keys = await r.client.keys(`snf:${vnf}:nat:f:*`);
    expect(keys.length).to.equal(32);
    for (const k of keys) expect(await r.client.pttl(k)).to.be.greaterThan(250);
    e.close();
  });

  it('a refill that an invalidation overtook is not cached (the value may predate the change)', async () => {
    const vnf = uniqueVnf();
    const a = new Engine(engineConfig(['nat'], store(), { vnf, id: 'a', tables: shortTtl }));
    const b = new Engine(engineConfig(['nat'], store(), { vnf, id: 'b', tables: shortTtl }));
    const outs = await a.process(Array.from({ length: 16 }, (_, i) => udpOut(i)));
    const replies = outs.map((o) => {
      const d = decodeFrame(o.data);
      const l4 = d.l4 as { sport: number };
      return { side: 'outside' as const, data: buildFrame({ ip: { v: 4, src: '203.0.113.9', dst: d.ip.src }, l4: { proto: 'udp', sport: 53, dport: l4.sport } }) };
    });
    await b.process(replies);
    await b.process(replies); // B caches the reverse mappings
    await sleep(150);
    const c0 = b.counters();
    expect((await b.process(replies)).every((o) => o.verdict === 'forward')).to.equal(true); // posts refreshes + refills
    expect(b.counters().store.commands - c0.store.commands).to.equal(16 * perRefresh);
    // Behind the refills, the mappings are deleted: the invalidations reach B with (or before)
    // the refills' replies, which carry the values from before the deletion.
    const keys = [...(await r.client.keys(`snf:${vnf}:nat:r:*`)), ...(await r.client.keys(`snf:${vnf}:nat:f:*`))];
    expect(keys.length).to.equal(32);
    await r.client.del(...keys);
    await sleep(20);
    const after = await b.process(replies);
    expect(after.map((o) => o.reason)).to.deep.equal(replies.map(() => 'nat_no_mapping'));
    a.close();
    b.close();
  });

  it('cacheRecheckUs bounds how long an invalidation that has arrived can wait', async () => {
    const vnf = uniqueVnf();
    const a = new Engine(engineConfig(['nat'], store(), { vnf, id: 'a' }));
    // A deliberately long interval (1 s, the most allowed) makes the bound visible.
    const b = new Engine(engineConfig(['nat'], { ...store(), cacheRecheckUs: 1_000_000 }, { vnf, id: 'b' }));
    const outs = await a.process([udpOut(0)]);
    const d = decodeFrame(outs[0].data);
    const reply = [{ side: 'outside' as const, data: buildFrame({ ip: { v: 4, src: '203.0.113.9', dst: d.ip.src }, l4: { proto: 'udp', sport: 53, dport: (d.l4 as { sport: number }).sport } }) }];
    await b.process(reply);
    expect((await b.process(reply))[0].verdict, 'cached').to.equal('forward');
    await r.client.del(...(await r.client.keys(`snf:${vnf}:nat:*:*`)));
    await sleep(20);
    // Within the interval B has not looked at its invalidation socket yet...
    expect((await b.process(reply))[0].verdict, 'inside the interval').to.equal('forward');
    await sleep(1000);
    // ...and the first batch after it applies the invalidation before trusting the cache.
    expect((await b.process(reply))[0].reason, 'after the interval').to.equal('nat_no_mapping');
    a.close();
    b.close();
  });

  it('the invalidation connection killed mid-run: the cache flushes and forwarding stays right', async () => {
    const vnf = uniqueVnf();
    const e = new Engine(engineConfig(['nat'], store(), { vnf }));
    const frames = Array.from({ length: 32 }, (_, i) => udpOut(i));
    const ref = (await e.process(frames)).map((o) => o.data.toString('hex'));
    await sleep(20); // the GETs posted behind the creations answer (in well under a millisecond)
    await e.process(frames); // all hits; their replies are taken in before the cache is read
    const before = e.counters().cache!;
    // Each mapping's forward key (the creating script's reply), and its reverse key (a GET
    // posted behind the creation).
    expect(before.entries).to.equal(64);
    const killed = Number(await r.client.client('KILL', 'TYPE', 'pubsub'));
    expect(killed).to.be.at.least(1);
    await sleep(20);
    for (let i = 0; i < 5; i++) {
      const outs = await e.process(frames);
      expect(outs.map((o) => o.data.toString('hex'))).to.deep.equal(ref);
    }
    const after = e.counters().cache!;
    expect(after.flushes).to.be.greaterThan(before.flushes);
    expect(after.entries, 'warm again after the reconnect: the forward keys these packets read').to.equal(32);
    e.close();
  });

  it('the memory bound holds with many flows through Redis', async () => {
    const vnf = uniqueVnf();
    const bound = 1 << 20;
    const e = new Engine(engineConfig(['nat'], { ...store(), cacheBytes: bound }, { vnf, tables: { ...TABLES, nat: { ...TABLES.nat!, portRange: [1024, 65535] } } }));
    const n = 20000;
    for (let off = 0; off < n; off += 500) {
      const frames = Array.from({ length: 500 }, (_, i) => ({
        side: 'inside' as const,
        data: buildFrame({ ip: { v: 4, src: `10.${((off + i) >> 16) & 255}.${((off + i) >> 8) & 255}.${(off + i) & 255}`, dst: '203.0.113.9' }, l4: { proto: 'udp', sport: 9, dport: 53 } }),
      }));
      await e.process(frames);
      await e.process(frames);
      expect(e.counters().cache!.bytes).to.be.at.most(bound);
    }
    const c = e.counters().cache!;
    expect(c.evictions).to.be.greaterThan(0);
    expect(c.entries).to.be.lessThan(n);
    e.close();
  });
});
