// Control-plane connection for the local deployment and its instances. The deployment's own Redis
// listens on a UNIX socket in the run directory (reachable from every namespace without a
// management network); an operator's store is any URL src/store/url.ts accepts. Both go through
// connectStore, the one way to reach the store.
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
 * as a VM instance's do on the dpdk-sriov flavour's store VDU); default: what the URL says, a
 * single node when it says nothing.
 */
export async function connectControl(seed: string, connectionName?: string, timeoutMs = 3000, cluster?: boolean, auth: { username?: string; password?: string } = {}): Promise<StoreClient> {
  // `auth`: an ACL user for a seed that cannot carry one (unix:/path)
  const client = await connectStore(seed, {
    connectTimeoutMs: timeoutMs,
    ...(cluster !== undefined ? { cluster } : {}),
    ...(connectionName ? { connectionName } : {}),
    ...(auth.username !== undefined ? { username: auth.username } : {}),
    ...(auth.password !== undefined ? { password: auth.password } : {}),
  });
  client.on('error', () => undefined); // reconnects on its own; callers see failed commands
  return client;
}
