// The capture reader on real public captures (bench/trace/captures, origins in its README), and on
// re-encodings of them that the test makes itself: the same frames written big-endian, with
// nanosecond timestamps, gzipped. A reader that got a byte order or a resolution wrong would
// return different frames for the two encodings of one capture. Broken files must fail with the
// field and the byte offset.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { CaptureError, parseCapture, type CapturedFrame } from '../../../src/replay/capture.js';
import { toEthernet, LINKTYPE } from '../../../src/replay/link.js';
import { parseFrame } from '../../../src/replay/packet.js';

const DIR = join(import.meta.dirname, '../../../bench/trace/captures');
const read = (f: string) => readFileSync(join(DIR, f));

/** Rewrites a little-endian pcap as big-endian (and optionally µs -> ns), record by record. */
function reencodePcap(le: Buffer, opts: { bigEndian: boolean; nanos: boolean }): Buffer {
  expect(le.readUInt32LE(0)).to.equal(0xa1b2c3d4);
  const out = Buffer.from(le);
  const w32 = (o: number, v: number) => (opts.bigEndian ? out.writeUInt32BE(v, o) : out.writeUInt32LE(v, o));
  const w16 = (o: number, v: number) => (opts.bigEndian ? out.writeUInt16BE(v, o) : out.writeUInt16LE(v, o));
  w32(0, opts.nanos ? 0xa1b23c4d : 0xa1b2c3d4);
  w16(4, le.readUInt16LE(4));
  w16(6, le.readUInt16LE(6));
  for (const o of [8, 12, 16, 20]) w32(o, le.readUInt32LE(o));
  let off = 24;
  while (off < le.length) {
    const incl = le.readUInt32LE(off + 8);
    w32(off, le.readUInt32LE(off));
    w32(off + 4, le.readUInt32LE(off + 4) * (opts.nanos ? 1000 : 1));
    w32(off + 8, incl);
    w32(off + 12, le.readUInt32LE(off + 12));
    off += 16 + incl;
  }
  return out;
}

function sameFrames(a: CapturedFrame[], b: CapturedFrame[]): void {
  expect(b.length).to.equal(a.length);
  a.forEach((f, i) => {
    expect(b[i].data.equals(f.data), `frame ${i} bytes`).to.equal(true);
    expect(b[i].tsNs, `frame ${i} time`).to.equal(f.tsNs);
    expect(b[i].origLen).to.equal(f.origLen);
    expect(b[i].linkType).to.equal(f.linkType);
  });
}

describe('capture reader', () => {
  describe('pcap', () => {
    it('reads a little-endian µs capture whole: records tile the file, times ascend', () => {
      const buf = read('zeek/http-qinq-0.pcap');
      const c = parseCapture(buf, 'http-qinq-0.pcap');
      expect(c.format).to.equal('pcap');
      expect(c.frames.length).to.be.greaterThan(5);
      expect(24 + c.frames.reduce((s, f) => s + 16 + f.data.length, 0)).to.equal(buf.length);
      for (let i = 1; i < c.frames.length; i++) expect(c.frames[i].tsNs >= c.frames[i - 1].tsNs).to.equal(true);
      expect(c.frames.every((f) => f.linkType === LINKTYPE.ETHERNET && f.origLen >= f.data.length)).to.equal(true);
      // Q-in-Q: the reader hands the tags through; the packet view walks them to IPv4.
      const v = parseFrame(c.frames[0].data);
      expect(v?.vlans).to.equal(2);
      expect(v?.family).to.equal(4);
    });

    it('reads a real big-endian capture like its little-endian re-encoding', () => {
      for (const f of ['tcpdump/pptp.pcap', 'tcpdump/unaligned-nfs-1.pcap']) {
        const be = read(f);
        expect(be.readUInt32BE(0), f).to.equal(0xa1b2c3d4);
        const fromBe = parseCapture(be, f).frames;
        // Turn it into little-endian by hand, then back through the test's own re-encoder.
        const le = Buffer.from(be);
        le.writeUInt32LE(0xa1b2c3d4, 0);
        le.writeUInt16LE(be.readUInt16BE(4), 4);
        le.writeUInt16LE(be.readUInt16BE(6), 6);
        for (const o of [8, 12, 16, 20]) le.writeUInt32LE(be.readUInt32BE(o), o);
        let off = 24;
        while (off < be.length) {
          const incl = be.readUInt32BE(off + 8);
          for (const o of [0, 4, 8, 12]) le.writeUInt32LE(be.readUInt32BE(off + o), off + o);
          off += 16 + incl;
        }
        sameFrames(fromBe, parseCapture(le, `${f} as LE`).frames);
        expect(fromBe.length).to.be.greaterThan(0);
      }
    });

    it('reads nanosecond captures (real, and re-encoded from µs) in both byte orders', () => {
      const nano = parseCapture(read('tcpdump/tcp-handshake-nano.pcap'), 'nano');
      expect(nano.frames.length).to.equal(3);
      // Nanosecond resolution is kept: a µs reading would make every time a multiple of 1000.
      expect(nano.frames.some((f) => f.tsNs % 1000n !== 0n)).to.equal(true);
      const base = read('zeek/http-qinq-0.pcap');
      const ref = parseCapture(base, 'le').frames;
      for (const bigEndian of [false, true]) {
        for (const nanos of [false, true]) {
          sameFrames(ref, parseCapture(reencodePcap(base, { bigEndian, nanos }), `be=${bigEndian} ns=${nanos}`).frames);
        }
      }
    });

    it('reads gzip-wrapped captures', () => {
      const base = read('zeek/smtp.pcap');
      sameFrames(parseCapture(base, 'smtp').frames, parseCapture(gzipSync(base), 'smtp.gz').frames);
    });
  });

  describe('pcapng', () => {
    it('reads a capture with two interfaces: every packet tagged with its interface', () => {
      const c = parseCapture(read('zeek/pcapng-multi-interface.pcapng'), 'multi');
      expect(c.format).to.equal('pcapng');
      expect(new Set(c.frames.map((f) => f.iface)).size).to.equal(2);
      for (const f of c.frames) expect(parseFrame(toEthernet(f) ?? Buffer.alloc(0)), 'an IP frame').to.not.equal(undefined);
    });

    it('reads every pcapng of the corpus (other block types skipped), frames parse as IP', () => {
      for (const f of ['zeek/ldap/modify-request.pcapng', 'zeek/snmp/leak_test.pcapng', 'tcpdump/OSPFv2_Capture_FINAL.pcapng', 'zeek/http/cooper-grill-dvwa.pcapng']) {
        const c = parseCapture(read(f), f);
        expect(c.frames.length, f).to.be.greaterThan(0);
        const ip = c.frames.filter((x) => parseFrame(toEthernet(x) ?? Buffer.alloc(0)));
        expect(ip.length, `${f}: IP frames`).to.be.greaterThan(0);
        expect(c.frames.every((x) => x.tsNs > 1_000_000_000n * 1_000_000_000n), `${f}: times after 2001`).to.equal(true);
      }
    });
  });

  describe('link types to Ethernet', () => {
    const cases: [string, number, number][] = [
      ['zeek/linux_dlt_sll2.pcap', LINKTYPE.LINUX_SLL2, 20],
      ['tcpdump/babel.pcap', LINKTYPE.LINUX_SLL, 16],
      ['zeek/rotation.pcap', LINKTYPE.RAW, 0],
      ['zeek/udp-multiple-source-ports.pcap', LINKTYPE.NULL, 4],
    ];
    for (const [f, lt, hdr] of cases) {
      it(`${f} (link type ${lt}): the IP packet follows a synthetic Ethernet header`, () => {
        const frames = parseCapture(read(f), f).frames;
        expect(frames.every((x) => x.linkType === lt)).to.equal(true);
        let ip = 0;
        for (const x of frames) {
          const eth = toEthernet(x);
          if (!eth) continue;
          expect(eth.subarray(14).equals(x.data.subarray(hdr)), 'payload carried unchanged').to.equal(true);
          if (parseFrame(eth)) ip++;
        }
        expect(ip).to.be.greaterThan(0);
      });
    }
  });

  describe('broken files', () => {
    const expectError = (buf: Buffer, field: RegExp, offset: number) => {
      let err: unknown;
      try {
        parseCapture(buf, 'f.pcap');
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(CaptureError);
      const ce = err as CaptureError;
      expect(ce.field).to.match(field);
      expect(ce.offset).to.equal(offset);
      expect(ce.message).to.contain('f.pcap').and.contain(`byte ${offset}`);
    };

    it('garbage and empty files: the magic number', () => {
      expectError(Buffer.from('this is not a capture at all'), /^magic number$/, 0);
      expectError(Buffer.alloc(0), /^magic number$/, 0);
      expectError(Buffer.from([0x1f, 0x8b, 1, 2, 3]), /^gzip stream$/, 0);
    });

    it('pcap cut inside a record header and inside a packet', () => {
      const buf = read('zeek/http-qinq-0.pcap');
      const first = buf.readUInt32LE(24 + 8);
      const second = 24 + 16 + first;
      expectError(buf.subarray(0, second + 10), /^packet 1 record header$/, second);
      expectError(buf.subarray(0, second + 16 + 5), /^packet 1 data$/, second + 16);
      expectError(buf.subarray(0, 20), /^pcap file header$/, 0);
    });

    it('pcap with a wrong version and with an impossible record length', () => {
      const buf = Buffer.from(read('zeek/http-qinq-0.pcap'));
      const v = Buffer.from(buf);
      v.writeUInt16LE(7, 4);
      expectError(v, /version_major/, 4);
      buf.writeUInt32LE(0x7fffffff, 24 + 8);
      expectError(buf, /^packet 0 record header\.incl_len$/, 32);
    });

    it('pcapng: cut short, trailer length disagreeing, unknown interface, no section header', () => {
      const buf = read('zeek/pcapng-multi-interface.pcapng');
      const shbLen = buf.readUInt32LE(4);
      expectError(buf.subarray(0, shbLen + 6), /^block header$/, shbLen);
      const bad = Buffer.from(buf);
      bad.writeUInt32LE(shbLen + 4, shbLen - 4);
      expectError(bad, /trailing block_total_length/, shbLen - 4);
      // First enhanced packet block: point it at an interface the section never described.
      let off = 0;
      while (buf.readUInt32LE(off) !== 6) off += buf.readUInt32LE(off + 4);
      const noIf = Buffer.from(buf);
      noIf.writeUInt32LE(99, off + 8);
      expectError(noIf, /interface_id$/, off + 8);
      expectError(buf.subarray(shbLen), /^magic number$/, 0);
    });
  });
});
