// Deletes every key of one VNF (control tables, registry, data-plane flow state). Keys are found
// with SCAN on every master, since on a cluster each node only scans its own slots, and removed
// with UNLINK one key per command in a pipeline: keys of different slots may sit on one node,
// and a multi-key UNLINK would be refused with CROSSSLOT.

import type { Redis } from 'ioredis';
import { isCluster, type StoreClient } from './connect.js';
import { vnfKeyMatcher } from './keys.js';

export interface PurgeProgress {
  /** host:port of the node being scanned. */
  node: string;
  /** Keys of this VNF found so far, across all nodes. */
  found: number;
  /** Keys deleted so far, across all nodes. */
  deleted: number;
  /** This node's scan is finished. */
  nodeDone: boolean;
}

export interface PurgeOptions {
  /** SCAN COUNT hint and the largest UNLINK pipeline (default 500). */
  batch?: number;
  onProgress?: (p: PurgeProgress) => void;
}

export async function purgeVnf(redis: StoreClient, vnf: string, opts: PurgeOptions = {}): Promise<{ deleted: number }> {
  const batch = opts.batch ?? 500;
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`batch: must be a positive integer, got ${batch}`);
  const match = vnfKeyMatcher(vnf);
  const nodes: Redis[] = isCluster(redis) ? redis.nodes('master') : [redis];
  if (nodes.length === 0) throw new Error('store: purge: the cluster reports no master nodes');
  let found = 0;
  let deleted = 0;
  for (const node of nodes) {
    const name = `${node.options.host}:${node.options.port}`;
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', match.pattern, 'COUNT', batch);
      cursor = next;
      const mine = keys.filter((key) => match.test(key));
      found += mine.length;
      for (let i = 0; i < mine.length; i += batch) {
        const p = node.pipeline();
        for (const key of mine.slice(i, i + batch)) p.unlink(key);
        const res = (await p.exec()) ?? [];
        for (const [err, n] of res) {
          if (err) throw new Error(`store: purge on ${name}: ${err.message}`);
          deleted += Number(n);
        }
      }
      opts.onProgress?.({ node: name, found, deleted, nodeDone: cursor === '0' });
    } while (cursor !== '0');
  }
  return { deleted };
}
