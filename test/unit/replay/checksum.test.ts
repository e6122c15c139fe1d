// The replay's checksum checker and its incremental rewrite, on real frames: the checker must
// catch a single wrong byte (else "every checksum right" would prove nothing), and a rewrite
// adjusted by RFC 1624 must verify as if recomputed from scratch.
import { expect } from 'chai';
import { join } from 'node:path';
import { verifyChecksums, patch, type ChecksumField } from '../../../src/replay/checksum.js';
import { loadCorpus } from '../../../src/replay/corpus.js';
import { PROTO } from '../../../src/replay/packet.js';

const DIR = join(import.meta.dirname, '../../../bench/trace/captures');
const corpus = loadCorpus(['zeek/smtp.pcap', 'zeek/dns-edns-ecs.pcap', 'zeek/communityid/icmp6.pcap'].map((f) => join(DIR, f)));
const complete = corpus.packets.filter((p) => verifyChecksums(p.frame).status === 'ok' && !p.view.frag);

describe('replay checksums', () => {
  it('real frames verify, in both families and on TCP, UDP and ICMPv6', () => {
    const kinds = new Set(complete.map((p) => `${p.view.family}/${p.view.proto}`));
    for (const k of ['4/6', '4/17', '6/17', '6/58']) expect(kinds, k).to.include(k);
  });

  it('one flipped byte anywhere in the IP packet is caught', () => {
    let caught = 0;
    for (const p of complete) {
      const b = Buffer.from(p.frame);
      const at = p.view.l3 + ((p.view.end - p.view.l3) >> 1);
      b[at] ^= 0x01;
      const v = verifyChecksums(b);
      expect(v.status, `packet with byte ${at} flipped`).to.equal('bad');
      caught++;
    }
    expect(caught).to.equal(complete.length);
  });

  it('rewriting the destination address and port keeps every checksum right', () => {
    for (const p of complete) {
      const v = p.view;
      if (v.l4 === undefined || (v.proto !== PROTO.TCP && v.proto !== PROTO.UDP)) continue;
      const b = Buffer.from(p.frame);
      const l4: ChecksumField = v.proto === PROTO.TCP ? { at: v.l4 + 16 } : { at: v.l4 + 6, udp: v.family };
      const addr = v.family === 4 ? Buffer.from([198, 51, 100, 7]) : Buffer.from('20010db800ff00000000000000000007', 'hex');
      patch(b, v.dstOff, addr, v.family === 4 ? [{ at: v.l3 + 10 }, l4] : [l4]);
      patch(b, v.l4 + 2, Buffer.from([0x10, 0x92]), [l4]);
      expect(b.subarray(v.dstOff, v.dstOff + addr.length).equals(addr)).to.equal(true);
      expect(verifyChecksums(b).status).to.equal('ok');
    }
  });
});
