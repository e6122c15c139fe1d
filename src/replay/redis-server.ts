// A private redis-server for a replay when no --redis is given: loopback, no persistence, on a
// port the kernel hands out, stopped by its pid when the replay ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from '../util/ports.js';
import { redisModuleArgs } from '../dataplane/redis-module.js';

export interface OwnRedis {
  node: string;
  stop(): Promise<void>;
}


export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  // With the store module, as the product's own stores run (SNF_REDIS_MODULE=off: the scripts).
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--loglevel', 'warning', ...redisModuleArgs()];
  let child: ChildProcess;
  try {
    child = spawn('redis-server', args, { stdio: 'ignore' });
  } catch (e) {
    throw new Error(`cannot start redis-server: ${e instanceof Error ? e.message : String(e)} (install redis-server, or pass --redis HOST:PORT)`);
  }
  const spawnError = new Promise<never>((_, reject) => child.once('error', (e) => reject(new Error(`cannot start redis-server: ${e.message} (install redis-server, or pass --redis HOST:PORT)`))));
  spawnError.catch(() => undefined);
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  const node = `127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await Promise.race([probe.connect().then(() => probe.ping()), spawnError]);
      probe.disconnect();
      break;
    } catch (e) {
      probe.disconnect();
      if (child.exitCode !== null || Date.now() > deadline) {
        kill();
        throw e instanceof Error && e.message.startsWith('cannot start') ? e : new Error(`redis-server on ${node} did not answer within 10 s`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    node,
    stop: async () => {
      process.removeListener('exit', kill);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 2000))]);
      kill();
    },
  };
}
