// `snf vnfm serve` on a non-loopback address: refused without authentication (exit 1, nothing
// listens, the VNFM never even connects to its Redis), served with a loud warning under
// --insecure, served quietly (but for the TLS hint) with authentication. Real processes, real
// listens on the wildcard address; the test only connects over loopback.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, rawCommand, startRedis, type RedisServer } from '../../support/redis.js';
import { testVnfd } from '../../support/vnfm.js';

interface Served {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exit: Promise<number | null>;
}

function serve(args: string[]): Served {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'vnfm', 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exit = new Promise<number | null>((res) => child.once('exit', res));
  return { child, out: () => out, err: () => err, exit };
}

async function listening(s: Served): Promise<void> {
  const deadline = Date.now() + 45_000;
  while (!/listening on /.test(s.out())) {
    if (Date.now() > deadline || s.child.exitCode !== null) throw new Error(`not listening: ${s.out()}${s.err()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stop(s: Served): Promise<void> {
  if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGTERM');
  const timer = setTimeout(() => s.child.kill('SIGKILL'), 10_000);
  await s.exit;
  clearTimeout(timer);
}

function refused(port: number): Promise<boolean> {
  return new Promise((res) => {
    const c = createConnection({ host: '127.0.0.1', port });
    c.once('connect', () => {
      c.destroy();
      res(false);
    });
    c.once('error', () => res(true));
  });
}

async function connectionsReceived(redis: RedisServer): Promise<number> {
  const info = String(await rawCommand(redis.port, ['INFO', 'stats']));
  return Number(/total_connections_received:(\d+)/.exec(info)![1]);
}

describe('snf vnfm serve: exposure', function () {
  this.timeout(90_000);
  let redis: RedisServer;
  let dir: string;
  let open: string;
  let authed: string;
  before(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'snf-vnfm-exposure-'));
    const base = { redis: redis.node, stateName: 'exposure-test', vnfds: [testVnfd()], vims: { local: { kind: 'local', runRoot: join(dir, 'run') } } };
    open = join(dir, 'open.json');
    writeFileSync(open, JSON.stringify(base));
    authed = join(dir, 'authed.json');
    writeFileSync(authed, JSON.stringify({ ...base, auth: { basic: { admin: 'pw' } } }));
  });
  after(async () => {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses 0.0.0.0 without authentication: exits 1 saying how to configure it, listens nowhere, connects to nothing', async () => {
    const port = await freePort();
    const before = await connectionsReceived(redis);
    const s = serve(['--config', open, '--host', '0.0.0.0', '--port', String(port)]);
    try {
      expect(await s.exit).to.equal(1);
      expect(s.err()).to.match(/refusing to listen on 0\.0\.0\.0: it is not a loopback address and no authentication is configured/);
      expect(s.err()).to.match(/configure "auth" in the VNFM config file: \{"basic"/);
      expect(s.err()).to.match(/--insecure/);
      expect(s.out()).to.not.match(/listening/);
      expect(await refused(port)).to.equal(true);
      // Only the INFO connection of this check itself reached Redis: the VNFM did not start at all.
      expect(await connectionsReceived(redis)).to.equal(before + 1);
    } finally {
      await stop(s);
    }
  });

  it('refuses the IPv6 wildcard ::, and a --host that is a flag', async () => {
    const s = serve(['--config', open, '--host', '::', '--port', '0']);
    const flag = serve(['--config', open, '--host', '--insecure']);
    try {
      expect(await s.exit).to.equal(1);
      expect(s.err()).to.match(/refusing to listen on ::/);
      expect(await flag.exit).to.equal(2);
      expect(flag.err()).to.match(/--host: expected an address or host name, got '--insecure'/);
    } finally {
      await stop(s);
      await stop(flag);
    }
  });

  it('serves 0.0.0.0 unauthenticated under --insecure, warning loudly on stderr and in the listening line', async () => {
    const port = await freePort();
    const s = serve(['--config', open, '--host', '0.0.0.0', '--port', String(port), '--insecure']);
    try {
      await listening(s);
      expect(s.err()).to.match(/WARNING: --insecure: the VNFM listens on 0\.0\.0\.0 WITHOUT AUTHENTICATION/);
      expect(s.out()).to.match(/listening on http:\/\/0\.0\.0\.0:\d+ WITHOUT AUTHENTICATION \(--insecure\)/);
      // The warning is true: no credentials needed.
      expect((await fetch(`http://127.0.0.1:${port}/vnflcm/v2/vnf_instances`)).status).to.equal(200);
    } finally {
      await stop(s);
    }
  });

  it('serves 0.0.0.0 with authentication configured, with no --insecure warning (only the TLS hint)', async () => {
    const port = await freePort();
    const s = serve(['--config', authed, '--host', '0.0.0.0', '--port', String(port)]);
    try {
      await listening(s);
      expect(s.err()).to.not.match(/WARNING|WITHOUT AUTHENTICATION/);
      expect(s.err()).to.match(/without TLS: credentials and tokens cross the network in clear/);
      expect((await fetch(`http://127.0.0.1:${port}/vnflcm/v2/vnf_instances`)).status).to.equal(401);
    } finally {
      await stop(s);
    }
  });
});
