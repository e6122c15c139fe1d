// Reading the data plane's flow keys for operators (snf flows) and the live view: a SCAN over every
// node (a cluster's masters included), decoded per NF family from the key layout in native/store/README.md.
import type { Redis } from 'ioredis';
import type { StoreClient } from './index.js';
import { isCluster } from './index.js';

export type Family = 'nat' | 'fw' | 'lb';

export interface FlowRow {
  family: Family;
  flow: string;
  state: string;
  detail: string;
  ttlMs: number;
}

function familyOf(vnf: string, key: string): Family | undefined {
  const rest = key.slice(`snf:${vnf}:`.length);
  if (rest.startsWith('nat:f:')) return 'nat';
  if (rest.startsWith('fw:{')) return 'fw';
  if (rest.startsWith('lb:f:')) return 'lb';
  return undefined;
}

/** Decodes one key/value pair of the three flow families (formats from native/store/README.md). */
export function decodeFlow(vnf: string, key: string, value: string, ttlMs: number): FlowRow | undefined {
  const fam = familyOf(vnf, key);
  if (!fam) return undefined;
  const v = value.split('|');
  if (fam === 'nat') {
    // snf:<vnf>:nat:f:{<vnf>|<X>|<k>}:<proto>:<inside ip>:<inside port> -> <X>|<ext port>|<state>|<stamp>
    const m = /\}:(\d+):(.+):(\d+)$/.exec(key);
    if (!m) return undefined;
    return { family: fam, flow: `proto ${m[1]} ${m[2]}:${m[3]}`, state: v[2] ?? '?', detail: `-> ${v[0]}:${v[1]}`, ttlMs };
  }
  if (fam === 'fw') {
    // snf:<vnf>:fw:{<vnf>|<proto>|<ip A>|<port A>|<ip B>|<port B>} -> <state>|<dir>|<init>|...
    const m = /\{[^|]*\|([^|]+)\|([^|]+)\|([^|]+)\|([^|]+)\|([^}]+)\}$/.exec(key);
    if (!m) return undefined;
    return { family: fam, flow: `proto ${m[1]} ${m[2]}:${m[3]} <-> ${m[4]}:${m[5]}`, state: v[0] ?? '?', detail: `opened ${v[1] === 'o' ? 'from inside' : 'from outside'}`, ttlMs };
  }
  // snf:<vnf>:lb:f:{<vnf>|<b>}:<proto>|<client ip>|<client port>|<vip id> -> <backend id>|<state>|<stamp>
  const m = /\}:([^|]+)\|([^|]+)\|([^|]+)\|(.+)$/.exec(key);
  if (!m) return undefined;
  return { family: fam, flow: `proto ${m[1]} ${m[2]}:${m[3]} vip ${m[4]}`, state: v[1] ?? '?', detail: `backend ${v[0]}`, ttlMs };
}

async function* scanKeys(redis: StoreClient, vnf: string): AsyncGenerator<{ node: Redis; keys: string[] }> {
  const nodes = isCluster(redis) ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `snf:${vnf}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) yield { node, keys };
    } while (cursor !== '0');
  }
}

/** Flow keys per family (forward keys only: one per flow). */
export async function countFlows(redis: StoreClient, vnf: string): Promise<Partial<Record<Family, number>>> {
  const out: Partial<Record<Family, number>> = {};
  for await (const { keys } of scanKeys(redis, vnf)) {
    for (const k of keys) {
      const f = familyOf(vnf, k);
      if (f) out[f] = (out[f] ?? 0) + 1;
    }
  }
  return out;
}

export async function listFlows(redis: StoreClient, vnf: string, limit: number): Promise<{ rows: FlowRow[]; totals: Partial<Record<Family, number>> }> {
  const rows: FlowRow[] = [];
  const totals: Partial<Record<Family, number>> = {};
  for await (const { node, keys } of scanKeys(redis, vnf)) {
    const mine = keys.filter((k) => {
      const f = familyOf(vnf, k);
      if (!f) return false;
      totals[f] = (totals[f] ?? 0) + 1;
      return (totals[f] ?? 0) <= limit;
    });
    if (!mine.length) continue;
    const p = node.pipeline();
    for (const k of mine) p.get(k).pttl(k);
    const res = (await p.exec()) ?? [];
    mine.forEach((k, i) => {
      const v = res[2 * i]?.[1];
      const ttl = res[2 * i + 1]?.[1];
      if (typeof v !== 'string') return; // expired between SCAN and GET
      const row = decodeFlow(vnf, k, v, typeof ttl === 'number' ? ttl : -1);
      if (row) rows.push(row);
    });
  }
  return { rows, totals };
}
