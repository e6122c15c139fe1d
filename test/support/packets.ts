// An independent packet toolkit for tests: builders, a decoder, from-scratch checksum checks and
// a catalogue of malformed frames. It shares no code with the C++ engine on purpose: a test that
// checks a rewritten frame with the engine's own parser would only prove the parser agrees with itself.
//
// Conventions: addresses are strings (IPv4 dotted, IPv6 any valid form; decoded IPv6 is RFC 5952
// compressed), MACs "aa:bb:cc:dd:ee:ff", IPv4/IPv6 fragment offsets in BYTES (multiples of 8),
// TCP flags as letters F S R P A U E C (decoded in that order, so SYN|ACK reads "SA").

// ---- address helpers --------------------------------------------------------------------------

function parseV4(s: string): Buffer {
  const parts = s.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new Error(`not an IPv4 address: ${JSON.stringify(s)}`);
  }
  return Buffer.from(parts.map(Number));
}

function parseV6(s: string): Buffer {
  let text = s;
  const out = Buffer.alloc(16);
  let tail: Buffer | undefined;
  if (text.includes('.')) {
    const i = text.lastIndexOf(':');
    tail = parseV4(text.slice(i + 1));
    text = `${text.slice(0, i + 1)}0:0`;
  }
  const dbl = text.split('::');
  if (dbl.length > 2) throw new Error(`not an IPv6 address: ${JSON.stringify(s)}`);
  const head = dbl[0] ? dbl[0].split(':') : [];
  const rest = dbl.length === 2 && dbl[1] ? dbl[1].split(':') : [];
  const fill = dbl.length === 2 ? 8 - head.length - rest.length : 0;
  const groups = [...head, ...Array<string>(Math.max(fill, 0)).fill('0'), ...rest];
  if (groups.length !== 8 || (dbl.length === 2 && fill < 1) || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) {
    throw new Error(`not an IPv6 address: ${JSON.stringify(s)}`);
  }
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), 2 * i));
  if (tail) tail.copy(out, 12);
  return out;
}

export function ipToBytes(s: string): Buffer {
  return s.includes(':') ? parseV6(s) : parseV4(s);
}

export function formatV4(b: Buffer, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** RFC 5952: lower case, leading zeros dropped, longest run (>= 2) of zero groups as "::". */
export function formatV6(b: Buffer, off = 0): string {
  const g = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(off + 2 * i));
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function parseMac(s: string): Buffer {
  const parts = s.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) throw new Error(`not a MAC: ${JSON.stringify(s)}`);
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

function formatMac(b: Buffer, off: number): string {
  return Array.from(b.subarray(off, off + 6), (x) => x.toString(16).padStart(2, '0')).join(':');
}

// ---- checksum ---------------------------------------------------------------------------------

/** Plain one's-complement sum of 16-bit big-endian words over all buffers as one byte stream, folded. */
export function onesSum(...bufs: Buffer[]): number {
  let sum = 0;
  let odd: number | undefined;
  for (const b of bufs) {
    for (let i = 0; i < b.length; i++) {
      if (odd === undefined) odd = b[i];
      else {
        sum += (odd << 8) | b[i];
        odd = undefined;
      }
    }
  }
  if (odd !== undefined) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** The Internet checksum (RFC 1071) of the concatenation of `bufs`. */
export function internetChecksum(...bufs: Buffer[]): number {
  return ~onesSum(...bufs) & 0xffff;
}

function pseudoHeader(v: 4 | 6, src: Buffer, dst: Buffer, proto: number, length: number): Buffer {
  if (v === 4) {
    const p = Buffer.alloc(12);
    src.copy(p, 0);
    dst.copy(p, 4);
    p[9] = proto;
    p.writeUInt16BE(length, 10);
    return p;
  }
  const p = Buffer.alloc(40);
  src.copy(p, 0);
  dst.copy(p, 16);
  p.writeUInt32BE(length, 32);
  p[39] = proto;
  return p;
}

// ---- protocol numbers -------------------------------------------------------------------------

export const ETH_IPV4 = 0x0800;
export const ETH_IPV6 = 0x86dd;
export const ETH_VLAN = 0x8100;
export const ETH_QINQ = 0x88a8;
export const IPPROTO = { HOPOPTS: 0, ICMP: 1, TCP: 6, UDP: 17, ROUTING: 43, FRAGMENT: 44, ESP: 50, AH: 51, ICMPV6: 58, NONE: 59, DSTOPTS: 60 } as const;

const TCP_FLAG_LETTERS = 'FSRPAUEC';

export function tcpFlagBits(flags: string): number {
  let bits = 0;
  for (const c of flags) {
    const i = TCP_FLAG_LETTERS.indexOf(c.toUpperCase());
    if (i < 0) throw new Error(`unknown TCP flag letter ${JSON.stringify(c)} (use ${TCP_FLAG_LETTERS})`);
    bits |= 1 << i;
  }
  return bits;
}

export function tcpFlagString(bits: number): string {
  let s = '';
  for (let i = 0; i < 8; i++) if (bits & (1 << i)) s += TCP_FLAG_LETTERS[i];
  return s;
}

// ---- specs ------------------------------------------------------------------------------------

export interface EthSpec {
  src?: string;
  dst?: string;
  /** Overrides the ethertype that follows the (optional) VLAN tag. */
  type?: number;
}

export interface VlanSpec {
  id: number;
  pcp?: number;
  dei?: boolean;
  /** Tag protocol identifier (default 0x8100). */
  tpid?: number;
}

export interface Ipv4Spec {
  v: 4;
  src: string;
  dst: string;
  ttl?: number;
  id?: number;
  tos?: number;
  df?: boolean;
  mf?: boolean;
  /** Fragment offset in bytes (multiple of 8). */
  fragOffset?: number;
  /** Raw option bytes; padded with EOL (0) to a multiple of 4. */
  options?: Buffer;
  // Overrides for malformed packets; normally computed.
  proto?: number;
  ihl?: number;
  totalLength?: number;
  checksum?: number;
  version?: number;
}

export type Ipv6Ext =
  | { type: 'hop-by-hop' | 'dest-opts'; /** raw TLV options; padded with Pad1/PadN to 8n */ options?: Buffer }
  | { type: 'routing'; routingType?: number; segmentsLeft?: number; /** type 0/2 style address list */ addresses?: string[]; data?: Buffer }
  | { type: 'fragment'; /** bytes, multiple of 8 */ offset?: number; more?: boolean; id?: number }
  | { type: 'raw'; /** protocol number this header is announced as */ protocol: number; /** bytes after next+len, padded to 8n */ data?: Buffer; /** override hdr ext len */ lengthField?: number };

export interface Ipv6Spec {
  v: 6;
  src: string;
  dst: string;
  hopLimit?: number;
  trafficClass?: number;
  flowLabel?: number;
  ext?: Ipv6Ext[];
  // Overrides for malformed packets.
  nextHeader?: number;
  payloadLength?: number;
  version?: number;
}

export type IpSpec = Ipv4Spec | Ipv6Spec;

export interface TcpSpec {
  proto: 'tcp';
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  /** Letters of F S R P A U E C, e.g. 'S', 'SA', 'PA'. */
  flags?: string;
  window?: number;
  urgent?: number;
  /** Raw option bytes; padded with EOL to a multiple of 4. */
  options?: Buffer;
  checksum?: number;
  dataOffset?: number;
}

export interface UdpSpec {
  proto: 'udp';
  sport: number;
  dport: number;
  /** A number overrides; 'zero' sends 0 (IPv4: "no checksum"). */
  checksum?: number | 'zero';
  length?: number;
}

export type IcmpErrorKind = 'dest-unreachable' | 'time-exceeded' | 'packet-too-big' | 'param-problem';

export interface IcmpEchoSpec {
  proto: 'icmp';
  type: 'echo-request' | 'echo-reply';
  id: number;
  seq: number;
  checksum?: number;
}

export interface IcmpErrorSpec {
  proto: 'icmp';
  type: IcmpErrorKind;
  code?: number;
  /** dest-unreachable code 4 (IPv4) and packet-too-big (IPv6). */
  mtu?: number;
  /** param-problem. */
  pointer?: number;
  /** The offending packet (IP header onwards) as a spec or raw bytes. */
  inner: PacketSpec | Buffer;
  /**
   * How many bytes of it to embed. Default: IPv4 as much as keeps the error within 576 bytes
   * (RFC 1812), IPv6 within 1280 (RFC 4443). Use headerLength + 8 for the RFC 792 minimum.
   */
  innerLength?: number;
  checksum?: number;
}

/** Any ICMP/ICMPv6 message by number; `rest` is the 4 bytes after the checksum. */
export interface IcmpRawSpec {
  proto: 'icmp';
  type: number;
  code: number;
  rest?: Buffer;
  checksum?: number;
}

export interface RawL4Spec {
  proto: 'raw';
  protocol: number;
}

export type L4Spec = TcpSpec | UdpSpec | IcmpEchoSpec | IcmpErrorSpec | IcmpRawSpec | RawL4Spec;

export interface PacketSpec {
  ip: IpSpec;
  l4: L4Spec;
  /** Bytes after the L4 header (for 'raw', the whole IP payload). */
  payload?: Buffer;
}

export interface FrameSpec extends PacketSpec {
  eth?: EthSpec;
  /** One tag (number = VLAN id) or several (outer first) for QinQ. */
  vlan?: number | VlanSpec | VlanSpec[];
}

// ---- builders ---------------------------------------------------------------------------------

const ICMP4_TYPES: Record<string, number> = { 'echo-reply': 0, 'dest-unreachable': 3, 'time-exceeded': 11, 'param-problem': 12, 'echo-request': 8 };
const ICMP6_TYPES: Record<string, number> = { 'dest-unreachable': 1, 'packet-too-big': 2, 'time-exceeded': 3, 'param-problem': 4, 'echo-request': 128, 'echo-reply': 129 };

function padTo(b: Buffer, mult: number, fill = 0): Buffer {
  const r = b.length % mult;
  return r === 0 ? b : Buffer.concat([b, Buffer.alloc(mult - r, fill)]);
}

function l4ProtoNumber(l4: L4Spec, v: 4 | 6): number {
  switch (l4.proto) {
    case 'tcp':
      return IPPROTO.TCP;
    case 'udp':
      return IPPROTO.UDP;
    case 'icmp':
      return v === 4 ? IPPROTO.ICMP : IPPROTO.ICMPV6;
    case 'raw':
      return l4.protocol;
  }
}

/** Pads IPv6 TLV options to 8n - 2 bytes with Pad1 / PadN. */
function padV6Options(opts: Buffer): Buffer {
  const want = Math.max(8, Math.ceil((opts.length + 2) / 8) * 8) - 2;
  const r = want - opts.length;
  if (r === 0) return opts;
  if (r === 1) return Buffer.concat([opts, Buffer.from([0])]);
  return Buffer.concat([opts, Buffer.from([1, r - 2]), Buffer.alloc(r - 2)]);
}

function extProto(e: Ipv6Ext): number {
  switch (e.type) {
    case 'hop-by-hop':
      return IPPROTO.HOPOPTS;
    case 'dest-opts':
      return IPPROTO.DSTOPTS;
    case 'routing':
      return IPPROTO.ROUTING;
    case 'fragment':
      return IPPROTO.FRAGMENT;
    case 'raw':
      return e.protocol;
  }
}

function buildExt(e: Ipv6Ext, next: number): Buffer {
  let body: Buffer;
  switch (e.type) {
    case 'hop-by-hop':
    case 'dest-opts':
      body = padV6Options(e.options ?? Buffer.alloc(0));
      break;
    case 'routing': {
      const addrs = (e.addresses ?? []).map(parseV6);
      const data = e.data ?? Buffer.concat([Buffer.alloc(4), ...addrs]);
      // After next and length: type, segments left, type-specific data; the whole header is 8n bytes.
      body = Buffer.concat([Buffer.from([e.routingType ?? 0, e.segmentsLeft ?? addrs.length]), data]);
      if ((body.length + 2) % 8 !== 0) body = Buffer.concat([body, Buffer.alloc(8 - ((body.length + 2) % 8))]);
      break;
    }
    case 'fragment': {
      const off = e.offset ?? 0;
      if (off % 8 !== 0) throw new Error(`fragment offset ${off} is not a multiple of 8`);
      const b = Buffer.alloc(8);
      b[0] = next;
      b.writeUInt16BE((off / 8) << 3 | (e.more ? 1 : 0), 2);
      b.writeUInt32BE((e.id ?? 0x12345678) >>> 0, 4);
      return b;
    }
    case 'raw': {
      body = e.data ?? Buffer.alloc(6);
      if ((body.length + 2) % 8 !== 0) body = Buffer.concat([body, Buffer.alloc(8 - ((body.length + 2) % 8))]);
      const h = Buffer.from([next, e.lengthField ?? (body.length + 2) / 8 - 1]);
      return Buffer.concat([h, body]);
    }
  }
  return Buffer.concat([Buffer.from([next, (body.length + 2) / 8 - 1]), body]);
}

/** Final destination for the IPv6 pseudo-header: the last address of a type 0/2 routing header still to visit. */
function finalV6Destination(ip: Ipv6Spec): Buffer {
  for (const e of ip.ext ?? []) {
    if (e.type === 'routing' && (e.routingType ?? 0) in { 0: 1, 2: 1 } && (e.segmentsLeft ?? e.addresses?.length ?? 0) > 0 && e.addresses?.length) {
      return parseV6(e.addresses[e.addresses.length - 1]);
    }
  }
  return parseV6(ip.dst);
}

function icmpErrorDefaultLimit(v: 4 | 6, outerHeaderLen: number): number {
  return (v === 4 ? 576 : 1280) - outerHeaderLen - 8;
}

function buildL4(l4: L4Spec, payload: Buffer, ip: IpSpec, outerHeaderLen: number): Buffer {
  const v = ip.v;
  const src = v === 4 ? parseV4(ip.src) : parseV6(ip.src);
  const dst = v === 4 ? parseV4(ip.dst) : finalV6Destination(ip);
  switch (l4.proto) {
    case 'raw':
      return payload;
    case 'tcp': {
      const opts = padTo(l4.options ?? Buffer.alloc(0), 4);
      const hlen = 20 + opts.length;
      const h = Buffer.alloc(hlen);
      h.writeUInt16BE(l4.sport, 0);
      h.writeUInt16BE(l4.dport, 2);
      h.writeUInt32BE((l4.seq ?? 1000) >>> 0, 4);
      h.writeUInt32BE((l4.ack ?? 0) >>> 0, 8);
      h[12] = ((l4.dataOffset ?? hlen / 4) & 0xf) << 4;
      h[13] = tcpFlagBits(l4.flags ?? '');
      h.writeUInt16BE(l4.window ?? 65535, 14);
      h.writeUInt16BE(l4.urgent ?? 0, 18);
      opts.copy(h, 20);
      const seg = Buffer.concat([h, payload]);
      seg.writeUInt16BE(l4.checksum ?? internetChecksum(pseudoHeader(v, src, dst, IPPROTO.TCP, seg.length), seg), 16);
      return seg;
    }
    case 'udp': {
      const d = Buffer.alloc(8);
      d.writeUInt16BE(l4.sport, 0);
      d.writeUInt16BE(l4.dport, 2);
      d.writeUInt16BE(l4.length ?? 8 + payload.length, 4);
      const dg = Buffer.concat([d, payload]);
      let ck: number;
      if (l4.checksum === 'zero') ck = 0;
      else if (typeof l4.checksum === 'number') ck = l4.checksum;
      else {
        ck = internetChecksum(pseudoHeader(v, src, dst, IPPROTO.UDP, dg.length), dg);
        if (ck === 0) ck = 0xffff; // RFC 768: a computed zero is sent as all ones
      }
      dg.writeUInt16BE(ck, 6);
      return dg;
    }
    case 'icmp': {
      const types = v === 4 ? ICMP4_TYPES : ICMP6_TYPES;
      const h = Buffer.alloc(8);
      let body = payload;
      if (typeof l4.type === 'number') {
        const raw = l4 as IcmpRawSpec;
        h[0] = raw.type;
        h[1] = raw.code;
        (raw.rest ?? Buffer.alloc(4)).copy(h, 4, 0, 4);
      } else if (l4.type === 'echo-request' || l4.type === 'echo-reply') {
        const e = l4 as IcmpEchoSpec;
        h[0] = types[e.type];
        h.writeUInt16BE(e.id, 4);
        h.writeUInt16BE(e.seq, 6);
      } else {
        const e = l4 as IcmpErrorSpec;
        if (!(e.type in types)) throw new Error(`ICMPv${v === 4 ? 4 : 6} has no ${e.type} message`);
        h[0] = types[e.type];
        h[1] = e.code ?? 0;
        if (e.type === 'packet-too-big') h.writeUInt32BE(e.mtu ?? 1280, 4);
        else if (e.type === 'dest-unreachable' && v === 4 && e.mtu !== undefined) h.writeUInt16BE(e.mtu, 6);
        else if (e.type === 'param-problem') {
          if (v === 4) h[4] = e.pointer ?? 0;
          else h.writeUInt32BE(e.pointer ?? 0, 4);
        }
        const inner = Buffer.isBuffer(e.inner) ? e.inner : buildPacket(e.inner);
        body = Buffer.concat([inner.subarray(0, e.innerLength ?? icmpErrorDefaultLimit(v, outerHeaderLen)), payload]);
      }
      const msg = Buffer.concat([h, body]);
      const explicit = (l4 as { checksum?: number }).checksum;
      const ck =
        explicit ?? (v === 4 ? internetChecksum(msg) : internetChecksum(pseudoHeader(6, src, dst, IPPROTO.ICMPV6, msg.length), msg));
      msg.writeUInt16BE(ck, 2);
      return msg;
    }
  }
}

function ipv4HeaderLength(ip: Ipv4Spec): number {
  return 20 + padTo(ip.options ?? Buffer.alloc(0), 4).length;
}

function ipv6HeaderLength(ip: Ipv6Spec): number {
  return 40 + (ip.ext ?? []).reduce((n, e) => n + buildExt(e, 0).length, 0);
}

/** An IP packet (no link layer) with correct lengths and checksums unless overridden. */
export function buildPacket(spec: PacketSpec): Buffer {
  const { ip, l4 } = spec;
  const payload = spec.payload ?? Buffer.alloc(0);
  if (ip.v === 4) {
    const opts = padTo(ip.options ?? Buffer.alloc(0), 4);
    const hlen = 20 + opts.length;
    if (hlen > 60) throw new Error(`IPv4 options too long: header would be ${hlen} bytes`);
    const body = buildL4(l4, payload, ip, hlen);
    const h = Buffer.alloc(hlen);
    h[0] = ((ip.version ?? 4) << 4) | ((ip.ihl ?? hlen / 4) & 0xf);
    h[1] = ip.tos ?? 0;
    h.writeUInt16BE(ip.totalLength ?? hlen + body.length, 2);
    h.writeUInt16BE(ip.id ?? 0x1234, 4);
    const off = ip.fragOffset ?? 0;
    if (off % 8 !== 0) throw new Error(`fragment offset ${off} is not a multiple of 8`);
    h.writeUInt16BE((ip.df ? 0x4000 : 0) | (ip.mf ? 0x2000 : 0) | (off / 8), 6);
    h[8] = ip.ttl ?? 64;
    h[9] = ip.proto ?? l4ProtoNumber(l4, 4);
    parseV4(ip.src).copy(h, 12);
    parseV4(ip.dst).copy(h, 16);
    opts.copy(h, 20);
    h.writeUInt16BE(ip.checksum ?? internetChecksum(h), 10);
    return Buffer.concat([h, body]);
  }
  const exts = ip.ext ?? [];
  const upper = l4ProtoNumber(l4, 6);
  const extBufs = exts.map((e, i) => buildExt(e, i + 1 < exts.length ? extProto(exts[i + 1]) : upper));
  const extLen = extBufs.reduce((n, b) => n + b.length, 0);
  const body = buildL4(l4, payload, ip, 40 + extLen);
  const h = Buffer.alloc(40);
  h.writeUInt32BE((((ip.version ?? 6) << 28) | ((ip.trafficClass ?? 0) << 20) | ((ip.flowLabel ?? 0) & 0xfffff)) >>> 0, 0);
  h.writeUInt16BE(ip.payloadLength ?? extLen + body.length, 4);
  h[6] = ip.nextHeader ?? (exts.length ? extProto(exts[0]) : upper);
  h[7] = ip.hopLimit ?? 64;
  parseV6(ip.src).copy(h, 8);
  parseV6(ip.dst).copy(h, 24);
  return Buffer.concat([h, ...extBufs, body]);
}

/** Puts an IP packet into an Ethernet frame (with optional 802.1Q / QinQ tags). */
export function wrapEthernet(packet: Buffer, v: 4 | 6, eth: EthSpec = {}, vlan?: FrameSpec['vlan']): Buffer {
  const tags: VlanSpec[] = vlan === undefined ? [] : typeof vlan === 'number' ? [{ id: vlan }] : Array.isArray(vlan) ? vlan : [vlan];
  const h = Buffer.alloc(14 + 4 * tags.length);
  parseMac(eth.dst ?? '02:00:00:00:00:02').copy(h, 0);
  parseMac(eth.src ?? '02:00:00:00:00:01').copy(h, 6);
  let off = 12;
  for (const t of tags) {
    if (t.id < 0 || t.id > 4095) throw new Error(`VLAN id ${t.id} out of 0..4095`);
    h.writeUInt16BE(t.tpid ?? ETH_VLAN, off);
    h.writeUInt16BE(((t.pcp ?? 0) << 13) | (t.dei ? 0x1000 : 0) | t.id, off + 2);
    off += 4;
  }
  h.writeUInt16BE(eth.type ?? (v === 4 ? ETH_IPV4 : ETH_IPV6), off);
  return Buffer.concat([h, packet]);
}

export function buildFrame(spec: FrameSpec): Buffer {
  return wrapEthernet(buildPacket(spec), spec.ip.v, spec.eth, spec.vlan);
}

/**
 * Splits an IP packet (no link layer) into fragments carrying at most `chunk` payload bytes each
 * (multiple of 8). IPv4 copies the header (options included) and sets MF/offset; IPv6 inserts a
 * fragment header after the per-fragment part (hop-by-hop, routing). Checksums are recomputed.
 */
export function fragmentPacket(packet: Buffer, chunk: number, id = 0x4242): Buffer[] {
  if (chunk <= 0 || chunk % 8 !== 0) throw new Error('chunk must be a positive multiple of 8');
  const v = packet[0] >> 4;
  const out: Buffer[] = [];
  if (v === 4) {
    const hlen = (packet[0] & 0xf) * 4;
    const data = packet.subarray(hlen, packet.readUInt16BE(2));
    for (let off = 0; off < data.length; off += chunk) {
      const part = data.subarray(off, off + chunk);
      const h = Buffer.from(packet.subarray(0, hlen));
      h.writeUInt16BE(hlen + part.length, 2);
      h.writeUInt16BE(id, 4);
      const more = off + chunk < data.length;
      h.writeUInt16BE((h.readUInt16BE(6) & 0x4000) | (more ? 0x2000 : 0) | (off / 8), 6);
      h.writeUInt16BE(0, 10);
      h.writeUInt16BE(internetChecksum(h), 10);
      out.push(Buffer.concat([h, part]));
    }
    return out;
  }
  // IPv6: the unfragmentable part is the fixed header plus hop-by-hop and routing headers.
  let next = packet[6];
  let pos = 40;
  let lastNextField = 6;
  while (next === IPPROTO.HOPOPTS || next === IPPROTO.ROUTING) {
    lastNextField = pos;
    next = packet[pos];
    pos += (packet[pos + 1] + 1) * 8;
  }
  const unfrag = Buffer.from(packet.subarray(0, pos));
  unfrag[lastNextField] = IPPROTO.FRAGMENT;
  const data = packet.subarray(pos, 40 + packet.readUInt16BE(4));
  for (let off = 0; off < data.length; off += chunk) {
    const part = data.subarray(off, off + chunk);
    const fh = Buffer.alloc(8);
    fh[0] = next;
    fh.writeUInt16BE(((off / 8) << 3) | (off + chunk < data.length ? 1 : 0), 2);
    fh.writeUInt32BE(id >>> 0, 4);
    const h = Buffer.from(unfrag);
    h.writeUInt16BE(pos - 40 + 8 + part.length, 4);
    out.push(Buffer.concat([h, fh, part]));
  }
  return out;
}

// ---- decoder ----------------------------------------------------------------------------------

export class PacketDecodeError extends Error {
  constructor(
    readonly layer: string,
    readonly offset: number,
    reason: string,
  ) {
    super(`${layer} at byte ${offset}: ${reason}`);
    this.name = 'PacketDecodeError';
  }
}

export interface DecodedEth {
  dst: string;
  src: string;
  /** Ethertype after any VLAN tags. */
  type: number;
}

export interface DecodedVlan {
  tpid: number;
  id: number;
  pcp: number;
  dei: boolean;
}

export interface DecodedIpv4 {
  v: 4;
  src: string;
  dst: string;
  ihl: number;
  headerLength: number;
  tos: number;
  totalLength: number;
  id: number;
  df: boolean;
  mf: boolean;
  /** Bytes. */
  fragOffset: number;
  ttl: number;
  proto: number;
  checksum: number;
  options: Buffer;
  /** Offset of the IP header in the decoded buffer. */
  offset: number;
}

export interface DecodedIpv6Ext {
  protocol: number;
  name: string;
  offset: number;
  length: number;
  /** Fragment header fields. */
  fragOffset?: number;
  more?: boolean;
  id?: number;
  /** Routing header fields. */
  routingType?: number;
  segmentsLeft?: number;
}

export interface DecodedIpv6 {
  v: 6;
  src: string;
  dst: string;
  trafficClass: number;
  flowLabel: number;
  payloadLength: number;
  hopLimit: number;
  /** Next header of the fixed header. */
  nextHeader: number;
  ext: DecodedIpv6Ext[];
  /** Upper-layer protocol after the extension chain. */
  proto: number;
  /** Fixed header plus extension headers. */
  headerLength: number;
  fragment?: { offset: number; more: boolean; id: number };
  offset: number;
}

export type DecodedIp = DecodedIpv4 | DecodedIpv6;

export interface DecodedTcp {
  proto: 'tcp';
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  dataOffset: number;
  flags: string;
  flagBits: number;
  window: number;
  checksum: number;
  urgent: number;
  options: Buffer;
  payload: Buffer;
}

export interface DecodedUdp {
  proto: 'udp';
  sport: number;
  dport: number;
  length: number;
  checksum: number;
  payload: Buffer;
}

export interface DecodedIcmp {
  proto: 'icmp' | 'icmpv6';
  type: number;
  code: number;
  checksum: number;
  kind?: 'echo-request' | 'echo-reply' | IcmpErrorKind;
  id?: number;
  seq?: number;
  mtu?: number;
  pointer?: number;
  /** For errors: the embedded packet, decoded leniently (it is usually truncated). */
  inner?: DecodedPacket;
  /** For errors: the embedded bytes as they are. */
  innerBytes?: Buffer;
  /** For errors whose embedded packet could not be decoded: why. */
  innerError?: string;
  payload: Buffer;
}

/** For the upper layer of fragments after the first, or unknown protocols. */
export interface DecodedRaw {
  proto: 'raw';
  protocol: number;
  payload: Buffer;
}

export type DecodedL4 = DecodedTcp | DecodedUdp | DecodedIcmp | DecodedRaw;

export interface DecodedPacket {
  ip: DecodedIp;
  /** Absent when the packet is a non-first fragment or, for embedded packets, when cut before the L4 header. */
  l4?: DecodedL4;
  /** Embedded packets: the IP length fields claim more than the bytes present. */
  truncated?: boolean;
}

export interface DecodedFrame extends DecodedPacket {
  eth: DecodedEth;
  vlan: DecodedVlan[];
}

const EXT_NAMES: Record<number, string> = { 0: 'hop-by-hop', 43: 'routing', 44: 'fragment', 51: 'ah', 60: 'dest-opts', 135: 'mobility', 139: 'hip', 140: 'shim6', 253: 'experimental-253', 254: 'experimental-254' };
/** An extension chain longer than this is treated as an attack (RFC 7112 leaves the limit to us). */
export const MAX_IPV6_EXT_HEADERS = 16;

const ICMP4_KINDS: Record<number, DecodedIcmp['kind']> = { 0: 'echo-reply', 3: 'dest-unreachable', 8: 'echo-request', 11: 'time-exceeded', 12: 'param-problem' };
const ICMP6_KINDS: Record<number, DecodedIcmp['kind']> = { 1: 'dest-unreachable', 2: 'packet-too-big', 3: 'time-exceeded', 4: 'param-problem', 128: 'echo-request', 129: 'echo-reply' };

function need(buf: Buffer, off: number, n: number, layer: string): void {
  if (off + n > buf.length) throw new PacketDecodeError(layer, off, `truncated: need ${n} bytes, have ${Math.max(0, buf.length - off)}`);
}

interface IpResult {
  ip: DecodedIp;
  /** Offset of the L4 header. */
  l4Offset: number;
  /** End of the IP packet per its length field, clipped to the buffer when embedded. */
  end: number;
  truncated: boolean;
}

function decodeIpv4(buf: Buffer, off: number, embedded: boolean): IpResult {
  need(buf, off, 20, 'ipv4');
  const ihl = buf[off] & 0xf;
  if (ihl < 5) throw new PacketDecodeError('ipv4', off, `IHL ${ihl} < 5`);
  const hlen = ihl * 4;
  need(buf, off, hlen, 'ipv4');
  const totalLength = buf.readUInt16BE(off + 2);
  if (totalLength < hlen) throw new PacketDecodeError('ipv4', off, `total length ${totalLength} < header length ${hlen}`);
  let truncated = false;
  if (off + totalLength > buf.length) {
    if (!embedded) throw new PacketDecodeError('ipv4', off, `total length ${totalLength} exceeds the ${buf.length - off} bytes present`);
    truncated = true;
  }
  const fl = buf.readUInt16BE(off + 6);
  const ip: DecodedIpv4 = {
    v: 4,
    src: formatV4(buf, off + 12),
    dst: formatV4(buf, off + 16),
    ihl,
    headerLength: hlen,
    tos: buf[off + 1],
    totalLength,
    id: buf.readUInt16BE(off + 4),
    df: (fl & 0x4000) !== 0,
    mf: (fl & 0x2000) !== 0,
    fragOffset: (fl & 0x1fff) * 8,
    ttl: buf[off + 8],
    proto: buf[off + 9],
    checksum: buf.readUInt16BE(off + 10),
    options: Buffer.from(buf.subarray(off + 20, off + hlen)),
    offset: off,
  };
  return { ip, l4Offset: off + hlen, end: Math.min(off + totalLength, buf.length), truncated };
}

function decodeIpv6(buf: Buffer, off: number, embedded: boolean): IpResult {
  need(buf, off, 40, 'ipv6');
  const w = buf.readUInt32BE(off);
  const payloadLength = buf.readUInt16BE(off + 4);
  let truncated = false;
  if (off + 40 + payloadLength > buf.length) {
    if (!embedded) throw new PacketDecodeError('ipv6', off, `payload length ${payloadLength} exceeds the ${buf.length - off - 40} bytes present`);
    truncated = true;
  }
  const end = Math.min(off + 40 + payloadLength, buf.length);
  const ip: DecodedIpv6 = {
    v: 6,
    src: formatV6(buf, off + 8),
    dst: formatV6(buf, off + 24),
    trafficClass: (w >>> 20) & 0xff,
    flowLabel: w & 0xfffff,
    payloadLength,
    hopLimit: buf[off + 7],
    nextHeader: buf[off + 6],
    ext: [],
    proto: buf[off + 6],
    headerLength: 40,
    offset: off,
  };
  let next = buf[off + 6];
  let pos = off + 40;
  while (next in EXT_NAMES) {
    if (ip.ext.length >= MAX_IPV6_EXT_HEADERS) throw new PacketDecodeError('ipv6-ext', pos, `more than ${MAX_IPV6_EXT_HEADERS} extension headers`);
    if (next === IPPROTO.HOPOPTS && ip.ext.length > 0) throw new PacketDecodeError('ipv6-ext', pos, 'hop-by-hop header not first');
    if (pos + 8 > end) {
      if (embedded && truncated) break;
      throw new PacketDecodeError('ipv6-ext', pos, `${EXT_NAMES[next]} header truncated`);
    }
    const len = next === IPPROTO.FRAGMENT ? 8 : next === IPPROTO.AH ? (buf[pos + 1] + 2) * 4 : (buf[pos + 1] + 1) * 8;
    if (pos + len > end) {
      if (embedded && truncated) break;
      throw new PacketDecodeError('ipv6-ext', pos, `${EXT_NAMES[next]} header length ${len} runs past the packet`);
    }
    const e: DecodedIpv6Ext = { protocol: next, name: EXT_NAMES[next], offset: pos, length: len };
    if (next === IPPROTO.FRAGMENT) {
      const f = buf.readUInt16BE(pos + 2);
      e.fragOffset = (f >> 3) * 8;
      e.more = (f & 1) === 1;
      e.id = buf.readUInt32BE(pos + 4);
      ip.fragment = { offset: e.fragOffset, more: e.more, id: e.id };
    } else if (next === IPPROTO.ROUTING) {
      e.routingType = buf[pos + 2];
      e.segmentsLeft = buf[pos + 3];
    }
    ip.ext.push(e);
    next = buf[pos];
    pos += len;
  }
  ip.proto = next;
  ip.headerLength = pos - off;
  return { ip, l4Offset: pos, end, truncated };
}

function decodeL4(buf: Buffer, r: IpResult, embedded: boolean): DecodedL4 | undefined {
  const { ip, l4Offset: o, end } = r;
  const fragOff = ip.v === 4 ? ip.fragOffset : ip.fragment?.offset ?? 0;
  if (fragOff > 0) return { proto: 'raw', protocol: ip.proto, payload: Buffer.from(buf.subarray(o, end)) };
  const avail = end - o;
  // Embedded packets often carry only 8 bytes of L4 (RFC 792), and a first fragment may be tiny:
  // decode what is there instead of failing.
  const partialOk = embedded || Boolean(ip.v === 4 ? ip.mf : ip.fragment?.more);
  switch (ip.proto) {
    case IPPROTO.TCP: {
      if (avail < 20 && partialOk) {
        if (avail < 8) return undefined;
        const t: DecodedTcp = {
          proto: 'tcp', sport: buf.readUInt16BE(o), dport: buf.readUInt16BE(o + 2), seq: buf.readUInt32BE(o + 4),
          ack: avail >= 12 ? buf.readUInt32BE(o + 8) : 0, dataOffset: avail >= 13 ? buf[o + 12] >> 4 : 0,
          flagBits: avail >= 14 ? buf[o + 13] : 0, flags: avail >= 14 ? tcpFlagString(buf[o + 13]) : '',
          window: avail >= 16 ? buf.readUInt16BE(o + 14) : 0, checksum: avail >= 18 ? buf.readUInt16BE(o + 16) : 0,
          urgent: 0, options: Buffer.alloc(0), payload: Buffer.alloc(0),
        };
        return t;
      }
      need(buf.subarray(0, end), o, 20, 'tcp');
      const doff = buf[o + 12] >> 4;
      if (doff < 5) throw new PacketDecodeError('tcp', o, `data offset ${doff} < 5`);
      if (doff * 4 > avail && !embedded) throw new PacketDecodeError('tcp', o, `data offset ${doff} (${doff * 4} bytes) runs past the segment (${avail} bytes)`);
      const hl = Math.min(doff * 4, avail);
      return {
        proto: 'tcp', sport: buf.readUInt16BE(o), dport: buf.readUInt16BE(o + 2), seq: buf.readUInt32BE(o + 4),
        ack: buf.readUInt32BE(o + 8), dataOffset: doff, flagBits: buf[o + 13], flags: tcpFlagString(buf[o + 13]),
        window: buf.readUInt16BE(o + 14), checksum: buf.readUInt16BE(o + 16), urgent: buf.readUInt16BE(o + 18),
        options: Buffer.from(buf.subarray(o + 20, o + hl)), payload: Buffer.from(buf.subarray(o + hl, end)),
      };
    }
    case IPPROTO.UDP: {
      if (avail < 8 && embedded) return undefined;
      need(buf.subarray(0, end), o, 8, 'udp');
      const length = buf.readUInt16BE(o + 4);
      if (!embedded && !(ip.v === 4 ? ip.mf : ip.fragment?.more)) {
        if (length < 8) throw new PacketDecodeError('udp', o, `length ${length} < 8`);
        if (length > avail) throw new PacketDecodeError('udp', o, `length ${length} exceeds the ${avail} bytes of IP payload`);
      }
      return {
        proto: 'udp', sport: buf.readUInt16BE(o), dport: buf.readUInt16BE(o + 2), length, checksum: buf.readUInt16BE(o + 6),
        payload: Buffer.from(buf.subarray(o + 8, embedded ? end : Math.min(end, o + Math.max(length, 8)))),
      };
    }
    case IPPROTO.ICMP:
    case IPPROTO.ICMPV6: {
      const v6 = ip.proto === IPPROTO.ICMPV6;
      if (avail < 8 && embedded) return undefined;
      need(buf.subarray(0, end), o, 8, v6 ? 'icmpv6' : 'icmp');
      const type = buf[o];
      const m: DecodedIcmp = {
        proto: v6 ? 'icmpv6' : 'icmp', type, code: buf[o + 1], checksum: buf.readUInt16BE(o + 2),
        kind: (v6 ? ICMP6_KINDS : ICMP4_KINDS)[type], payload: Buffer.from(buf.subarray(o + 8, end)),
      };
      if (m.kind === 'echo-request' || m.kind === 'echo-reply') {
        m.id = buf.readUInt16BE(o + 4);
        m.seq = buf.readUInt16BE(o + 6);
      } else if (m.kind) {
        if (m.kind === 'packet-too-big') m.mtu = buf.readUInt32BE(o + 4);
        if (m.kind === 'dest-unreachable' && !v6 && m.code === 4) m.mtu = buf.readUInt16BE(o + 6);
        if (m.kind === 'param-problem') m.pointer = v6 ? buf.readUInt32BE(o + 4) : buf[o + 4];
        m.innerBytes = m.payload;
        // An error about an error is not generated (RFC 1122/4443), so one level of nesting suffices.
        if (!embedded) {
          try {
            m.inner = decodePacket(m.payload, { embedded: true });
          } catch (e) {
            m.innerError = (e as Error).message;
          }
        }
      }
      return m;
    }
    default:
      return { proto: 'raw', protocol: ip.proto, payload: Buffer.from(buf.subarray(o, end)) };
  }
}

/**
 * Decodes an IP packet. `embedded`: the packet sits inside an ICMP error, so its length fields
 * may claim more than is present and its L4 header may be cut after 8 bytes.
 */
export function decodePacket(buf: Buffer, opts: { embedded?: boolean; offset?: number } = {}): DecodedPacket {
  const off = opts.offset ?? 0;
  const embedded = opts.embedded ?? false;
  need(buf, off, 1, 'ip');
  const v = buf[off] >> 4;
  let r: IpResult;
  if (v === 4) r = decodeIpv4(buf, off, embedded);
  else if (v === 6) r = decodeIpv6(buf, off, embedded);
  else throw new PacketDecodeError('ip', off, `version ${v}`);
  const l4 = decodeL4(buf, r, embedded);
  const out: DecodedPacket = { ip: r.ip };
  if (l4) out.l4 = l4;
  if (r.truncated) out.truncated = true;
  return out;
}

/** Decodes an Ethernet frame (802.1Q/QinQ tags allowed); throws PacketDecodeError on malformed input. */
export function decodeFrame(buf: Buffer): DecodedFrame {
  need(buf, 0, 14, 'eth');
  const vlan: DecodedVlan[] = [];
  let off = 12;
  let type = buf.readUInt16BE(off);
  while (type === ETH_VLAN || type === ETH_QINQ) {
    need(buf, off, 6, 'vlan');
    const tci = buf.readUInt16BE(off + 2);
    vlan.push({ tpid: type, id: tci & 0xfff, pcp: tci >> 13, dei: (tci & 0x1000) !== 0 });
    off += 4;
    type = buf.readUInt16BE(off);
  }
  const eth: DecodedEth = { dst: formatMac(buf, 0), src: formatMac(buf, 6), type };
  off += 2;
  if (type !== ETH_IPV4 && type !== ETH_IPV6) throw new PacketDecodeError('eth', 12, `ethertype 0x${type.toString(16).padStart(4, '0')} is not IP`);
  const p = decodePacket(buf, { offset: off });
  const want = type === ETH_IPV4 ? 4 : 6;
  if (p.ip.v !== want) throw new PacketDecodeError('ip', off, `version ${p.ip.v} under ethertype for IPv${want}`);
  return { eth, vlan, ...p };
}

/** Byte offset of the IP header in a frame (after Ethernet and VLAN tags). */
export function ipOffset(frame: Buffer): number {
  let off = 12;
  while (off + 2 <= frame.length && [ETH_VLAN, ETH_QINQ].includes(frame.readUInt16BE(off))) off += 4;
  return off + 2;
}

export interface FiveTuple {
  v: 4 | 6;
  proto: number;
  src: string;
  dst: string;
  /** Ports for TCP/UDP; the echo id (as both) for ICMP echo; 0 otherwise. */
  sport: number;
  dport: number;
}

/** The flow key a NAT/LB/firewall would use for this packet, or undefined for non-first fragments. */
export function fiveTuple(p: DecodedPacket): FiveTuple | undefined {
  const l4 = p.l4;
  if (!l4 || l4.proto === 'raw') return undefined;
  const base = { v: p.ip.v, proto: p.ip.proto, src: p.ip.src, dst: p.ip.dst };
  if (l4.proto === 'tcp' || l4.proto === 'udp') return { ...base, sport: l4.sport, dport: l4.dport };
  return { ...base, sport: l4.id ?? 0, dport: l4.id ?? 0 };
}

// ---- checksum verification --------------------------------------------------------------------

export interface ChecksumReport {
  /** IPv4 header checksum; undefined for IPv6. */
  ip?: boolean;
  /** TCP / UDP / ICMP / ICMPv6 checksum; undefined when it cannot be checked (non-first or first-of-several fragment, unknown protocol). */
  l4?: boolean;
  l4Proto?: 'tcp' | 'udp' | 'icmp' | 'icmpv6';
  /** Inside an ICMP error: the embedded packet. */
  inner?: {
    /** Embedded IPv4 header checksum (always checkable: the header is complete). */
    ip?: boolean;
    /**
     * Embedded L4 checksum, checked only when the embedded packet is complete (its IP length
     * fits in the bytes present) and not a fragment; undefined otherwise, since a checksum over
     * a truncated payload cannot be verified.
     */
    l4?: boolean;
  };
  /** Every checkable checksum is right. */
  ok: boolean;
}

function l4Check(r: DecodedPacket, ipBuf: Buffer, ipOff: number): boolean | undefined {
  const ip = r.ip;
  if (!r.l4 || r.l4.proto === 'raw' || r.truncated) return undefined;
  if (ip.v === 4 ? ip.mf || ip.fragOffset > 0 : ip.fragment !== undefined) return undefined;
  const start = ipOff + ip.headerLength;
  const end = ip.v === 4 ? ipOff + ip.totalLength : ipOff + 40 + ip.payloadLength;
  const seg = ipBuf.subarray(start, end);
  const src = ipToBytes(ip.src);
  let dst = ipToBytes(ip.dst);
  if (ip.v === 6) {
    // Pseudo-header uses the final destination: last address of a type 0/2 routing header with segments left.
    const rt = ip.ext.find((e) => e.protocol === IPPROTO.ROUTING && (e.routingType === 0 || e.routingType === 2) && (e.segmentsLeft ?? 0) > 0);
    if (rt && rt.length >= 24) dst = Buffer.from(ipBuf.subarray(rt.offset + rt.length - 16, rt.offset + rt.length));
  }
  switch (r.l4.proto) {
    case 'tcp':
      return onesSum(pseudoHeader(ip.v, src, dst, IPPROTO.TCP, seg.length), seg) === 0xffff;
    case 'udp':
      if (r.l4.checksum === 0) return ip.v === 4; // IPv4 allows "no checksum"; IPv6 does not (RFC 8200)
      return onesSum(pseudoHeader(ip.v, src, dst, IPPROTO.UDP, seg.length), seg) === 0xffff;
    case 'icmp':
      return onesSum(seg) === 0xffff;
    case 'icmpv6':
      return onesSum(pseudoHeader(6, src, dst, IPPROTO.ICMPV6, seg.length), seg) === 0xffff;
  }
}

/**
 * Verifies every checksum from scratch (full one's-complement sums, no incremental update).
 * Accepts an Ethernet frame, or an IP packet with `{ packet: true }`.
 */
export function checkChecksums(buf: Buffer, opts: { packet?: boolean } = {}): ChecksumReport {
  const off = opts.packet ? 0 : ipOffset(buf);
  const p = opts.packet ? decodePacket(buf) : decodeFrame(buf);
  const rep: ChecksumReport = { ok: true };
  if (p.ip.v === 4) rep.ip = onesSum(buf.subarray(off, off + p.ip.headerLength)) === 0xffff;
  if (p.l4 && p.l4.proto !== 'raw') rep.l4Proto = p.l4.proto;
  rep.l4 = l4Check(p, buf, off);
  if (p.l4 && (p.l4.proto === 'icmp' || p.l4.proto === 'icmpv6') && p.l4.inner) {
    const innerBuf = p.l4.innerBytes!;
    const inner = p.l4.inner;
    rep.inner = {};
    if (inner.ip.v === 4) rep.inner.ip = onesSum(innerBuf.subarray(0, inner.ip.headerLength)) === 0xffff;
    const l4 = l4Check(inner, innerBuf, 0);
    if (l4 !== undefined) rep.inner.l4 = l4;
  }
  rep.ok = [rep.ip, rep.l4, rep.inner?.ip, rep.inner?.l4].every((x) => x !== false);
  return rep;
}

// ---- malformed input --------------------------------------------------------------------------

export interface MalformedFrame {
  name: string;
  /** Rough class, matching the engine's DropReason names where one fits. */
  kind: 'truncated' | 'bad_ethertype' | 'bad_ip_version' | 'bad_ihl' | 'bad_ip_length' | 'bad_ipv6_chain' | 'bad_l4_header' | 'bad_options' | 'bad_icmp_inner' | 'tiny_fragment';
  frame: Buffer;
}

/** Every prefix of `frame` shorter than it (lengths 0 .. len-1, stepping by `step`). */
export function truncations(frame: Buffer, step = 1): Buffer[] {
  const out: Buffer[] = [];
  for (let n = 0; n < frame.length; n += step) out.push(Buffer.from(frame.subarray(0, n)));
  return out;
}

const V4 = { v: 4 as const, src: '10.0.0.1', dst: '192.0.2.1' };
const V6 = { v: 6 as const, src: 'fd00::1', dst: '2001:db8::1' };
const TCP: TcpSpec = { proto: 'tcp', sport: 40000, dport: 80, flags: 'S', seq: 1 };

function patch(frame: Buffer, at: number, bytes: number[]): Buffer {
  const f = Buffer.from(frame);
  bytes.forEach((b, i) => (f[at + i] = b));
  return f;
}

/** Reseals the IPv4 header checksum so only the intended defect remains. */
function resealV4(frame: Buffer): Buffer {
  const off = ipOffset(frame);
  const hlen = Math.max(20, (frame[off] & 0xf) * 4);
  if (off + hlen > frame.length) return frame;
  frame.writeUInt16BE(0, off + 10);
  frame.writeUInt16BE(internetChecksum(frame.subarray(off, off + hlen)), off + 10);
  return frame;
}

/** One or more frames for every class of malformed input the engine must count and drop without crashing. */
export function malformedFrames(): MalformedFrame[] {
  const tcp4 = buildFrame({ ip: V4, l4: TCP, payload: Buffer.from('hello') });
  const tcp6 = buildFrame({ ip: V6, l4: TCP });
  const o4 = 14;
  const out: MalformedFrame[] = [
    { name: 'empty frame', kind: 'truncated', frame: Buffer.alloc(0) },
    { name: 'ethernet header cut at 13 bytes', kind: 'truncated', frame: tcp4.subarray(0, 13) },
    { name: 'vlan tag with nothing after it', kind: 'truncated', frame: buildFrame({ vlan: 10, ip: V4, l4: TCP }).subarray(0, 16) },
    { name: 'ipv4 header cut at 19 bytes', kind: 'truncated', frame: tcp4.subarray(0, o4 + 19) },
    { name: 'tcp header cut at 10 bytes (ipv4 lengths consistent)', kind: 'truncated', frame: buildFrame({ ip: V4, l4: { proto: 'raw', protocol: IPPROTO.TCP }, payload: Buffer.alloc(10) }) },
    { name: 'udp header cut at 4 bytes', kind: 'truncated', frame: buildFrame({ ip: V4, l4: { proto: 'raw', protocol: IPPROTO.UDP }, payload: Buffer.alloc(4) }) },
    { name: 'icmp header cut at 3 bytes', kind: 'truncated', frame: buildFrame({ ip: V4, l4: { proto: 'raw', protocol: IPPROTO.ICMP }, payload: Buffer.alloc(3) }) },
    { name: 'ipv6 header cut at 39 bytes', kind: 'truncated', frame: tcp6.subarray(0, 14 + 39) },
    { name: 'not IP: ARP ethertype', kind: 'bad_ethertype', frame: buildFrame({ eth: { type: 0x0806 }, ip: V4, l4: TCP }) },
    { name: 'ipv4 ethertype, version 6', kind: 'bad_ip_version', frame: buildFrame({ eth: { type: ETH_IPV4 }, ip: V6, l4: TCP }) },
    { name: 'ipv4 ethertype, version 5', kind: 'bad_ip_version', frame: buildFrame({ ip: { ...V4, version: 5 }, l4: TCP }) },
    { name: 'ipv6 ethertype, version 4', kind: 'bad_ip_version', frame: buildFrame({ eth: { type: ETH_IPV6 }, ip: V4, l4: TCP }) },
    { name: 'ipv4 IHL 4', kind: 'bad_ihl', frame: buildFrame({ ip: { ...V4, ihl: 4 }, l4: TCP }) },
    { name: 'ipv4 IHL 0', kind: 'bad_ihl', frame: buildFrame({ ip: { ...V4, ihl: 0 }, l4: TCP }) },
    { name: 'ipv4 IHL 15 with a 20-byte header and no payload', kind: 'bad_ihl', frame: resealV4(patch(buildFrame({ ip: V4, l4: { proto: 'raw', protocol: 6 } }), o4, [0x4f])) },
    { name: 'ipv4 total length beyond the frame', kind: 'bad_ip_length', frame: buildFrame({ ip: { ...V4, totalLength: 1500 }, l4: TCP }) },
    { name: 'ipv4 total length below the header length', kind: 'bad_ip_length', frame: buildFrame({ ip: { ...V4, totalLength: 19 }, l4: TCP }) },
    { name: 'ipv4 total length 0', kind: 'bad_ip_length', frame: buildFrame({ ip: { ...V4, totalLength: 0 }, l4: TCP }) },
    { name: 'ipv6 payload length beyond the frame', kind: 'bad_ip_length', frame: buildFrame({ ip: { ...V6, payloadLength: 1000 }, l4: TCP }) },
    {
      name: 'ipv4 option with length 0 (loops a naive option walker)',
      kind: 'bad_options',
      frame: buildFrame({ ip: { ...V4, options: Buffer.from([0x07, 0x00, 0x00, 0x00]) }, l4: TCP }),
    },
    {
      name: 'ipv4 option length running past the header',
      kind: 'bad_options',
      frame: buildFrame({ ip: { ...V4, options: Buffer.from([0x07, 0x27, 0x04, 0x00]) }, l4: TCP }),
    },
    {
      name: 'tcp option with length 0 (loops a naive option walker)',
      kind: 'bad_options',
      frame: buildFrame({ ip: V4, l4: { ...TCP, options: Buffer.from([0x02, 0x00, 0x05, 0xb4]) } }),
    },
    {
      name: 'tcp option length running past the data offset',
      kind: 'bad_options',
      frame: buildFrame({ ip: V4, l4: { ...TCP, options: Buffer.from([0x02, 0x20, 0x05, 0xb4]) } }),
    },
    { name: 'tcp data offset 4', kind: 'bad_l4_header', frame: buildFrame({ ip: V4, l4: { ...TCP, dataOffset: 4 } }) },
    { name: 'tcp data offset 0', kind: 'bad_l4_header', frame: buildFrame({ ip: V6, l4: { ...TCP, dataOffset: 0 } }) },
    { name: 'tcp data offset 15 past the segment', kind: 'bad_l4_header', frame: buildFrame({ ip: V4, l4: { ...TCP, dataOffset: 15 } }) },
    { name: 'udp length 7', kind: 'bad_l4_header', frame: buildFrame({ ip: V4, l4: { proto: 'udp', sport: 1, dport: 53, length: 7 } }) },
    { name: 'udp length beyond the ip payload', kind: 'bad_l4_header', frame: buildFrame({ ip: V6, l4: { proto: 'udp', sport: 1, dport: 53, length: 200 } }) },
    {
      name: 'ipv6 chain of 40 destination-options headers',
      kind: 'bad_ipv6_chain',
      frame: buildFrame({ ip: { ...V6, ext: Array.from({ length: 40 }, () => ({ type: 'dest-opts' as const })) }, l4: TCP }),
    },
    {
      name: 'ipv6 chain of 200 unknown experimental (253) headers',
      kind: 'bad_ipv6_chain',
      frame: buildFrame({ ip: { ...V6, ext: Array.from({ length: 200 }, () => ({ type: 'raw' as const, protocol: 253 })) }, l4: TCP }),
    },
    {
      name: 'ipv6 hop-by-hop header after a destination-options header',
      kind: 'bad_ipv6_chain',
      frame: buildFrame({ ip: { ...V6, ext: [{ type: 'dest-opts' }, { type: 'hop-by-hop' }] }, l4: TCP }),
    },
    {
      name: 'ipv6 destination-options header truncated by the payload length',
      kind: 'bad_ipv6_chain',
      frame: (() => {
        const f = buildFrame({ ip: { ...V6, ext: [{ type: 'dest-opts', options: Buffer.alloc(30, 0) }] }, l4: { proto: 'raw', protocol: 59 } });
        return patch(f, 14 + 4, [0, 16]); // payload length 16 < the 32-byte header
      })(),
    },
    {
      name: 'ipv6 extension header length field past the frame',
      kind: 'bad_ipv6_chain',
      frame: buildFrame({ ip: { ...V6, ext: [{ type: 'raw', protocol: IPPROTO.DSTOPTS, lengthField: 200 }] }, l4: TCP }),
    },
    {
      name: 'ipv6 routing header cut in the middle',
      kind: 'bad_ipv6_chain',
      frame: (() => {
        const f = buildFrame({ ip: { ...V6, ext: [{ type: 'routing', routingType: 0, addresses: ['2001:db8::9'] }] }, l4: { proto: 'raw', protocol: 59 } });
        return patch(f.subarray(0, 14 + 40 + 12), 14 + 4, [0, 12]);
      })(),
    },
    {
      name: 'ipv4 tiny first fragment: 8 bytes of TCP with MF (RFC 1858)',
      kind: 'tiny_fragment',
      frame: buildFrame({ ip: { ...V4, mf: true }, l4: { proto: 'raw', protocol: IPPROTO.TCP }, payload: Buffer.from(buildPacket({ ip: V4, l4: TCP }).subarray(20, 28)) }),
    },
    {
      name: 'ipv4 overlapping fragment rewriting the TCP header (offset 8)',
      kind: 'tiny_fragment',
      frame: buildFrame({ ip: { ...V4, fragOffset: 8 }, l4: { proto: 'raw', protocol: IPPROTO.TCP }, payload: Buffer.alloc(24, 0xff) }),
    },
    {
      name: 'icmp error whose embedded ipv4 header is cut at 10 bytes',
      kind: 'bad_icmp_inner',
      frame: buildFrame({ ip: V4, l4: { proto: 'icmp', type: 'time-exceeded', inner: buildPacket({ ip: V4, l4: TCP }), innerLength: 10 } }),
    },
    {
      name: 'icmp error embedding an ipv4 header with IHL 3',
      kind: 'bad_icmp_inner',
      frame: buildFrame({ ip: V4, l4: { proto: 'icmp', type: 'dest-unreachable', code: 3, inner: buildPacket({ ip: { ...V4, ihl: 3 }, l4: TCP }) } }),
    },
    {
      name: 'icmp error embedding an ipv6 packet',
      kind: 'bad_icmp_inner',
      frame: buildFrame({ ip: V4, l4: { proto: 'icmp', type: 'dest-unreachable', inner: buildPacket({ ip: V6, l4: TCP }) } }),
    },
    {
      name: 'icmp error embedding an icmp error',
      kind: 'bad_icmp_inner',
      frame: buildFrame({
        ip: V4,
        l4: { proto: 'icmp', type: 'time-exceeded', inner: { ip: V4, l4: { proto: 'icmp', type: 'dest-unreachable', inner: { ip: V4, l4: TCP } } } },
      }),
    },
    {
      name: 'icmpv6 error with an empty body',
      kind: 'bad_icmp_inner',
      frame: buildFrame({ ip: V6, l4: { proto: 'icmp', type: 1, code: 0 } }),
    },
  ];
  return out;
}
