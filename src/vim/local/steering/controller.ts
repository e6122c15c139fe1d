// Reconciles the steering namespaces to the instances the failure detector (detector.ts) keeps.
//
// Each tick reads the registry (one ZRANGE + MGET), asks the VIM which instances it wants steered
// and which it knows to be dead, lets the detector decide, and programs the difference. If the
// registry cannot be read, the steering is left as it is (removing every instance because the
// store blinked would be the one mistake that loses traffic) — but a death the VIM confirms is
// still acted on, since that needs no store.
//
// Deaths also have a fast path: `confirmDeaths()` (called when the VIM is told a process exited)
// removes confirmed-dead instances without reading the registry first, and a tick already under
// way does not swallow it: it runs again as soon as that one ends.
import type { NfKind } from '../../../model/tables.js';
import { liveInstances, type StoreClient } from '../../../store/index.js';
import { applySteering, type SteeringMode } from './routes.js';
import { FailureDetector, type Decision, type Health, type Observation } from './detector.js';

export interface SteeringEvent {
  /** ms since the epoch when the new steering was in place. */
  at: number;
  /** instance ids now steered, by slot order */
  ids: string[];
  slots: number[];
  added: string[];
  removed: string[];
  /** why each removed instance was removed */
  reasons: Record<string, string>;
  /** ms spent programming the namespaces */
  applyMs: number;
}

/** What the VIM knows about one instance it wants steered. */
export interface Candidate {
  slot: number;
  /** confirmed gone (process exited, links down): removed without waiting for heartbeats */
  dead: boolean;
}

export type ApplyFn = (slots: number[], previous: number[]) => Promise<void>;

export interface ControllerOptions {
  store: StoreClient;
  vnf: string;
  /** Instances that may carry traffic (id -> slot, dead). Created but draining ones are left out. */
  candidates: () => Map<string, Candidate>;
  /** Programs the data path; default: the local VIM's steering namespaces (routes.ts). */
  apply?: ApplyFn;
  /** For the default `apply`. */
  prefix?: string;
  chain?: NfKind[];
  mode?: SteeringMode;
  /** Coupled baseline: pin each instance's own NAT pool address to it (see routes.ts). */
  pinned?: boolean;
  /** The instances' heartbeat period (ms, default 50). */
  heartbeatMs?: number;
  missToRemove?: number;
  goodToAdd?: number;
  /** Instances a previous controller steered (adopted, not re-proved). */
  initial?: Map<string, number>;
  /** Registry poll period (default 20 ms). */
  pollMs?: number;
  /** Clock (ms), for tests that step time. */
  now?: () => number;
  onChange?: (e: SteeringEvent) => void;
  onError?: (e: Error) => void;
  /** After every tick that read the registry and left the steering as decided. */
  onReconciled?: (at: number) => void;
}

export class SteeringController {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** a tick was asked for while one ran: 'full' reads the registry, 'deaths' does not */
  private rerun: 'none' | 'deaths' | 'full' = 'none';
  private stopped = false;
  private steered = new Map<string, number>();
  private lastError = '';
  private readonly detector: FailureDetector;
  private readonly apply: ApplyFn;
  private readonly now: () => number;

  constructor(private readonly o: ControllerOptions) {
    this.detector = new FailureDetector({ periodMs: o.heartbeatMs ?? 50, ...(o.missToRemove ? { missToRemove: o.missToRemove } : {}), ...(o.goodToAdd ? { goodToAdd: o.goodToAdd } : {}) });
    this.now = o.now ?? Date.now;
    if (o.apply) this.apply = o.apply;
    else {
      const { prefix, chain, mode } = o;
      if (!prefix || !chain || !mode) throw new Error('controller: prefix, chain and mode are required without apply');
      this.apply = (slots, previous) => applySteering(prefix, chain, mode, slots, previous, o.pinned ?? false);
    }
    if (o.initial) this.steered = new Map(o.initial);
  }

  /** Programs the initial steering, then polls. */
  async start(): Promise<void> {
    await this.tick(true);
    this.schedule();
  }

  current(): { ids: string[]; slots: number[] } {
    const entries = [...this.steered.entries()].sort((a, b) => a[1] - b[1]);
    return { ids: entries.map((e) => e[0]), slots: entries.map((e) => e[1]) };
  }

  /** The detector's view of one instance (joining, up, suspected, removed, dead), for diagnostics. */
  health(id: string): Health | undefined {
    return this.detector.health(id);
  }

  /** Reconciles now (e.g. right after the candidate set changed). */
  async reconcile(): Promise<void> {
    await this.tick(false);
  }

  /**
   * Acts on confirmed deaths now, without waiting for the registry (a round trip that a loaded
   * store or machine can stretch): only instances whose candidate says `dead` leave the steering.
   * Heartbeats are looked at by the next regular tick.
   */
  async confirmDeaths(): Promise<void> {
    await this.tick(false, false);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.tick(false).finally(() => this.schedule());
    }, this.o.pollMs ?? 20);
  }

  private async tick(force: boolean, readRegistry = true): Promise<void> {
    if (this.running) {
      if (readRegistry) this.rerun = 'full';
      else if (this.rerun === 'none') this.rerun = 'deaths';
      return;
    }
    this.running = true;
    try {
      const cands = this.o.candidates();
      let beats: Map<string, number> | undefined;
      const periods = new Map<string, number>();
      if (readRegistry) {
        try {
          const live = await liveInstances(this.o.store, this.o.vnf);
          beats = new Map(live.map((i) => [i.id, i.lastHeartbeat] as const));
          for (const i of live) if (i.heartbeatMs) periods.set(i.id, i.heartbeatMs);
        } catch (e) {
          this.report(e);
        }
      }
      let decision: Decision;
      if (beats) {
        const obs: Observation[] = [...cands].map(([id, c]) => ({ id, slot: c.slot, dead: c.dead, beatAt: (beats as Map<string, number>).get(id), periodMs: periods.get(id) }));
        decision = this.detector.step(this.now(), obs, this.o.initial ? new Set(this.o.initial.keys()) : undefined);
        this.o.initial = undefined;
      } else {
        // store unreadable, or the death fast path: only confirmed deaths change the steering
        const steer = new Map([...this.steered].filter(([id]) => cands.has(id) && !cands.get(id)?.dead));
        decision = { steer, removed: [...this.steered.keys()].filter((id) => !steer.has(id)).map((id) => ({ id, reason: 'dead' as const })), keptLast: [] };
      }
      const want = decision.steer;
      const same = want.size === this.steered.size && [...want].every(([id, s]) => this.steered.get(id) === s);
      if (same && !force) {
        if (beats) this.o.onReconciled?.(this.now());
        return;
      }
      const t0 = Date.now();
      try {
        await this.apply([...want.values()], [...this.steered.values()]);
      } catch (e) {
        this.report(e);
        return; // retried on the next tick, since `steered` still holds the old set
      }
      const added = [...want.keys()].filter((id) => !this.steered.has(id));
      const removed = [...this.steered.keys()].filter((id) => !want.has(id));
      const reasons: Record<string, string> = {};
      for (const r of decision.removed) if (removed.includes(r.id)) reasons[r.id] = r.reason;
      this.steered = new Map(want);
      if (beats) this.lastError = '';
      const cur = this.current();
      this.o.onChange?.({ at: Date.now(), ids: cur.ids, slots: cur.slots, added, removed, reasons, applyMs: Date.now() - t0 });
      if (beats) this.o.onReconciled?.(this.now());
    } finally {
      this.running = false;
      const again = this.rerun;
      this.rerun = 'none';
      if (again !== 'none' && !this.stopped) void this.tick(false, again === 'full');
    }
  }

  private report(e: unknown): void {
    const err = e instanceof Error ? e : new Error(String(e));
    // one report per distinct error, not one every 20 ms
    if (err.message !== this.lastError) this.o.onError?.(err);
    this.lastError = err.message;
  }
}
