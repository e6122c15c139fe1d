// How an instance namespace reaches a TCP store node of the local deployment: each namespace has
// its own loopback, so 127.0.0.1:<port> there is a socat relay onto that node's UNIX socket
// (the run directory is shared by every namespace). The addresses Sentinel and CLUSTER SLOTS
// name are then the same in the root namespace and in every instance namespace, so failover
// and MOVED need no translation. A relay holds no state: when its node dies, socat closes the
// client's connection at once, which is what the client would see from the node itself.
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { spawnInNs } from './sh.js';
import type { StoreNode } from './store-nodes.js';

/** Starts one relay per node in `ns`; returns their pids (they die with the namespace's processes). */
export function startRelays(ns: string, nodes: readonly Pick<StoreNode, 'port' | 'socket'>[], runDir: string): number[] {
  const fd = openSync(join(runDir, `${ns}.relays.log`), 'a');
  try {
    return nodes.map(
      (n) =>
        spawnInNs(
          ns,
          // nodelay: a data-plane batch is one small request; Nagle would hold it back
          ['socat', `TCP-LISTEN:${n.port},bind=127.0.0.1,reuseaddr,fork,nodelay`, `UNIX-CONNECT:${n.socket}`],
          fd,
        ).pid,
    );
  } finally {
    closeSync(fd);
  }
}
