// Reads packet captures: classic pcap (either byte order, µs or ns timestamps) and pcapng
// (SHB, IDB, EPB, SPB, several interfaces and sections; other blocks skipped), gzip-wrapped or
// not. Frames come out as the capture holds them, with their link type; link.ts turns them
// into Ethernet. A bad file is rejected whole with the field and byte offset that broke it:
// a replay that silently stops half-way would measure a different corpus.
import { gunzipSync } from 'node:zlib';

export interface CapturedFrame {
  /** Link-layer type (LINKTYPE_*, tcpdump.org/linktypes.html) of the interface it was captured on. */
  linkType: number;
  /** The bytes captured (may be shorter than origLen when the snap length cut it). */
  data: Buffer;
  origLen: number;
  /** Capture time in nanoseconds since the epoch (pcapng: per the interface's if_tsresol). */
  tsNs: bigint;
  /** pcapng: the interface's index in its section; pcap: 0. */
  iface: number;
}

export interface Capture {
  format: 'pcap' | 'pcapng';
  frames: CapturedFrame[];
}

export class CaptureError extends Error {
  constructor(
    readonly source: string,
    readonly field: string,
    readonly offset: number,
    reason: string,
  ) {
    super(`${source}: ${field} at byte ${offset}: ${reason}`);
    this.name = 'CaptureError';
  }
}

const PCAP_US = 0xa1b2c3d4;
const PCAP_NS = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Parses a whole capture held in memory; `source` names it in errors. */
export function parseCapture(input: Buffer, source: string): Capture {
  let buf = input;
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new CaptureError(source, 'gzip stream', 0, e instanceof Error ? e.message : String(e));
    }
  }
  if (buf.length < 4) throw new CaptureError(source, 'magic number', 0, `file has ${buf.length} bytes, a capture starts with a 4-byte magic number`);
  const le = buf.readUInt32LE(0);
  const be = buf.readUInt32BE(0);
  if (le === PCAPNG_SHB) return { format: 'pcapng', frames: parsePcapng(buf, source) };
  if (le === PCAP_US || le === PCAP_NS) return { format: 'pcap', frames: parsePcap(buf, source, true, le === PCAP_NS) };
  if (be === PCAP_US || be === PCAP_NS) return { format: 'pcap', frames: parsePcap(buf, source, false, be === PCAP_NS) };
  throw new CaptureError(source, 'magic number', 0, `0x${be.toString(16).padStart(8, '0')} is neither pcap (a1b2c3d4, a1b23c4d, either byte order) nor pcapng (0a0d0d0a)`);
}

function parsePcap(buf: Buffer, source: string, le: boolean, nanos: boolean): CapturedFrame[] {
  const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  if (buf.length < 24) throw new CaptureError(source, 'pcap file header', 0, `needs 24 bytes, file has ${buf.length}`);
  const major = u16(4);
  if (major !== 2) throw new CaptureError(source, 'pcap file header.version_major', 4, `expected 2, got ${major}`);
  const snaplen = u32(16);
  // The upper bits of the link-type field carry the FCS length (pcap-savefile(5)).
  const linkType = u32(20) & 0x0fffffff;
  const frames: CapturedFrame[] = [];
  let off = 24;
  let index = 0;
  while (off < buf.length) {
    const field = `packet ${index} record header`;
    if (buf.length - off < 16) throw new CaptureError(source, field, off, `truncated: ${buf.length - off} of 16 bytes present`);
    const sec = u32(off);
    const frac = u32(off + 4);
    const incl = u32(off + 8);
    const orig = u32(off + 12);
    const limit = Math.max(snaplen, 262144);
    if (incl > limit) throw new CaptureError(source, `packet ${index} record header.incl_len`, off + 8, `${incl} exceeds the snap length ${snaplen}`);
    if (!nanos && frac >= 1_000_000) throw new CaptureError(source, `packet ${index} record header.ts_usec`, off + 4, `${frac} is not below 1,000,000`);
    if (off + 16 + incl > buf.length) {
      throw new CaptureError(source, `packet ${index} data`, off + 16, `truncated: incl_len ${incl}, ${buf.length - off - 16} bytes left`);
    }
    frames.push({
      linkType,
      data: buf.subarray(off + 16, off + 16 + incl),
      origLen: orig,
      tsNs: BigInt(sec) * 1_000_000_000n + BigInt(frac) * (nanos ? 1n : 1000n),
      iface: 0,
    });
    off += 16 + incl;
    index++;
  }
  return frames;
}

interface Iface {
  linkType: number;
  snaplen: number;
  /** Timestamp units per second. */
  unitsPerSec: bigint;
}

function parsePcapng(buf: Buffer, source: string): CapturedFrame[] {
  const frames: CapturedFrame[] = [];
  let le = true;
  let ifaces: Iface[] = [];
  let off = 0;
  let sawShb = false;
  const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  while (off < buf.length) {
    if (buf.length - off < 12) throw new CaptureError(source, 'block header', off, `truncated: ${buf.length - off} of at least 12 bytes present`);
    const rawType = buf.readUInt32LE(off);
    if (rawType === PCAPNG_SHB) {
      // A new section may switch byte order: read it from the byte-order magic first.
      const bom = buf.readUInt32LE(off + 8);
      if (bom === BYTE_ORDER_MAGIC) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else throw new CaptureError(source, 'section header block.byte_order_magic', off + 8, `0x${bom.toString(16)} is not 1a2b3c4d in either byte order`);
      ifaces = [];
      sawShb = true;
    } else if (!sawShb) {
      throw new CaptureError(source, 'block type', off, 'a pcapng file must start with a section header block');
    }
    const type = u32(off);
    const len = u32(off + 4);
    if (len < 12 || len % 4 !== 0) throw new CaptureError(source, `block (type 0x${type.toString(16)}).block_total_length`, off + 4, `${len} is not a multiple of 4 of at least 12`);
    if (off + len > buf.length) throw new CaptureError(source, `block (type 0x${type.toString(16)})`, off, `truncated: length ${len}, ${buf.length - off} bytes left`);
    const trailer = u32(off + len - 4);
    if (trailer !== len) throw new CaptureError(source, `block (type 0x${type.toString(16)}).trailing block_total_length`, off + len - 4, `${trailer} differs from the leading ${len}`);
    const body = off + 8;
    const bodyEnd = off + len - 4;
    switch (type) {
      case PCAPNG_SHB: {
        const major = u16(body + 4);
        if (major !== 1) throw new CaptureError(source, 'section header block.major_version', body + 4, `expected 1, got ${major}`);
        break;
      }
      case 1: {
        if (bodyEnd - body < 8) throw new CaptureError(source, `interface description block ${ifaces.length}`, off, 'shorter than its 8 fixed bytes');
        ifaces.push({ linkType: u16(body), snaplen: u32(body + 4), unitsPerSec: tsResolution(buf, body + 8, bodyEnd, u16, source, ifaces.length) });
        break;
      }
      case 6: {
        if (bodyEnd - body < 20) throw new CaptureError(source, `enhanced packet block ${frames.length}`, off, 'shorter than its 20 fixed bytes');
        const ifId = u32(body);
        const iface = ifaces[ifId];
        if (!iface) throw new CaptureError(source, `enhanced packet block ${frames.length}.interface_id`, body, `${ifId}: the section has ${ifaces.length} interface(s)`);
        const ts = (BigInt(u32(body + 4)) << 32n) | BigInt(u32(body + 8));
        const incl = u32(body + 12);
        const orig = u32(body + 16);
        if (body + 20 + incl > bodyEnd) throw new CaptureError(source, `enhanced packet block ${frames.length}.captured_len`, body + 12, `${incl} runs past the block's end`);
        frames.push({ linkType: iface.linkType, data: buf.subarray(body + 20, body + 20 + incl), origLen: orig, tsNs: (ts * 1_000_000_000n) / iface.unitsPerSec, iface: ifId });
        break;
      }
      case 3: {
        // Simple packet block: interface 0, no timestamp; captured length = min(orig, snaplen).
        const iface = ifaces[0];
        if (!iface) throw new CaptureError(source, `simple packet block ${frames.length}`, off, 'no interface description block precedes it');
        const orig = u32(body);
        const room = bodyEnd - body - 4;
        const incl = Math.min(orig, iface.snaplen > 0 ? iface.snaplen : orig, room);
        frames.push({ linkType: iface.linkType, data: buf.subarray(body + 4, body + 4 + incl), origLen: orig, tsNs: 0n, iface: 0 });
        break;
      }
      default:
        // Name resolution, statistics, custom, decryption secrets...: nothing a replay needs.
        break;
    }
    off += len;
  }
  return frames;
}

/** Reads if_tsresol (option 9) from an IDB's options; default 10^-6 s. */
function tsResolution(buf: Buffer, start: number, end: number, u16: (o: number) => number, source: string, ifIndex: number): bigint {
  let o = start;
  while (o + 4 <= end) {
    const code = u16(o);
    const len = u16(o + 2);
    if (code === 0) break;
    if (o + 4 + len > end) throw new CaptureError(source, `interface description block ${ifIndex}.option ${code}`, o, `length ${len} runs past the block's end`);
    if (code === 9 && len >= 1) {
      const v = buf[o + 4];
      const exp = BigInt(v & 0x7f);
      return v & 0x80 ? 2n ** exp : 10n ** exp;
    }
    o += 4 + ((len + 3) & ~3);
  }
  return 1_000_000n;
}
