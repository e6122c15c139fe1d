// One VNF's live view from its state store (registry, flow keys, PING), its instances' metrics
// and, where the VIM can tell, their processes and the steering table. Keeps the previous
// counters so every figure is a rate over the last interval, not a total since start.
import type { StoreClient } from '../store/index.js';
import { liveInstances } from '../store/index.js';
import { countFlows } from '../store/flows.js';
import { quantileUs, scrapeCounters, type Counters } from './scrape.js';
import type { InstanceState, InstanceView, StoreHealth, VnfView } from './model.js';

export interface VnfInputs {
  vnf: string;
  chain: string[];
  store: StoreClient;
  vnfInstanceId?: string;
  /**
   * The instances the VIM knows and whether their process runs (the local VIM sees pids).
   * Absent: only the registry and the metrics endpoints tell.
   */
  processes?: Array<{ id: string; pid: number; alive: boolean; metrics?: string }>;
  /** What steering programmed; absent: the live registry set, which the steering controller reconciles to. */
  steering?: string[];
}

export interface CollectorOptions {
  /** flow keys are counted by a SCAN of the VNF's keys: at most this often (default 5000 ms) */
  flowCountMs?: number;
  pingTimeoutMs?: number;
  scrapeTimeoutMs?: number;
  /** an instance seen only through the registry stays listed as dead this long after it vanished */
  forgetDeadMs?: number;
}

interface Prev {
  at: number;
  c: Counters;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, rej) => (t = setTimeout(() => rej(new Error(`${what} timed out after ${ms} ms`)), ms)))]).finally(() => clearTimeout(t));
}

export class VnfCollector {
  private prev = new Map<string, Prev>();
  private flows: Record<string, number> = {};
  private flowsAt = 0;
  /** registry-only instances that disappeared: id -> when */
  private vanished = new Map<string, number>();
  private seen = new Set<string>();
  /** instance id -> the pid it last registered with, to tell a hung instance from a starting one */
  private registeredPid = new Map<string, number>();

  constructor(private readonly o: CollectorOptions = {}) {}

  async collect(x: VnfInputs, now = Date.now()): Promise<VnfView> {
    const store: StoreHealth = { up: false, flows: this.flows };
    let live: Awaited<ReturnType<typeof liveInstances>> = [];
    try {
      const t0 = performance.now();
      await withTimeout(x.store.ping(), this.o.pingTimeoutMs ?? 1000, 'store PING');
      store.pingMs = performance.now() - t0;
      live = await withTimeout(liveInstances(x.store, x.vnf), this.o.pingTimeoutMs ?? 1000, 'registry read');
      if (now - this.flowsAt >= (this.o.flowCountMs ?? 5000)) {
        this.flows = (await withTimeout(countFlows(x.store, x.vnf), 5000, 'flow count')) as Record<string, number>;
        this.flowsAt = now;
      }
      store.up = true;
      store.flows = this.flows;
    } catch (e) {
      store.error = (e as Error).message;
    }
    const reg = new Map(live.map((l) => [l.id, l]));
    const procs = new Map((x.processes ?? []).map((p) => [p.id, p]));
    const steering = x.steering ?? live.map((l) => l.id);
    const steered = new Set(steering);
    const ids = new Set<string>([...procs.keys(), ...reg.keys()]);
    if (!x.processes) {
      for (const id of this.seen) if (!reg.has(id) && !this.vanished.has(id)) this.vanished.set(id, now);
      for (const [id, at] of this.vanished) {
        if (reg.has(id) || now - at > (this.o.forgetDeadMs ?? 60_000)) this.vanished.delete(id);
        else ids.add(id);
      }
      this.seen = new Set(reg.keys());
    }
    const interval = { hits: 0, lookups: 0 };
    const instances = await Promise.all(
      [...ids].sort(byId).map(async (id): Promise<InstanceView> => {
        const r = reg.get(id);
        const p = procs.get(id);
        const at = r?.metrics ?? p?.metrics;
        let c: Counters | undefined;
        if (at && (p ? p.alive : true)) c = await scrapeCounters(at, this.o.scrapeTimeoutMs ?? 1500).catch(() => undefined);
        let state: InstanceState;
        // pid 0: the VIM recorded the instance and is creating its process
        if (p && p.pid > 0 && !p.alive) state = 'dead';
        else if (r) state = steered.has(id) ? 'steered' : 'registered';
        else if (!store.up) state = steered.has(id) ? 'steered' : p ? 'registered' : 'dead';
        else if (p) state = p.pid > 0 && this.registeredPid.get(id) === p.pid ? 'suspected' : 'starting';
        else state = c ? 'suspected' : 'dead';
        if (r && p) this.registeredPid.set(id, p.pid);
        const v: InstanceView = { id, state, dropsPerS: {}, drops: {} };
        if (r) v.heartbeatAgeMs = Math.max(0, now - r.lastHeartbeat);
        if (!c) {
          this.prev.delete(id);
          return v;
        }
        const before = this.prev.get(id);
        // A restarted instance counts from zero again: its first interval is not a rate.
        const b = before && before.c.rx <= c.rx ? before : undefined;
        const dt = b ? (now - b.at) / 1000 : 0;
        v.drops = c.drops;
        if (b && dt > 0) {
          v.rxPps = (c.rx - b.c.rx) / dt;
          v.txPps = (c.tx - b.c.tx) / dt;
          for (const [reason, n] of Object.entries(c.drops)) {
            const d = (n - (b.c.drops[reason] ?? 0)) / dt;
            if (d > 0) v.dropsPerS[reason] = d;
          }
          if (c.cacheHits !== undefined && c.cacheMisses !== undefined) {
            const h = c.cacheHits - (b.c.cacheHits ?? 0);
            const m = c.cacheMisses - (b.c.cacheMisses ?? 0);
            if (h + m > 0) v.cacheHitRatio = h / (h + m);
            interval.hits += Math.max(0, h);
            interval.lookups += Math.max(0, h + m);
          }
        }
        v.rttP50Us = quantileUs(c.rtt, b?.c.rtt, 0.5);
        v.rttP99Us = quantileUs(c.rtt, b?.c.rtt, 0.99);
        v.storeErrors = c.storeErrors;
        this.prev.set(id, { at: now, c });
        return v;
      }),
    );
    for (const id of [...this.prev.keys()]) if (!ids.has(id)) this.prev.delete(id);
    for (const id of [...this.registeredPid.keys()]) if (!ids.has(id)) this.registeredPid.delete(id);
    return {
      vnf: x.vnf,
      ...(x.vnfInstanceId ? { vnfInstanceId: x.vnfInstanceId } : {}),
      chain: x.chain,
      instances,
      steering: [...steering].sort(byId),
      store,
      ...(interval.lookups > 0 ? { cacheHitRatio: interval.hits / interval.lookups } : {}),
    };
  }
}

function byId(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
