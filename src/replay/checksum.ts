// Internet checksums (RFC 1071) for the replay: verifying every checksum of a frame from scratch,
// and adjusting one incrementally (RFC 1624) when the replay rewrites a reply's address or port.
// Incremental adjustment keeps working on frames the snap length cut short and on fragments,
// where the bytes a full recomputation needs are not in the capture.
import { PROTO, parseFrame, type IpView } from './packet.js';

function sum16(b: Buffer, start: number, end: number, acc = 0): number {
  let s = acc;
  let i = start;
  for (; i + 1 < end; i += 2) s += (b[i] << 8) | b[i + 1];
  if (i < end) s += b[i] << 8;
  return s;
}

function fold(s: number): number {
  let x = s;
  while (x > 0xffff) x = (x & 0xffff) + Math.floor(x / 0x10000);
  return x;
}

function pseudo(b: Buffer, ip: IpView, l4len: number): number {
  let s = sum16(b, ip.srcOff, ip.srcOff + ip.addrLen);
  s = sum16(b, ip.dstOff, ip.dstOff + ip.addrLen, s);
  return s + ip.proto + (l4len & 0xffff) + Math.floor(l4len / 0x10000);
}

export type ChecksumVerdict =
  /** Every checksum the frame carries is correct. */
  | { status: 'ok' }
  /** The IP header is correct, the L4 checksum cannot be checked (fragment, snap length). */
  | { status: 'partial' }
  /** Not an IP frame: nothing to check. */
  | { status: 'none' }
  | { status: 'bad'; field: string };

/** Checks the IPv4 header checksum and the TCP / UDP / ICMP / ICMPv6 checksum of an Ethernet frame. */
export function verifyChecksums(b: Buffer): ChecksumVerdict {
  const ip = parseFrame(b);
  if (!ip) return { status: 'none' };
  if (ip.family === 4) {
    const ihl = (b[ip.l3] & 0x0f) * 4;
    if (ip.l3 + ihl > b.length) return { status: 'partial' };
    if (fold(sum16(b, ip.l3, ip.l3 + ihl)) !== 0xffff) return { status: 'bad', field: 'ipv4.header_checksum' };
  }
  if (ip.l4 === undefined || !ip.complete || ip.frag) return { status: 'partial' };
  const l4len = ip.end - ip.l4;
  switch (ip.proto) {
    case PROTO.TCP:
      if (l4len < 20) return { status: 'partial' };
      return fold(sum16(b, ip.l4, ip.end, pseudo(b, ip, l4len))) === 0xffff ? { status: 'ok' } : { status: 'bad', field: 'tcp.checksum' };
    case PROTO.UDP: {
      if (l4len < 8) return { status: 'partial' };
      const c = b.readUInt16BE(ip.l4 + 6);
      if (c === 0) return ip.family === 4 ? { status: 'ok' } : { status: 'bad', field: 'udp.checksum (0 is not allowed on IPv6)' };
      return fold(sum16(b, ip.l4, ip.end, pseudo(b, ip, l4len))) === 0xffff ? { status: 'ok' } : { status: 'bad', field: 'udp.checksum' };
    }
    case PROTO.ICMP:
      if (ip.family !== 4 || l4len < 4) return { status: 'partial' };
      return fold(sum16(b, ip.l4, ip.end)) === 0xffff ? { status: 'ok' } : { status: 'bad', field: 'icmp.checksum' };
    case PROTO.ICMP6:
      if (ip.family !== 6 || l4len < 4) return { status: 'partial' };
      return fold(sum16(b, ip.l4, ip.end, pseudo(b, ip, l4len))) === 0xffff ? { status: 'ok' } : { status: 'bad', field: 'icmpv6.checksum' };
    default:
      return { status: ip.family === 4 ? 'ok' : 'partial' };
  }
}

export interface ChecksumField {
  /** Offset of the 16-bit checksum in the frame. */
  at: number;
  /** UDP: a result of 0 is sent as 0xffff; on IPv4 a checksum of 0 means "none" and stays 0. */
  udp?: 4 | 6;
}

/** Ones'-complement sum of b[start..end), folded to 16 bits: what `adjust` takes. */
export function sumOf(b: Buffer, start: number, end: number): number {
  return fold(sum16(b, start, end));
}

/** Adjusts the checksum at `c` for covered words whose sum went from `before` to `after` (RFC 1624 eqn. 3). */
export function adjust(b: Buffer, c: ChecksumField, before: number, after: number): void {
  if (c.at + 2 > b.length) return;
  const hc = b.readUInt16BE(c.at);
  if (hc === 0 && c.udp === 4) return;
  let next = ~fold((~hc & 0xffff) + (~before & 0xffff) + after) & 0xffff;
  if (next === 0 && c.udp) next = 0xffff;
  b.writeUInt16BE(next, c.at);
}

/**
 * Overwrites `b[off..off+bytes.length)` and adjusts every checksum that covers those bytes.
 * `off` must be at an even distance from the start of each checksummed region.
 */
export function patch(b: Buffer, off: number, bytes: Buffer, checksums: ChecksumField[]): void {
  const before = sumOf(b, off, off + bytes.length);
  const after = sumOf(bytes, 0, bytes.length);
  bytes.copy(b, off);
  for (const c of checksums) adjust(b, c, before, after);
}
