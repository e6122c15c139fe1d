// Helpers for driving Engines in tests: build frames with the independent toolkit, run them,
// decode and check what comes out.
import { expect } from 'chai';
import { Engine } from '../../src/dataplane/engine.js';
import type { EngineConfig, FrameOut, NfKind, NfTables, Side, StoreConfig } from '../../src/dataplane/types.js';
import { buildFrame, checkChecksums, decodeFrame, type DecodedFrame, type FrameSpec } from './packets.js';

export const TABLES: NfTables = {
  nat: { insidePrefixes: ['10.0.0.0/8', 'fd00::/8'], pool: ['198.51.100.1', '198.51.100.2', '2001:db8:ff::1'], portRange: [20000, 29999], shards: 8 },
  firewall: {
    rules: [
      { id: 'no-telnet', action: 'deny', direction: 'out', proto: 'tcp', dstPorts: [[23, 23]] },
      { id: 'out', action: 'allow', direction: 'out' },
      { id: 'web-in', action: 'allow', direction: 'in', proto: 'tcp', dst: ['10.0.0.80/32'], dstPorts: [[80, 80]] },
    ],
    defaultAction: 'deny',
  },
  lb: {
    algorithm: 'wlc',
    vips: [
      {
        id: 'web',
        address: '192.0.2.10',
        port: 80,
        protocol: 'tcp',
        backends: [
          { id: 'b1', address: '10.1.0.1', port: 8080, weight: 1 },
          { id: 'b2', address: '10.1.0.2', port: 8080, weight: 1 },
          { id: 'b3', address: '10.1.0.3', port: 8080, weight: 2 },
        ],
      },
      { id: 'dns', address: '192.0.2.53', port: 53, protocol: 'udp', backends: [{ id: 'd1', address: '10.1.1.1', weight: 1 }] },
    ],
  },
};

let seq = 0;
/** A VNF name no other test uses, so tests sharing one Redis never see each other's keys. */
export function uniqueVnf(prefix = 't'): string {
  seq++;
  return `${prefix}${process.pid}x${seq}`;
}

export function engineConfig(chain: NfKind[], store: StoreConfig, opts: { vnf?: string; id?: string; tables?: NfTables } = {}): EngineConfig {
  return { vnf: opts.vnf ?? uniqueVnf(), instanceId: opts.id ?? 'i1', chain, store, ...(opts.tables ?? TABLES) };
}

export interface Sent {
  out: FrameOut;
  /** Decoded output when forwarded. */
  pkt?: DecodedFrame;
}

/** Sends one frame, checks every checksum of a forwarded frame from scratch, decodes it. */
export async function send(e: Engine, side: Side, spec: FrameSpec): Promise<Sent> {
  const [out] = await e.process([{ side, data: buildFrame(spec) }]);
  if (out.verdict !== 'forward') return { out };
  const rep = checkChecksums(out.data);
  expect(rep.ok, `checksums of the rewritten frame: ${JSON.stringify(rep)}`).to.equal(true);
  return { out, pkt: decodeFrame(out.data) };
}

export function tcpPorts(p: DecodedFrame | undefined): { sport: number; dport: number } {
  if (!p?.l4 || (p.l4.proto !== 'tcp' && p.l4.proto !== 'udp')) throw new Error('not TCP/UDP');
  return { sport: p.l4.sport, dport: p.l4.dport };
}

export function verdicts(outs: FrameOut[]): string[] {
  return outs.map((o) => (o.verdict === 'forward' ? 'forward' : `drop:${o.reason}`));
}

export { Engine };
