// The store goes away and comes back: fail closed / drop new flows, never crash, recover alone.
import { expect } from 'chai';
import { Engine, engineConfig, send } from '../../support/engine.js';
import { startRedis, type RedisServer } from '../../support/redis.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('store unreachable', function () {
  this.timeout(30000);
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  it('firewall fails closed, NAT and LB drop new flows, all recover when Redis returns', async () => {
    const store = { kind: 'redis' as const, nodes: [redis.node], timeoutMs: 50 };
    const fw = new Engine(engineConfig(['firewall'], store));
    const nat = new Engine(engineConfig(['nat'], store));
    const lb = new Engine(engineConfig(['lb'], store));
    const c = { v: 4 as const, src: '10.0.0.5', dst: '203.0.113.9' };
    const fwOpen = await send(fw, 'inside', { ip: c, l4: { proto: 'udp', sport: 1, dport: 53 } });
    expect(fwOpen.out.verdict).to.equal('forward');

    await redis.kill();
    const t0 = Date.now();
    const probes = [
      [fw, 'inside', { ip: c, l4: { proto: 'udp', sport: 1, dport: 53 } }], // established, still dropped: fail closed
      [fw, 'inside', { ip: c, l4: { proto: 'udp', sport: 2, dport: 53 } }],
      [nat, 'inside', { ip: c, l4: { proto: 'udp', sport: 3, dport: 53 } }],
      [lb, 'outside', { ip: { v: 4, src: '198.18.0.1', dst: '192.0.2.10' }, l4: { proto: 'tcp', sport: 4, dport: 80, flags: 'S', seq: 1 } }],
    ] as const;
    for (let round = 0; round < 3; round++) {
      for (const [e, side, spec] of probes) {
        const r = await send(e, side, spec);
        expect(r.out.verdict).to.equal('drop');
        expect(r.out.reason).to.equal('store_unavailable');
      }
    }
    expect(Date.now() - t0, 'bounded by the store deadline, no hang').to.be.below(5000);
    expect(fw.counters().drops.store_unavailable).to.equal(6);

    await redis.restart();
    // Reconnect backoff is at most 1 s.
    let ok = false;
    for (let i = 0; i < 40 && !ok; i++) {
      await sleep(100);
      ok = (await send(nat, 'inside', { ip: c, l4: { proto: 'udp', sport: 5, dport: 53 } })).out.verdict === 'forward';
    }
    expect(ok, 'NAT recovered without restart').to.equal(true);
    // The firewall had a connection before the outage: it reconnects (with backoff) on its own.
    ok = false;
    for (let i = 0; i < 40 && !ok; i++) {
      ok = (await send(fw, 'inside', { ip: c, l4: { proto: 'udp', sport: 7, dport: 53 } })).out.verdict === 'forward';
      if (!ok) await sleep(100);
    }
    expect(ok, 'firewall recovered without restart').to.equal(true);
    expect((await send(lb, 'outside', { ip: { v: 4, src: '198.18.0.1', dst: '192.0.2.10' }, l4: { proto: 'tcp', sport: 8, dport: 80, flags: 'S', seq: 1 } })).out.verdict).to.equal('forward');
    expect(fw.counters().store.reconnects).to.be.greaterThan(0);
    for (const e of [fw, nat, lb]) e.close();
  });
});
