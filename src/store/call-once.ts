// One command to one node on a connection of its own, bounded in time: for supervising store
// nodes (is it up, who is primary, fail over now), where a shared client's reconnect loop and
// offline queue would hide exactly the failure being looked for.
import type { ConnectionOptions } from 'node:tls';
import { Redis, type RedisOptions } from 'ioredis';

/** How to authenticate to the node (a store with ACL users or a password, TLS). */
export interface CallAuth {
  username?: string;
  password?: string;
  tls?: ConnectionOptions;
}

/** ioredis options for one store node with this login: shared with NodeLink (node-link.ts). */
export function nodeOptions(host: string, port: number, auth: CallAuth): RedisOptions {
  return {
    host,
    port,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    ...(auth.username !== undefined ? { username: auth.username } : {}),
    ...(auth.password !== undefined ? { password: auth.password } : {}),
    ...(auth.tls ? { tls: auth.tls } : {}),
  };
}

/** `c.call(args)`, rejected after timeoutMs with the node and the command named. */
export async function boundedCall(c: Redis, where: string, args: string[], timeoutMs: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      c.call(args[0], ...args.slice(1)),
      new Promise((_, rej) => {
        timer = setTimeout(() => rej(new Error(`${where}: ${args[0]}: no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

export async function callOnce(port: number, args: string[], timeoutMs = 1000, host = '127.0.0.1', auth: CallAuth = {}): Promise<unknown> {
  const c = new Redis({ ...nodeOptions(host, port, auth), lazyConnect: true, connectTimeout: timeoutMs, retryStrategy: () => null });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return await boundedCall(c, `${host}:${port}`, args, timeoutMs);
  } finally {
    c.disconnect();
  }
}
