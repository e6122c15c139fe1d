// Instance registry: each NF instance heartbeats a JSON record with a short TTL; the steering
// controller reads the live set. Expiry lives in Redis (the key's PX), so a dead instance
// disappears without anyone noticing its death; the ZSET only indexes ids for enumeration.

import type { StoreClient } from './connect.js';
import { regKeys, assertName } from './keys.js';

export interface InstanceInfo {
  id: string;
  pid: number;
  /** Where the instance can be reached (e.g. its data-plane address or netns name). */
  addr: string;
  /** ms since the epoch. */
  startedAt: number;
  /**
   * Where its Prometheus metrics can be read: `unix:/path/to/metrics.sock` or `http://host:port`
   * (optional). The VNF manager's VES reporter samples per-instance counters there.
   */
  metrics?: string;
  /**
   * The instance's heartbeat period (ms). A failure detector counts missed beats in this period:
   * instances of one VNF need not share it (a VM under TCG beats every 100 ms, a local one 50 ms).
   */
  heartbeatMs?: number;
}

export interface LiveInstance extends InstanceInfo {
  /** ms since the epoch of the last heartbeat seen by the index. */
  lastHeartbeat: number;
}

function checkInfo(info: InstanceInfo): void {
  assertName('instance.id', info.id);
  if (!Number.isInteger(info.pid) || info.pid < 0) throw new Error(`instance.pid: must be a non-negative integer, got ${info.pid}`);
  if (typeof info.addr !== 'string' || info.addr.length === 0 || info.addr.length > 256) throw new Error('instance.addr: must be a non-empty string of at most 256 characters');
  if (!Number.isFinite(info.startedAt)) throw new Error(`instance.startedAt: must be ms since the epoch, got ${info.startedAt}`);
  if (info.heartbeatMs !== undefined && (!Number.isInteger(info.heartbeatMs) || info.heartbeatMs < 1 || info.heartbeatMs > 3_600_000)) throw new Error(`instance.heartbeatMs: must be an integer in [1, 3600000], got ${info.heartbeatMs}`);
  if (info.metrics !== undefined && !/^(unix:\/.+|https?:\/\/[^\s]+)$/.test(info.metrics)) throw new Error(`instance.metrics: must be unix:/path or http(s)://host:port, got ${info.metrics}`);
}

/** Records (or refreshes) `info` for `ttlMs`; the record and the index entry change in one MULTI. */
export async function heartbeat(redis: StoreClient, vnf: string, info: InstanceInfo, ttlMs: number, now = Date.now()): Promise<void> {
  checkInfo(info);
  if (!Number.isInteger(ttlMs) || ttlMs < 1) throw new Error(`ttlMs: must be a positive integer, got ${ttlMs}`);
  const k = regKeys(vnf);
  const rec: InstanceInfo = { id: info.id, pid: info.pid, addr: info.addr, startedAt: info.startedAt, ...(info.metrics ? { metrics: info.metrics } : {}), ...(info.heartbeatMs ? { heartbeatMs: info.heartbeatMs } : {}) };
  const res = await redis.multi().set(k.inst(info.id), JSON.stringify(rec), 'PX', ttlMs).zadd(k.instances, now, info.id).exec();
  const err = res?.find(([e]) => e)?.[0];
  if (!res || err) throw new Error(`store: heartbeat(${vnf}, ${info.id}): ${err?.message ?? 'transaction aborted'}`);
}

// Prunes an index entry only if the record is still gone: an instance that heartbeats between
// our MGET and this call must not be dropped from the index.
const PRUNE = `
if redis.call('EXISTS', KEYS[2]) == 0 then return redis.call('ZREM', KEYS[1], ARGV[1]) end
return 0
`;

/** Instances whose record has not expired, sorted by id; index entries of expired ones are pruned. */
export async function liveInstances(redis: StoreClient, vnf: string): Promise<LiveInstance[]> {
  const k = regKeys(vnf);
  const flat = await redis.zrange(k.instances, 0, -1, 'WITHSCORES');
  const ids: string[] = [];
  const beats: number[] = [];
  const junk: string[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    try {
      assertName('instance id', flat[i]);
      ids.push(flat[i]);
      beats.push(Number(flat[i + 1]));
    } catch {
      junk.push(flat[i]);
    }
  }
  if (junk.length) await redis.zrem(k.instances, ...junk);
  if (ids.length === 0) return [];
  const recs = await redis.mget(...ids.map(k.inst));
  const live: LiveInstance[] = [];
  const gone: string[] = [];
  recs.forEach((r, i) => {
    if (r === null) {
      gone.push(ids[i]);
      return;
    }
    try {
      const rec = JSON.parse(r) as InstanceInfo;
      live.push({ id: ids[i], pid: rec.pid, addr: rec.addr, startedAt: rec.startedAt, ...(typeof rec.metrics === 'string' ? { metrics: rec.metrics } : {}), ...(Number.isInteger(rec.heartbeatMs) && (rec.heartbeatMs as number) > 0 ? { heartbeatMs: rec.heartbeatMs } : {}), lastHeartbeat: beats[i] });
    } catch {
      gone.push(ids[i]); // unreadable record: treat as dead; it expires on its own
    }
  });
  await Promise.all(gone.map((id) => redis.eval(PRUNE, 2, k.instances, k.inst(id), id)));
  return live.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export async function deregister(redis: StoreClient, vnf: string, id: string): Promise<void> {
  const k = regKeys(vnf);
  const res = await redis.multi().del(k.inst(id)).zrem(k.instances, id).exec();
  const err = res?.find(([e]) => e)?.[0];
  if (!res || err) throw new Error(`store: deregister(${vnf}, ${id}): ${err?.message ?? 'transaction aborted'}`);
}
