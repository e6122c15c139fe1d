// A running NF instance's data plane: engine threads reading and writing real interfaces
// (AF_PACKET), off the JavaScript thread. The host (src/dataplane/instance.ts) starts it,
// feeds it control-table changes and reads its counters.
import { engineNativeStore } from './native-store.js';
import { addon, type NativeDataplane } from './native.js';
import type { EngineConfig, EngineCounters, NfTables } from './types.js';
import type { IoConfig, IoCounters } from './io-types.js';

export type DataplaneCounters = EngineCounters & { io: IoCounters };

export class Dataplane {
  private readonly native: NativeDataplane;
  private state: 'open' | 'running' | 'stopped' = 'open';

  /** Opens the sockets (throws with the reason: missing interface, no CAP_NET_RAW, ...). */
  constructor(
    readonly config: EngineConfig,
    readonly io: IoConfig,
  ) {
    const { Dataplane: Native } = addon();
    this.native = new Native({ ...config, store: engineNativeStore(config.store) }, io);
  }

  start(): void {
    if (this.state !== 'open') throw new Error(`dataplane is ${this.state}`);
    this.native.start();
    this.state = 'running';
  }

  /** Stops the engine threads and closes the sockets. Idempotent. */
  stop(): void {
    if (this.state === 'stopped') return;
    this.native.stop();
    this.state = 'stopped';
  }

  configure(tables: NfTables): void {
    if (this.state === 'stopped') throw new Error('dataplane is stopped');
    this.native.configure(tables);
  }

  counters(): DataplaneCounters {
    if (this.state === 'stopped') throw new Error('dataplane is stopped');
    return this.native.counters();
  }
}

export type { IoConfig, IoCounters } from './io-types.js';
