// A replay corpus: the IP frames of one or more captures, in order, each tied to a flow and a
// direction. A flow's initiator is the endpoint whose packet the capture shows first; ICMP
// errors belong to the flow they quote and travel towards the endpoint that sent the quoted
// packet; later fragments follow their first fragment.
import { readFileSync } from 'node:fs';
import { parseCapture, type CapturedFrame } from './capture.js';
import { toEthernet } from './link.js';
import { addrKey, isEcho, isIcmpError, parseFrame, PROTO, type FrameView, type IpView } from './packet.js';

export type Direction = 'initiator' | 'responder';

export interface ReplayPacket {
  /** The frame as Ethernet, as captured (never modified: sides.ts copies before rewriting). */
  frame: Buffer;
  view: FrameView;
  /** Index into Corpus.flows. */
  flow: number;
  /** Who sent it: the flow's initiator or its responder. */
  from: Direction;
  /** The flow's first packet in the corpus. */
  first: boolean;
}

export interface Flow {
  proto: number;
  family: 4 | 6;
  /** Index of its first packet. */
  firstPacket: number;
  packets: number;
}

export interface CorpusStats {
  files: number;
  frames: number;
  /** Frames replayed (IPv4 / IPv6). */
  packets: number;
  ipv4: number;
  ipv6: number;
  vlanTagged: number;
  fragments: number;
  icmpErrors: number;
  flows: number;
  /** Frames left out, by reason. */
  skipped: Record<string, number>;
}

export interface Corpus {
  packets: ReplayPacket[];
  flows: Flow[];
  stats: CorpusStats;
}

interface Endpoints {
  key: string;
  /** Endpoint string of the sender. */
  src: string;
}

function endpoints(b: Buffer, v: IpView): Endpoints | undefined {
  let sp = v.sport;
  let dp = v.dport;
  if (v.proto === PROTO.ICMP || v.proto === PROTO.ICMP6) {
    // Only echo has an identifier tying request and reply; other ICMP (errors aside) pairs by address.
    if (v.icmpType === undefined || !isEcho(v.proto, v.icmpType)) sp = dp = 0;
  } else if (v.proto !== PROTO.TCP && v.proto !== PROTO.UDP) {
    sp = dp = 0;
  }
  if (sp === undefined || dp === undefined) return undefined;
  const a = `${addrKey(b, v.srcOff, v.addrLen)}:${sp}`;
  const z = `${addrKey(b, v.dstOff, v.addrLen)}:${dp}`;
  return { key: `${v.family}|${v.proto}|${a < z ? `${a}|${z}` : `${z}|${a}`}`, src: a };
}

/** Builds a corpus from captures already parsed (frames of each in order, files one after another). */
export function buildCorpus(captures: CapturedFrame[][]): Corpus {
  const packets: ReplayPacket[] = [];
  const flows: Flow[] = [];
  const byKey = new Map<string, { id: number; initiator: string }>();
  const fragments = new Map<string, { flow: number; from: Direction }>();
  const stats: CorpusStats = { files: captures.length, frames: 0, packets: 0, ipv4: 0, ipv6: 0, vlanTagged: 0, fragments: 0, icmpErrors: 0, flows: 0, skipped: {} };
  const skip = (why: string) => {
    stats.skipped[why] = (stats.skipped[why] ?? 0) + 1;
  };

  for (const frames of captures) {
    // Flows do not span files: the same addresses in two captures are two different conversations.
    byKey.clear();
    fragments.clear();
    for (const f of frames) {
      stats.frames++;
      const eth = toEthernet(f);
      if (!eth) {
        skip(`link type ${f.linkType} or its header`);
        continue;
      }
      const view = parseFrame(eth);
      if (!view) {
        skip('not IPv4 / IPv6');
        continue;
      }
      const fragKey = view.frag ? `${view.family}|${addrKey(eth, view.srcOff, view.addrLen)}|${addrKey(eth, view.dstOff, view.addrLen)}|${view.proto}|${view.frag.id}` : '';
      let flow: number;
      let from: Direction;
      let first = false;
      if (view.frag && !view.frag.first) {
        const known = fragments.get(fragKey);
        if (!known) {
          // Its first fragment is not in the capture (or comes later): the NF has nothing to tie it to.
          skip('fragment without its first fragment before it');
          continue;
        }
        ({ flow, from } = known);
      } else {
        const isError = view.icmpType !== undefined && isIcmpError(view.proto, view.icmpType);
        const q = isError ? view.quoted : undefined;
        const quoted = q ? endpoints(eth, q) : undefined;
        const known = quoted ? byKey.get(quoted.key) : undefined;
        if (isError && quoted && known) {
          stats.icmpErrors++;
          flow = known.id;
          // The error travels back towards whoever sent the quoted packet.
          from = quoted.src === known.initiator ? 'responder' : 'initiator';
        } else {
          const ep = endpoints(eth, view);
          if (!ep) {
            skip('L4 header cut by the snap length');
            continue;
          }
          if (isError) stats.icmpErrors++;
          let entry = byKey.get(ep.key);
          if (!entry) {
            entry = { id: flows.length, initiator: ep.src };
            byKey.set(ep.key, entry);
            flows.push({ proto: view.proto, family: view.family, firstPacket: packets.length, packets: 0 });
            first = true;
          }
          flow = entry.id;
          from = ep.src === entry.initiator ? 'initiator' : 'responder';
        }
        if (view.frag) fragments.set(fragKey, { flow, from });
      }
      flows[flow].packets++;
      packets.push({ frame: eth, view, flow, from, first });
      stats.packets++;
      if (view.family === 4) stats.ipv4++;
      else stats.ipv6++;
      if (view.vlans > 0) stats.vlanTagged++;
      if (view.frag) stats.fragments++;
    }
  }
  stats.flows = flows.length;
  return { packets, flows, stats };
}

/** Reads capture files and builds their corpus; a bad file throws CaptureError naming it. */
export function loadCorpus(paths: string[]): Corpus {
  return buildCorpus(paths.map((p) => parseCapture(readFileSync(p), p).frames));
}
