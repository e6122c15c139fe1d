// A connection to one store node held open, for commands that must go out the moment they are
// needed: the store watchdog's SENTINEL FAILOVER / CLUSTER FAILOVER TAKEOVER when a primary's
// process exits. Opened then, a TLS handshake and login on a loaded machine took longer than the
// Sentinels' own detection, so the watchdog's failover came second (or timed out) and the
// failover waited for down-after-milliseconds after all.
//
// Each call is bounded. While the link is not ready (the node restarting, the first connect),
// a call goes over a connection of its own (callOnce) instead of queueing, and ioredis keeps
// reconnecting behind it.
import { Redis } from 'ioredis';
import { callOnce, type CallAuth } from './call-once.js';

export class NodeLink {
  private readonly c: Redis;

  constructor(
    readonly port: number,
    private readonly auth: CallAuth = {},
    readonly host = '127.0.0.1',
  ) {
    this.c = new Redis({
      host,
      port,
      connectTimeout: 1000,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => 100,
      ...(auth.username !== undefined ? { username: auth.username } : {}),
      ...(auth.password !== undefined ? { password: auth.password } : {}),
      ...(auth.tls ? { tls: auth.tls } : {}),
    });
    // a node that is down is what the watchdog is there for: its errors are expected
    this.c.on('error', () => undefined);
  }

  async call(args: string[], timeoutMs: number): Promise<unknown> {
    if (this.c.status !== 'ready') return callOnce(this.port, args, timeoutMs, this.host, this.auth);
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.c.call(args[0], ...args.slice(1)),
        new Promise((_, rej) => {
          timer = setTimeout(() => rej(new Error(`${this.host}:${this.port}: ${args[0]}: no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  close(): void {
    this.c.disconnect();
  }
}
