// Load for the failover benchmark, run in the client namespace: N TCP connections doing
// request/response back to back (with `--interval` ms between), recording responses per 100 ms
// bucket and every connection's longest wait. "stop" on stdin prints the result as JSON.
import { connect, type Socket } from 'node:net';

const arg = (n: string, d: string) => {
  const i = process.argv.indexOf(n);
  return i >= 0 ? process.argv[i + 1] : d;
};
const [host, port] = arg('--target', '203.0.113.10:7000').split(':');
const conns = Number(arg('--connections', '100'));
const interval = Number(arg('--interval', '10'));
const t0 = Date.now();
const buckets: number[] = [];
const maxWait: number[] = new Array(conns).fill(0);
const resets: boolean[] = new Array(conns).fill(false);
let connected = 0;

function run(i: number): void {
  const s: Socket = connect({ host, port: Number(port) });
  s.setNoDelay(true);
  let sent = 0;
  let got = 0;
  const req = Buffer.alloc(64, i & 0xff);
  const send = () => {
    sent = Date.now();
    got = 0;
    s.write(req);
  };
  s.on('connect', () => {
    if (++connected === conns) process.stdout.write(JSON.stringify({ event: 'connected', t: Date.now() - t0 }) + '\n');
    send();
  });
  s.on('data', (d) => {
    got += d.length;
    if (got < req.length) return;
    const now = Date.now();
    maxWait[i] = Math.max(maxWait[i], now - sent);
    const b = Math.floor((now - t0) / 100);
    buckets[b] = (buckets[b] ?? 0) + 1;
    setTimeout(send, interval);
  });
  s.on('error', () => (resets[i] = true));
  s.on('close', () => (resets[i] = true));
}
for (let i = 0; i < conns; i++) run(i);
// A request outstanding at the end also counts as a wait.
process.stdin.on('data', (d) => {
  if (!d.toString().includes('stop')) return;
  process.stdout.write(
    JSON.stringify({ event: 'result', t0, buckets: Array.from(buckets, (x) => x ?? 0), maxWait, resets: resets.filter(Boolean).length }) + '\n',
  );
  process.exit(0);
});
