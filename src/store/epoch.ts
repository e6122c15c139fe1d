// The store epoch (keys.ts `epoch`): how every reader tells "the store restarted empty or was
// wiped" from "nothing changed". Redis itself cannot say it: a restarted server with no
// persistence answers every command as if the VNF had never existed.
import { randomBytes } from 'node:crypto';
import type { StoreClient } from './connect.js';
import { ctlKeys } from './keys.js';

const EPOCH_RE = /^\d{13}-[0-9a-f]{16}$/;

export function newEpoch(now = Date.now()): string {
  return `${now}-${randomBytes(8).toString('hex')}`;
}

/** The current epoch, or undefined when the store has none (new, wiped, or restarted empty). */
export async function readEpoch(redis: StoreClient, vnf: string): Promise<string | undefined> {
  const v = await redis.get(ctlKeys(vnf).epoch);
  if (v === null) return undefined;
  if (!EPOCH_RE.test(v)) throw new Error(`store: ${ctlKeys(vnf).epoch}: not an epoch (<ms>-<16 hex>), got ${JSON.stringify(v.slice(0, 64))}`);
  return v;
}

/**
 * Sets a new epoch unless one exists (SET NX), so two control planes racing after a wipe agree
 * on one. Returns the epoch in force and whether this call created it.
 */
export async function claimEpoch(redis: StoreClient, vnf: string, now = Date.now()): Promise<{ epoch: string; created: boolean }> {
  const k = ctlKeys(vnf).epoch;
  const mine = newEpoch(now);
  const ok = await redis.set(k, mine, 'NX');
  if (ok === 'OK') return { epoch: mine, created: true };
  const cur = await readEpoch(redis, vnf);
  if (cur === undefined) return claimEpoch(redis, vnf, now); // deleted between the two calls
  return { epoch: cur, created: false };
}
