// The ramcloud flavour's VDUs without a VM: the user data the BaseHOT renders for the coordinator
// and the masters (ramcloud.env and snf-ramcloud.sh, Heat's tokens filled as Heat does) run the
// REAL rc-coordinator and rc-server of the RAMCloud build (scripts/ramcloud/build.sh; CI builds
// it) on loopback: the masters enlist with the coordinator under the cluster name, with the
// replication factor of the descriptor. What moves for a host run: the env file and the script
// are in a temporary directory, the ports are free loopback ports, the master memory and backup
// frames are small (a VDU's 4 GB each would not fit next to the other tests), the backup is a
// file instead of the Cinder volume. Also: the image's staging of that build (/opt/snf/ramcloud
// and the Debian packages of its libraries).
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { parseEnvFile } from '../../../src/dataplane/vm-env.js';
import { baseHot } from '../../../src/package/heat-tacker.js';
import { loadDescriptor } from '../../../src/descriptor/validate.js';
import { findRamcloudBuild, stageRamcloud, RAMCLOUD_FILES, type RamcloudBuild } from '../../../src/image/ramcloud.js';
import { ROOT } from '../../support/netns.js';
import { freePort } from '../../support/redis.js';
import { hotUserData } from './vm-harness.js';
import { stageApp } from '../../../src/image/stage.js';
import { Engine, engineConfig, send, TABLES } from '../../support/engine.js';

type WriteFile = { path: string; content: string };

function fileOf(userData: string, path: string): string {
  const f = (yaml.load(userData) as { write_files: WriteFile[] }).write_files.find((w) => w.path === path);
  if (!f) throw new Error(`no ${path} in the user data`);
  return f.content;
}

function waitForLine(file: string, re: RegExp, timeoutMs: number, diag: () => string): Promise<string> {
  const end = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = () => {
      const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
      const m = re.exec(text);
      if (m) return resolve(m[0]);
      if (Date.now() > end) return reject(new Error(`no ${re} in ${file} within ${timeoutMs} ms\n${diag()}`));
      setTimeout(poll, 200);
    };
    poll();
  });
}

describe("image: the ramcloud flavour's VDU user data runs the real rc-coordinator and rc-server", function () {
  this.timeout(120_000);
  let build: RamcloudBuild;
  let dir = '';
  const children: ChildProcess[] = [];
  const output: string[] = [];

  before(() => {
    const found = findRamcloudBuild();
    // Fail, never skip: without the build this test proves nothing.
    expect(found, 'no RAMCloud build for this checkout: sudo bash scripts/setup.sh --ramcloud (scripts/ramcloud/build.sh)').to.not.equal(undefined);
    build = found!;
    dir = mkdtempSync(join(tmpdir(), 'snf-rc-vdu-'));
  });

  after(async () => {
    // Only the processes this test started, by their pid; SIGKILL after a grace period.
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the coordinator and two masters (replicas 1) from the rendered user data: both masters enlist with backups', async () => {
    const d = await loadDescriptor(join(ROOT, 'vnf-descriptors', 'nat.yaml'));
    // One backup copy over two servers: the smallest cluster the checks allow with backups.
    d.flavours.ramcloud.store = { kind: 'ramcloud', replicas: 1, table: 'snf' };
    d.flavours.ramcloud.vdus.masters!.instances = 2;
    const files = baseHot(d, 'ramcloud');
    const cport = await freePort();
    const coord = `tcp:host=127.0.0.1,port=${cport}`;
    const cluster = 'snf-test-cluster';
    const PW = { store_password: 'a'.repeat(32), store_dataplane_password: 'b'.repeat(32), store_control_password: 'c'.repeat(32) };
    const coordUd = hotUserData(files, 'rc_coordinator', { vnf_name: 'vnf1', cluster_name: cluster, ...PW, store_tls_ca: '', store_tls_cert: '', store_tls_key: '' });
    const masterUd = hotUserData(files, 'rc_master', { coordinator: coord, cluster_name: cluster });
    const script = join(dir, 'snf-ramcloud.sh');
    writeFileSync(script, fileOf(masterUd, '/etc/statelessnf/snf-ramcloud.sh'));
    expect(fileOf(coordUd, '/etc/statelessnf/snf-ramcloud.sh')).to.equal(readFileSync(script, 'utf8'));

    const coordEnv = parseEnvFile(fileOf(coordUd, '/etc/statelessnf/ramcloud.env'));
    expect(coordEnv).to.deep.equal({ SNF_RC_ROLE: 'coordinator', SNF_RC_PORT: '11100', SNF_RC_CLUSTER_NAME: cluster });
    const masterEnv = parseEnvFile(fileOf(masterUd, '/etc/statelessnf/ramcloud.env'));
    expect(masterEnv).to.include({ SNF_RC_ROLE: 'server', SNF_RC_COORDINATOR: coord, SNF_RC_CLUSTER_NAME: cluster, SNF_RC_REPLICAS: '1' });

    const start = (name: string, env: Record<string, string>) => {
      const envFile = join(dir, `${name}.env`);
      writeFileSync(envFile, Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
      const logs = join(dir, name);
      const c = spawn('sh', [script], {
        env: { ...process.env, SNF_RC_ENV: envFile, SNF_RC_HOME: build.dir, SNF_RC_LOGS: logs, SNF_RC_BIND: '127.0.0.1', SNF_RC_BACKUP_FILE: join(dir, `${name}-backup.log`) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      c.stdout!.on('data', (b: Buffer) => output.push(`${name}: ${b.toString()}`));
      c.stderr!.on('data', (b: Buffer) => output.push(`${name}: ${b.toString()}`));
      children.push(c);
      return logs;
    };
    const diag = () => [...output, ...readdirSync(dir).filter((f) => !f.endsWith('.log')).flatMap((sub) => {
      const p = join(dir, sub);
      return existsSync(join(p, 'rc-coordinator.log')) ? [readFileSync(join(p, 'rc-coordinator.log'), 'utf8').slice(-1500)] : existsSync(join(p, 'rc-server.log')) ? [readFileSync(join(p, 'rc-server.log'), 'utf8').slice(-1500)] : [];
    })].join('\n');

    const coordLogs = start('coordinator', { ...coordEnv, SNF_RC_PORT: String(cport) });
    await waitForLine(join(coordLogs, 'rc-coordinator.log'), /Cluster name is 'snf-test-cluster'/, 30_000, diag);
    // Master memory and frames made small for this host; the rest as rendered.
    const small = { SNF_RC_MASTER_MEMORY_MB: '256', SNF_RC_SEGMENT_FRAMES: '16' };
    const masters = [];
    for (const name of ['master0', 'master1']) masters.push(start(name, { ...masterEnv, ...small, SNF_RC_PORT: String(await freePort()) }));
    for (const logs of masters) {
      await waitForLine(join(logs, 'rc-server.log'), /Using 1 backups/, 60_000, diag);
      await waitForLine(join(logs, 'rc-server.log'), /Enlisted; serverId \S+/, 60_000, diag);
    }
    const enlisted = readFileSync(join(coordLogs, 'rc-coordinator.log'), 'utf8');
    const servers = [...enlisted.matchAll(/Enlisting server at tcp:host=127\.0\.0\.1,port=\d+ \(server id [^)]+\) supporting services: [^\n]*MASTER[^\n]*BACKUP/g)];
    expect(servers, diag()).to.have.length(2);
    // Each backup wrote its frames to the file it was given (the VDU's /dev/vdb).
    for (const name of ['master0', 'master1']) expect(existsSync(join(dir, `${name}-backup.log`)), name).to.equal(true);

    // The coordinator VDU's sweeper (statelessnf-ramcloud-sweeper.service: `snf-ramcloud.sh
    // sweeper`), run from the app as the image stages it, deletes flow state once it expires.
    expect(coordUd).to.include('/etc/systemd/system/statelessnf-ramcloud-sweeper.service');
    expect(coordUd).to.match(/systemctl, enable, --now, statelessnf-ramcloud-sweeper\.service/);
    const app = join(dir, 'app');
    await stageApp(app);
    const sweeperLog = join(dir, 'sweeper.out');
    const sw = spawn('sh', [script, 'sweeper'], {
      env: { ...process.env, SNF_RC_ENV: join(dir, 'coordinator.env'), SNF_RC_HOME: build.dir, SNF_RC_LOGS: join(dir, 'coordinator'), SNF_RC_BIND: '127.0.0.1', SNF_APP_HOME: app },
      stdio: ['ignore', openSync(sweeperLog, 'a'), openSync(sweeperLog, 'a')],
    });
    children.push(sw);
    await waitForLine(sweeperLog, /"event":"started"/, 30_000, () => readFileSync(sweeperLog, 'utf8'));
    // Two objects that expire at once: a NAT mapping (forward and reverse keys) of 50 ms.
    const e = new Engine(engineConfig(['nat'], { kind: 'ramcloud', coordinator: coord, clusterName: cluster, plugin: join(build.dir, 'lib', 'libsnf_store_ramcloud.so') }, { tables: { ...TABLES, timeouts: { udpMs: 50 } } }));
    try {
      const r = await send(e, 'inside', { ip: { v: 4, src: '10.0.0.5', dst: '203.0.113.53' }, l4: { proto: 'udp', sport: 4000, dport: 53 }, payload: Buffer.from('q') });
      expect(r.out.verdict, JSON.stringify(e.counters().store)).to.equal('forward');
    } finally {
      e.close();
    }
    const swept = await waitForLine(sweeperLog, /"event":"swept"[^\n]*"deleted":\d+/, 30_000, () => readFileSync(sweeperLog, 'utf8'));
    expect(Number(/"deleted":(\d+)/.exec(swept)![1]), swept).to.be.at.least(2);
  });

  it('a VDU image without RAMCloud: snf-ramcloud.sh says so and exits 3', async () => {
    const env = join(dir, 'none.env');
    writeFileSync(env, 'SNF_RC_ROLE=coordinator\nSNF_RC_PORT=11100\nSNF_RC_CLUSTER_NAME=x\n');
    const c = spawn('sh', [join(ROOT, 'heat', 'scripts', 'snf-ramcloud.sh')], { env: { ...process.env, SNF_RC_ENV: env, SNF_RC_HOME: join(dir, 'no-such-dir') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    c.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    const code = await new Promise<number | null>((r) => c.once('exit', r));
    expect(code).to.equal(3);
    expect(err).to.match(/no RAMCloud in .*no-such-dir: this image was built without it \(snf image build --ramcloud\)/);
  });

  it('stages the build for /opt/snf/ramcloud with the Debian packages of the libraries it links', () => {
    const out = mkdtempSync(join(dir, 'stage-'));
    stageRamcloud(build, out);
    for (const f of RAMCLOUD_FILES) expect(existsSync(join(out, f)), f).to.equal(true);
    const debs = readFileSync(join(out, 'debs.txt'), 'utf8').trim().split('\n');
    expect(debs).to.include.members(['libprotobuf32', 'libboost-program-options1.74.0', 'libpcrecpp0v5']);
    // Its own libramcloud.so ships beside the binaries: no package for it.
    expect(debs.join(' ')).to.not.match(/ramcloud/);
  });
});
