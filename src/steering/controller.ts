// Reconciles the steering namespaces to the live instance set in the registry.
//
// Failure detection is speculative (DESIGN invariant 5): the moment an instance's heartbeat
// record has expired it is removed from both steering namespaces, and it is added back as soon
// as it heartbeats again. A false positive costs nothing, since no instance holds state that
// another one needs. If the registry itself cannot be read, the steering is left as it is:
// removing every instance because the store blinked would be the one mistake that loses traffic.
import type { NfKind } from '../dataplane/types.js';
import { liveInstances, type StoreClient } from '../store/index.js';
import { applySteering, type SteeringMode } from './routes.js';

export interface SteeringEvent {
  /** ms since the epoch when the new steering was in place. */
  at: number;
  /** instance ids now steered, by slot order */
  ids: string[];
  slots: number[];
  added: string[];
  removed: string[];
  /** ms spent programming the namespaces */
  applyMs: number;
}

export interface ControllerOptions {
  store: StoreClient;
  vnf: string;
  prefix: string;
  chain: NfKind[];
  mode: SteeringMode;
  /** Coupled baseline: pin each instance's own NAT pool address to it (see routes.ts). */
  pinned?: boolean;
  /** Instances that may carry traffic (id -> slot). Created but draining ones are left out. */
  candidates: () => Map<string, number>;
  /** Registry poll period (default 20 ms: a fraction of the heartbeat TTL). */
  pollMs?: number;
  onChange?: (e: SteeringEvent) => void;
  onError?: (e: Error) => void;
}

export class SteeringController {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = false;
  private steered = new Map<string, number>();
  private lastError = '';

  constructor(private readonly o: ControllerOptions) {}

  /** Programs the initial (possibly empty) steering, then polls. */
  async start(): Promise<void> {
    await this.tick(true);
    this.schedule();
  }

  current(): { ids: string[]; slots: number[] } {
    const entries = [...this.steered.entries()].sort((a, b) => a[1] - b[1]);
    return { ids: entries.map((e) => e[0]), slots: entries.map((e) => e[1]) };
  }

  /** Reconciles now (e.g. right after the candidate set changed). */
  async reconcile(): Promise<void> {
    await this.tick(false);
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

  private async tick(force: boolean): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      let live: Set<string>;
      try {
        live = new Set((await liveInstances(this.o.store, this.o.vnf)).map((i) => i.id));
      } catch (e) {
        this.report(e);
        return; // keep the steering as it is (see the header)
      }
      const want = new Map<string, number>();
      for (const [id, slot] of this.o.candidates()) if (live.has(id)) want.set(id, slot);
      const same = want.size === this.steered.size && [...want].every(([id, s]) => this.steered.get(id) === s);
      if (same && !force) return;
      const t0 = Date.now();
      try {
        await applySteering(this.o.prefix, this.o.chain, this.o.mode, [...want.values()], [...this.steered.values()], this.o.pinned ?? false);
      } catch (e) {
        this.report(e);
        return; // retried on the next tick, since `steered` still holds the old set
      }
      const added = [...want.keys()].filter((id) => !this.steered.has(id));
      const removed = [...this.steered.keys()].filter((id) => !want.has(id));
      this.steered = want;
      this.lastError = '';
      const cur = this.current();
      this.o.onChange?.({ at: Date.now(), ids: cur.ids, slots: cur.slots, added, removed, applyMs: Date.now() - t0 });
    } finally {
      this.running = false;
    }
  }

  private report(e: unknown): void {
    const err = e instanceof Error ? e : new Error(String(e));
    // one report per distinct error, not one every 20 ms
    if (err.message !== this.lastError) this.o.onError?.(err);
    this.lastError = err.message;
  }
}
