// Control-plane connection for the local deployment. Its Redis listens on a UNIX socket in the
// run directory, reachable from every namespace without a management network; seeds written
// `unix:/path` go to ioredis' `{ path }`, everything else to src/store's connectStore.
import { Redis } from 'ioredis';
import { connectStore, type StoreClient } from './connect.js';

export function isUnixSeed(seed: string): boolean {
  return seed.startsWith('unix:');
}

export function unixPath(seed: string): string {
  const p = seed.slice('unix:'.length);
  if (!p.startsWith('/')) throw new Error(`store seed ${JSON.stringify(seed)}: expected unix:/absolute/path`);
  return p;
}

/**
 * `cluster`: the seed is a Redis Cluster node (the registry and tables then follow the slot map,
 * as a VM instance's do on the dpdk-sriov flavour's store VDU); default a single node.
 */
export async function connectControl(seed: string, connectionName?: string, timeoutMs = 3000, cluster = false): Promise<StoreClient> {
  if (!isUnixSeed(seed)) return connectStore(seed, { cluster, connectTimeoutMs: timeoutMs, ...(connectionName ? { connectionName } : {}) });
  const client = new Redis({
    path: unixPath(seed),
    lazyConnect: true,
    connectionName,
    maxRetriesPerRequest: 2,
    retryStrategy: (times) => Math.min(20 * 2 ** times, 1000),
  });
  let last: Error | undefined;
  const onError = (e: Error) => {
    last = e;
  };
  client.on('error', onError);
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`store: cannot connect to ${seed} within ${timeoutMs} ms${last ? `: ${last.message}` : ''}`)), timeoutMs);
      client.once('ready', () => {
        clearTimeout(t);
        resolve();
      });
      client.connect().catch((e: unknown) => {
        if (e instanceof Error) last = e;
      });
    });
  } catch (e) {
    client.disconnect();
    throw e;
  } finally {
    client.off('error', onError);
  }
  client.on('error', () => undefined); // reconnects on its own; callers see failed commands
  return client;
}
