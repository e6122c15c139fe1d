// Turns a captured frame of any supported link type into the Ethernet frame the engine takes.
// Captures made on "any" (Linux cooked), on tunnels (raw IP) or on BSD loopback carry no
// Ethernet header; the replay gives them one with fixed locally administered MACs, which the
// NFs never look at.
import type { CapturedFrame } from './capture.js';

export const LINKTYPE = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

/** The link types `toEthernet` accepts, for messages. */
export const SUPPORTED_LINKTYPES = Object.entries(LINKTYPE).map(([n, v]) => `${n}(${v})`);

const DST_MAC = Buffer.from([0x02, 0, 0, 0, 0, 0]);
const SRC_MAC = Buffer.from([0x02, 0, 0, 0, 0, 1]);

function wrap(ethertype: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(14 + payload.length);
  DST_MAC.copy(out, 0);
  SRC_MAC.copy(out, 6);
  out.writeUInt16BE(ethertype, 12);
  payload.copy(out, 14);
  return out;
}

function ipEthertype(payload: Buffer): number | undefined {
  if (payload.length < 1) return undefined;
  const v = payload[0] >> 4;
  return v === 4 ? 0x0800 : v === 6 ? 0x86dd : undefined;
}

/** The frame as Ethernet, or undefined when its link type or link header is not one we carry. */
export function toEthernet(f: CapturedFrame): Buffer | undefined {
  const d = f.data;
  switch (f.linkType) {
    case LINKTYPE.ETHERNET:
      return d.length >= 14 ? d : undefined;
    case LINKTYPE.RAW:
    case 12: // DLT_RAW's value on some BSDs, as libpcap writes it
    case 14:
    case LINKTYPE.IPV4:
    case LINKTYPE.IPV6: {
      const et = ipEthertype(d);
      return et === undefined ? undefined : wrap(et, d);
    }
    case LINKTYPE.NULL: {
      if (d.length < 4) return undefined;
      // The address family is in the capturing host's byte order: accept either.
      const af = d.readUInt32LE(0) <= 0xffff ? d.readUInt32LE(0) : d.readUInt32BE(0);
      const et = af === 2 ? 0x0800 : af === 24 || af === 28 || af === 30 ? 0x86dd : undefined;
      return et === undefined ? undefined : wrap(et, d.subarray(4));
    }
    case LINKTYPE.LINUX_SLL: {
      if (d.length < 16) return undefined;
      const proto = d.readUInt16BE(14);
      return proto >= 0x0600 ? wrap(proto, d.subarray(16)) : undefined;
    }
    case LINKTYPE.LINUX_SLL2: {
      if (d.length < 20) return undefined;
      const proto = d.readUInt16BE(0);
      return proto >= 0x0600 ? wrap(proto, d.subarray(20)) : undefined;
    }
    default:
      return undefined;
  }
}
