// `snf flows`: the flow state held in the store (key formats: native/store/README.md).
import type { Command } from '../main.js';
import type { StoreClient } from '../../store/index.js';
import { isCluster } from '../../store/index.js';
import type { Redis } from 'ioredis';
import { int, loadDeployment, parseArgs, runCommand, UsageError } from '../../vim/local/cli-args.js';

const USAGE = `usage: snf flows [--name NAME] [--limit N] [--json]

Scans the store for the VNF's flow keys (snf:<vnf>:nat:f:*, fw:*, lb:f:*) and prints each flow
with its state and remaining TTL, at most --limit (default 50) per family. No instance is asked:
the store is where flow state lives.`;

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

export const command: Command = {
  summary: 'list the flow state the NFs keep in the store',
  run: (args) =>
    runCommand('flows', USAGE, async () => {
      const p = parseArgs(args, { name: true, limit: true, json: false });
      if (p.flags.has('help')) {
        console.log(USAGE);
        return 0;
      }
      if (p.positional.length) throw new UsageError(`unexpected argument '${p.positional[0]}'`);
      const limit = int(p, 'limit', 50, 1, 1_000_000);
      const d = loadDeployment(p);
      try {
        if (d.state.dataStore === 'local') console.log('note: the coupled baseline keeps flow state inside each instance; the store holds none');
        const { rows, totals } = await listFlows(await d.store(), d.state.vnf, limit);
        if (p.flags.has('json')) {
          console.log(JSON.stringify({ totals, flows: rows }, null, 2));
          return 0;
        }
        for (const fam of ['fw', 'nat', 'lb'] as const) {
          const mine = rows.filter((r) => r.family === fam);
          if (!totals[fam]) continue;
          console.log(`${fam}: ${totals[fam]} flows${(totals[fam] ?? 0) > mine.length ? ` (showing ${mine.length})` : ''}`);
          for (const r of mine) console.log(`  ${r.flow.padEnd(52)} ${r.state.padEnd(3)} ${r.detail.padEnd(28)} ttl ${r.ttlMs < 0 ? '-' : `${(r.ttlMs / 1000).toFixed(0)}s`}`);
        }
        if (!Object.keys(totals).length) console.log('no flows in the store');
        return 0;
      } finally {
        await d.close();
      }
    }),
};
