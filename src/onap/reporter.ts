// Watches one StatelessNF VNF through its state store and reports to a VES collector each
// interval: a measurement (per-instance packets and flows from the caller's sampler, store
// latency from a PING), a fault when an instance stops heartbeating or the store stops answering,
// and the clearing event (severity NORMAL) when it is over.
import { liveInstances, type StoreClient } from '../store/index.js';
import { faultEvent, measurementEvent, type InstanceSample, type VesEvent } from './ves.js';
import type { VesClient } from './collector.js';

export interface ReporterOptions {
  vnf: string;
  store: StoreClient;
  client: Pick<VesClient, 'send'>;
  intervalMs?: number;
  /** per-instance counters of the last interval (e.g. scraped from each instance's metrics) */
  sample?: (instanceIds: string[]) => Promise<Record<string, InstanceSample>>;
  /** bound on the store PING */
  pingTimeoutMs?: number;
}

export class VesReporter {
  private seq = 0;
  private known = new Set<string>();
  private storeDown = false;
  private timer?: NodeJS.Timeout;

  constructor(private readonly o: ReporterOptions) {}

  private src(source: string) {
    return { vnf: this.o.vnf, source, sequence: this.seq++ };
  }

  /** One interval: returns the events it sent. */
  async tick(now = Date.now()): Promise<VesEvent[]> {
    const events: VesEvent[] = [];
    let latency: number | undefined;
    try {
      const t0 = performance.now();
      await Promise.race([this.o.store.ping(), new Promise((_, rej) => setTimeout(() => rej(new Error('PING timed out')), this.o.pingTimeoutMs ?? 1000))]);
      latency = performance.now() - t0;
      if (this.storeDown) events.push(faultEvent(this.src(this.o.vnf), 'storeUnreachable', true, { vnf: this.o.vnf }, now));
      this.storeDown = false;
    } catch (err) {
      if (!this.storeDown) events.push(faultEvent(this.src(this.o.vnf), 'storeUnreachable', false, { vnf: this.o.vnf, error: (err as Error).message }, now));
      this.storeDown = true;
    }
    if (!this.storeDown) {
      const live = (await liveInstances(this.o.store, this.o.vnf)).map((i) => i.id);
      for (const id of this.known) if (!live.includes(id)) events.push(faultEvent(this.src(id), 'instanceLost', false, { instanceId: id, vnf: this.o.vnf }, now));
      this.known = new Set(live);
      // Without a sampler the instances are reported, not made-up counters.
      const samples: Record<string, InstanceSample | undefined> = this.o.sample ? await this.o.sample(live) : Object.fromEntries(live.map((id) => [id, undefined]));
      events.push(measurementEvent(this.src(this.o.vnf), (this.o.intervalMs ?? 10_000) / 1000, samples, latency, now));
    }
    await this.o.client.send(events);
    return events;
  }

  start(onError: (e: Error) => void = () => {}): void {
    this.timer = setInterval(() => void this.tick().catch(onError), this.o.intervalMs ?? 10_000);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
