// The full SOL003 lifecycle through the VNFM onto a REAL Heat (the harness's heat-all, noauth)
// with the OpenStack Vim: instantiate, scale out, heal one VNFC, scale in, terminate, each
// checked on the Heat stack itself. Nova/Neutron are the harness's facades.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { heatSandbox, facadeFiles } from '../../support/openstack-sandbox.js';
import { HeatClient, Session } from '../../../src/openstack/index.js';
import { OpenStackVim } from '../../../src/vim/openstack/index.js';
import { startVnfm, type Vnfm } from '../../../src/vnfm/app.js';
import { startRedis, type RedisServer } from '../../support/redis.js';
import { Sol003Client, TestSubscriber, opIdOf, testVnfd } from '../../support/vnfm.js';

const FIX = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'openstack');
type Json = Record<string, unknown>;
type Vnf = Json & { instantiatedVnfInfo: { vnfcResourceInfo: Array<{ id: string; computeResource: { resourceId: string } }> } };

describe('VNFM lifecycle on a real Heat (OpenStack Vim)', function () {
  this.timeout(300_000);
  let redis: RedisServer;
  let vnfm: Vnfm;
  let heat: HeatClient;
  let sub: TestSubscriber;

  before(async function () {
    this.timeout(150_000);
    const sb = await heatSandbox();
    heat = new HeatClient(Session.noauth({ orchestration: sb.heatUrl }), { pollMs: 250 });
    const facade = await facadeFiles(['OS::Nova::Server', 'OS::Neutron::Port']);
    const hot = {
      template: readFileSync(join(FIX, 'vnf.yaml'), 'utf8'),
      files: { ...facade.files, 'VDU1.yaml': readFileSync(join(FIX, 'nested', 'VDU1.yaml'), 'utf8') },
      environment: { resource_registry: facade.resource_registry },
    };
    redis = await startRedis();
    const vnfd = testVnfd({ artifacts: { simple: { hot } } });
    vnfd.flavours.simple.defaultInstantiationLevelId = 'small';
    vnfm = await startVnfm({
      redis: redis.node,
      catalog: [vnfd],
      vims: { openstack: new OpenStackVim(heat, { pollMs: 250, timeoutMs: 180_000 }) },
      responseValidation: 'enforce',
      notifications: { attempts: 3, baseDelayMs: 50 },
      log: () => {},
    });
    sub = new TestSubscriber();
    await sub.start();
  });

  after(async () => {
    await vnfm?.lcm.idle();
    await vnfm?.close();
    await sub?.stop();
    await redis?.stop();
  });

  it('instantiates, scales out, heals a VNFC, scales in and terminates a Heat stack', async () => {
    const api = new Sol003Client(vnfm.url);
    await api.call('POST', '/subscriptions', { callbackUri: sub.url, filter: { notificationTypes: ['VnfLcmOperationOccurrenceNotification'] } });
    const id = ((await api.call('POST', '/vnf_instances', { vnfdId: 'snf-firewall-vnfd', vnfInstanceName: 'heat-fw' })).body as Json).id as string;
    const inst = await api.call('POST', `/vnf_instances/${id}/instantiate`, {
      flavourId: 'simple',
      vimConnectionInfo: { vim1: { vimId: 'openstack', vimType: 'ETSINFV.OPENSTACK_KEYSTONE.V_3' } },
      extVirtualLinks: [{ id: 'mgmt', resourceId: 'ext-mgmt', extCps: [{ cpdId: 'mgmt' }] }],
    });
    await api.waitOp(opIdOf(inst), ['COMPLETED'], 180_000);
    let vnf = (await api.call('GET', `/vnf_instances/${id}`)).body as Vnf;
    expect(vnf.instantiatedVnfInfo.vnfcResourceInfo).to.have.length(1);
    const stacks = await heat.listStacks();
    const stack = stacks.find((s) => s.stack_name.startsWith('snf-heat-fw-'));
    expect(stack, stacks.map((s) => s.stack_name).join()).to.not.equal(undefined);
    const ref = await heat.resolve(stack!.stack_name);
    expect((await heat.getStack(ref)).parameters?.net_mgmt).to.equal('ext-mgmt');

    await api.waitOp(opIdOf(await api.call('POST', `/vnf_instances/${id}/scale`, { type: 'SCALE_OUT', aspectId: 'worker' })), ['COMPLETED'], 180_000);
    vnf = (await api.call('GET', `/vnf_instances/${id}`)).body as Vnf;
    expect(vnf.instantiatedVnfInfo.vnfcResourceInfo).to.have.length(2);
    expect((await heat.getStack(ref)).parameters?.vdu_count).to.equal('2');

    const [victim, survivor] = vnf.instantiatedVnfInfo.vnfcResourceInfo.map((v) => v.id);
    await api.waitOp(opIdOf(await api.call('POST', `/vnf_instances/${id}/heal`, { cause: 'test', additionalParams: { vnfcInstanceId: [victim] } })), ['COMPLETED'], 180_000);
    vnf = (await api.call('GET', `/vnf_instances/${id}`)).body as Vnf;
    const ids = vnf.instantiatedVnfInfo.vnfcResourceInfo.map((v) => v.id);
    expect(ids).to.have.length(2);
    expect(ids).to.include(survivor);
    expect(ids).to.not.include(victim);

    await api.waitOp(opIdOf(await api.call('POST', `/vnf_instances/${id}/scale`, { type: 'SCALE_IN', aspectId: 'worker' })), ['COMPLETED'], 180_000);
    vnf = (await api.call('GET', `/vnf_instances/${id}`)).body as Vnf;
    expect(vnf.instantiatedVnfInfo.vnfcResourceInfo).to.have.length(1);

    await api.waitOp(opIdOf(await api.call('POST', `/vnf_instances/${id}/terminate`, { terminationType: 'FORCEFUL' })), ['COMPLETED'], 180_000);
    expect((await heat.listStacks()).map((s) => s.stack_name)).to.not.include(stack!.stack_name);
    expect((await api.call('DELETE', `/vnf_instances/${id}`)).status).to.equal(204);
    await sub.until((r) => r.length === 15, 30_000);
    expect(sub.states().filter((s) => s.endsWith('COMPLETED'))).to.deep.equal(['INSTANTIATE:COMPLETED', 'SCALE:COMPLETED', 'HEAL:COMPLETED', 'SCALE:COMPLETED', 'TERMINATE:COMPLETED']);
    expect(api.violations, api.violations.join('\n')).to.deep.equal([]);
  });
});
