// The local deployment end to end: NF processes in network namespaces, real packets through the
// kernel stacks of the client and server namespaces, steering by kernel ECMP or nftables
// spraying, state in a Redis on a UNIX socket. Every scenario builds its own deployment with a
// name unique to this run and removes it by name and pid, also when it fails.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { LocalDeployment, defaultTables, type UpOptions } from '../../../src/vim/local/deployment.js';
import { writeTables } from '../../../src/store/index.js';
import { names, NET } from '../../../src/vim/local/topology.js';
import { readSteeringStatus } from '../../../src/vim/local/state.js';
import { alive, closeShells } from '../../../src/vim/local/sh.js';
import { countFlows } from '../../../src/store/flows.js';
import type { ClientSummary } from '../../../src/demo/traffic/client.js';
import { forceCleanup, namespacesOf, RUN_ROOT, runIn, startTool, uniqueName, type Proc } from '../../support/netns.js';
import { deploymentPids } from '../../support/teardown.js';

const CONNS = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function canRun(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  for (const tool of ['ip', 'nft', 'ethtool', 'redis-server', 'ping']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} missing: run scripts/setup.sh`;
  }
  return undefined;
}

interface Scenario {
  d: LocalDeployment;
  name: string;
  server: Proc;
}

async function setUp(o: Omit<UpOptions, 'name' | 'runRoot'>, serverArgs: string[]): Promise<Scenario> {
  const name = uniqueName();
  const d = await LocalDeployment.up({ ...o, name, runRoot: RUN_ROOT });
  const server = startTool(names(name).server, 'server', serverArgs);
  await server.waitFor((l) => l.event === 'listening');
  return { d, name, server };
}

async function tearDown(s: Scenario | undefined): Promise<void> {
  if (!s) return;
  const pids = deploymentPids(s.d);
  s.server.stop();
  // Drop reasons across the instances still running: what a stall or reset was made of.
  const drops = new Map<string, number>();
  for (const i of s.d.state.instances) {
    for (const x of await s.d.scrape(i.id).catch(() => [])) {
      if (x.name === 'snf_dropped_packets_total' && x.value > 0) drops.set(x.labels.reason, (drops.get(x.labels.reason) ?? 0) + x.value);
    }
  }
  if (drops.size) console.log(`      drops on the remaining instances: ${JSON.stringify(Object.fromEntries(drops))}`);
  await s.d.close().catch(() => undefined);
  await s.d.down().catch(() => undefined);
  forceCleanup(s.name);
  await sleep(100);
  expect(namespacesOf(s.name), 'namespaces left behind').to.deep.equal([]);
  // alive(): a process this test's deployment started and killed is a zombie until reaped
  expect(pids.filter(alive), 'processes left behind').to.deep.equal([]);
}

async function startClient(s: Scenario, target: string, n = CONNS): Promise<Proc> {
  const c = startTool(names(s.name).client, 'client', ['--target', target, '--connections', String(n), '--interval', '100']);
  const ready = await c.waitFor((l) => l.event === 'connected', 60_000);
  expect(ready.connected, `connections opened: ${JSON.stringify(ready.errors)}`).to.equal(n);
  return c;
}

/** Stalls are measured from here on: the warm-up of 200 new flows on a busy 2-core box is not what is tested. */
async function markClient(c: Proc): Promise<void> {
  const n = c.lines.filter((l) => l.event === 'marked').length;
  c.child.stdin?.write('mark\n');
  const m = await c.waitFor((l) => l.event === 'marked' && c.lines.filter((x) => x.event === 'marked').length > n, 5000);
  console.log(`      warm-up (connect + 1.5 s): longest stall ${String(m.maxStallBeforeMs)} ms`);
}

async function stopClient(c: Proc): Promise<ClientSummary> {
  c.child.stdin?.write('stop\n');
  const s = (await c.waitFor((l) => l.event === 'summary', 15_000)) as unknown as ClientSummary;
  return s;
}

/** kill -9, then the time until the steering controller has removed it. */
async function killAndMeasure(d: LocalDeployment, id: string): Promise<number> {
  const t0 = Date.now();
  d.kill(id);
  await d.waitSteered((ids) => !ids.has(id), 5000);
  const st = readSteeringStatus(d.state.runDir);
  return (st?.at ?? Date.now()) - t0;
}

/** Names the step during which each stall over 1 s began, so a failure says what caused it. */
function stallPhases(sum: ClientSummary, phases: [string, number][]): string {
  const bad = sum.perConnection.filter((c) => c.maxStallMs > 1000);
  return bad
    .map((c) => {
      const p = [...phases].reverse().find(([, t]) => t <= c.maxStallAt);
      return `${c.maxStallMs} ms ${p ? `${c.maxStallAt - p[1]} ms into '${p[0]}'` : 'before the first step'}`;
    })
    .join('; ');
}

function expectIntact(sum: ClientSummary, what: string, phases: [string, number][] = []): void {
  const bad = sum.perConnection.filter((c) => c.reset || c.error || c.maxStallMs > 1000);
  if (bad.length) console.log(`      stalls: ${stallPhases(sum, phases)}`);
  expect(sum.resets, `${what}: connections reset`).to.equal(0);
  expect(sum.stalledOver1s, `${what}: connections stalled > 1 s (e.g. ${JSON.stringify(bad.slice(0, 3))})`).to.equal(0);
  expect(sum.perConnection.every((c) => c.responses > 10), `${what}: every connection kept answering`).to.equal(true);
}

function accepted(server: Proc): { remote: string; local: string }[] {
  return server.lines.filter((l) => l.event === 'accepted') as unknown as { remote: string; local: string }[];
}

describe('local deployment: NF processes in network namespaces', function () {
  this.timeout(180_000);
  const why = canRun();
  before(function () {
    if (why) throw new Error(`cannot run the local deployment: ${why}`);
  });
  after(() => {
    closeShells();
  });

  describe('firewall + NAT, 3 instances, ECMP by L4 hash', () => {
    let s: Scenario | undefined;
    before(async () => {
      s = await setUp({ chain: ['firewall', 'nat'], instances: 3 }, ['--tcp', `${NET.server.host}:7000`, '--udp', `${NET.server.host}:7001`]);
    });
    after(async () => tearDown(s));

    it('ICMP echo and UDP cross the NAT; a closed port yields port-unreachable back to the client', () => {
      const cl = names(s!.name).client;
      const ping = runIn(cl, ['ping', '-c', '3', '-i', '0.2', '-W', '2', NET.server.host]);
      expect(ping.code, ping.out).to.equal(0);
      const echo = JSON.parse(runIn(cl, [process.execPath, '--import', 'tsx', 'src/demo/traffic/udp-probe.ts', '--target', `${NET.server.host}:7001`, '--count', '5']).out.trim().split('\n').pop()!);
      expect(echo.echoed).to.equal(5);
      const closed = JSON.parse(runIn(cl, [process.execPath, '--import', 'tsx', 'src/demo/traffic/udp-probe.ts', '--target', `${NET.server.host}:7009`, '--count', '3']).out.trim().split('\n').pop()!);
      expect(closed.echoed).to.equal(0);
      expect(closed.refused, 'ICMP port unreachable translated back to the client').to.be.greaterThan(0);
    });

    it('applies control-table changes on every instance without a restart', async () => {
      const { d } = s!;
      const redis = await d.store();
      const cl = names(s!.name).client;
      const probe = () => JSON.parse(runIn(cl, [process.execPath, '--import', 'tsx', 'src/demo/traffic/udp-probe.ts', '--target', `${NET.server.host}:7001`, '--count', '3']).out.trim().split('\n').pop()!) as { echoed: number };
      const base = defaultTables(['firewall', 'nat']);
      const gen = await writeTables(redis, d.state.vnf, {
        ...base,
        firewall: { defaultAction: 'deny', rules: [{ id: 'no-udp-7001', action: 'deny', proto: 'udp', dstPorts: [[7001, 7001]] }, ...base.firewall!.rules] },
      });
      const applied = async (g: number) => {
        for (let i = 0; i < 100; i++) {
          const gens = await Promise.all(d.state.instances.map((x) => d.metric(x.id, 'snf_tables_generation')));
          if (gens.every((x) => x === g)) return;
          await sleep(50);
        }
        throw new Error(`generation ${g} not applied everywhere`);
      };
      await applied(gen);
      expect(probe().echoed, 'UDP to 7001 denied by the new rule').to.equal(0);
      await applied(await writeTables(redis, d.state.vnf, base));
      expect(probe().echoed, 'allowed again').to.equal(3);
    });

    it(`${CONNS} connections survive kill -9, the instance's return, scale out 3->5 and scale in 5->2`, async () => {
      const { d, server } = s!;
      const c = await startClient(s!, `${NET.server.host}:7000`);
      await sleep(1500);
      const peers = new Set(accepted(server).map((a) => a.remote));
      expect([...peers], 'the server sees only the NAT pool').to.deep.equal([NET.natPool.addresses[0]]);

      await markClient(c);
      const phases: [string, number][] = [['kill -9 i2', Date.now()]];
      const steerMs = await killAndMeasure(d, 'i2');
      console.log(`      kill -9 i2 -> steering updated in ${steerMs} ms`);
      expect(steerMs).to.be.below(1000);
      await sleep(2000);
      phases.push(['heal i2', Date.now()]);
      await d.heal('i2');
      await sleep(1000);
      phases.push(['scale out 3->5', Date.now()]);
      await d.scaleOut(2);
      expect(readSteeringStatus(d.state.runDir)?.ids).to.have.length(5);
      await sleep(2000);
      phases.push(['scale in 5->2', Date.now()]);
      await d.scaleIn(3);
      expect(readSteeringStatus(d.state.runDir)?.ids).to.have.length(2);
      await sleep(2000);
      phases.push(['steady', Date.now()]);
      const sum = await stopClient(c);
      console.log(`      ${sum.connections} connections, ${sum.responses} responses, ${sum.resets} resets, longest stall ${sum.maxStallMs} ms`);
      expectIntact(sum, 'firewall+NAT', phases);
    });
  });

  // The paper's store: flow state in RAMCloud (a coordinator and a master, built by
  // scripts/setup.sh --ramcloud), conditional writes instead of Lua; the same zero-loss promise.
  describe('firewall + NAT with flow state in RAMCloud, 3 instances', () => {
    let s: Scenario | undefined;
    before(async function () {
      this.timeout(240_000);
      s = await setUp({ chain: ['firewall', 'nat'], instances: 3, dataStore: 'ramcloud' }, ['--tcp', `${NET.server.host}:7000`]);
    });
    after(async () => tearDown(s));

    it(`${CONNS} connections survive kill -9 and scale out 2->4 with their state in RAMCloud`, async () => {
      const { d, server } = s!;
      expect(d.state.store.ramcloud?.nodes.map((n) => n.role), 'a coordinator and a master').to.deep.equal(['coordinator', 'master']);
      const c = await startClient(s!, `${NET.server.host}:7000`);
      await sleep(1500);
      expect([...new Set(accepted(server).map((a) => a.remote))], 'the server sees only the NAT pool').to.deep.equal([NET.natPool.addresses[0]]);
      // the flows are in RAMCloud, not in the control Redis
      expect(await countFlows(await d.store(), d.state.vnf), 'flow state in the control Redis').to.deep.equal({});
      await markClient(c);
      const phases: [string, number][] = [['kill -9 i2', Date.now()]];
      const steerMs = await killAndMeasure(d, 'i2');
      console.log(`      kill -9 i2 -> steering updated in ${steerMs} ms`);
      await sleep(2000);
      phases.push(['scale out 2->4', Date.now()]);
      await d.scaleOut(2);
      await sleep(2000);
      phases.push(['steady', Date.now()]);
      const sum = await stopClient(c);
      console.log(`      ${sum.connections} connections, ${sum.responses} responses, ${sum.resets} resets, longest stall ${sum.maxStallMs} ms`);
      expectIntact(sum, 'firewall+NAT on RAMCloud', phases);
      // every surviving instance forwarded with state it read from RAMCloud: no store errors
      for (const i of d.state.instances.filter((x) => alive(x.pid))) {
        const unavailable = (await d.scrape(i.id)).filter((x) => x.name === 'snf_dropped_packets_total' && x.labels.reason === 'store_unavailable').reduce((a, x) => a + x.value, 0);
        expect(unavailable, `${i.id}: packets dropped for an unreachable store`).to.equal(0);
      }
    });
  });

  describe('load balancer, 4 backends, 3 instances, ECMP by L4 hash', () => {
    let s: Scenario | undefined;
    before(async () => {
      s = await setUp({ chain: ['lb'], instances: 3 }, ['--tcp', NET.backends.map((b) => `${b}:8080`).join(','), '--udp', NET.backends.map((b) => `${b}:5353`).join(',')]);
    });
    after(async () => tearDown(s));

    it(`${CONNS} connections to the VIP survive kill -9, scale out and scale in`, async () => {
      const { d, server } = s!;
      const c = await startClient(s!, `${NET.vip.address}:8080`);
      await sleep(1500);
      const acc = accepted(server);
      expect(new Set(acc.map((a) => a.remote)), 'backends see the client itself').to.deep.equal(new Set([NET.client.host]));
      const per = new Map<string, number>();
      for (const a of acc) per.set(a.local, (per.get(a.local) ?? 0) + 1);
      expect(per.size, `spread over backends: ${JSON.stringify([...per])}`).to.equal(4);
      await markClient(c);
      const phases: [string, number][] = [['kill -9 i1', Date.now()]];
      const steerMs = await killAndMeasure(d, 'i1');
      console.log(`      kill -9 i1 -> steering updated in ${steerMs} ms`);
      await sleep(2000);
      phases.push(['scale out 2->4', Date.now()]);
      await d.scaleOut(2);
      await sleep(1500);
      phases.push(['scale in 4->2', Date.now()]);
      await d.scaleIn(2);
      await sleep(1500);
      phases.push(['steady', Date.now()]);
      const sum = await stopClient(c);
      console.log(`      ${sum.connections} connections, ${sum.resets} resets, longest stall ${sum.maxStallMs} ms`);
      expectIntact(sum, 'LB', phases);
      const udp = JSON.parse(runIn(names(s!.name).client, [process.execPath, '--import', 'tsx', 'src/demo/traffic/udp-probe.ts', '--target', `${NET.vip.address}:5353`, '--count', '3']).out.trim().split('\n').pop()!);
      expect(udp.echoed, 'UDP through the VIP').to.equal(3);
    });
  });

  describe('coupled baseline (flow state inside each instance), 3 instances', () => {
    let s: Scenario | undefined;
    before(async () => {
      s = await setUp({ chain: ['firewall', 'nat'], instances: 3, dataStore: 'local' }, ['--tcp', `${NET.server.host}:7000`]);
    });
    after(async () => tearDown(s));

    it('loses connections when an instance is killed', async () => {
      const { d } = s!;
      const c = await startClient(s!, `${NET.server.host}:7000`);
      await sleep(1500);
      const before = c.lines.filter((l) => l.event === 'progress').pop();
      expect(before?.resets, 'baseline works while nothing fails').to.equal(0);
      await killAndMeasure(d, 'i2');
      await sleep(3000);
      const sum = await stopClient(c);
      const broken = sum.perConnection.filter((x) => x.reset || x.error || x.maxStallMs > 1000).length;
      console.log(`      baseline: ${broken}/${sum.connections} connections reset or stalled > 1 s after kill -9`);
      expect(broken, 'the killed instance held state no other instance has').to.be.greaterThan(0);
    });
  });

  for (const nf of [['firewall', 'nat'], ['lb']] as const) {
    describe(`per-packet spraying over 3 instances: ${nf.join(' + ')}`, () => {
      let s: Scenario | undefined;
      const lb = nf[0] === 'lb';
      before(async () => {
        s = await setUp(
          { chain: [...nf], instances: 3, mode: 'spray' },
          lb ? ['--tcp', NET.backends.map((b) => `${b}:8080`).join(','), '--udp', NET.backends.map((b) => `${b}:5353`).join(',')] : ['--tcp', `${NET.server.host}:7000`, '--udp', `${NET.server.host}:7001`],
        );
      });
      after(async () => tearDown(s));

      it('carries TCP, UDP and ICMP with no flow affinity, and survives kill -9', async () => {
        const { d } = s!;
        const cl = names(s!.name).client;
        const target = lb ? `${NET.vip.address}:8080` : `${NET.server.host}:7000`;
        const c = await startClient(s!, target, 50);
        await sleep(2000);
        if (!lb) {
          const ping = runIn(cl, ['ping', '-c', '5', '-i', '0.2', '-W', '2', NET.server.host]);
          expect(ping.code, ping.out).to.equal(0);
        }
        const udp = JSON.parse(runIn(cl, [process.execPath, '--import', 'tsx', 'src/demo/traffic/udp-probe.ts', '--target', lb ? `${NET.vip.address}:5353` : `${NET.server.host}:7001`, '--count', '6']).out.trim().split('\n').pop()!);
        expect(udp.echoed).to.equal(6);
        await markClient(c);
        const phases: [string, number][] = [['kill -9 i3', Date.now()]];
        await killAndMeasure(d, 'i3');
        await sleep(1500);
        phases.push(['steady', Date.now()]);
        const sum = await stopClient(c);
        console.log(`      ${sum.connections} connections, ${sum.resets} resets, longest stall ${sum.maxStallMs} ms`);
        expectIntact(sum, `spray ${nf.join('+')}`, phases);
        // One connection's packets reach every instance: spraying is per packet, not per flow.
        const live = d.state.instances.filter((i) => i.id !== 'i3').map((i) => i.id);
        const rx0 = await Promise.all(live.map((id) => d.metric(id, 'snf_rx_packets_total')));
        const one = await startClient(s!, target, 1);
        await sleep(2000);
        const single = await stopClient(one);
        const rx1 = await Promise.all(live.map((id) => d.metric(id, 'snf_rx_packets_total')));
        const delta = rx1.map((n, i) => n - rx0[i]);
        expect(single.responses).to.be.greaterThan(5);
        expect(delta.every((n) => n >= 5), `one connection's packets per instance: ${delta.join(', ')}`).to.equal(true);
      });
    });
  }
});
