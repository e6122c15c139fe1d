// The full SOL003 lifecycle through the VNFM onto the REAL local VIM (NF processes in network
// namespaces, kernel ECMP steering, Redis state) under live TCP traffic: instantiate, scale
// out, heal, scale in with 0 broken connections, then terminate. Needs root.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { LocalVim } from '../../../src/vim/local/vim.js';
import { names, NET } from '../../../src/vim/local/topology.js';
import { alive, closeShells } from '../../../src/vim/local/sh.js';
import { LocalDeployment } from '../../../src/vim/local/deployment.js';
import type { ClientSummary } from '../../../src/demo/traffic/client.js';
import { startVnfm, type Vnfm } from '../../../src/vnfm/app.js';
import { forceCleanup, RUN_ROOT, startTool, uniqueName, type Proc } from '../../support/netns.js';
import { startRedis, type RedisServer } from '../../support/redis.js';
import { Sol003Client, opIdOf, testVnfd } from '../../support/vnfm.js';

type Json = Record<string, unknown>;
const CONNS = 50;

function canRun(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  for (const tool of ['ip', 'nft', 'ethtool', 'redis-server']) if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} missing`;
  return undefined;
}

describe('VNFM lifecycle on the local VIM under traffic', function () {
  this.timeout(180_000);
  let redis: RedisServer;
  let vnfm: Vnfm;
  let name: string;
  const procs: Proc[] = [];

  before(async function () {
    const why = canRun();
    if (why) throw new Error(`cannot run the local LCM: ${why} (run the suite as root after scripts/setup.sh)`);
    redis = await startRedis();
    const vnfd = testVnfd({ artifacts: { simple: { local: { chain: ['firewall', 'nat'] } } } });
    vnfd.flavours.simple = { aspects: { nf: { vduId: 'VDU1', minInstances: 1, maxScaleLevel: 4 } }, instantiationLevels: { two: { nf: 1 } }, defaultInstantiationLevelId: 'two' };
    vnfm = await startVnfm({ redis: redis.node, catalog: [vnfd], vims: { local: new LocalVim(RUN_ROOT) }, responseValidation: 'enforce', log: () => {} });
    name = uniqueName();
  });

  after(async () => {
    for (const p of procs) p.stop();
    await vnfm?.lcm.idle();
    await vnfm?.close();
    if (name) forceCleanup(name);
    closeShells();
    await redis?.stop();
  });

  it(`instantiate -> scale out -> heal -> scale in keeps ${CONNS} connections; terminate removes everything`, async () => {
    const api = new Sol003Client(vnfm.url);
    const id = ((await api.call('POST', '/vnf_instances', { vnfdId: 'snf-firewall-vnfd', vnfInstanceName: 'local-fw' })).body as Json).id as string;
    const run = async (path: string, body: Json) => {
      const r = await api.call('POST', `/vnf_instances/${id}/${path}`, body);
      expect(r.status, JSON.stringify(r.body)).to.equal(202);
      return api.waitOp(opIdOf(r), ['COMPLETED', 'FAILED_TEMP'], 120_000);
    };
    const vnfcs = async () => ((await api.call('GET', `/vnf_instances/${id}`)).body as { instantiatedVnfInfo: { vnfcResourceInfo: Array<{ id: string }> } }).instantiatedVnfInfo.vnfcResourceInfo.map((v) => v.id);

    const inst = await run('instantiate', { flavourId: 'simple', additionalParams: { snf_deployment_name: name } });
    expect(inst.operationState, JSON.stringify(inst.error)).to.equal('COMPLETED');
    expect(await vnfcs()).to.have.length(2);

    const server = startTool(names(name).server, 'server', ['--tcp', `${NET.server.host}:7000`]);
    procs.push(server);
    await server.waitFor((l) => l.event === 'listening');
    const client = startTool(names(name).client, 'client', ['--target', `${NET.server.host}:7000`, '--connections', String(CONNS), '--interval', '100']);
    procs.push(client);
    const ready = await client.waitFor((l) => l.event === 'connected', 60_000);
    expect(ready.connected, `connections opened: ${JSON.stringify(ready.errors)}`).to.equal(CONNS);

    expect((await run('scale', { type: 'SCALE_OUT', aspectId: 'nf', numberOfSteps: 2 })).operationState).to.equal('COMPLETED');
    expect(await vnfcs()).to.have.length(4);
    const victim = (await vnfcs())[0];
    expect((await run('heal', { cause: 'test', additionalParams: { vnfcInstanceId: [victim] } })).operationState).to.equal('COMPLETED');
    expect((await run('scale', { type: 'SCALE_IN', aspectId: 'nf', numberOfSteps: 2 })).operationState).to.equal('COMPLETED');
    expect(await vnfcs()).to.have.length(2);
    await new Promise((r) => setTimeout(r, 1000));

    client.child.stdin?.write('stop\n');
    const sum = (await client.waitFor((l) => l.event === 'summary', 15_000)) as unknown as ClientSummary;
    console.log(`      ${sum.connections} connections, ${sum.responses} responses, ${sum.resets} resets, longest stall ${sum.maxStallMs} ms`);
    expect(sum.resets, 'connections reset').to.equal(0);
    expect(sum.perConnection.filter((c) => c.error).length, 'connections broken').to.equal(0);
    expect(sum.perConnection.every((c) => c.responses > 5), 'every connection kept answering').to.equal(true);

    // Operate: STOPPED takes every instance out of steering, then stops its process; STARTED
    // brings the same instances back, steered, and new connections through them work again.
    const before = await vnfcs();
    expect((await run('operate', { changeStateTo: 'STOPPED', stopType: 'GRACEFUL', gracefulStopTimeout: 1 })).operationState).to.equal('COMPLETED');
    const dep = LocalDeployment.load(name, RUN_ROOT);
    expect(dep.state.instances.map((i) => [i.id, i.stopped, i.steer, alive(i.pid)])).to.deep.equal(before.map((id) => [id, true, false, false]));
    await dep.waitSteered((ids) => ids.size === 0, 5000);
    const stopped = (await api.call('GET', `/vnf_instances/${id}`)).body as { instantiatedVnfInfo: { vnfState: string; vnfcInfo: Array<{ vnfcState: string }> } };
    expect([stopped.instantiatedVnfInfo.vnfState, ...stopped.instantiatedVnfInfo.vnfcInfo.map((c) => c.vnfcState)]).to.deep.equal(['STOPPED', 'STOPPED', 'STOPPED']);
    expect((await run('operate', { changeStateTo: 'STARTED' })).operationState).to.equal('COMPLETED');
    const started = LocalDeployment.load(name, RUN_ROOT);
    expect(started.state.instances.map((i) => [i.id, i.stopped ?? false, i.steer, alive(i.pid)])).to.deep.equal(before.map((x) => [x, false, true, true]));
    await started.waitSteered((ids) => before.every((x) => ids.has(x)), 5000);
    const again = startTool(names(name).client, 'client', ['--target', `${NET.server.host}:7000`, '--connections', '5', '--interval', '100']);
    procs.push(again);
    const back = await again.waitFor((l) => l.event === 'connected', 30_000);
    expect(back.connected, `connections after start: ${JSON.stringify(back.errors)}`).to.equal(5);
    again.child.stdin?.write('stop\n');
    await again.waitFor((l) => l.event === 'summary', 15_000);

    expect((await run('terminate', { terminationType: 'FORCEFUL' })).operationState).to.equal('COMPLETED');
    expect(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout).to.not.include(name);
    expect(api.violations, api.violations.join('\n')).to.deep.equal([]);
  });
});
