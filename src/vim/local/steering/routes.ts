// Programs the steering namespaces for a set of instance slots.
//
// hash:  one multipath route per steered prefix whose next hops are the instances' legs; the
//        kernel picks a leg by L4 hash (fib_multipath_hash_policy=1), so a flow sticks to one
//        instance only until the set changes, and the two directions of a flow hash differently.
// spray: nftables marks every packet from the uplink with `numgen random mod N` and one
//        `ip rule fwmark` per mark sends it to a table whose routes use one instance: each
//        packet of a flow may go to a different instance, which only works because no instance
//        keeps flow state.
import type { NfKind } from '../../../model/tables.js';
import { ipBatch, inNs } from '../sh.js';
import { netlinkRoutes, replaceRoutes } from './route-sockets.js';
import { leg, names, STEER_IN_PREFIXES, STEER_OUT_PREFIXES, type SteerSide } from '../topology.js';

export type SteeringMode = 'hash' | 'spray';

const TABLE_BASE = 1000;
const NFT_TABLE = 'snf_spray';

function sideNs(prefix: string, side: SteerSide): string {
  const n = names(prefix);
  return side === 'in' ? n.steerIn : n.steerOut;
}

function prefixes(side: SteerSide): readonly string[] {
  return side === 'in' ? STEER_IN_PREFIXES : STEER_OUT_PREFIXES;
}

function hops(chain: NfKind[], slots: number[], side: SteerSide): string {
  return slots
    .map((s) => {
      const l = leg(chain, s, side);
      return `nexthop via ${l.instIp} dev ${l.steerIf} weight 1`;
    })
    .join(' ');
}

/**
 * Replaces the steering of one side. An empty set becomes a blackhole, so traffic is dropped
 * in the steering namespace rather than sent back out of the uplink by a default route.
 * `previous`: the slots programmed last time, so stale spray rules and pinned routes are removed.
 */
export async function applySide(
  prefix: string,
  chain: NfKind[],
  mode: SteeringMode,
  slots: number[],
  side: SteerSide,
  previous: number[],
  pinned: boolean,
): Promise<void> {
  const ns = sideNs(prefix, side);
  const ps = prefixes(side);
  if (mode === 'hash' && !pinned && netlinkRoutes()) {
    // the common case, and the one on the path of every failure: no process to start
    replaceRoutes(ns, ps, slots.map((s) => {
      const l = leg(chain, s, side);
      return { via: l.instIp, dev: l.steerIf };
    }));
    return;
  }
  const previousCount = previous.length;
  const main = ps.map((p) => (slots.length ? `route replace ${p} ${hops(chain, slots, side)}` : `route replace blackhole ${p}`));
  if (pinned && side === 'out') {
    // The coupled baseline: each instance owns one pool address, and replies to it go back to
    // that instance only (the flow affinity a stateful NAT needs). A removed instance's address
    // falls back to the multipath route, i.e. to instances that never saw its flows.
    for (const s of slots) {
      const l = leg(chain, s, side);
      main.push(`route replace ${pinnedPoolAddress(s)}/32 via ${l.instIp} dev ${l.steerIf}`);
    }
    for (const s of previous.filter((p) => !slots.includes(p))) main.push(`route del ${pinnedPoolAddress(s)}/32`);
  }
  if (mode === 'hash') {
    await ipBatch(ns, main);
    return;
  }
  // spray: per-slot tables first, then the marks that select them, then drop what is unused.
  // Tables past the new count still get marks until nft changes `mod N`: in the same batch they
  // are pointed at live instances, so one `ip -batch` per side already stops all traffic to a
  // removed instance and the rest is housekeeping.
  const lines: string[] = [...main];
  const tableSlot = (m: number) => slots[(m - 1) % slots.length];
  for (let m = 1; m <= Math.max(slots.length, previousCount); m++) {
    if (!slots.length) break;
    const l = leg(chain, tableSlot(m), side);
    for (const p of ps) lines.push(`route replace ${p} via ${l.instIp} dev ${l.steerIf} table ${TABLE_BASE + m}`);
  }
  await ipBatch(ns, lines);
  const rules = await ruleMarks(ns);
  const add = slots.map((_, i) => i + 1).filter((m) => !rules.has(m));
  await ipBatch(
    ns,
    add.map((m) => `rule add fwmark ${m} table ${TABLE_BASE + m} priority ${100 + m}`),
  );
  const nft =
    `table ip ${NFT_TABLE}\ndelete table ip ${NFT_TABLE}\n` +
    `table ip ${NFT_TABLE} {\n  chain pre {\n    type filter hook prerouting priority mangle; policy accept;\n` +
    (slots.length ? `    iifname "ext" meta mark set numgen random mod ${slots.length} offset 1\n` : '') +
    `  }\n}\n`;
  await inNs(ns, ['nft', '-f', '-'], nft);
  const stale: string[] = [];
  for (let m = slots.length + 1; m <= Math.max(previousCount, ...rules); m++) {
    if (rules.has(m)) stale.push(`rule del fwmark ${m} table ${TABLE_BASE + m} priority ${100 + m}`);
    stale.push(`route flush table ${TABLE_BASE + m}`);
  }
  // flush of an empty table fails; one line at a time so a failure does not stop the rest.
  for (const line of stale) await ipBatch(ns, [line]).catch(() => undefined);
}

async function ruleMarks(ns: string): Promise<Set<number>> {
  const out = await ipBatch(ns, ['rule show']);
  const marks = new Set<number>();
  for (const m of out.matchAll(/fwmark 0x([0-9a-f]+) lookup (\d+)/g)) {
    if (Number(m[2]) === TABLE_BASE + parseInt(m[1], 16)) marks.add(parseInt(m[1], 16));
  }
  return marks;
}

/** The NAT pool address instance `slot` owns in the coupled baseline. */
export function pinnedPoolAddress(slot: number): string {
  return `198.51.100.${slot}`;
}

/** Both steering namespaces at once: a removed instance must vanish from both paths quickly. */
export async function applySteering(
  prefix: string,
  chain: NfKind[],
  mode: SteeringMode,
  slots: number[],
  previous: number[],
  pinned = false,
): Promise<void> {
  const sorted = [...slots].sort((a, b) => a - b);
  await Promise.all([
    applySide(prefix, chain, mode, sorted, 'in', previous, pinned),
    applySide(prefix, chain, mode, sorted, 'out', previous, pinned),
  ]);
}
