// The replay's own reading of a frame: where the IP header, the addresses, the ports and the
// ICMP error's quoted packet are. Independent of native/packet on purpose: the replay checks
// the engine's output, so it must not see frames through the engine's eyes.

export const PROTO = { ICMP: 1, TCP: 6, UDP: 17, ICMP6: 58 } as const;

export interface IpView {
  family: 4 | 6;
  /** Offset of the IP header in the frame. */
  l3: number;
  srcOff: number;
  dstOff: number;
  /** 4 or 16. */
  addrLen: number;
  /** Upper-layer protocol after IPv6 extension headers. */
  proto: number;
  /** Offset of the L4 header; undefined for a fragment other than the first, or when absent. */
  l4?: number;
  /** End of the IP datagram within the captured bytes. */
  end: number;
  /** The captured bytes hold the whole datagram. */
  complete: boolean;
  frag?: { id: number; first: boolean };
  /** TCP/UDP ports, ICMP echo identifier (as both), when present in the captured bytes. */
  sport?: number;
  dport?: number;
  icmpType?: number;
  /** The packet an ICMP error quotes. */
  quoted?: IpView;
}

export interface FrameView extends IpView {
  /** Offset of the ethertype that announced the IP header (after VLAN tags). */
  ethertypeOff: number;
  vlans: number;
}

const EXT_HEADERS = new Set([0, 43, 60, 51, 135, 139, 140]);

export function isIcmpError(proto: number, type: number): boolean {
  if (proto === PROTO.ICMP) return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
  if (proto === PROTO.ICMP6) return type >= 1 && type <= 4;
  return false;
}

export function isEcho(proto: number, type: number): 'request' | 'reply' | undefined {
  if (proto === PROTO.ICMP) return type === 8 ? 'request' : type === 0 ? 'reply' : undefined;
  if (proto === PROTO.ICMP6) return type === 128 ? 'request' : type === 129 ? 'reply' : undefined;
  return undefined;
}

/** Reads an IP packet at `off`; `limit` is the end of the bytes available. */
export function parseIp(b: Buffer, off: number, limit: number, quoted = false): IpView | undefined {
  if (limit - off < 1) return undefined;
  const v = b[off] >> 4;
  let view: IpView;
  if (v === 4) {
    if (limit - off < 20) return undefined;
    const ihl = (b[off] & 0x0f) * 4;
    const total = b.readUInt16BE(off + 2);
    if (ihl < 20 || total < ihl) return undefined;
    const fragField = b.readUInt16BE(off + 6);
    const fragOff = (fragField & 0x1fff) * 8;
    const more = (fragField & 0x2000) !== 0;
    const end = Math.min(off + total, limit);
    view = {
      family: 4, l3: off, srcOff: off + 12, dstOff: off + 16, addrLen: 4, proto: b[off + 9],
      end, complete: off + total <= limit,
    };
    if (fragOff > 0 || more) view.frag = { id: b.readUInt16BE(off + 4), first: fragOff === 0 };
    if (fragOff === 0 && off + ihl <= end) view.l4 = off + ihl;
  } else if (v === 6) {
    if (limit - off < 40) return undefined;
    const payload = b.readUInt16BE(off + 4);
    const end = Math.min(off + 40 + payload, limit);
    view = {
      family: 6, l3: off, srcOff: off + 8, dstOff: off + 24, addrLen: 16, proto: b[off + 6],
      end, complete: off + 40 + payload <= limit,
    };
    let next = b[off + 6];
    let p = off + 40;
    let l4: number | undefined = p;
    while (EXT_HEADERS.has(next) || next === 44) {
      if (p + 8 > end) {
        l4 = undefined;
        break;
      }
      if (next === 44) {
        const fo = b.readUInt16BE(p + 2);
        view.frag = { id: b.readUInt32BE(p + 4), first: (fo & 0xfff8) === 0 };
        next = b[p];
        p += 8;
        if (!view.frag.first) {
          l4 = undefined;
          break;
        }
        continue;
      }
      const len = next === 51 ? (b[p + 1] + 2) * 4 : (b[p + 1] + 1) * 8;
      next = b[p];
      p += len;
    }
    view.proto = next;
    if (l4 !== undefined) l4 = p <= end ? p : undefined;
    if (l4 !== undefined) view.l4 = l4;
  } else {
    return undefined;
  }
  const l4 = view.l4;
  if (l4 !== undefined) {
    const room = view.end - l4;
    if ((view.proto === PROTO.TCP || view.proto === PROTO.UDP) && room >= 4) {
      view.sport = b.readUInt16BE(l4);
      view.dport = b.readUInt16BE(l4 + 2);
    } else if (view.proto === PROTO.ICMP || view.proto === PROTO.ICMP6) {
      if (room >= 1) view.icmpType = b[l4];
      if (room >= 8 && view.icmpType !== undefined && isEcho(view.proto, view.icmpType)) {
        view.sport = view.dport = b.readUInt16BE(l4 + 4);
      }
      if (!quoted && room >= 8 && view.icmpType !== undefined && isIcmpError(view.proto, view.icmpType)) {
        view.quoted = parseIp(b, l4 + 8, view.end, true);
      }
    }
  }
  return view;
}

/** Walks Ethernet and any 802.1Q / 802.1ad tags to the IP header. */
export function parseFrame(b: Buffer): FrameView | undefined {
  if (b.length < 14) return undefined;
  let et = b.readUInt16BE(12);
  let p = 14;
  let vlans = 0;
  while ((et === 0x8100 || et === 0x88a8 || et === 0x9100) && p + 4 <= b.length) {
    et = b.readUInt16BE(p + 2);
    p += 4;
    vlans++;
  }
  if (et !== 0x0800 && et !== 0x86dd) return undefined;
  const ip = parseIp(b, p, b.length);
  if (!ip || (ip.family === 4) !== (et === 0x0800)) return undefined;
  return { ...ip, ethertypeOff: p - 2, vlans };
}

export function addrKey(b: Buffer, off: number, len: number): string {
  return b.toString('hex', off, off + len);
}
