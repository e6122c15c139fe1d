// Two engines, one Redis: any instance can take any packet of any flow.
import { expect } from 'chai';
import { Engine, engineConfig, send, uniqueVnf } from '../../support/engine.js';
import { startRedis, type RedisServer } from '../../support/redis.js';
import type { NfKind } from '../../../src/dataplane/types.js';

describe('two engines sharing one Redis', function () {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  function pair(chain: NfKind[]): [Engine, Engine] {
    const vnf = uniqueVnf();
    const store = { kind: 'redis' as const, nodes: [redis.node] };
    return [new Engine(engineConfig(chain, store, { vnf, id: 'a' })), new Engine(engineConfig(chain, store, { vnf, id: 'b' }))];
  }

  it('a NAT mapping made by A translates the reply arriving at B', async () => {
    const [a, b] = pair(['nat']);
    const out = await send(a, 'inside', { ip: { v: 4, src: '10.0.0.5', dst: '203.0.113.9' }, l4: { proto: 'udp', sport: 5000, dport: 53 } });
    expect(out.out.verdict).to.equal('forward');
    const l4 = out.pkt!.l4 as { sport: number };
    const back = await send(b, 'outside', { ip: { v: 4, src: '203.0.113.9', dst: out.pkt!.ip.src }, l4: { proto: 'udp', sport: 53, dport: l4.sport } });
    expect(back.out.verdict).to.equal('forward');
    expect(back.pkt!.ip.dst).to.equal('10.0.0.5');
    a.close();
    b.close();
  });

  it('firewall: SYN through A, SYN-ACK through B, ACK through A (asymmetric routing)', async () => {
    const [a, b] = pair(['firewall']);
    const c = { v: 4 as const, src: '10.0.0.5', dst: '203.0.113.9' };
    const s = { v: 4 as const, src: '203.0.113.9', dst: '10.0.0.5' };
    expect((await send(a, 'inside', { ip: c, l4: { proto: 'tcp', sport: 40000, dport: 443, flags: 'S', seq: 10 } })).out.verdict).to.equal('forward');
    expect((await send(b, 'outside', { ip: s, l4: { proto: 'tcp', sport: 443, dport: 40000, flags: 'SA', seq: 70, ack: 11 } })).out.verdict).to.equal('forward');
    expect((await send(a, 'inside', { ip: c, l4: { proto: 'tcp', sport: 40000, dport: 443, flags: 'A', seq: 11, ack: 71 } })).out.verdict).to.equal('forward');
    // B sees data of a connection it never saw open: fine, the state is in the store.
    expect((await send(b, 'outside', { ip: s, l4: { proto: 'tcp', sport: 443, dport: 40000, flags: 'PA', seq: 71, ack: 11 }, payload: Buffer.from('x') })).out.verdict).to.equal('forward');
    a.close();
    b.close();
  });

  it('an LB flow assigned by A goes to the same backend through B', async () => {
    const [a, b] = pair(['lb']);
    for (let i = 0; i < 10; i++) {
      const spec = (flags: string) => ({ ip: { v: 4 as const, src: '198.18.0.1', dst: '192.0.2.10' }, l4: { proto: 'tcp' as const, sport: 9000 + i, dport: 80, flags, seq: 1 } });
      const first = await send(a, 'outside', spec('S'));
      const later = await send(b, 'outside', spec('A'));
      expect(later.pkt!.ip.dst).to.equal(first.pkt!.ip.dst);
    }
    a.close();
    b.close();
  });

  it('after A is destroyed, B carries every flow of the firewall + NAT chain', async () => {
    const [a, b] = pair(['firewall', 'nat']);
    const flows = Array.from({ length: 50 }, (_, i) => ({ src: `10.0.${i >> 4}.${(i & 15) + 1}`, sport: 30000 + i }));
    const mapped: { ip: string; port: number }[] = [];
    for (const f of flows) {
      const syn = await send(a, 'inside', { ip: { v: 4, src: f.src, dst: '203.0.113.9' }, l4: { proto: 'tcp', sport: f.sport, dport: 80, flags: 'S', seq: 100 } });
      const p = syn.pkt!.l4 as { sport: number };
      mapped.push({ ip: syn.pkt!.ip.src, port: p.sport });
      const sa = await send(a, 'outside', { ip: { v: 4, src: '203.0.113.9', dst: syn.pkt!.ip.src }, l4: { proto: 'tcp', sport: 80, dport: p.sport, flags: 'SA', seq: 500, ack: 101 } });
      expect(sa.out.verdict).to.equal('forward');
    }
    a.close();
    const frames = flows.flatMap((f, i) => [
      { side: 'inside' as const, spec: { ip: { v: 4 as const, src: f.src, dst: '203.0.113.9' }, l4: { proto: 'tcp' as const, sport: f.sport, dport: 80, flags: 'A', seq: 101, ack: 501 } } },
      { side: 'outside' as const, spec: { ip: { v: 4 as const, src: '203.0.113.9', dst: mapped[i].ip }, l4: { proto: 'tcp' as const, sport: 80, dport: mapped[i].port, flags: 'PA', seq: 501, ack: 101 } } },
    ]);
    let carried = 0;
    for (const fr of frames) {
      const r = await send(b, fr.side, fr.spec);
      if (r.out.verdict === 'forward') carried++;
    }
    expect(carried).to.equal(frames.length);
    b.close();
  });
});
