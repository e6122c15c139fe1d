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
import { boundedCall, callOnce, nodeOptions, type CallAuth } from './call-once.js';

export class NodeLink {
  private readonly c: Redis;

  constructor(
    readonly port: number,
    private readonly auth: CallAuth = {},
    readonly host = '127.0.0.1',
  ) {
    this.c = new Redis({ ...nodeOptions(host, port, auth), connectTimeout: 1000, retryStrategy: () => 100 });
    // a node that is down is what the watchdog is there for: its errors are expected
    this.c.on('error', () => undefined);
  }

  call(args: string[], timeoutMs: number): Promise<unknown> {
    if (this.c.status !== 'ready') return callOnce(this.port, args, timeoutMs, this.host, this.auth);
    return boundedCall(this.c, `${this.host}:${this.port}`, args, timeoutMs);
  }

  close(): void {
    this.c.disconnect();
  }
}
