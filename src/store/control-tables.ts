// The NF control tables in the store: written atomically by the control plane, read by the data
// plane (and by readTables here). Layout: README.md in this directory.
//
// Every change bumps `gen` inside the same MULTI/script, then publishes the new generation, so a
// reader can tell a consistent snapshot (gen unchanged across its reads) and watchers can skip
// notifications they have already seen.

import type { NfTables, LbBackend, LbVip, FirewallRule } from '../model/tables.js';
import type { StoreClient } from './connect.js';
import { ctlKeys, assertName, type CtlKeys } from './keys.js';
import { normalizeTables, TableValidationError, type NormalizedTables } from './validate.js';

type ExecResult = [Error | null, unknown][] | null;

function checkExec(what: string, res: ExecResult): unknown[] {
  if (!res) throw new Error(`store: ${what}: transaction aborted`);
  const err = res.find(([e]) => e)?.[0];
  if (err) throw new Error(`store: ${what}: ${err.message}`);
  return res.map(([, v]) => v);
}

function validVipIds(ids: string[]): string[] {
  return ids.filter((id) => {
    try {
      assertName('vipId', id);
      return true;
    } catch {
      return false; // not ours to interpret; purge removes it
    }
  });
}

/**
 * Replaces all control tables of `vnf` with `tables` in one MULTI and publishes the change.
 * Validation happens first: invalid tables throw TableValidationError and nothing is written.
 * Returns the new generation.
 */
export async function writeTables(redis: StoreClient, vnf: string, tables: NfTables): Promise<number> {
  const t = normalizeTables(tables);
  const k = ctlKeys(vnf);
  // Backend hashes are keyed by VIP id, so the old ids are needed to delete them. A writer racing
  // between this read and the MULTI can at worst leave an orphan backend hash of a VIP that is no
  // longer in lb:vips: readers never look at it, a later write of that VIP deletes it, purge removes it.
  const oldVips = validVipIds(await redis.hkeys(k.lbVips));
  const newVips = t.lb?.vips.map((v) => v.id) ?? [];
  const m = redis.multi();
  m.del(k.nat, k.natPool, k.fw, k.fwRules, k.lb, k.lbVips, k.timeouts, ...[...new Set([...oldVips, ...newVips])].map(k.lbBackends));
  if (t.nat) {
    m.hset(k.nat, {
      insidePrefixes: JSON.stringify(t.nat.insidePrefixes),
      portRange: `${t.nat.portRange[0]}-${t.nat.portRange[1]}`,
      shards: String(t.nat.shards),
    });
    m.sadd(k.natPool, ...t.nat.pool);
  }
  if (t.firewall) {
    m.hset(k.fw, { defaultAction: t.firewall.defaultAction });
    if (t.firewall.rules.length) m.rpush(k.fwRules, ...t.firewall.rules.map((r) => JSON.stringify(r)));
  }
  if (t.lb) {
    m.hset(k.lb, { algorithm: t.lb.algorithm, maglevTableSize: String(t.lb.maglevTableSize) });
    for (const v of t.lb.vips) {
      m.hset(k.lbVips, v.id, JSON.stringify({ address: v.address, port: v.port, protocol: v.protocol }));
      for (const b of v.backends) m.hset(k.lbBackends(v.id), b.id, JSON.stringify(backendValue(b)));
    }
  }
  m.hset(k.timeouts, Object.fromEntries(Object.entries(t.timeouts).map(([f, v]) => [f, String(v)])));
  m.incr(k.gen);
  const out = checkExec('writeTables', (await m.exec()) as ExecResult);
  const gen = Number(out[out.length - 1]);
  await redis.publish(k.channel, String(gen));
  return gen;
}

function backendValue(b: LbBackend): Omit<LbBackend, 'id'> {
  return { address: b.address, ...(b.port !== undefined ? { port: b.port } : {}), weight: b.weight, state: b.state };
}

class StoreContentError extends Error {
  constructor(key: string, field: string, reason: string) {
    super(`store: ${key} ${field}: ${reason}`);
    this.name = 'StoreContentError';
  }
}

function json(key: string, field: string, s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    throw new StoreContentError(key, field, `not JSON: ${s.slice(0, 80)}`);
  }
}

function num(key: string, field: string, s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  if (!/^-?\d+$/.test(s)) throw new StoreContentError(key, field, `not an integer: ${s}`);
  return Number(s);
}

type Hash = Record<string, string>;

function decode(k: CtlKeys, r: {
  nat: Hash; pool: string[]; fw: Hash; rules: string[]; lb: Hash; vips: Hash; backends: Map<string, Hash>; timeouts: Hash;
}): NormalizedTables {
  const raw: Record<string, unknown> = {};
  if (Object.keys(r.nat).length) {
    const pr = /^(\d+)-(\d+)$/.exec(r.nat.portRange ?? '');
    if (r.nat.portRange !== undefined && !pr) throw new StoreContentError(k.nat, 'portRange', `not lo-hi: ${r.nat.portRange}`);
    raw.nat = {
      insidePrefixes: json(k.nat, 'insidePrefixes', r.nat.insidePrefixes ?? '[]'),
      pool: r.pool,
      ...(pr ? { portRange: [Number(pr[1]), Number(pr[2])] } : {}),
      ...(r.nat.shards !== undefined ? { shards: num(k.nat, 'shards', r.nat.shards) } : {}),
    };
  }
  if (Object.keys(r.fw).length) {
    raw.firewall = {
      rules: r.rules.map((s, i) => json(k.fwRules, `[${i}]`, s) as FirewallRule),
      ...(r.fw.defaultAction !== undefined ? { defaultAction: r.fw.defaultAction } : {}),
    };
  }
  if (Object.keys(r.lb).length) {
    const vips: LbVip[] = Object.entries(r.vips).map(([id, s]) => {
      const v = json(k.lbVips, id, s) as Omit<LbVip, 'id' | 'backends'>;
      const bh = r.backends.get(id) ?? {};
      const backends = Object.entries(bh).map(([bid, bs]) => ({ id: bid, ...(json(k.lbBackends(id), bid, bs) as object) }) as LbBackend);
      return { id, ...v, backends };
    });
    raw.lb = {
      vips,
      ...(r.lb.algorithm !== undefined ? { algorithm: r.lb.algorithm } : {}),
      ...(r.lb.maglevTableSize !== undefined ? { maglevTableSize: num(k.lb, 'maglevTableSize', r.lb.maglevTableSize) } : {}),
    };
  }
  if (Object.keys(r.timeouts).length) {
    raw.timeouts = Object.fromEntries(Object.entries(r.timeouts).map(([f, v]) => [f, num(k.timeouts, f, v)]));
  }
  try {
    return normalizeTables(raw);
  } catch (e) {
    if (e instanceof TableValidationError) throw new Error(`store: control tables of this VNF are invalid: ${e.message}`);
    throw e;
  }
}

export interface TablesSnapshot {
  /** 0 when the tables were never written. */
  generation: number;
  tables: NormalizedTables;
}

/**
 * Reads a consistent snapshot: the generation is read with the VIP ids and again with the
 * rest, and the read is repeated if a write landed in between.
 */
export async function readTablesSnapshot(redis: StoreClient, vnf: string): Promise<TablesSnapshot> {
  const k = ctlKeys(vnf);
  for (let attempt = 0; attempt < 10; attempt++) {
    const [g1, ids] = checkExec('readTables', (await redis.multi().get(k.gen).hkeys(k.lbVips).exec()) as ExecResult) as [
      string | null,
      string[],
    ];
    const vipIds = validVipIds(ids);
    const m = redis
      .multi()
      .hgetall(k.nat)
      .smembers(k.natPool)
      .hgetall(k.fw)
      .lrange(k.fwRules, 0, -1)
      .hgetall(k.lb)
      .hgetall(k.lbVips)
      .hgetall(k.timeouts);
    for (const id of vipIds) m.hgetall(k.lbBackends(id));
    m.get(k.gen);
    const out = checkExec('readTables', (await m.exec()) as ExecResult);
    const g2 = out[out.length - 1] as string | null;
    if (g1 !== g2) continue;
    const [nat, pool, fw, rules, lb, vips, timeouts] = out as [Hash, string[], Hash, string[], Hash, Hash, Hash];
    const backends = new Map<string, Hash>(vipIds.map((id, i) => [id, out[7 + i] as Hash]));
    return { generation: Number(g2 ?? 0), tables: decode(k, { nat, pool, fw, rules, lb, vips, backends, timeouts }) };
  }
  throw new Error(`store: readTables(${vnf}): tables kept changing during 10 read attempts`);
}

/** The control tables of `vnf`, defaults filled in (see normalizeTables). */
export async function readTables(redis: StoreClient, vnf: string): Promise<NfTables> {
  return (await readTablesSnapshot(redis, vnf)).tables;
}

export async function readGeneration(redis: StoreClient, vnf: string): Promise<number> {
  return Number((await redis.get(ctlKeys(vnf).gen)) ?? 0);
}

// Read-modify-write of one backend's JSON must not lose a concurrent change, hence a script.
const SET_BACKEND_STATE = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return redis.error_reply('SNF_NO_VIP') end
local v = redis.call('HGET', KEYS[2], ARGV[2])
if not v then return redis.error_reply('SNF_NO_BACKEND') end
local b = cjson.decode(v)
if b.state == ARGV[3] then return {0, tonumber(redis.call('GET', KEYS[3]) or '0')} end
b.state = ARGV[3]
redis.call('HSET', KEYS[2], ARGV[2], cjson.encode(b))
return {1, redis.call('INCR', KEYS[3])}
`;

/**
 * Drains or re-activates one LB backend. Returns the generation after the call; publishes only
 * when the state actually changed.
 */
export async function setBackendState(
  redis: StoreClient,
  vnf: string,
  vipId: string,
  backendId: string,
  state: 'active' | 'drained',
): Promise<number> {
  if (state !== 'active' && state !== 'drained') throw new TableValidationError('state', `must be active or drained, got ${JSON.stringify(state)}`);
  assertName('backendId', backendId);
  const k = ctlKeys(vnf);
  let res: [number, number];
  try {
    res = (await redis.eval(SET_BACKEND_STATE, 3, k.lbVips, k.lbBackends(vipId), k.gen, vipId, backendId, state)) as [number, number];
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (msg.includes('SNF_NO_VIP')) throw new Error(`lb.vips[id=${vipId}]: no such VIP in VNF ${vnf}`);
    if (msg.includes('SNF_NO_BACKEND')) throw new Error(`lb.vips[id=${vipId}].backends[id=${backendId}]: no such backend`);
    throw e;
  }
  const [changed, gen] = res;
  if (changed) await redis.publish(k.channel, String(gen));
  return gen;
}

export interface WatchOptions {
  /** Errors while re-reading tables after a notification (the watch keeps going). */
  onError?: (e: Error) => void;
  /**
   * Safety net for lost notifications: the generation is also polled this often (default 5000 ms;
   * 0 disables). Pub/sub is fire-and-forget, and a cluster subscriber that fails over to another
   * node may miss messages without any event telling us so.
   */
  pollIntervalMs?: number;
}

/**
 * Calls `onChange` with a fresh snapshot whenever the tables of `vnf` change. Notifications are
 * coalesced (a burst of changes may yield one call with the latest generation). The generation
 * only goes backwards when the store itself lost data (a restarted Redis without persistence):
 * that is reported too, since the tables the caller holds are no longer what the store says.
 * After the subscriber reconnects, and every pollIntervalMs, the generation is re-checked.
 * Resolves once subscribed; the returned function unsubscribes.
 */
export async function watchTables(
  redis: StoreClient,
  vnf: string,
  onChange: (snapshot: TablesSnapshot) => void,
  opts: WatchOptions = {},
): Promise<() => Promise<void>> {
  const k = ctlKeys(vnf);
  const sub = redis.duplicate();
  sub.on('error', () => {
    /* reconnects on its own; surfaced through onError on failed refreshes */
  });
  let seen = -1;
  let running = false;
  let again = false;
  let closed = false;

  const refresh = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        try {
          const snap = await readTablesSnapshot(redis, vnf);
          if (!closed && snap.generation !== seen) {
            seen = snap.generation;
            onChange(snap);
          }
        } catch (e) {
          if (!closed) opts.onError?.(e instanceof Error ? e : new Error(String(e)));
        }
      } while (again && !closed);
    } finally {
      running = false;
    }
  };

  sub.on('message', (channel: string, message: string) => {
    if (channel !== k.channel) return;
    if (Number(message) !== seen) void refresh();
  });
  await sub.subscribe(k.channel);
  seen = await readGeneration(redis, vnf);
  // The first 'ready' came before the SUBSCRIBE reply, so any later one is a reconnect.
  sub.on('ready', () => void refresh());
  const pollMs = opts.pollIntervalMs ?? 5000;
  const poll =
    pollMs > 0
      ? setInterval(() => {
          readGeneration(redis, vnf).then(
            (g) => {
              if (g !== seen) void refresh();
            },
            (e: unknown) => {
              if (!closed) opts.onError?.(e instanceof Error ? e : new Error(String(e)));
            },
          );
        }, pollMs)
      : undefined;
  poll?.unref();
  return async () => {
    closed = true;
    if (poll) clearInterval(poll);
    try {
      await sub.unsubscribe(k.channel);
      await sub.quit();
    } catch {
      sub.disconnect();
    }
  };
}
