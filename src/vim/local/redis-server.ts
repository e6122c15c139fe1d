// A Redis for the local deployment when the user names none: Debian's redis-server on a free
// loopback port, no persistence, stopped by pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../util/ports.js';
import { redisModuleArgs } from '../../dataplane/redis-module.js';

export interface LocalRedis {
  node: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}


async function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(200, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

export async function startLocalRedis(): Promise<LocalRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'snf-redis-'));
  let child: ChildProcess;
  try {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...redisModuleArgs()], {
      stdio: 'ignore',
    });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (e) => reject(new Error(`cannot start redis-server (${e.message}): run 'sudo bash scripts/setup.sh'`))),
  );
  const kill = () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  const deadline = Date.now() + 5000;
  for (;;) {
    const ok = await Promise.race([answersPing(port), spawnError]);
    if (ok) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      kill();
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`redis-server on port ${port} did not answer within 5 s`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    node: `127.0.0.1:${port}`,
    port,
    pid: child.pid ?? -1,
    async stop() {
      process.removeListener('exit', kill);
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
        kill();
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
