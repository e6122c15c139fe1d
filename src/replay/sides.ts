// Side mapping: which side of the NF each captured packet arrives on, and how a reply must look
// to reach the flow the NF set up. A capture was taken without our NF in the path, so replies
// are addressed to the initiator's real address; behind a NAT they would be addressed to the
// address and port the NAT handed out, and behind a load balancer they would come from the
// backend it chose. The mapper learns those from the engine's output for the flow's earlier
// packets and rewrites the reply (and an ICMP error's quoted packet) accordingly, checksums
// adjusted. Each store's run has its own mapper: it only learns from that store's output.
import type { FrameIn, FrameOut, Side } from '../dataplane/types.js';
import { adjust, patch, sumOf, type ChecksumField } from './checksum.js';
import type { Corpus, ReplayPacket } from './corpus.js';
import { isEcho, isIcmpError, parseFrame, PROTO, type IpView } from './packet.js';

/** How a chain maps sides: NAT (with or without the firewall), firewall alone, load balancer. */
export type MappingMode = 'nat' | 'firewall' | 'lb';

/** Where LB flows are sent: one VIP per family and protocol, each with its own port. */
export interface VipPlan {
  v4: Buffer;
  v6: Buffer;
  tcpPort: number;
  udpPort: number;
}

interface Endpoint {
  addr: Buffer;
  /** Port or ICMP echo identifier; undefined for protocols without one. */
  port?: number;
}

export interface MapperStats {
  /** Replies sent rewritten to the NAT mapping or from the chosen backend. */
  rewritten: number;
  /** Replies whose flow the engine never forwarded in the initiator's direction: sent as captured. */
  unmapped: number;
}

function l4Checksum(v: IpView): ChecksumField | undefined {
  if (v.l4 === undefined) return undefined;
  if (v.proto === PROTO.TCP) return { at: v.l4 + 16 };
  if (v.proto === PROTO.UDP) return { at: v.l4 + 6, udp: v.family };
  if (v.proto === PROTO.ICMP6 && v.family === 6) return { at: v.l4 + 2 };
  return undefined;
}

/** Checksums over a field of the pseudo-header (an address). */
function addressChecksums(v: IpView): ChecksumField[] {
  const out: ChecksumField[] = [];
  if (v.family === 4) out.push({ at: v.l3 + 10 });
  const l4 = l4Checksum(v);
  if (l4) out.push(l4);
  return out;
}

function setAddr(b: Buffer, v: IpView, which: 'src' | 'dst', addr: Buffer): void {
  const at = which === 'src' ? v.srcOff : v.dstOff;
  if (addr.length !== v.addrLen || at + v.addrLen > b.length) return;
  patch(b, at, addr, addressChecksums(v));
}

/** Port (TCP / UDP) or echo identifier (ICMP). */
function setPort(b: Buffer, v: IpView, which: 'src' | 'dst', port: number): void {
  if (v.l4 === undefined) return;
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16BE(port);
  if (v.proto === PROTO.TCP || v.proto === PROTO.UDP) {
    const at = v.l4 + (which === 'src' ? 0 : 2);
    if (at + 2 > v.end) return;
    const c = l4Checksum(v);
    patch(b, at, bytes, c ? [c] : []);
  } else if ((v.proto === PROTO.ICMP || v.proto === PROTO.ICMP6) && v.icmpType !== undefined && isEcho(v.proto, v.icmpType)) {
    if (v.l4 + 6 > v.end) return;
    patch(b, v.l4 + 4, bytes, [{ at: v.l4 + 2 }]);
  }
}

function endpointOf(b: Buffer, v: IpView, which: 'src' | 'dst'): Endpoint {
  const at = which === 'src' ? v.srcOff : v.dstOff;
  return { addr: Buffer.from(b.subarray(at, at + v.addrLen)), port: which === 'src' ? v.sport : v.dport };
}

export class SideMapper {
  /** NAT: the initiator's outside address and port. LB: the backend serving the flow. */
  private readonly learned: (Endpoint | undefined)[];
  readonly stats: MapperStats = { rewritten: 0, unmapped: 0 };

  constructor(
    private readonly mode: MappingMode,
    private readonly corpus: Corpus,
    private readonly vip: VipPlan,
  ) {
    this.learned = new Array<Endpoint | undefined>(corpus.flows.length);
  }

  /** The frame to send for packet `i`, and its side. */
  input(i: number): FrameIn {
    const p = this.corpus.packets[i];
    const fromInitiator = p.from === 'initiator';
    const side: Side = this.mode === 'lb' ? (fromInitiator ? 'outside' : 'inside') : fromInitiator ? 'inside' : 'outside';
    if (this.mode === 'firewall') return { side, data: p.frame };
    if (this.mode === 'lb' && fromInitiator) return { side, data: this.toVip(p) };
    if (fromInitiator) return { side, data: p.frame };
    const ep = this.learned[p.flow];
    if (!ep) {
      this.stats.unmapped++;
      return { side, data: p.frame };
    }
    this.stats.rewritten++;
    return { side, data: this.mode === 'nat' ? this.toNatMapping(p, ep) : this.fromBackend(p, ep) };
  }

  /** Learns the NAT mapping / the backend from a forwarded packet of the initiator. */
  learn(i: number, out: FrameOut): void {
    const p = this.corpus.packets[i];
    if (this.mode === 'firewall' || p.from !== 'initiator' || out.verdict !== 'forward' || this.learned[p.flow]) return;
    const v = parseFrame(out.data);
    if (!v || v.l4 === undefined || (v.icmpType !== undefined && isIcmpError(v.proto, v.icmpType))) return;
    this.learned[p.flow] = endpointOf(out.data, v, this.mode === 'nat' ? 'src' : 'dst');
  }

  private toVip(p: ReplayPacket): Buffer {
    const v = p.view;
    if (v.proto !== PROTO.TCP && v.proto !== PROTO.UDP) return p.frame;
    const b = Buffer.from(p.frame);
    setAddr(b, v, 'dst', v.family === 4 ? this.vip.v4 : this.vip.v6);
    setPort(b, v, 'dst', v.proto === PROTO.TCP ? this.vip.tcpPort : this.vip.udpPort);
    return b;
  }

  private fromBackend(p: ReplayPacket, ep: Endpoint): Buffer {
    const v = p.view;
    if (v.proto !== PROTO.TCP && v.proto !== PROTO.UDP) return p.frame;
    const b = Buffer.from(p.frame);
    setAddr(b, v, 'src', ep.addr);
    if (ep.port !== undefined) setPort(b, v, 'src', ep.port);
    return b;
  }

  private toNatMapping(p: ReplayPacket, ep: Endpoint): Buffer {
    const v = p.view;
    const b = Buffer.from(p.frame);
    const q = v.quoted;
    if (q && v.l4 !== undefined && v.icmpType !== undefined && isIcmpError(v.proto, v.icmpType)) {
      // The error is about a packet the initiator sent: outside the NAT, that packet carried the
      // mapping as its source, and the error is addressed to the mapping.
      const initiator = b.subarray(q.srcOff, q.srcOff + q.addrLen);
      if (b.subarray(v.dstOff, v.dstOff + v.addrLen).equals(initiator)) {
        patch(b, v.dstOff, ep.addr, v.family === 4 ? [{ at: v.l3 + 10 }] : [{ at: v.l4 + 2 }]);
      }
      const before = sumOf(b, v.l4 + 8, v.end);
      const qChecksums: ChecksumField[] = [];
      if (q.family === 4 && q.l3 + 12 <= v.end) qChecksums.push({ at: q.l3 + 10 });
      const qc = l4Checksum(q);
      const fits = (c: ChecksumField) => c.at + 2 <= v.end;
      if (q.srcOff + q.addrLen <= v.end && ep.addr.length === q.addrLen) {
        patch(b, q.srcOff, ep.addr, [...qChecksums, ...(qc && fits(qc) ? [qc] : [])]);
      }
      if (ep.port !== undefined && q.l4 !== undefined) {
        const bytes = Buffer.alloc(2);
        bytes.writeUInt16BE(ep.port);
        if ((q.proto === PROTO.TCP || q.proto === PROTO.UDP) && q.l4 + 2 <= v.end) {
          patch(b, q.l4, bytes, qc && fits(qc) ? [qc] : []);
        } else if (q.icmpType !== undefined && isEcho(q.proto, q.icmpType) && q.l4 + 6 <= v.end) {
          patch(b, q.l4 + 4, bytes, q.l4 + 4 <= v.end ? [{ at: q.l4 + 2 }] : []);
        }
      }
      adjust(b, { at: v.l4 + 2 }, before, sumOf(b, v.l4 + 8, v.end));
      return b;
    }
    setAddr(b, v, 'dst', ep.addr);
    if (ep.port !== undefined) setPort(b, v, 'dst', ep.port);
    return b;
  }
}
