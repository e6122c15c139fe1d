// The steering controller under supervision, on a real local deployment (firewall, 2 instances,
// real packets): a killed controller is replaced; while no controller works, a dead instance's
// links are taken down so the kernel's ECMP stops using it and connections carry on; `snf status`
// says what is wrong (exit 1, steering shown stale, not "yes"); heal and a failed scale out report
// what really happened and leave nothing running unsteered.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { LocalDeployment } from '../../../src/vim/local/deployment.js';
import { names, NET } from '../../../src/vim/local/topology.js';
import { readControllerHealth, readSupervisorStatus, readSteeringStatus } from '../../../src/vim/local/state.js';
import type { ClientSummary } from '../../../src/demo/traffic/client.js';
import { tearDownDeployment } from '../../support/teardown.js';
import { namespacesOf, pidAlive, ROOT, RUN_ROOT, startTool, uniqueName, type Proc } from '../../support/netns.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function snf(args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/snf.js'), ...args], { encoding: 'utf8', env: { ...process.env, SNF_RUN_DIR: RUN_ROOT }, timeout: 90_000 });
  return { code: r.status, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

async function until<T>(what: string, fn: () => T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function routes(ns: string): string {
  return spawnSync('ip', ['-n', ns, 'route', 'show'], { encoding: 'utf8' }).stdout;
}

describe('supervised steering controller (local deployment)', function () {
  this.timeout(240_000);
  let d: LocalDeployment | undefined;
  let name = '';
  let server: Proc | undefined;
  let client: Proc | undefined;
  const stopped: number[] = [];

  before(async function () {
    if (process.getuid?.() !== 0) throw new Error('needs root (network namespaces)');
    name = uniqueName();
    d = await LocalDeployment.up({ name, chain: ['firewall'], instances: 2, runRoot: RUN_ROOT });
    server = startTool(names(name).server, 'server', ['--tcp', `${NET.server.host}:7000`]);
    await server.waitFor((l) => l.event === 'listening');
  });

  after(async () => {
    for (const p of stopped) if (pidAlive(p)) process.kill(p, 'SIGCONT');
    await tearDownDeployment({ name, d, procs: [client, server] });
  });

  it('replaces a killed controller with its warm standby, which adopts the steering', async () => {
    const s0 = await until('a standby', () => {
      const s = readSupervisorStatus(d!.state.runDir);
      return s && s.standbyPid && pidAlive(s.standbyPid) ? s : undefined;
    });
    const steeredBefore = readSteeringStatus(d!.state.runDir)?.ids;
    process.kill(s0.activePid, 'SIGKILL');
    const s1 = await until('the standby promoted', () => {
      const s = readSupervisorStatus(d!.state.runDir);
      return s && s.activePid !== s0.activePid ? s : undefined;
    });
    expect(s1.activePid).to.equal(s0.standbyPid);
    expect(s1.restarts).to.equal(s0.restarts + 1);
    await until('the new controller reconciling', () => readControllerHealth(d!.state.runDir)?.pid === s1.activePid || undefined);
    expect(readSteeringStatus(d!.state.runDir)?.ids, 'adopted, not re-proved').to.deep.equal(steeredBefore);
    const st = snf(['status', '--name', name, '--interval', '100']);
    expect(st.out).to.match(/restarts 1/);
    expect(st.code, st.out).to.equal(0);
    // a new standby is started behind it
    await until('a new standby', () => {
      const s = readSupervisorStatus(d!.state.runDir);
      return s && s.standbyPid && s.standbyPid !== s0.standbyPid && pidAlive(s.standbyPid) ? s : undefined;
    });
    // with a live controller, kill -9 and heal report what was measured
    const killed = snf(['kill', 'i1', '--name', name]);
    expect(killed.code, killed.out).to.equal(0);
    expect(killed.out).to.match(/steering no longer sends traffic to i1 \(\d+ ms after the signal\)/);
    const healed = snf(['kill', '--heal', 'i1', '--name', name]);
    expect(healed.code, healed.out).to.equal(0);
    expect(healed.out).to.match(/i1 is back as pid \d+: registered after \d+ ms, steered after \d+ ms/);
    // the CLI changed state.json: reload it. The old object's store client is closed first: left
    // open, it retried the stopped Redis every second after down() and kept mocha from exiting.
    const stale = d!;
    d = LocalDeployment.load(name, RUN_ROOT);
    await stale.close();
  });

  it('with no working controller: a dead instance leaves ECMP at once, connections carry on, status says so, heal and scale out fail honestly', async () => {
    client = startTool(names(name).client, 'client', ['--target', `${NET.server.host}:7000`, '--connections', '20', '--interval', '100']);
    const ready = await client.waitFor((l) => l.event === 'connected', 60_000);
    expect(ready.connected).to.equal(20);
    await sleep(1000);
    // Hang both controllers: the supervisor replaces the hung active one by the (stopped) standby,
    // which never reconciles: steering is frozen while the supervisor runs.
    const s0 = readSupervisorStatus(d!.state.runDir)!;
    for (const p of [s0.activePid, s0.standbyPid]) {
      process.kill(p, 'SIGSTOP');
      stopped.push(p);
    }
    const frozen = readSteeringStatus(d!.state.runDir)!;
    expect(frozen.ids).to.deep.equal(['i1', 'i2']);
    const victim = d!.instance('i2');
    process.kill(victim.pid, 'SIGKILL');
    // the supervisor took its links down; both steering namespaces' routes mark it linkdown
    await until('i2 links down', () => readSupervisorStatus(d!.state.runDir)?.downed.includes(`i2:${victim.pid}`) || undefined);
    const n = names(name);
    for (const ns of [n.steerIn, n.steerOut]) expect(routes(ns), ns).to.match(/nexthop via \S+ dev i2 weight 1 (dead )?linkdown/);
    expect(readSteeringStatus(d!.state.runDir)?.ids, 'no controller changed the steering').to.deep.equal(['i1', 'i2']);
    await sleep(3000);

    const st = snf(['status', '--name', name, '--interval', '100']);
    expect(st.code, st.out).to.equal(1);
    expect(st.out).to.match(/problems:/);
    expect(st.out).to.match(/instance i2 \(pid \d+\) is not running/);
    expect(st.out).to.match(/^i1 .* stale /m);
    expect(st.out).to.not.match(/ yes /);

    const heal = snf(['kill', '--heal', 'i2', '--name', name]);
    expect(heal.code, heal.out).to.equal(1);
    expect(heal.out).to.match(/steering did not converge .*steering controller/);
    expect(heal.out).to.not.match(/is back/);

    const before = d!.state.instances.length;
    let err: Error | undefined;
    const fresh = LocalDeployment.load(name, RUN_ROOT);
    await fresh.scaleOut(1).catch((e: Error) => (err = e));
    await fresh.close();
    expect(err?.message).to.match(/steering did not converge/);
    const after = LocalDeployment.load(name, RUN_ROOT).state;
    expect(after.instances.length, 'the failed scale out removed its instance').to.equal(before);
    expect(namespacesOf(name).filter((x) => x === n.instance(3))).to.deep.equal([]);

    // the controllers come back; everything converges; connections never broke
    for (const p of stopped.splice(0)) if (pidAlive(p)) process.kill(p, 'SIGCONT');
    await until('a controller reconciling again', () => {
      const s = readSupervisorStatus(d!.state.runDir);
      const h = readControllerHealth(d!.state.runDir);
      return s && h && h.pid === s.activePid && Date.now() - h.reconciledAt < 1000 ? true : undefined;
    }, 30_000);
    client.child.stdin?.write('stop\n');
    const sum = (await client.waitFor((l) => l.event === 'summary', 15_000)) as unknown as ClientSummary;
    console.log(`      ${sum.connections} connections, ${sum.responses} responses, ${sum.resets} resets, longest stall ${sum.maxStallMs} ms`);
    expect(sum.resets).to.equal(0);
    expect(sum.stalledOver1s, 'connections stalled > 1 s').to.equal(0);
    expect(sum.perConnection.every((c) => c.responses > 10)).to.equal(true);
    // the failed heal left i2 running and registered: the returning controller steers it
    await until('i2 steered by a live controller', () => {
      const h = readControllerHealth(d!.state.runDir);
      const ids = readSteeringStatus(d!.state.runDir)?.ids ?? [];
      return h && ids.includes('i2') && Date.now() - h.reconciledAt < 1000 ? true : undefined;
    }, 30_000);
    const ok = snf(['status', '--name', name, '--interval', '100']);
    expect(ok.code, ok.out).to.equal(0);
  });
});
