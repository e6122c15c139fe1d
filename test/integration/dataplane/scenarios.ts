// NF scenarios that run unchanged on any store. Each asserts what the NF must do; the caller
// records the transcript of every frame so stores can be compared byte for byte.
import { expect } from 'chai';
import type { FrameOut, Side } from '../../../src/dataplane/types.js';
import type { DecodedFrame, FrameSpec } from '../../support/packets.js';

export interface Driver {
  send(side: Side, spec: FrameSpec): Promise<{ out: FrameOut; pkt?: DecodedFrame }>;
  configure?(tables: import('../../../src/dataplane/types.js').NfTables): void;
}

const POOL4 = ['198.51.100.1', '198.51.100.2'];

function l4(p: DecodedFrame | undefined) {
  if (!p?.l4) throw new Error('no L4 header in output');
  return p.l4;
}
function ports(p: DecodedFrame | undefined): { sport: number; dport: number } {
  const x = l4(p);
  if (x.proto !== 'tcp' && x.proto !== 'udp') throw new Error(`not TCP/UDP: ${x.proto}`);
  return { sport: x.sport, dport: x.dport };
}
function fwd(r: { out: FrameOut }, what: string): void {
  expect(r.out.verdict, `${what}: ${r.out.reason ?? ''}`).to.equal('forward');
}
function drop(r: { out: FrameOut }, reason: string, what: string): void {
  expect(r.out.verdict, what).to.equal('drop');
  expect(r.out.reason, what).to.equal(reason);
}

const v4 = (src: string, dst: string) => ({ v: 4 as const, src, dst });
const v6 = (src: string, dst: string) => ({ v: 6 as const, src, dst });

export const natScenarios: Record<string, (d: Driver) => Promise<void>> = {
  async 'TCP both directions, endpoint-independent mapping'(d) {
    const syn = await d.send('inside', { ip: v4('10.0.0.5', '203.0.113.9'), l4: { proto: 'tcp', sport: 40000, dport: 80, flags: 'S', seq: 100 } });
    fwd(syn, 'SYN');
    expect(POOL4).to.include(syn.pkt!.ip.src);
    expect(syn.pkt!.ip.dst).to.equal('203.0.113.9');
    const ext = ports(syn.pkt).sport;
    expect(ext).to.be.within(20000, 29999);
    const synack = await d.send('outside', { ip: v4('203.0.113.9', syn.pkt!.ip.src), l4: { proto: 'tcp', sport: 80, dport: ext, flags: 'SA', seq: 900, ack: 101 } });
    fwd(synack, 'SYN-ACK');
    expect(synack.pkt!.ip.dst).to.equal('10.0.0.5');
    expect(ports(synack.pkt).dport).to.equal(40000);
    // Same inside endpoint, another destination: the same mapping (RFC 4787 REQ-1).
    const other = await d.send('inside', { ip: v4('10.0.0.5', '203.0.113.77'), l4: { proto: 'tcp', sport: 40000, dport: 443, flags: 'S', seq: 5 } });
    fwd(other, 'SYN to a second destination');
    expect(other.pkt!.ip.src).to.equal(syn.pkt!.ip.src);
    expect(ports(other.pkt).sport).to.equal(ext);
  },

  async 'UDP with payload, VLAN tag kept, filtering endpoint-independent'(d) {
    const out = await d.send('inside', { vlan: 42, ip: v4('10.0.0.6', '203.0.113.53'), l4: { proto: 'udp', sport: 5353, dport: 53 }, payload: Buffer.from('query') });
    fwd(out, 'UDP out');
    expect(out.pkt!.vlan.map((v) => v.id)).to.deep.equal([42]);
    expect(out.pkt!.l4 && out.pkt!.l4.proto === 'udp' && out.pkt!.l4.payload.toString()).to.equal('query');
    const { sport } = ports(out.pkt);
    const back = await d.send('outside', { ip: v4('198.18.7.7', out.pkt!.ip.src), l4: { proto: 'udp', sport: 9999, dport: sport }, payload: Buffer.from('hi') });
    fwd(back, 'UDP from a third party to the mapping');
    expect(back.pkt!.ip.dst).to.equal('10.0.0.6');
    expect(ports(back.pkt).dport).to.equal(5353);
  },

  async 'UDP with checksum 0 over IPv4 stays 0'(d) {
    const out = await d.send('inside', { ip: v4('10.0.0.7', '203.0.113.53'), l4: { proto: 'udp', sport: 7000, dport: 53, checksum: 'zero' } });
    fwd(out, 'UDP no-checksum');
    expect(out.pkt!.l4 && out.pkt!.l4.proto === 'udp' && out.pkt!.l4.checksum).to.equal(0);
  },

  async 'ICMP echo id translated and restored'(d) {
    const req = await d.send('inside', { ip: v4('10.0.0.8', '203.0.113.1'), l4: { proto: 'icmp', type: 'echo-request', id: 77, seq: 1 } });
    fwd(req, 'echo request');
    const id = (l4(req.pkt) as { id?: number }).id!;
    const rep = await d.send('outside', { ip: v4('203.0.113.1', req.pkt!.ip.src), l4: { proto: 'icmp', type: 'echo-reply', id, seq: 1 } });
    fwd(rep, 'echo reply');
    expect(rep.pkt!.ip.dst).to.equal('10.0.0.8');
    expect((l4(rep.pkt) as { id?: number }).id).to.equal(77);
  },

  async 'ICMP errors translated in both directions, embedded headers too'(d) {
    const out = await d.send('inside', { ip: v4('10.0.0.9', '203.0.113.53'), l4: { proto: 'udp', sport: 6000, dport: 53 }, payload: Buffer.from('x') });
    fwd(out, 'UDP out');
    const ext = out.pkt!.ip.src;
    const extPort = ports(out.pkt).sport;
    // A router outside says the datagram could not be delivered.
    const err = await d.send('outside', {
      ip: v4('203.0.113.254', ext),
      l4: { proto: 'icmp', type: 'dest-unreachable', code: 3, inner: { ip: v4(ext, '203.0.113.53'), l4: { proto: 'udp', sport: extPort, dport: 53 }, payload: Buffer.from('x') } },
    });
    fwd(err, 'inbound ICMP error');
    expect(err.pkt!.ip.dst).to.equal('10.0.0.9');
    const inner = (l4(err.pkt) as { inner?: DecodedFrame }).inner!;
    expect(inner.ip.src).to.equal('10.0.0.9');
    expect(ports(inner).sport).to.equal(6000);
    // The inside host answers a reply with port unreachable: the embedded packet is the reply.
    const back = await d.send('inside', {
      ip: v4('10.0.0.9', '203.0.113.53'),
      l4: { proto: 'icmp', type: 'dest-unreachable', code: 3, inner: { ip: v4('203.0.113.53', '10.0.0.9'), l4: { proto: 'udp', sport: 53, dport: 6000 }, payload: Buffer.from('reply') } },
    });
    fwd(back, 'outbound ICMP error');
    expect(back.pkt!.ip.src).to.equal(ext);
    const inner2 = (l4(back.pkt) as { inner?: DecodedFrame }).inner!;
    expect(inner2.ip.dst).to.equal(ext);
    expect(ports(inner2).dport).to.equal(extPort);
  },

  async 'IPv6 source NAT'(d) {
    const out = await d.send('inside', { ip: v6('fd00::5', '2001:db8::9'), l4: { proto: 'udp', sport: 1234, dport: 53 } });
    fwd(out, 'v6 out');
    expect(out.pkt!.ip.src).to.equal('2001:db8:ff::1');
    const back = await d.send('outside', { ip: v6('2001:db8::9', '2001:db8:ff::1'), l4: { proto: 'udp', sport: 53, dport: ports(out.pkt).sport } });
    fwd(back, 'v6 back');
    expect(back.pkt!.ip.dst).to.equal('fd00::5');
    const ping = await d.send('inside', { ip: v6('fd00::5', '2001:db8::9'), l4: { proto: 'icmp', type: 'echo-request', id: 9, seq: 1 } });
    fwd(ping, 'v6 echo');
  },

  async 'no mapping, not inside, later fragments: dropped with reasons'(d) {
    drop(await d.send('outside', { ip: v4('203.0.113.9', '198.51.100.1'), l4: { proto: 'udp', sport: 53, dport: 21000 } }), 'nat_no_mapping', 'unsolicited');
    drop(await d.send('outside', { ip: v4('203.0.113.9', '198.51.100.99'), l4: { proto: 'udp', sport: 53, dport: 21000 } }), 'nat_no_mapping', 'not our address');
    drop(await d.send('inside', { ip: v4('172.16.0.1', '203.0.113.9'), l4: { proto: 'udp', sport: 53, dport: 53 } }), 'nat_not_inside', 'foreign source');
    drop(await d.send('inside', { ip: { ...v4('10.0.0.5', '203.0.113.9'), fragOffset: 8 }, l4: { proto: 'raw', protocol: 17 }, payload: Buffer.alloc(16) }), 'fragment_no_state', 'later fragment');
  },
};

export const fwScenarios: Record<string, (d: Driver) => Promise<void>> = {
  async 'TCP lifecycle: handshake, data, FIN both ways'(d) {
    const c = v4('10.0.0.5', '203.0.113.9');
    const s = v4('203.0.113.9', '10.0.0.5');
    const t = (sport: number, dport: number, flags: string, seq: number, ack = 0) => ({ proto: 'tcp' as const, sport, dport, flags, seq, ack });
    fwd(await d.send('inside', { ip: c, l4: t(41000, 80, 'S', 1000) }), 'SYN');
    fwd(await d.send('inside', { ip: c, l4: t(41000, 80, 'S', 1000) }), 'retransmitted SYN');
    fwd(await d.send('outside', { ip: s, l4: t(80, 41000, 'SA', 7000, 1001) }), 'SYN-ACK');
    fwd(await d.send('inside', { ip: c, l4: t(41000, 80, 'A', 1001, 7001) }), 'ACK');
    fwd(await d.send('inside', { ip: c, l4: t(41000, 80, 'PA', 1001, 7001), payload: Buffer.from('GET /') }), 'request');
    fwd(await d.send('outside', { ip: s, l4: t(80, 41000, 'PA', 7001, 1006), payload: Buffer.from('200 OK') }), 'response');
    fwd(await d.send('inside', { ip: c, l4: t(41000, 80, 'FA', 1006, 7007) }), 'FIN out');
    fwd(await d.send('outside', { ip: s, l4: t(80, 41000, 'FA', 7007, 1007) }), 'FIN in');
    fwd(await d.send('inside', { ip: c, l4: t(41000, 80, 'A', 1007, 7008) }), 'last ACK');
    drop(await d.send('outside', { ip: s, l4: t(80, 41000, 'PA', 7008, 1007), payload: Buffer.from('late') }), 'fw_bad_tcp_state', 'data after close');
  },

  async 'rules decide new connections'(d) {
    drop(await d.send('outside', { ip: v4('203.0.113.9', '10.0.0.9'), l4: { proto: 'tcp', sport: 5000, dport: 22, flags: 'S', seq: 1 } }), 'fw_rule_deny', 'inbound ssh');
    fwd(await d.send('outside', { ip: v4('203.0.113.9', '10.0.0.80'), l4: { proto: 'tcp', sport: 5000, dport: 80, flags: 'S', seq: 1 } }), 'inbound web');
    drop(await d.send('inside', { ip: v4('10.0.0.5', '203.0.113.9'), l4: { proto: 'tcp', sport: 5001, dport: 23, flags: 'S', seq: 1 } }), 'fw_rule_deny', 'telnet out');
    drop(await d.send('outside', { ip: v4('203.0.113.9', '10.0.0.5'), l4: { proto: 'udp', sport: 53, dport: 5353 } }), 'fw_rule_deny', 'unsolicited UDP');
  },

  async 'only tracked connections pass back'(d) {
    drop(await d.send('outside', { ip: v4('203.0.113.9', '10.0.0.5'), l4: { proto: 'tcp', sport: 80, dport: 42000, flags: 'A', seq: 1, ack: 1 } }), 'fw_no_connection', 'stray ACK');
    drop(await d.send('inside', { ip: v4('10.0.0.5', '203.0.113.9'), l4: { proto: 'tcp', sport: 42000, dport: 80, flags: 'A', seq: 1, ack: 1 } }), 'fw_no_connection', 'ACK without SYN');
    fwd(await d.send('inside', { ip: v4('10.0.0.5', '203.0.113.9'), l4: { proto: 'tcp', sport: 42001, dport: 80, flags: 'S', seq: 50 } }), 'SYN');
    drop(await d.send('outside', { ip: v4('203.0.113.9', '10.0.0.5'), l4: { proto: 'tcp', sport: 80, dport: 42001, flags: 'SA', seq: 9, ack: 999 } }), 'fw_bad_tcp_state', 'SYN-ACK acking the wrong ISN');
    fwd(await d.send('outside', { ip: v4('203.0.113.9', '10.0.0.5'), l4: { proto: 'tcp', sport: 80, dport: 42001, flags: 'SA', seq: 9, ack: 51 } }), 'right SYN-ACK');
    fwd(await d.send('inside', { ip: v4('10.0.0.5', '203.0.113.9'), l4: { proto: 'udp', sport: 5353, dport: 53 } }), 'UDP out');
    fwd(await d.send('outside', { ip: v4('203.0.113.9', '10.0.0.5'), l4: { proto: 'udp', sport: 53, dport: 5353 } }), 'UDP reply');
    fwd(await d.send('inside', { ip: v4('10.0.0.5', '203.0.113.9'), l4: { proto: 'icmp', type: 'echo-request', id: 3, seq: 1 } }), 'ping');
    fwd(await d.send('outside', { ip: v4('203.0.113.9', '10.0.0.5'), l4: { proto: 'icmp', type: 'echo-reply', id: 3, seq: 1 } }), 'pong');
    drop(await d.send('outside', { ip: v4('203.0.113.9', '10.0.0.5'), l4: { proto: 'icmp', type: 'echo-reply', id: 4, seq: 1 } }), 'fw_no_connection', 'unsolicited pong');
  },

  async 'RST needs a sane sequence number, ICMP errors need a tracked flow'(d) {
    const c = v4('10.0.0.5', '203.0.113.9');
    const s = v4('203.0.113.9', '10.0.0.5');
    fwd(await d.send('inside', { ip: c, l4: { proto: 'tcp', sport: 43000, dport: 80, flags: 'S', seq: 0x10000000 } }), 'SYN');
    fwd(await d.send('outside', { ip: s, l4: { proto: 'tcp', sport: 80, dport: 43000, flags: 'SA', seq: 0x20000000, ack: 0x10000001 } }), 'SYN-ACK');
    fwd(await d.send('inside', { ip: c, l4: { proto: 'tcp', sport: 43000, dport: 80, flags: 'A', seq: 0x10000001, ack: 0x20000001 } }), 'ACK');
    const err = { ip: v4('198.18.0.1', '10.0.0.5'), l4: { proto: 'icmp' as const, type: 'time-exceeded' as const, inner: { ip: v4('10.0.0.5', '203.0.113.9'), l4: { proto: 'tcp' as const, sport: 43000, dport: 80, flags: 'A', seq: 1 } } } };
    fwd(await d.send('outside', err), 'related ICMP error');
    const unrelated = { ...err, l4: { ...err.l4, inner: { ...err.l4.inner, l4: { ...err.l4.inner.l4, sport: 43999 } } } };
    drop(await d.send('outside', unrelated), 'fw_no_connection', 'unrelated ICMP error');
    drop(await d.send('outside', { ip: s, l4: { proto: 'tcp', sport: 80, dport: 43000, flags: 'R', seq: 0x20000001 - 0x100000 } }), 'fw_bad_tcp_state', 'RST behind the ISN');
    fwd(await d.send('outside', { ip: s, l4: { proto: 'tcp', sport: 80, dport: 43000, flags: 'R', seq: 0x20000100 } }), 'sane RST');
    drop(await d.send('inside', { ip: c, l4: { proto: 'tcp', sport: 43000, dport: 80, flags: 'PA', seq: 0x10000001, ack: 0x20000001 }, payload: Buffer.from('x') }), 'fw_bad_tcp_state', 'data after RST');
    fwd(await d.send('inside', { ip: c, l4: { proto: 'tcp', sport: 43000, dport: 80, flags: 'S', seq: 0x30000000 } }), 'port reuse after RST');
  },
};

export const lbScenarios: Record<string, (d: Driver) => Promise<void>> = {
  async 'TCP to a VIP: backend chosen once, replies back from the VIP'(d) {
    const syn = await d.send('outside', { ip: v4('198.18.0.1', '192.0.2.10'), l4: { proto: 'tcp', sport: 5000, dport: 80, flags: 'S', seq: 1 } });
    fwd(syn, 'SYN');
    const be = syn.pkt!.ip.dst;
    expect(['10.1.0.1', '10.1.0.2', '10.1.0.3']).to.include(be);
    expect(ports(syn.pkt).dport).to.equal(8080);
    const synack = await d.send('inside', { ip: v4(be, '198.18.0.1'), l4: { proto: 'tcp', sport: 8080, dport: 5000, flags: 'SA', seq: 5, ack: 2 } });
    fwd(synack, 'SYN-ACK');
    expect(synack.pkt!.ip.src).to.equal('192.0.2.10');
    expect(ports(synack.pkt).sport).to.equal(80);
    for (let i = 0; i < 3; i++) {
      const data = await d.send('outside', { ip: v4('198.18.0.1', '192.0.2.10'), l4: { proto: 'tcp', sport: 5000, dport: 80, flags: 'PA', seq: 2 + i, ack: 6 } });
      expect(data.pkt!.ip.dst, 'every packet to the same backend').to.equal(be);
    }
  },

  async 'weighted least-connections spreads new flows by weight'(d) {
    const count: Record<string, number> = {};
    for (let i = 0; i < 40; i++) {
      const r = await d.send('outside', { ip: v4(`198.18.1.${i + 1}`, '192.0.2.10'), l4: { proto: 'tcp', sport: 6000 + i, dport: 80, flags: 'S', seq: 1 } });
      fwd(r, 'SYN');
      count[r.pkt!.ip.dst] = (count[r.pkt!.ip.dst] ?? 0) + 1;
    }
    // Weights 1:1:2 over 40 flows: least-connections over weights is exact here.
    expect(count).to.deep.equal({ '10.1.0.1': 10, '10.1.0.2': 10, '10.1.0.3': 20 });
  },

  async 'UDP VIP without backend port, and what is not for a VIP'(d) {
    const q = await d.send('outside', { ip: v4('198.18.0.9', '192.0.2.53'), l4: { proto: 'udp', sport: 3333, dport: 53 } });
    fwd(q, 'DNS to VIP');
    expect(q.pkt!.ip.dst).to.equal('10.1.1.1');
    expect(ports(q.pkt).dport).to.equal(53);
    drop(await d.send('outside', { ip: v4('198.18.0.9', '192.0.2.99'), l4: { proto: 'udp', sport: 3333, dport: 53 } }), 'lb_no_vip', 'not a VIP');
    drop(await d.send('inside', { ip: v4('10.1.0.1', '198.18.0.77'), l4: { proto: 'tcp', sport: 8080, dport: 4444, flags: 'SA', seq: 1, ack: 1 } }), 'lb_no_backend', 'reply without assignment');
  },

  async 'a drained backend keeps its flows and gets no new ones'(d) {
    if (!d.configure) return;
    const firsts: { port: number; be: string }[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await d.send('outside', { ip: v4('198.18.2.1', '192.0.2.10'), l4: { proto: 'tcp', sport: 7000 + i, dport: 80, flags: 'S', seq: 1 } });
      firsts.push({ port: 7000 + i, be: r.pkt!.ip.dst });
    }
    expect(firsts.some((f) => f.be === '10.1.0.1')).to.equal(true);
    const drained = structuredClone((await import('../../support/engine.js')).TABLES);
    drained.lb!.vips[0].backends[0].state = 'drained';
    d.configure(drained);
    for (const f of firsts) {
      const r = await d.send('outside', { ip: v4('198.18.2.1', '192.0.2.10'), l4: { proto: 'tcp', sport: f.port, dport: 80, flags: 'A', seq: 2, ack: 1 } });
      expect(r.pkt!.ip.dst, 'existing flow keeps its backend').to.equal(f.be);
    }
    for (let i = 0; i < 12; i++) {
      const r = await d.send('outside', { ip: v4('198.18.3.1', '192.0.2.10'), l4: { proto: 'tcp', sport: 8000 + i, dport: 80, flags: 'S', seq: 1 } });
      expect(r.pkt!.ip.dst, 'no new flow to the drained backend').to.not.equal('10.1.0.1');
    }
  },
};
