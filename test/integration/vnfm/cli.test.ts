// `snf vnfm serve` as an operator runs it: a config file, a real Redis, the process answering
// SOL003 and stopping cleanly on SIGTERM.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis, type RedisServer } from '../../support/redis.js';
import { testVnfd } from '../../support/vnfm.js';

describe('snf vnfm serve', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let dir: string;
  before(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'snf-vnfm-cli-'));
  });
  after(async () => {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (args: string[]) =>
    new Promise<{ code: number | null; err: string }>((res) => {
      const c = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'vnfm', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      c.stderr.on('data', (x: Buffer) => (err += x.toString()));
      c.once('exit', (code) => res({ code, err }));
    });

  it('serves the API from a config file and stops on SIGTERM; refuses a config without VNFDs and bad arguments', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ redis: redis.node, vnfds: [], vims: { local: { kind: 'local' } } }));
    const refusals = Promise.all([run(['serve', '--config', bad]), run(['serve'])]);
    const cfg = join(dir, 'vnfm.json');
    writeFileSync(cfg, JSON.stringify({ redis: redis.node, stateName: 'cli-test', vnfds: [testVnfd()], vims: { local: { kind: 'local', runRoot: join(dir, 'run') } }, auth: { basic: { admin: 'pw' } } }));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'vnfm', 'serve', '--config', cfg, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    try {
      const deadline = Date.now() + 45_000;
      while (!/listening on (\S+) /.test(out)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`not listening: ${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const url = /listening on (\S+) /.exec(out)![1];
      const auth = { authorization: `Basic ${Buffer.from('admin:pw').toString('base64')}` };
      expect((await fetch(`${url}/vnflcm/v2/vnf_instances`)).status).to.equal(401);
      const r = await fetch(`${url}/vnflcm/v2/vnf_instances`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ vnfdId: 'snf-firewall-vnfd' }) });
      expect(r.status).to.equal(201);
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((res) => child.once('exit', res));
      expect(code).to.equal(0);
      const [a, b] = await refusals;
      expect(a.code).to.equal(1);
      expect(a.err).to.match(/no VNFD source: give "packagesDir" \(onboarded CSARs\), "nfvo.packageApi", or hand-typed "vnfds"/);
      expect(b.code).to.equal(2);
      expect(b.err).to.match(/--config is required/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('stops cleanly on a SIGTERM that comes the moment it says it listens (the live view still mounting)', async () => {
    const cfg = join(dir, 'vnfm-early.json');
    writeFileSync(cfg, JSON.stringify({ redis: redis.node, stateName: 'cli-test-early', vnfds: [testVnfd()], vims: { local: { kind: 'local', runRoot: join(dir, 'run-early') } }, auth: { basic: { admin: 'pw' } } }));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'vnfm', 'serve', '--config', cfg, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.once('exit', (code, signal) => res({ code, signal })));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (/listening on /.test(out) && !child.killed) child.kill('SIGTERM');
    });
    try {
      const r = await exited;
      expect(r, out).to.deep.equal({ code: 0, signal: null });
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
