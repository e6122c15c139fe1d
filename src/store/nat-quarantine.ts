// NAT port quarantine across a total loss of the store's data (docs/store-loss.md).
//
// After a wipe, connections the NAT translated live on as orphans: the server still holds
// <external address>:<port> for them until its own timeout. A new flow given the same external
// port towards the same server collides with the orphan (the server answers the new SYN with
// the old connection's ACK): the issue saw 11 of 20 new connections fail that way.
//
// The data plane cannot know which ports the lost epoch used, so the control plane remembers:
// every second it records the NAT's reverse keys (one per external port in use) and allocation
// cursors. When the store epoch changes, before the new epoch is announced, it writes a
// placeholder reverse key (`quarantine`, SET NX, TTL = the NAT's longest mapping timeout) for
// every port in use at the last record, and for the ports the cursors would hand out next (the
// ones the last second's allocations may have taken since the record, with room to spare),
// and moves each cursor past them. The native allocator already skips a port whose reverse key
// exists, so the data path pays nothing: no extra key, script or round trip per batch. An
// inbound packet for a quarantined port parses no inside address and is dropped as
// nat_no_mapping, as any unknown port's would be.
import type { NatConfig, NfTables } from '../model/tables.js';
import { isCluster, type StoreClient } from './connect.js';

export const QUARANTINE_VALUE = 'quarantine';

export interface NatPortRecord {
  /** ms since the epoch */
  at: number;
  /** the store epoch the record belongs to */
  epoch: string;
  /** reverse keys (`snf:<vnf>:nat:r:{<vnf>|<X>|<k>}:<proto>:<port>`): one per external port in use */
  reverse: string[];
  /** cursor key -> value */
  cursors: Record<string, number>;
}

async function scanKeys(redis: StoreClient, pattern: string): Promise<string[]> {
  const nodes = isCluster(redis) ? redis.nodes('master') : [redis];
  const out: string[] = [];
  for (const n of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await n.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      out.push(...keys);
    } while (cursor !== '0');
  }
  return out;
}

/** SCAN of the VNF's NAT reverse keys and cursors (per master in a cluster) and one GET per cursor, pipelined. */
export async function recordNatPorts(redis: StoreClient, vnf: string, epoch: string, now = Date.now()): Promise<NatPortRecord> {
  const [reverse, cursorKeys] = await Promise.all([scanKeys(redis, `snf:${vnf}:nat:r:*`), scanKeys(redis, `snf:${vnf}:nat:c:*`)]);
  const values = await Promise.all(cursorKeys.map((k) => redis.get(k)));
  const cursors: Record<string, number> = {};
  cursorKeys.forEach((k, i) => {
    const v = Number(values[i]);
    if (Number.isFinite(v)) cursors[k] = v;
  });
  return { at: now, epoch, reverse: reverse.filter((k) => !k.endsWith(':')), cursors };
}

/** The shard's port arithmetic, as native/nf/nat.cpp queue_alloc does it. */
export function shardPorts(nat: NatConfig | undefined, shard: number): { first: number; count: number; step: number } {
  const [lo, hi] = nat?.portRange ?? [1024, 65535];
  const shards = nat?.shards ?? 64;
  const first = lo + ((((shard - (lo % shards)) % shards) + shards) % shards);
  return { first, count: first > hi ? 0 : Math.floor((hi - first) / shards) + 1, step: shards };
}

const CURSOR_RE = /^(snf:.+:nat:)c:(\{.*\|(\d+)\}:\d+)$/;

export interface FenceResult {
  /** placeholders written (ports of orphans, and ports fenced ahead of the cursors) */
  quarantined: number;
  cursorsMoved: number;
  ttlMs: number;
}

/** The longest a NAT mapping can live without traffic: how long an orphan may hold its port. */
export function quarantineMs(tables: NfTables): number {
  const t = tables.timeouts ?? {};
  return Math.max(t.tcpEstablishedMs ?? 7_200_000, t.tcpTransitoryMs ?? 240_000, t.udpMs ?? 30_000, t.icmpMs ?? 60_000);
}

/**
 * Puts the ports of `last` (and the ones allocated since, estimated from the rate between
 * `prev` and `last`) in quarantine for ttlMs, and moves every cursor past the fenced ports.
 */
export async function fenceNatPorts(redis: StoreClient, last: NatPortRecord, prev: NatPortRecord | undefined, tables: NfTables): Promise<FenceResult> {
  const ttlMs = quarantineMs(tables);
  const keys = new Set(last.reverse);
  const cursorSets: [string, number][] = [];
  for (const [ck, c] of Object.entries(last.cursors)) {
    const m = CURSOR_RE.exec(ck);
    if (!m) continue;
    const { first, count, step } = shardPorts(tables.nat, Number(m[3]));
    if (count === 0) continue;
    // allocations since the record: at most twice what the second before it saw, and 16 more
    const rate = prev?.cursors[ck] !== undefined ? Math.max(0, c - prev.cursors[ck]) : 0;
    const ahead = Math.min(count, 16 + 2 * rate);
    for (let i = 1; i <= ahead; i++) keys.add(`${m[1]}r:${m[2]}:${first + ((c + i) % count) * step}`);
    cursorSets.push([ck, c + ahead]);
  }
  const ops = [...keys].map((k) => redis.set(k, QUARANTINE_VALUE, 'PX', ttlMs, 'NX'));
  // the cursor only moves forward: a flow allocated in the moments since the wipe keeps its port
  const cur = cursorSets.map(([k, v]) => redis.eval("local c = tonumber(redis.call('GET', KEYS[1]) or '0') if c < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end return 1", 1, k, String(v)));
  await Promise.all([...ops, ...cur]);
  return { quarantined: keys.size, cursorsMoved: cursorSets.length, ttlMs };
}
