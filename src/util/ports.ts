// Loopback ports for the processes this product starts (Redis, RAMCloud): one the kernel has
// free now, and whether something accepts on one yet.
import { connect, createServer } from 'node:net';

/** A port free on 127.0.0.1 at the time of the call (the kernel's choice). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** true once a TCP connection to 127.0.0.1:port is accepted (within 200 ms). */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(200, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => done(true));
  });
}
