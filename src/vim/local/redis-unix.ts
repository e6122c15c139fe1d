// The deployment's own Redis when the user names none: listens only on a UNIX socket in the run
// directory (no TCP port at all), so every namespace reaches it through the shared filesystem and
// nothing is exposed on a network. Persistence is on (append-only file in the run directory). Detached, so it outlives `snf up`; stopped by pid.
// Its users (store-access.ts) are in a 0600 configuration file: the role users, and no default
// user at all (nothing replicates from it), so a client without credentials is refused.
import { spawn } from 'node:child_process';
import { openSync, closeSync, existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { alive, sleep } from './sh.js';
import { dataNodeConf, writePrivate, type Credential, type StoreAccess } from './store-access.js';

export interface UnixRedis {
  socket: string;
  pid: number;
}

function resp(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/** PING as `as` (AUTH first): true once it answers PONG. */
function ping(path: string, as: Credential): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ path });
    let got = '';
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(300, () => done(false));
    s.once('error', () => done(false));
    s.once('connect', () => s.write(resp(['AUTH', as.user, as.password]) + resp(['PING'])));
    s.on('data', (d) => {
      got += d.toString();
      if (got.includes('+PONG')) done(true);
      else if (got.startsWith('-') || got.split('\r\n').length > 2) done(false);
    });
  });
}

export async function startUnixRedis(runDir: string, access: StoreAccess, vnf: string): Promise<UnixRedis> {
  const socket = join(runDir, 'redis.sock');
  const conf = join(runDir, 'redis.conf');
  writePrivate(conf, dataNodeConf(access, vnf));
  const log = openSync(join(runDir, 'redis.log'), 'a');
  const child = spawn(
    'redis-server',
    // Append-only, fsync every second: a killed and restarted store comes back with its flows and
    // tables (without it every connection is lost); everysec costs little over no persistence,
    // `always` much more (bench/RESULTS.md, "store persistence").
    [conf, '--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--appendfilename', 'redis.aof', '--dir', runDir, '--notify-keyspace-events', ''],
    { detached: true, stdio: ['ignore', log, log] },
  );
  closeSync(log);
  const failed = new Promise<never>((_, rej) => child.once('error', (e) => rej(new Error(`cannot start redis-server (${e.message}): run 'sudo bash scripts/setup.sh'`))));
  failed.catch(() => undefined);
  if (child.pid === undefined) await failed;
  const pid = child.pid as number;
  child.unref();
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (existsSync(socket) && (await Promise.race([ping(socket, access.control), failed]))) return { socket, pid };
    if (!alive(pid)) break;
    await sleep(30);
  }
  stopPid(pid);
  throw new Error(`redis-server on ${socket} did not answer within 5 s (see ${join(runDir, 'redis.log')})`);
}

export function stopPid(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* gone */
  }
}
