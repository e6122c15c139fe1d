import { expect } from 'chai';
import {
  buildFrame,
  buildPacket,
  decodeFrame,
  decodePacket,
  checkChecksums,
  internetChecksum,
  onesSum,
  fragmentPacket,
  malformedFrames,
  truncations,
  formatV6,
  ipToBytes,
  ipOffset,
  tcpFlagBits,
  fiveTuple,
  PacketDecodeError,
  type FrameSpec,
  type DecodedTcp,
  type DecodedUdp,
  type DecodedIcmp,
  type DecodedIpv4,
  type DecodedIpv6,
} from '../../support/packets.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// Frames captured with an AF_PACKET socket on this machine's loopback (MACs are zero on lo).
// The kernel computes RST and ICMP checksums in software, so those are real known answers; the SYN
// and the UDP datagram were captured with checksum offload, so their L4 checksum fields hold only
// the partial pseudo-header sum. Correct values for those were computed by a separate Python
// implementation: 0x315b (SYN) and 0x7ef9 (IPv6 RST).
const CAP_RST4 = hex('000000000000000000000000 0800 45000028 00004000 40063cce 7f000001 7f000001 0009df90 00000000 64be78bd 50140000 f4b80000');
const CAP_SYN4 = hex('000000000000000000000000 0800 4500003c a84c4000 4006946d 7f000001 7f000001 df900009 64be78bc 00000000 a002ffd7 fe300000 0204ffd7 0402080a 9c0dc581 00000000 0103030a');
const CAP_ICMP_UNREACH = hex('000000000000000000000000 0800 45c00039 26520000 400155b0 7f000001 7f000001 03039f93 00000000 4500001d f5c84000 40114705 7f000001 7f000001 e7390009 0009fe1c 78');
const CAP_RST6 = hex('000000000000000000000000 86dd 60009d46 00140640 00000000000000000000000000000001 00000000000000000000000000000001 0009908e 00000000 90730fcb 50140000 001c0000');

function withChecksum(frame: Buffer, at: number, v: number): Buffer {
  const f = Buffer.from(frame);
  f.writeUInt16BE(v, at);
  return f;
}

describe('test/support/packets', () => {
  describe('known answers', () => {
    it('IPv4 header checksum of the classic example is 0xb861', () => {
      const h = hex('4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7');
      expect(internetChecksum(h)).to.equal(0xb861);
      h.writeUInt16BE(0xb861, 10);
      expect(onesSum(h)).to.equal(0xffff);
    });

    it('verifies a kernel-generated IPv4 TCP RST', () => {
      expect(checkChecksums(CAP_RST4)).to.deep.equal({ ip: true, l4: true, l4Proto: 'tcp', ok: true });
      const d = decodeFrame(CAP_RST4);
      const ip = d.ip as DecodedIpv4;
      expect(ip).to.include({ src: '127.0.0.1', dst: '127.0.0.1', ttl: 64, df: true, mf: false, proto: 6, totalLength: 40 });
      expect(d.l4).to.include({ proto: 'tcp', sport: 9, dport: 57232, seq: 0, ack: 0x64be78bd, flags: 'RA', window: 0 });
    });

    it('verifies a kernel ICMP port unreachable and reports the embedded offload-partial UDP checksum as wrong', () => {
      const r = checkChecksums(CAP_ICMP_UNREACH);
      expect(r).to.deep.equal({ ip: true, l4: true, l4Proto: 'icmp', inner: { ip: true, l4: false }, ok: false });
      const icmp = decodeFrame(CAP_ICMP_UNREACH).l4 as DecodedIcmp;
      expect(icmp).to.include({ type: 3, code: 3, kind: 'dest-unreachable' });
      expect(icmp.inner!.ip).to.include({ src: '127.0.0.1', dst: '127.0.0.1', proto: 17, ttl: 64 });
      expect(icmp.inner!.l4).to.include({ proto: 'udp', sport: 0xe739, dport: 9, length: 9 });
      expect((icmp.inner!.l4 as DecodedUdp).payload.toString()).to.equal('x');
    });

    it('flags the offloaded SYN and accepts it with the independently computed checksum', () => {
      expect(checkChecksums(CAP_SYN4)).to.include({ ip: true, l4: false, ok: false });
      expect(checkChecksums(withChecksum(CAP_SYN4, 14 + 20 + 16, 0x315b))).to.include({ ip: true, l4: true, ok: true });
      expect(checkChecksums(CAP_RST6)).to.include({ l4: false });
      expect(checkChecksums(withChecksum(CAP_RST6, 14 + 40 + 16, 0x7ef9))).to.deep.equal({ l4: true, l4Proto: 'tcp', ok: true });
    });

    it('rebuilds the captured SYN and IPv6 RST byte for byte (checksums included)', () => {
      const syn = buildFrame({
        eth: { src: '00:00:00:00:00:00', dst: '00:00:00:00:00:00' },
        ip: { v: 4, src: '127.0.0.1', dst: '127.0.0.1', id: 0xa84c, df: true, ttl: 64 },
        l4: { proto: 'tcp', sport: 57232, dport: 9, seq: 0x64be78bc, flags: 'S', window: 0xffd7, options: hex('0204ffd70402080a9c0dc581000000000103030a') },
      });
      expect(syn.toString('hex')).to.equal(withChecksum(CAP_SYN4, 14 + 20 + 16, 0x315b).toString('hex'));
      const rst6 = buildFrame({
        eth: { src: '00:00:00:00:00:00', dst: '00:00:00:00:00:00' },
        ip: { v: 6, src: '::1', dst: '::1', flowLabel: 0x09d46, hopLimit: 64 },
        l4: { proto: 'tcp', sport: 9, dport: 0x908e, seq: 0, ack: 0x90730fcb, flags: 'RA', window: 0 },
      });
      expect(rst6.toString('hex')).to.equal(withChecksum(CAP_RST6, 14 + 40 + 16, 0x7ef9).toString('hex'));
    });
  });

  describe('round trips', () => {
    const cases: [string, FrameSpec][] = [
      ['ipv4 tcp with options, vlan and payload', {
        vlan: { id: 100, pcp: 5 },
        ip: { v: 4, src: '10.0.0.1', dst: '192.0.2.7', ttl: 3, id: 777, tos: 0x10, df: true, options: hex('940400') },
        l4: { proto: 'tcp', sport: 40000, dport: 443, seq: 0xfffffff0, ack: 12345, flags: 'PA', window: 512, urgent: 0, options: hex('0101080a0000000100000002') },
        payload: Buffer.from('GET / HTTP/1.1\r\n\r\n'),
      }],
      ['ipv4 udp odd length', { ip: { v: 4, src: '10.0.0.1', dst: '10.0.0.2' }, l4: { proto: 'udp', sport: 5353, dport: 53 }, payload: Buffer.from('abc') }],
      ['ipv4 icmp echo', { ip: { v: 4, src: '10.0.0.1', dst: '8.8.8.8' }, l4: { proto: 'icmp', type: 'echo-request', id: 0xbeef, seq: 7 }, payload: Buffer.alloc(56, 1) }],
      ['ipv6 udp behind a full extension chain', {
        ip: { v: 6, src: 'fd00::1', dst: '2001:db8::5', hopLimit: 9, trafficClass: 0xb8, flowLabel: 0xabcde, ext: [
          { type: 'hop-by-hop' }, { type: 'dest-opts', options: hex('1e03aabbcc') }, { type: 'routing', routingType: 0, segmentsLeft: 0, addresses: ['2001:db8::99'] }, { type: 'fragment', offset: 0, more: false, id: 99 },
        ] },
        l4: { proto: 'udp', sport: 1000, dport: 2000 },
        payload: Buffer.from('payload'),
      }],
      ['ipv6 icmpv6 echo reply, QinQ', { vlan: [{ id: 10, tpid: 0x88a8 }, { id: 20 }], ip: { v: 6, src: '2001:db8::1', dst: '2001:db8::2' }, l4: { proto: 'icmp', type: 'echo-reply', id: 1, seq: 2 }, payload: Buffer.from('ping') }],
    ];
    for (const [name, spec] of cases) {
      it(name, () => {
        const f = buildFrame(spec);
        const d = decodeFrame(f);
        expect(checkChecksums(f).ok, JSON.stringify(checkChecksums(f))).to.equal(true);
        expect(d.ip.src).to.equal(formatV6orV4(spec.ip.src));
        expect(d.ip.dst).to.equal(formatV6orV4(spec.ip.dst));
        if (spec.payload) expect((d.l4 as { payload: Buffer }).payload.equals(spec.payload)).to.equal(true);
        if (spec.ip.v === 4) {
          expect(d.ip).to.include({ ttl: spec.ip.ttl ?? 64, id: spec.ip.id ?? 0x1234, df: spec.ip.df ?? false, totalLength: f.length - ipOffset(f) });
        } else {
          const ip6 = d.ip as DecodedIpv6;
          expect(ip6.ext.map((e) => e.name)).to.deep.equal((spec.ip.ext ?? []).map((e) => e.type));
          expect(ip6).to.include({ hopLimit: spec.ip.hopLimit ?? 64, flowLabel: spec.ip.flowLabel ?? 0 });
        }
        if (spec.l4.proto === 'tcp') {
          const t = d.l4 as DecodedTcp;
          expect(t).to.include({ sport: spec.l4.sport, dport: spec.l4.dport, seq: spec.l4.seq, ack: spec.l4.ack, flags: spec.l4.flags, window: spec.l4.window });
          expect(t.options.equals(spec.l4.options!)).to.equal(true);
        }
        const tags = spec.vlan === undefined ? [] : typeof spec.vlan === 'number' ? [spec.vlan] : Array.isArray(spec.vlan) ? spec.vlan.map((v) => v.id) : [spec.vlan.id];
        expect(d.vlan.map((v) => v.id)).to.deep.equal(tags);
      });
    }

    it('ICMP errors embed the original packet, v4 and v6', () => {
      const orig = buildPacket({ ip: { v: 4, src: '10.0.0.5', dst: '198.51.100.9', ttl: 1 }, l4: { proto: 'tcp', sport: 1234, dport: 80, flags: 'S', seq: 42 } });
      const f = buildFrame({ ip: { v: 4, src: '192.0.2.254', dst: '10.0.0.5' }, l4: { proto: 'icmp', type: 'time-exceeded', inner: orig, innerLength: 28 } });
      const icmp = decodeFrame(f).l4 as DecodedIcmp;
      expect(icmp).to.include({ type: 11, code: 0, kind: 'time-exceeded' });
      expect(icmp.inner!.truncated).to.equal(true);
      expect(icmp.inner!.ip).to.include({ src: '10.0.0.5', dst: '198.51.100.9', ttl: 1 });
      expect(icmp.inner!.l4).to.include({ proto: 'tcp', sport: 1234, dport: 80, seq: 42 });
      expect(checkChecksums(f)).to.deep.equal({ ip: true, l4: true, l4Proto: 'icmp', inner: { ip: true }, ok: true });

      const frag = buildFrame({ ip: { v: 4, src: '192.0.2.254', dst: '10.0.0.5' }, l4: { proto: 'icmp', type: 'dest-unreachable', code: 4, mtu: 1400, inner: orig } });
      const fi = decodeFrame(frag).l4 as DecodedIcmp;
      expect(fi.mtu).to.equal(1400);
      expect(checkChecksums(frag).inner).to.deep.equal({ ip: true, l4: true });

      const orig6 = { ip: { v: 6 as const, src: 'fd00::5', dst: '2001:db8::9' }, l4: { proto: 'udp' as const, sport: 5, dport: 53 }, payload: Buffer.alloc(2000, 7) };
      const f6 = buildFrame({ ip: { v: 6, src: '2001:db8::fe', dst: 'fd00::5' }, l4: { proto: 'icmp', type: 'packet-too-big', mtu: 1280, inner: orig6 } });
      expect(f6.length - 14).to.equal(1280);
      const i6 = decodeFrame(f6).l4 as DecodedIcmp;
      expect(i6).to.include({ proto: 'icmpv6', type: 2, mtu: 1280 });
      expect(i6.inner!.l4).to.include({ sport: 5, dport: 53 });
      expect(checkChecksums(f6)).to.deep.equal({ l4: true, l4Proto: 'icmpv6', inner: {}, ok: true });
    });

    it('ignores Ethernet padding after the IP packet', () => {
      const f = buildFrame({ ip: { v: 4, src: '10.0.0.1', dst: '10.0.0.2' }, l4: { proto: 'udp', sport: 1, dport: 2 }, payload: Buffer.from('hi') });
      const padded = Buffer.concat([f, Buffer.alloc(60 - f.length, 0xee)]);
      const d = decodeFrame(padded);
      expect((d.l4 as DecodedUdp).payload.toString()).to.equal('hi');
      expect(checkChecksums(padded).ok).to.equal(true);
      expect(fiveTuple(d)).to.deep.equal({ v: 4, proto: 17, src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2 });
    });

    it('caps an IPv4 ICMP error at 576 bytes by default', () => {
      const big = buildPacket({ ip: { v: 4, src: '10.0.0.1', dst: '10.0.0.2' }, l4: { proto: 'udp', sport: 1, dport: 2 }, payload: Buffer.alloc(1400) });
      const f = buildFrame({ ip: { v: 4, src: '10.0.0.9', dst: '10.0.0.1' }, l4: { proto: 'icmp', type: 'dest-unreachable', code: 1, inner: big } });
      expect(f.length - 14).to.equal(576);
    });

    it('fragments and the fragments reassemble (v4 and v6)', () => {
      for (const v of [4, 6] as const) {
        const ip = v === 4 ? { v, src: '10.0.0.1', dst: '10.0.0.2', df: false } : { v, src: 'fd00::1', dst: 'fd00::2', ext: [{ type: 'hop-by-hop' as const }] };
        const pkt = buildPacket({ ip, l4: { proto: 'udp', sport: 7, dport: 9 }, payload: Buffer.alloc(100, 3) });
        const frags = fragmentPacket(pkt, 48, 0x77);
        expect(frags).to.have.length(3);
        const parts = frags.map((f) => decodePacket(f));
        expect(parts[0].l4).to.include({ proto: 'udp', sport: 7, dport: 9 });
        expect(parts[1].l4).to.include({ proto: 'raw', protocol: 17 });
        const offs = parts.map((p) => (p.ip.v === 4 ? p.ip.fragOffset : p.ip.fragment!.offset));
        const more = parts.map((p) => (p.ip.v === 4 ? p.ip.mf : p.ip.fragment!.more));
        expect(offs).to.deep.equal([0, 48, 96]);
        expect(more).to.deep.equal([true, true, false]);
        for (const f of frags) {
          const r = checkChecksums(f, { packet: true });
          expect(r.l4).to.equal(undefined);
          if (v === 4) expect(r.ip).to.equal(true);
        }
        const body = Buffer.concat(frags.map((f, i) => {
          const p = parts[i];
          return f.subarray(p.ip.headerLength);
        }));
        const hl = v === 4 ? 20 : 48;
        expect(body.equals(pkt.subarray(hl))).to.equal(true);
      }
    });
  });

  describe('checksum rules', () => {
    it('any single flipped bit in the IP packet is caught (bad checksum or undecodable)', () => {
      const frames = [
        buildFrame({ ip: { v: 4, src: '10.0.0.1', dst: '10.0.0.2' }, l4: { proto: 'tcp', sport: 1, dport: 2, flags: 'S' }, payload: Buffer.from('xyz') }),
        buildFrame({ ip: { v: 6, src: 'fd00::1', dst: 'fd00::2' }, l4: { proto: 'udp', sport: 1, dport: 2 }, payload: Buffer.from('xyz') }),
        buildFrame({ ip: { v: 6, src: 'fd00::1', dst: 'fd00::2' }, l4: { proto: 'icmp', type: 'echo-request', id: 1, seq: 1 } }),
      ];
      for (const f of frames) {
        const v6 = f.readUInt16BE(12) === 0x86dd;
        for (let byte = 14; byte < f.length; byte++) {
          // IPv6 has no header checksum: traffic class, flow label and hop limit are covered by
          // nothing, and a changed next header makes the packet another (unchecked) protocol.
          if (v6 && [15, 16, 17, 20, 21].includes(byte)) continue;
          for (let bit = v6 && byte === 14 ? 4 : 0; bit < 8; bit++) {
            const g = Buffer.from(f);
            g[byte] ^= 1 << bit;
            let caught: boolean;
            try {
              caught = !checkChecksums(g).ok;
            } catch (e) {
              caught = e instanceof PacketDecodeError;
            }
            expect(caught, `byte ${byte} bit ${bit}`).to.equal(true);
          }
        }
      }
    });

    it('UDP zero checksum: allowed on IPv4, wrong on IPv6; a computed zero is sent as 0xffff', () => {
      const z4 = buildFrame({ ip: { v: 4, src: '10.0.0.1', dst: '10.0.0.2' }, l4: { proto: 'udp', sport: 1, dport: 2, checksum: 'zero' } });
      expect(checkChecksums(z4)).to.include({ l4: true, ok: true });
      const z6 = buildFrame({ ip: { v: 6, src: 'fd00::1', dst: 'fd00::2' }, l4: { proto: 'udp', sport: 1, dport: 2, checksum: 'zero' } });
      expect(checkChecksums(z6)).to.include({ l4: false, ok: false });
      // Find a payload whose checksum computes to zero, then check it is sent as 0xffff.
      const base = buildFrame({ ip: { v: 4, src: '10.0.0.1', dst: '10.0.0.2' }, l4: { proto: 'udp', sport: 1, dport: 2 }, payload: Buffer.alloc(2) });
      const ck = base.readUInt16BE(14 + 20 + 6);
      const pay = Buffer.alloc(2);
      pay.writeUInt16BE(ck, 0); // adding ~sum to the sum makes the complement zero
      const f = buildFrame({ ip: { v: 4, src: '10.0.0.1', dst: '10.0.0.2' }, l4: { proto: 'udp', sport: 1, dport: 2 }, payload: pay });
      expect(f.readUInt16BE(14 + 20 + 6)).to.equal(0xffff);
      expect(checkChecksums(f).ok).to.equal(true);
    });

    it('uses the final destination of a type 0 routing header in the pseudo-header', () => {
      const f = buildFrame({
        ip: { v: 6, src: 'fd00::1', dst: 'fd00::2', ext: [{ type: 'routing', routingType: 0, addresses: ['fd00::3', 'fd00::4'] }] },
        l4: { proto: 'tcp', sport: 1, dport: 2, flags: 'S' },
      });
      expect(checkChecksums(f).ok).to.equal(true);
      const viaDst = buildFrame({
        ip: { v: 6, src: 'fd00::1', dst: 'fd00::4' },
        l4: { proto: 'tcp', sport: 1, dport: 2, flags: 'S' },
      });
      expect(f.readUInt16BE(f.length - 20 + 16)).to.equal(viaDst.readUInt16BE(viaDst.length - 20 + 16));
    });

    it('explicit checksum overrides produce wrong checksums', () => {
      const f = buildFrame({ ip: { v: 4, src: '10.0.0.1', dst: '10.0.0.2', checksum: 0 }, l4: { proto: 'tcp', sport: 1, dport: 2, checksum: 1 } });
      expect(checkChecksums(f)).to.include({ ip: false, l4: false, ok: false });
    });
  });

  describe('malformed input', () => {
    it('covers every class once or more, with unique names', () => {
      const m = malformedFrames();
      expect(new Set(m.map((x) => x.name)).size).to.equal(m.length);
      const kinds = new Set(m.map((x) => x.kind));
      for (const k of ['truncated', 'bad_ethertype', 'bad_ip_version', 'bad_ihl', 'bad_ip_length', 'bad_ipv6_chain', 'bad_l4_header', 'bad_options', 'bad_icmp_inner', 'tiny_fragment']) {
        expect(kinds.has(k as never), k).to.equal(true);
      }
    });

    it('the strict decoder rejects the header-level classes', () => {
      const strict = ['truncated', 'bad_ethertype', 'bad_ip_version', 'bad_ihl', 'bad_ip_length', 'bad_ipv6_chain', 'bad_l4_header'];
      for (const m of malformedFrames().filter((x) => strict.includes(x.kind))) {
        expect(() => decodeFrame(m.frame), m.name).to.throw(PacketDecodeError);
      }
    });

    it('the other classes decode (the defect is deeper than headers) with checkable checksums', () => {
      for (const m of malformedFrames().filter((x) => ['bad_options', 'tiny_fragment'].includes(x.kind))) {
        expect(() => decodeFrame(m.frame), m.name).to.not.throw();
      }
      for (const m of malformedFrames().filter((x) => x.kind === 'bad_icmp_inner')) {
        const icmp = decodeFrame(m.frame).l4 as DecodedIcmp;
        expect(icmp.proto, m.name).to.match(/^icmp/);
        if (m.name.includes('cut at 10') || m.name.includes('IHL 3')) expect(icmp.innerError, m.name).to.be.a('string');
      }
    });

    it('every truncation of a valid frame is rejected', () => {
      const f = buildFrame({ vlan: 5, ip: { v: 6, src: 'fd00::1', dst: 'fd00::2', ext: [{ type: 'dest-opts' }] }, l4: { proto: 'tcp', sport: 1, dport: 2, flags: 'S' }, payload: Buffer.from('data') });
      const t = truncations(f);
      expect(t).to.have.length(f.length);
      for (const p of t) expect(() => decodeFrame(p), `length ${p.length}`).to.throw(PacketDecodeError);
    });
  });

  describe('helpers', () => {
    it('formats IPv6 per RFC 5952 and parses what it formats', () => {
      for (const [input, want] of [
        ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
        ['0:0:0:0:0:0:0:0', '::'],
        ['::1', '::1'],
        ['1::', '1::'],
        ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
        ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
        ['::ffff:192.0.2.1', '::ffff:c000:201'],
      ]) {
        expect(formatV6(ipToBytes(input))).to.equal(want);
        expect(ipToBytes(want).equals(ipToBytes(input))).to.equal(true);
      }
      expect(() => ipToBytes('1:::2')).to.throw();
      expect(() => ipToBytes('1.2.3.256')).to.throw();
    });

    it('maps TCP flag letters', () => {
      expect(tcpFlagBits('SA')).to.equal(0x12);
      expect(tcpFlagBits('FSRPAUEC')).to.equal(0xff);
      expect(() => tcpFlagBits('X')).to.throw(/unknown TCP flag/);
    });
  });
});

function formatV6orV4(s: string): string {
  return s.includes(':') ? formatV6(ipToBytes(s)) : s;
}
