// One command to one node on a connection of its own, bounded in time: for supervising store
// nodes (is it up, who is primary, fail over now), where a shared client's reconnect loop and
// offline queue would hide exactly the failure being looked for.
import type { ConnectionOptions } from 'node:tls';
import { Redis } from 'ioredis';

/** How to authenticate to the node (a store with ACL users or a password, TLS). */
export interface CallAuth {
  username?: string;
  password?: string;
  tls?: ConnectionOptions;
}

export async function callOnce(port: number, args: string[], timeoutMs = 1000, host = '127.0.0.1', auth: CallAuth = {}): Promise<unknown> {
  const c = new Redis({
    host,
    port,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    ...(auth.username !== undefined ? { username: auth.username } : {}),
    ...(auth.password !== undefined ? { password: auth.password } : {}),
    ...(auth.tls ? { tls: auth.tls } : {}),
  });
  c.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  try {
    await c.connect();
    return await Promise.race([
      c.call(args[0], ...args.slice(1)),
      new Promise((_, rej) => {
        timer = setTimeout(() => rej(new Error(`${host}:${port}: ${args[0]}: no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
    c.disconnect();
  }
}
