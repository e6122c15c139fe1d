// A REAL OpenStack Tacker 8.0.0 (with real Keystone, Heat and MariaDB; Nova/Neutron as Heat
// provider-template facades) driven by the product's own tools:
//   snf package build + snf package upload --tacker  -> ONBOARDED
//   TackerClient.v2: create, instantiate, scale out, scale in, heal, terminate, delete -> COMPLETED
// checking the Heat stack Tacker made after each step and that `snf vnfm serve` answered every
// LCM hook the CSAR's shim (Scripts/snf_lcm_hook.py, run by Tacker's conductor) forwarded. The
// adapter URL is given once, in instantiate's additionalParams; Tacker's conductor has no
// SNF_ADAPTER_URL and the package's default is a documentation address: the later hooks reach
// the VNF manager only because the shim remembered the URL in the VNF instance.
//
// Runs as its own step of `npm test` (scripts/test.sh, `npm run test:tacker-real`); the general
// mocha step leaves test/integration/tacker-real/ out.
// Setup/start: scripts/tacker-real/ (cached under $SNF_TACKER_REAL_DIR, /var/tmp/snf-tacker-real).
import { expect } from 'chai';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { HeatClient, Session, TackerClient, type InstantiateVnfRequestV2, type StackResource, type VnfInstanceV2, type VnfLcmOpOccV2 } from '../../../src/openstack/index.js';
import { freePort, startRedis, type RedisServer } from '../../support/redis.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const SCRIPTS = join(ROOT, 'scripts/tacker-real');

interface LabEnv {
  authUrl: string;
  username: string;
  password: string;
  projectName: string;
  userDomainName: string;
  projectDomainName: string;
  region: string;
  tackerUrl: string;
  heatUrl: string;
  logDir: string;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command, its stderr passed through as progress (setup takes a minute or two). */
function run(cmd: string, args: string[], o: { env?: NodeJS.ProcessEnv; timeoutMs: number; echo?: boolean }): Promise<Run> {
  return new Promise((res) => {
    const child = execFile(cmd, args, { cwd: ROOT, env: o.env ?? process.env, timeout: o.timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    if (o.echo) child.stderr?.on('data', (d: Buffer) => process.stderr.write(`    ${d.toString().replace(/\n(?=.)/g, '\n    ')}`));
  });
}

const osEnv = (lab: LabEnv): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('OS_')) delete env[k];
  return {
    ...env,
    OS_AUTH_URL: lab.authUrl,
    OS_USERNAME: lab.username,
    OS_PASSWORD: lab.password,
    OS_PROJECT_NAME: lab.projectName,
    OS_USER_DOMAIN_NAME: lab.userDomainName,
    OS_PROJECT_DOMAIN_NAME: lab.projectDomainName,
    OS_REGION_NAME: lab.region,
    // a clouds.yaml of the developer's must not win over the lab
    OS_CLIENT_CONFIG_FILE: '/nonexistent/clouds.yaml',
  };
};

describe('real Tacker 8.0.0: onboard and run the NAT VNF through vnflcm v2', function () {
  this.timeout(15 * 60_000);
  const t0 = Date.now();
  const timings: string[] = [];
  const lap = (what: string, since: number) => timings.push(`${what} ${((Date.now() - since) / 1000).toFixed(1)} s`);
  let dir: string;
  let lab: LabEnv;
  let redis: RedisServer | undefined;
  let vnfm: ChildProcess | undefined;
  let vnfmUrl = '';
  let vnfmLog = '';
  let started = false;
  let tacker: TackerClient;
  let heat: HeatClient;
  let csar = '';
  let vnfdId = '';
  let inst: VnfInstanceV2 | undefined;
  let vnfInstantiated = false;

  /** Hooks the VNF manager logged for our instance, in order ("vnfm: tacker hook <name> ..."). */
  const hooksSeen = (id: string): string[] =>
    vnfmLog
      .split('\n')
      .filter((l) => l.includes(`instance=${id}`))
      .map((l) => /tacker hook (\w+)/.exec(l)?.[1] ?? '?');

  async function stack(id: string) {
    return heat.getStack(`vnf-${id}`);
  }
  /** The NF servers in the stack: the members of nf_scale_group (OS::Nova::Server, a facade here). */
  async function nfServers(id: string): Promise<StackResource[]> {
    const s = await stack(id);
    const all = await heat.resources({ id: s.id, name: s.stack_name }, { nestedDepth: 3 });
    return all.filter((r) => r.resource_type === 'OS::Nova::Server');
  }
  async function groupSize(id: string): Promise<number> {
    const s = await stack(id);
    const out = (s.outputs ?? []).find((o) => o.output_key === 'nf_instances');
    return Number(out?.output_value);
  }
  async function op(what: string, start: () => Promise<string>): Promise<VnfLcmOpOccV2> {
    const t = Date.now();
    const id = await start();
    const done = await tacker.v2.waitOperation(id, { timeoutMs: 240_000, pollMs: 500 }).catch(async (err: unknown) => {
      throw new Error(`${what}: ${(err as Error).message}\n--- tacker log (tail)\n${tail(join(lab.logDir, 'tacker-all.log'), 40)}\n--- vnfm\n${vnfmLog.slice(-2000)}`);
    });
    lap(what, t);
    expect(done.operationState).to.equal('COMPLETED');
    return done;
  }

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), 'snf-tacker-real-'));
    let t = Date.now();
    const setup = await run('bash', [join(SCRIPTS, 'setup.sh')], { timeoutMs: 12 * 60_000, echo: true });
    expect(setup.code, `setup.sh failed:\n${setup.stderr.slice(-3000)}`).to.equal(0);
    lap('setup', t);
    t = Date.now();
    started = true; // from here on, stop.sh runs in after() whatever happens
    const start = await run('bash', [join(SCRIPTS, 'start.sh')], { timeoutMs: 5 * 60_000, echo: true });
    expect(start.code, `start.sh failed:\n${start.stderr.slice(-3000)}`).to.equal(0);
    lap('start', t);
    const runDir = /start: all up .* \. (\S+)\/env\.sh/.exec(start.stderr)?.[1];
    expect(runDir, 'start.sh names its run dir').to.be.a('string');
    lab = JSON.parse(readFileSync(join(runDir!, 'env.json'), 'utf8')) as LabEnv;

    // The product's VNF manager, with its own Redis, on free loopback ports.
    redis = await startRedis();
    const port = await freePort();
    vnfmUrl = `http://127.0.0.1:${port}`;
    const cfg = {
      redis: redis.node,
      store: redis.node,
      vnfds: [{ vnfdId: 'tacker-managed', vnfProvider: 'StatelessNF Project', vnfProductName: 'StatelessNF NAT', vnfSoftwareVersion: '0.1.0', vnfdVersion: '1.0.0', flavours: { small: { aspects: { nf_instances: { vduId: 'nf', minInstances: 1, maxScaleLevel: 3 } }, instantiationLevels: { minimal: { nf_instances: 0 } }, defaultInstantiationLevelId: 'minimal' } } }],
      vims: { local: { kind: 'local' } },
      defaultVim: 'local',
      hooks: { inFlightMs: 100, registerTimeoutMs: 5000, requireTables: false },
    };
    writeFileSync(join(dir, 'vnfm.json'), JSON.stringify(cfg));
    vnfm = spawn(process.execPath, [join(ROOT, 'bin/snf.js'), 'vnfm', 'serve', '--config', join(dir, 'vnfm.json'), '--port', String(port), '--host', '127.0.0.1'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    vnfm.stdout?.on('data', (d: Buffer) => (vnfmLog += d.toString()));
    vnfm.stderr?.on('data', (d: Buffer) => (vnfmLog += d.toString()));
    for (let i = 0; ; i++) {
      if (await fetch(`${vnfmUrl}/health`).then((r) => r.ok, () => false)) break;
      if (i > 100 || vnfm.exitCode !== null) throw new Error(`snf vnfm serve did not come up:\n${vnfmLog}`);
      await new Promise((r) => setTimeout(r, 200));
    }

    const session = Session.fromEnvironment({ env: osEnv(lab) });
    tacker = new TackerClient(session);
    heat = new HeatClient(Session.noauth({ orchestration: lab.heatUrl }, { timeoutMs: 30_000 }));
  });

  after(async function () {
    this.timeout(120_000);
    // Best effort, in order: our VNF (so that Tacker deletes its stack), then what we started.
    if (inst && tacker) {
      try {
        if (vnfInstantiated) await tacker.v2.waitOperation(await tacker.v2.terminate(inst.id), { timeoutMs: 60_000, pollMs: 500 });
        await tacker.v2.deleteVnf(inst.id);
      } catch {
        /* the stop below takes Tacker down anyway; its state is thrown away at the next start */
      }
    }
    if (vnfm && vnfm.exitCode === null) {
      vnfm.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      if (vnfm.exitCode === null) vnfm.kill('SIGKILL');
    }
    await redis?.stop();
    if (started) {
      const stop = await run('bash', [join(SCRIPTS, 'stop.sh')], { timeoutMs: 60_000 });
      if (stop.code !== 0) process.stderr.write(`stop.sh: ${stop.stderr}\n`);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
    timings.push(`total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    process.stderr.write(`    tacker (real) timings: ${timings.join(', ')}\n`);
  });

  it('snf package build + snf package upload --tacker: the CSAR is ONBOARDED', async () => {
    const img = join(dir, 'snf-nat.qcow2');
    const q = await run('qemu-img', ['create', '-q', '-f', 'qcow2', img, '1G'], { timeoutMs: 30_000 });
    expect(q.code, q.stderr).to.equal(0);
    const build = await run(process.execPath, ['bin/snf.js', 'package', 'build', 'vnf-descriptors/nat.yaml', '-o', join(dir, 'out'), '--image', img], { timeoutMs: 120_000 });
    expect(build.code, build.stderr).to.equal(0);
    const files = readdirSync(join(dir, 'out')).filter((f) => f.endsWith('.csar'));
    expect(files).to.have.length(1);
    csar = join(dir, 'out', files[0]);
    const t = Date.now();
    const up = await run(process.execPath, ['bin/snf.js', 'package', 'upload', csar, '--tacker', '--timeout', '120', '--poll', '1'], { env: osEnv(lab), timeoutMs: 180_000 });
    expect(up.code, `${up.stderr}\n--- tacker log\n${tail(join(lab.logDir, 'tacker-all.log'), 30)}`).to.equal(0);
    lap('onboard', t);
    const pkgId = up.stdout.trim();
    const pkg = await tacker.getPackage(pkgId);
    expect(pkg).to.include({ onboardingState: 'ONBOARDED', operationalState: 'ENABLED', vnfProductName: 'StatelessNF NAT' });
    expect(pkg.vnfdId).to.match(/^[0-9a-f-]{36}$/);
    vnfdId = pkg.vnfdId!;
    // Each build has its own VNFD id: the same file again is named as the package it already is,
    // before Tacker is asked (it would refuse it silently: VnfPackageVnfdIdDuplicate in its log).
    const before = (await tacker.listPackages()).length;
    const again = await run(process.execPath, ['bin/snf.js', 'package', 'upload', csar, '--tacker'], { env: osEnv(lab), timeoutMs: 60_000 });
    expect(again.code).to.equal(1);
    expect(again.stderr).to.include(`already onboarded as package ${pkgId} (VNFD ${vnfdId}, ONBOARDED)`);
    expect((await tacker.listPackages()).length).to.equal(before);
  });

  it('v2 create + instantiate (vimConnectionInfo map, ipOverEthernet): COMPLETED, Heat stack with one NF server, hooks answered', async () => {
    expect(vnfdId, 'needs the onboarded package').to.not.equal('');
    inst = await tacker.v2.createVnf({ vnfdId, vnfInstanceName: 'snf-nat-tacker-real', vnfInstanceDescription: 'tacker (real) test' });
    expect(inst).to.include({ vnfdId, instantiationState: 'NOT_INSTANTIATED', vnfProductName: 'StatelessNF NAT' });
    // The sample request of the repo (examples/tacker/), pointed at this lab: it must work as shipped.
    const sample = JSON.parse(readFileSync(join(ROOT, 'examples/tacker/instantiate-v2-small.json'), 'utf8')) as InstantiateVnfRequestV2;
    expect(JSON.stringify(sample.extVirtualLinks)).to.include('"ipOverEthernet"');
    const req: InstantiateVnfRequestV2 = {
      ...sample,
      extVirtualLinks: sample.extVirtualLinks!.map((vl) => ({ ...vl, resourceId: `net-${vl.extCps[0].cpdId}` })),
      vimConnectionInfo: {
        lab: {
          // Tacker 8 reads vimId unguarded (resource handles name it); with accessInfo and
          // interfaceInfo given it looks nothing up in its VIM table, so any id serves
          vimId: 'snf-lab-keystone',
          vimType: 'ETSINFV.OPENSTACK_KEYSTONE.V_3',
          interfaceInfo: { endpoint: lab.authUrl },
          accessInfo: { username: lab.username, password: lab.password, project: lab.projectName, projectDomain: lab.projectDomainName, userDomain: lab.userDomainName, region: lab.region },
        },
      },
      // nothing registers in the store here (the NF servers are facades): wait for none
      additionalParams: { ...sample.additionalParams, snf_adapter_url: vnfmUrl, snf_expected_instances: 0 },
    };
    const done = await op('instantiate', () => tacker.v2.instantiate(inst!.id, req));
    vnfInstantiated = true;
    expect(done.operation).to.equal('INSTANTIATE');
    const s = await stack(inst.id);
    expect(s.stack_status).to.equal('CREATE_COMPLETE');
    expect(await groupSize(inst.id)).to.equal(1);
    expect(await nfServers(inst.id)).to.have.length(1);
    const got = await tacker.v2.getVnf(inst.id);
    expect(got.instantiationState).to.equal('INSTANTIATED');
    expect(got.instantiatedVnfInfo?.vnfcResourceInfo).to.have.length(1);
    expect(got.instantiatedVnfInfo?.scaleStatus).to.deep.equal([{ aspectId: 'nf_instances', scaleLevel: 0 }]);
    // the shim remembered where the VNF manager is: later operations do not name it
    expect(got.metadata).to.deep.include({ snf_adapter_url: vnfmUrl });
    expect(hooksSeen(inst.id)).to.deep.equal(['instantiate_start', 'instantiate_end']);
  });

  it('v2 scale out then scale in one step: COMPLETED, nf_scale_group 1 -> 2 -> 1, hooks answered', async () => {
    expect(vnfInstantiated, 'needs the instantiated VNF').to.equal(true);
    const id = inst!.id;
    const before = (await nfServers(id)).map((r) => r.physical_resource_id);
    await op('scale out', () => tacker.v2.scale(id, { type: 'SCALE_OUT', aspectId: 'nf_instances', numberOfSteps: 1, additionalParams: { snf_expected_instances: 0 } }));
    expect(await groupSize(id)).to.equal(2);
    const out = await nfServers(id);
    expect(out).to.have.length(2);
    expect(out.map((r) => r.physical_resource_id)).to.include.members(before);
    const scaled = await tacker.v2.getVnf(id);
    expect(scaled.instantiatedVnfInfo?.scaleStatus).to.deep.equal([{ aspectId: 'nf_instances', scaleLevel: 1 }]);
    expect(scaled.instantiatedVnfInfo?.vnfcResourceInfo).to.have.length(2);

    const sin = await op('scale in', () => tacker.v2.scale(id, { type: 'SCALE_IN', aspectId: 'nf_instances', numberOfSteps: 1 }));
    expect(await groupSize(id)).to.equal(1);
    expect(await nfServers(id)).to.have.length(1);
    expect(sin.resourceChanges?.affectedVnfcs?.map((v) => v.changeType)).to.deep.equal(['REMOVED']);
    expect(hooksSeen(id)).to.deep.equal(['instantiate_start', 'instantiate_end', 'scale_start', 'scale_end', 'scale_start', 'scale_end']);
  });

  it('v2 heal of the NF VNFC: COMPLETED, Heat replaced its server, hooks answered', async () => {
    expect(vnfInstantiated, 'needs the instantiated VNF').to.equal(true);
    const id = inst!.id;
    const vnfc = (await tacker.v2.getVnf(id)).instantiatedVnfInfo?.vnfcInfo ?? [];
    expect(vnfc).to.have.length(1);
    const [server] = await nfServers(id);
    const healed = await op('heal', () => tacker.v2.heal(id, { vnfcInstanceId: [vnfc[0].id], cause: 'tacker (real) test', additionalParams: { snf_expected_instances: 0 } }));
    expect(healed.operation).to.equal('HEAL');
    const after = await nfServers(id);
    expect(after).to.have.length(1);
    expect(after[0].resource_name).to.equal(server.resource_name);
    expect(after[0].physical_resource_id, 'a new server in place of the healed one').to.not.equal(server.physical_resource_id);
    expect(hooksSeen(id).slice(-2)).to.deep.equal(['heal_start', 'heal_end']);
  });

  it('v2 terminate + delete: COMPLETED, the Heat stack is gone, hooks answered', async () => {
    expect(vnfInstantiated, 'needs the instantiated VNF').to.equal(true);
    const id = inst!.id;
    await op('terminate', () => tacker.v2.terminate(id, { terminationType: 'FORCEFUL' }));
    vnfInstantiated = false;
    const gone = await stack(id).then((s) => s.stack_status, (err: unknown) => (err as { status?: number }).status);
    expect(gone === 404 || gone === 'DELETE_COMPLETE', `stack after terminate: ${String(gone)}`).to.equal(true);
    expect((await tacker.v2.getVnf(id)).instantiationState).to.equal('NOT_INSTANTIATED');
    expect(hooksSeen(id).slice(-2)).to.deep.equal(['terminate_start', 'terminate_end']);
    await tacker.v2.deleteVnf(id);
    inst = undefined;
    const left = await tacker.v2.getVnf(id).catch((err: unknown) => err);
    expect(left).to.include({ status: 404 });
  });
});

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return `(no ${file})`;
  }
}
