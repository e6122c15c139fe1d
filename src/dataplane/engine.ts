// One NF instance's data plane, in process: feed batches of frames, get verdicts and rewritten
// frames back. The batch runs on a libuv worker thread, so store round trips never block the
// event loop, and two engines in one process really run concurrently.
import { engineNativeStore } from './native-store.js';
import { addon, type NativeEngine, type ReapedBatch } from './native.js';
import type { EngineConfig, EngineCounters, FrameIn, FrameOut, NfTables } from './types.js';

export class Engine {
  private readonly native: NativeEngine;
  private closed = false;
  private inFlight = 0;
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(readonly config: EngineConfig) {
    const { Engine: Native } = addon();
    // A store URL (rediss://user:pw@host:port?ca=...) becomes the nodes, user and TLS the native store takes; RAMCloud, its plugin (native-store.ts).
    this.native = new Native({ ...config, store: engineNativeStore(config.store) });
  }

  /**
   * Processes one batch. Verdicts that depend on a store write wait for its acknowledgement;
   * the writes nobody waits for (refreshes, closings) are sent before it resolves.
   */
  process(frames: FrameIn[]): Promise<FrameOut[]> {
    this.assertOpen();
    this.inFlight++;
    return this.native.process(frames).finally(() => {
      this.inFlight--;
    });
  }

  // Posted writes (TTL refreshes, closings) ride along with the next round trip; when none
  // follows, they must still reach the store. process() sends its batch's at its end; after the
  // split-phase calls, which hold them (store.postHoldUs), flush once the engine is idle.
  private scheduleIdleFlush(): void {
    if (this.flushTimer || this.closed) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      if (this.inFlight === 0 && !this.closed) this.native.flush().catch(() => undefined);
    }, 1);
    this.flushTimer.unref();
  }

  /** The same on the calling thread (benchmarks, tools with a thread of their own). */
  processSync(frames: FrameIn[]): FrameOut[] {
    this.assertOpen();
    return this.native.processSync(frames);
  }

  /**
   * Split phase, on the calling thread: at most `k` batches in flight (1..16). submitSync()
   * starts a batch and returns its number as soon as it waits for the store; reapSync() hands
   * batches back oldest first, each once the store holds every write its verdicts depend on.
   * Not to be mixed with process() / processSync() while batches are in flight.
   */
  setInflight(k: number): void {
    this.assertOpen();
    this.native.setInflight(k);
  }

  submitSync(frames: FrameIn[]): number {
    this.assertOpen();
    return this.native.submitSync(frames);
  }

  /** The oldest batch once done; null when none is in flight or (wait false) it still waits. */
  reapSync(wait: boolean): ReapedBatch | null {
    this.assertOpen();
    const got = this.native.reapSync(wait);
    this.scheduleIdleFlush();
    return got;
  }

  /** Sends TTL refreshes still waiting to ride along with the next batch. */
  flush(): Promise<void> {
    this.assertOpen();
    return this.native.flush();
  }

  /** Replaces NAT pools, firewall rules, VIPs and timeouts; applies between batches. */
  configure(tables: NfTables): void {
    this.assertOpen();
    this.native.configure(tables);
  }

  counters(): EngineCounters {
    this.assertOpen();
    return this.native.counters();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.native.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('engine is closed');
  }
}

export type { EngineConfig, EngineCounters, FrameIn, FrameOut, NfTables } from './types.js';
export type { ReapedBatch } from './native.js';
