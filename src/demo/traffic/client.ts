// Long-lived TCP connections doing continuous request/response, for failover and scaling tests:
//   client.ts --target 203.0.113.10:7000 --connections 200 --interval 100 [--duration 30]
// Each connection sends a 64-byte request, waits for its echo, sleeps `interval` ms, repeats.
// Prints {"event":"connected",...} once all are open, then a progress line per second, and a
// summary when it gets "stop" on stdin ("mark" forgets the stalls so far), SIGTERM, or the duration ends: per connection the
// responses, whether it was reset or closed, and its longest stall (longest wait for a response).
import { connect, type Socket } from 'node:net';

export interface ConnReport {
  id: number;
  localPort: number;
  responses: number;
  reset: boolean;
  error?: string;
  /** longest time a request waited for its complete response, ms (an unanswered one counts) */
  maxStallMs: number;
  /** when the longest stall began, ms since the epoch (0: none) */
  maxStallAt: number;
}

export interface ClientSummary {
  event: 'summary';
  connections: number;
  connected: number;
  responses: number;
  resets: number;
  maxStallMs: number;
  /** connections with a stall above 1 s */
  stalledOver1s: number;
  perConnection: ConnReport[];
}

const REQ = 64;

function arg(name: string, dflt?: string): string {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? process.argv[i + 1] : dflt;
  if (v === undefined) throw new Error(`missing ${name}`);
  return v;
}

class Conn {
  readonly r: ConnReport;
  private sock: Socket | undefined;
  private sentAt = 0;
  private sentWall = 0;
  private pending = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(id: number, private readonly host: string, private readonly port: number, private readonly intervalMs: number) {
    this.r = { id, localPort: 0, responses: 0, reset: false, maxStallMs: 0, maxStallAt: 0 };
  }

  open(): Promise<void> {
    return new Promise((resolve) => {
      const s = connect({ host: this.host, port: this.port, noDelay: true });
      this.sock = s;
      s.setTimeout(0);
      s.once('connect', () => {
        this.r.localPort = s.localPort ?? 0;
        resolve();
        this.send();
      });
      s.on('data', (d) => this.onData(d.length));
      s.on('error', (e) => {
        this.r.error = e.message;
        resolve();
      });
      s.on('close', () => {
        if (!this.stopping) this.r.reset = true;
        resolve();
      });
    });
  }

  private send(): void {
    if (this.stopping || !this.sock || this.sock.destroyed) return;
    const b = Buffer.alloc(REQ, 0x61);
    b.writeUInt32BE(this.r.responses, 0);
    this.sentAt = performance.now();
    this.sentWall = Date.now();
    this.pending = REQ;
    this.sock.write(b);
  }

  private onData(n: number): void {
    this.pending -= n;
    if (this.pending > 0) return;
    const stall = performance.now() - this.sentAt;
    if (stall > this.r.maxStallMs) {
      this.r.maxStallMs = stall;
      this.r.maxStallAt = this.sentWall;
    }
    this.r.responses++;
    this.timer = setTimeout(() => this.send(), this.intervalMs);
  }

  /** The request still unanswered counts as a stall as long as it has waited. */
  finish(): ConnReport {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.pending > 0 && performance.now() - this.sentAt > this.r.maxStallMs) {
      this.r.maxStallMs = performance.now() - this.sentAt;
      this.r.maxStallAt = this.sentWall;
    }
    this.r.maxStallMs = Math.round(this.r.maxStallMs);
    this.sock?.destroy();
    return this.r;
  }

  /** Forgets the stalls so far (the caller measures from a step on, not from the warm-up). */
  resetStalls(): void {
    this.r.maxStallMs = 0;
    this.r.maxStallAt = 0;
  }

  connected(): boolean {
    return this.r.localPort !== 0;
  }
}

async function main(): Promise<void> {
  const [host, portS] = arg('--target').split(':');
  const n = Number(arg('--connections', '10'));
  const interval = Number(arg('--interval', '100'));
  const duration = Number(arg('--duration', '0'));
  const conns = Array.from({ length: n }, (_, i) => new Conn(i, host, Number(portS), interval));
  // Open in small groups: a burst of 200 SYNs is a test of something else.
  for (let i = 0; i < conns.length; i += 20) await Promise.all(conns.slice(i, i + 20).map((c) => c.open()));
  const connected = conns.filter((c) => c.connected()).length;
  // Why the others failed, counted by message: a test that sees fewer connections says why.
  const errors: Record<string, number> = {};
  for (const c of conns) if (!c.connected()) errors[c.r.error ?? 'closed before connecting'] = (errors[c.r.error ?? 'closed before connecting'] ?? 0) + 1;
  console.log(JSON.stringify({ event: 'connected', connected, connections: n, errors }));
  const progress = setInterval(() => {
    const responses = conns.reduce((a, c) => a + c.r.responses, 0);
    console.log(JSON.stringify({ event: 'progress', responses, resets: conns.filter((c) => c.r.reset).length }));
  }, 1000);
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    clearInterval(progress);
    const per = conns.map((c) => c.finish());
    const s: ClientSummary = {
      event: 'summary',
      connections: n,
      connected,
      responses: per.reduce((a, c) => a + c.responses, 0),
      resets: per.filter((c) => c.reset || c.error).length,
      maxStallMs: Math.max(0, ...per.map((c) => c.maxStallMs)),
      stalledOver1s: per.filter((c) => c.maxStallMs > 1000).length,
      perConnection: per,
    };
    process.stdout.write(JSON.stringify(s) + '\n', () => process.exit(0));
  };
  process.stdin.on('data', (d) => {
    const text = d.toString();
    if (text.includes('mark')) {
      const before = Math.round(Math.max(0, ...conns.map((c) => c.r.maxStallMs)));
      for (const c of conns) c.resetStalls();
      console.log(JSON.stringify({ event: 'marked', at: Date.now(), maxStallBeforeMs: before }));
    }
    if (text.includes('stop')) finish();
  });
  // stdin at EOF from the start (/dev/null) must not end a timed run
  if (duration <= 0) process.stdin.on('end', finish);
  process.once('SIGTERM', finish);
  process.once('SIGINT', finish);
  if (duration > 0) setTimeout(finish, duration * 1000);
}

main().catch((e: unknown) => {
  console.error(`client: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
