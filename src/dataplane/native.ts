// Loads the native addon. The only module that knows where node-gyp put it.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineConfig, EngineCounters, FrameIn, FrameOut, NfTables } from './types.js';
import type { IoConfig, IoCounters } from './io-types.js';
import type { NativeStoreConfig } from './native-store.js';

/** The engine config as the addon takes it: the store in its native form (engineNativeStore). */
export type NativeEngineConfig = Omit<EngineConfig, 'store'> & { store: NativeStoreConfig };

/** A batch handed back by the split-phase API, oldest first. */
export interface ReapedBatch {
  seq: number;
  frames: FrameOut[];
}

export interface NativeEngine {
  process(frames: FrameIn[]): Promise<FrameOut[]>;
  processSync(frames: FrameIn[]): FrameOut[];
  setInflight(k: number): void;
  submitSync(frames: FrameIn[]): number;
  reapSync(wait: boolean): ReapedBatch | null;
  flush(): Promise<void>;
  configure(tables: NfTables): void;
  counters(): EngineCounters;
  close(): void;
}

export interface NativeDataplane {
  start(): void;
  stop(): void;
  configure(tables: NfTables): void;
  counters(): EngineCounters & { io: IoCounters };
}

/** pidfd-based exit notification (native/binding/exit_watch.cpp). */
export interface NativeExitWatch {
  close(): void;
}

export interface NativeExitWatchClass {
  /** onExit runs once, on the JS thread, when pid exits (at once when it is already gone). */
  new (pid: number, onExit: () => void): NativeExitWatch;
  /** false on kernels without pidfd_open (< 5.3) */
  supported(): boolean;
}

/** Route changes over one netlink socket in a named network namespace (native/binding/route_socket.cpp). */
export interface NativeRouteSocket {
  /** `ip route replace prefix nexthop via .. dev .. ...`; no hops: a blackhole. Throws with the kernel's reason. */
  replace(prefix: string, hops: readonly { via: string; dev: string }[]): void;
  close(): void;
}

export interface NativeRouteSocketClass {
  /** netns: a name under /run/netns */
  new (netns: string): NativeRouteSocket;
}

/** Expiry for a plugin store without TTLs (native/binding/store_sweeper.cpp). */
export interface NativeStoreSweeper {
  sweep(maxObjects: number): Promise<{ scanned: number; deleted: number; done: boolean; ok: boolean; error?: string }>;
  close(): void;
}

interface Addon {
  Engine: new (config: NativeEngineConfig) => NativeEngine;
  Dataplane: new (config: NativeEngineConfig, io: IoConfig) => NativeDataplane;
  /** absent in an addon built before it existed */
  ExitWatch?: NativeExitWatchClass;
  RouteSocket?: NativeRouteSocketClass;
  StoreSweeper?: new (store: { path: string; config: string }) => NativeStoreSweeper;
}

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the project root from ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

let cached: Addon | undefined;

export function addon(): Addon {
  if (cached) return cached;
  const root = findRoot();
  const path = process.env.SNF_ADDON ?? join(root, 'native', 'build', 'Release', 'snf.node');
  if (!existsSync(path)) {
    throw new Error(`native data plane not built (${path} missing): run 'bash scripts/setup.sh' or 'npm run build:native'`);
  }
  cached = createRequire(import.meta.url)(path) as Addon;
  return cached;
}
