// Expiry for RAMCloud: it has no TTLs, so flow state carries its expiry stamp (native/store/
// plugin_store.cpp) and this sweeper deletes what has expired, with the same timeouts Redis
// applies by itself. Reads never see an expired value (the engine treats it as absent); the
// sweeper only gives the memory back. One sweeper per store is enough; more are harmless
// (each delete is conditional on the version it read).
import { addon, type NativeStoreSweeper } from './native.js';
import { ramcloudPluginConfig, type RamcloudStoreConfig } from '../ramcloud/plugin-config.js';

export interface SweepTotals {
  passes: number;
  scanned: number;
  deleted: number;
  lastError?: string;
}

export class RamcloudSweeper {
  private readonly native: NativeStoreSweeper;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  readonly totals: SweepTotals = { passes: 0, scanned: 0, deleted: 0 };

  constructor(store: RamcloudStoreConfig, private readonly opts: { intervalMs?: number; chunk?: number } = {}) {
    const { StoreSweeper } = addon();
    if (!StoreSweeper) throw new Error('this build of the native addon has no StoreSweeper: rebuild it (npm run build:native)');
    const p = ramcloudPluginConfig(store);
    this.native = new StoreSweeper({ path: p.path, config: p.config });
  }

  /** One whole pass over the table, in chunks; resolves with what this pass deleted. */
  async pass(): Promise<{ scanned: number; deleted: number }> {
    let scanned = 0;
    let deleted = 0;
    for (;;) {
      const r = await this.native.sweep(this.opts.chunk ?? 512);
      scanned += r.scanned;
      deleted += r.deleted;
      if (!r.ok) {
        this.totals.lastError = r.error ?? 'store unavailable';
        break;
      }
      if (r.done || this.stopped) break;
    }
    this.totals.passes++;
    this.totals.scanned += scanned;
    this.totals.deleted += deleted;
    return { scanned, deleted };
  }

  /** Sweeps every intervalMs (default 1000) until stop(). */
  start(): void {
    const tick = (): void => {
      this.timer = undefined;
      this.running = this.pass()
        .then(() => undefined, (e: unknown) => {
          this.totals.lastError = (e as Error).message;
        })
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) {
            this.timer = setTimeout(tick, this.opts.intervalMs ?? 1000);
            this.timer.unref();
          }
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    this.native.close();
  }
}
