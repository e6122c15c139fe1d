// Collects from a source once per interval, keeps the timeline (events and a chart's points for
// the last few minutes) and hands every new snapshot to the subscribers (the SSE streams).
import type { Point, Snapshot, TimelineEvent } from './model.js';
import type { Collected, ViewSource } from './source.js';
import { diff } from './timeline.js';

export interface HubOptions {
  intervalMs?: number;
  /** how far back the timeline reaches (default 5 minutes) */
  historyMs?: number;
  maxEvents?: number;
  log?: (msg: string) => void;
}

export class LiveHub {
  private last: Collected | undefined;
  private snap: Snapshot | undefined;
  private events: TimelineEvent[] = [];
  private points: Point[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly subs = new Set<(s: Snapshot) => void>();
  private lastError = '';

  constructor(readonly source: ViewSource, private readonly o: HubOptions = {}) {}

  get intervalMs(): number {
    return this.o.intervalMs ?? 1000;
  }

  /** The first collection is awaited, so the page never starts empty. */
  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    this.subs.clear();
    await this.source.close();
  }

  latest(): Snapshot | undefined {
    return this.snap;
  }

  subscribe(fn: (s: Snapshot) => void): () => void {
    this.subs.add(fn);
    return () => this.subs.delete(fn);
  }

  /** One collection; overlapping ticks (a slow store) are skipped, not queued. */
  tick(now = Date.now()): Promise<void> {
    if (this.running) return this.running;
    this.running = this.collect(now).finally(() => (this.running = undefined));
    return this.running;
  }

  private async collect(now: number): Promise<void> {
    let c: Collected;
    try {
      c = await this.source.collect(now);
      this.lastError = '';
    } catch (e) {
      const msg = (e as Error).message;
      if (msg !== this.lastError) this.o.log?.(`live view: collection failed: ${msg}`);
      this.lastError = msg;
      return;
    }
    const horizon = now - (this.o.historyMs ?? 300_000);
    this.events = [...this.events, ...diff(this.last, c, now)].filter((e) => e.at >= horizon).slice(-(this.o.maxEvents ?? 200));
    for (const v of c.vnfs) {
      this.points.push({
        at: now,
        vnf: v.vnf,
        rxPps: v.instances.reduce((a, i) => a + (i.rxPps ?? 0), 0),
        steered: v.steering.length,
        live: v.instances.filter((i) => i.state === 'steered' || i.state === 'registered').length,
      });
    }
    this.points = this.points.filter((p) => p.at >= horizon);
    this.last = c;
    this.snap = { at: now, source: this.source.kind, ...c, timeline: this.events, points: this.points };
    for (const fn of this.subs) fn(this.snap);
  }
}
