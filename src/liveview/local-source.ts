// The live view of one local deployment: state.json says which instances exist and their pids
// (re-read every tick, so a `snf scale` or `snf kill --heal` from another shell shows up), the
// steering controller's status file says what it programmed.
import { LocalDeployment } from '../vim/local/deployment.js';
import { loadState, readSteeringStatus } from '../vim/local/state.js';
import { alive } from '../vim/local/sh.js';
import { VnfCollector, type CollectorOptions } from './collect.js';
import type { VnfView } from './model.js';
import type { Collected, ViewSource } from './source.js';

/** The view of `d` for a source: processes, steering table, store. */
export async function localVnfView(d: LocalDeployment, c: VnfCollector, now: number, vnfInstanceId?: string): Promise<VnfView> {
  try {
    d.state = loadState(d.state.runDir);
  } catch {
    /* torn down under us: show the last known instances as they are now */
  }
  const s = d.state;
  return c.collect(
    {
      vnf: s.vnf,
      chain: s.chain,
      store: await d.store(),
      ...(vnfInstanceId ? { vnfInstanceId } : {}),
      processes: s.instances.map((i) => ({ id: i.id, pid: i.pid, alive: i.pid > 0 && alive(i.pid), metrics: `unix:${i.metricsSocket}` })),
      steering: readSteeringStatus(s.runDir)?.ids ?? [],
    },
    now,
  );
}

export class LocalSource implements ViewSource {
  readonly kind = 'local';
  private readonly collector: VnfCollector;

  constructor(private readonly d: LocalDeployment, o: CollectorOptions = {}) {
    this.collector = new VnfCollector(o);
  }

  async collect(now: number): Promise<Collected> {
    return { vnfs: [await localVnfView(this.d, this.collector, now)] };
  }

  async close(): Promise<void> {
    await this.d.close();
  }
}
