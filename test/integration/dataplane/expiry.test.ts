// Flow timeouts are key TTLs in the store; FIN / RST shorten them; refreshes are rate-limited.
import { expect } from 'chai';
import { Engine, TABLES, engineConfig, send, uniqueVnf } from '../../support/engine.js';
import { useRedis } from '../../support/redis.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('expiry by TTL', function () {
  const r = useRedis();

  const timeouts = { udpMs: 300, icmpMs: 300, tcpTransitoryMs: 20000, tcpEstablishedMs: 60000, tcpClosedMs: 2000, refreshIntervalMs: 100 };

  for (const kind of ['local', 'redis'] as const) {
    it(`${kind}: an idle UDP mapping expires and its reply is dropped; traffic refreshes it`, async () => {
      const store = kind === 'local' ? { kind } : { kind, nodes: [r.server.node] };
      const e = new Engine(engineConfig(['nat'], store, { tables: { ...TABLES, timeouts } }));
      const out = await send(e, 'inside', { ip: { v: 4, src: '10.0.0.5', dst: '203.0.113.9' }, l4: { proto: 'udp', sport: 5000, dport: 53 } });
      const ext = out.pkt!.ip.src;
      const port = (out.pkt!.l4 as { sport: number }).sport;
      const reply = () => send(e, 'outside', { ip: { v: 4, src: '203.0.113.9', dst: ext }, l4: { proto: 'udp', sport: 53, dport: port } });
      // Keep it alive past several TTLs with traffic every 150 ms (refresh interval 100 ms).
      for (let i = 0; i < 5; i++) {
        await sleep(150);
        expect((await reply()).out.verdict, `kept alive, round ${i}`).to.equal('forward');
      }
      await e.flush();
      await sleep(450);
      const late = await reply();
      expect(late.out.verdict).to.equal('drop');
      expect(late.out.reason).to.equal('nat_no_mapping');
      e.close();
    });
  }

  it('FIN and RST shorten a connection TTL in the store', async () => {
    const vnf = uniqueVnf();
    const e = new Engine(engineConfig(['firewall'], { kind: 'redis', nodes: [r.server.node] }, { vnf, tables: { ...TABLES, timeouts } }));
    const c = { v: 4 as const, src: '10.0.0.5', dst: '203.0.113.9' };
    const s = { v: 4 as const, src: '203.0.113.9', dst: '10.0.0.5' };
    const pttl = async () => {
      const [key] = await r.client.keys(`snf:${vnf}:fw:*`);
      return r.client.pttl(key);
    };
    await send(e, 'inside', { ip: c, l4: { proto: 'tcp', sport: 40000, dport: 80, flags: 'S', seq: 1 } });
    expect(await pttl()).to.be.within(15000, 20000);
    await send(e, 'outside', { ip: s, l4: { proto: 'tcp', sport: 80, dport: 40000, flags: 'SA', seq: 9, ack: 2 } });
    await send(e, 'inside', { ip: c, l4: { proto: 'tcp', sport: 40000, dport: 80, flags: 'A', seq: 2, ack: 10 } });
    expect(await pttl(), 'established').to.be.within(55000, 60000);
    await send(e, 'inside', { ip: c, l4: { proto: 'tcp', sport: 40000, dport: 80, flags: 'FA', seq: 2, ack: 10 } });
    expect(await pttl(), 'after FIN').to.be.within(15000, 20000);
    await send(e, 'outside', { ip: s, l4: { proto: 'tcp', sport: 80, dport: 40000, flags: 'R', seq: 10 } });
    expect(await pttl(), 'after RST').to.be.within(1, 2000);
    e.close();
  });

  it('established flows cost one read per packet: refreshes ride along at most once per interval', async () => {
    const vnf = uniqueVnf();
    // Without the cache: what the store path itself costs (the cache test covers the rest).
    const e = new Engine(engineConfig(['nat'], { kind: 'redis', nodes: [r.server.node], cacheBytes: 0 }, { vnf, tables: { ...TABLES, timeouts: { ...timeouts, udpMs: 30000, refreshIntervalMs: 1000 } } }));
    const { buildFrame } = await import('../../support/packets.js');
    const frames = Array.from({ length: 32 }, (_, i) => ({
      side: 'inside' as const,
      data: buildFrame({ ip: { v: 4, src: `10.0.1.${i + 1}`, dst: '203.0.113.9' }, l4: { proto: 'udp', sport: 7000, dport: 53 } }),
    }));
    await e.process(frames); // creates 32 mappings
    const c0 = e.counters().store;
    for (let i = 0; i < 20; i++) await e.process(frames);
    const c1 = e.counters().store;
    // 20 batches x 32 packets: one GET each, one exchange per batch, no refresh within 1 s.
    expect(c1.commands - c0.commands).to.equal(20 * 32);
    expect(c1.roundTrips - c0.roundTrips).to.equal(20);
    e.close();
  });
});
