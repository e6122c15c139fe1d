// Malformed frames are counted by reason and dropped; the engine goes on as if nothing happened.
import { expect } from 'chai';
import { Engine, engineConfig, send } from '../../support/engine.js';
import { buildFrame, malformedFrames, truncations } from '../../support/packets.js';
import type { NfKind } from '../../../src/dataplane/types.js';

describe('malformed frames', () => {
  for (const chain of [['nat'], ['firewall'], ['lb'], ['firewall', 'nat']] as NfKind[][]) {
    it(`${chain.join('+')}: every class dropped with a reason, then traffic still flows`, async () => {
      const e = new Engine(engineConfig(chain, { kind: 'local' }));
      const bad = malformedFrames();
      expect(bad.length).to.be.greaterThan(15);
      const outs = await e.process(bad.flatMap((m) => [{ side: 'inside' as const, data: m.frame }, { side: 'outside' as const, data: m.frame }]));
      outs.forEach((o, i) => {
        const m = bad[i >> 1];
        expect(o.verdict, m.name).to.equal('drop');
        expect(o.reason, m.name).to.be.a('string');
      });
      // Where the class names an engine reason, the engine must agree with it.
      const named = ['truncated', 'bad_ethertype', 'bad_ip_version', 'bad_ihl', 'bad_ip_length', 'bad_ipv6_chain', 'bad_options'];
      bad.forEach((m, i) => {
        // A chain of unknown extension headers ends the walk at an unknown protocol.
        const alike = m.kind === 'bad_ipv6_chain' ? ['unsupported_proto'] : [];
        if (named.includes(m.kind)) expect(outs[2 * i].reason, m.name).to.be.oneOf([m.kind, 'truncated', 'bad_l4_header', 'bad_ip_length', ...alike]);
      });
      const total = Object.values(e.counters().drops).reduce((a, b) => a + (b ?? 0), 0);
      expect(total).to.equal(outs.length);
      // Every truncation of a valid TCP frame is handled.
      const good = buildFrame({ ip: { v: 4, src: '10.0.0.5', dst: '203.0.113.9', options: Buffer.from([1, 1, 1, 0]) }, l4: { proto: 'tcp', sport: 1, dport: 80, flags: 'S', seq: 1 }, payload: Buffer.from('abc') });
      const cut = await e.process(truncations(good).map((data) => ({ side: 'inside' as const, data })));
      expect(cut.every((o) => o.verdict === 'drop')).to.equal(true);
      const spec = chain[0] === 'lb'
        ? { side: 'outside' as const, ip: { v: 4 as const, src: '198.18.0.1', dst: '192.0.2.10' }, l4: { proto: 'tcp' as const, sport: 2, dport: 80, flags: 'S', seq: 1 } }
        : { side: 'inside' as const, ip: { v: 4 as const, src: '10.0.0.5', dst: '203.0.113.9' }, l4: { proto: 'tcp' as const, sport: 2, dport: 80, flags: 'S', seq: 1 } };
      expect((await send(e, spec.side, spec)).out.verdict).to.equal('forward');
      e.close();
    });
  }
});
