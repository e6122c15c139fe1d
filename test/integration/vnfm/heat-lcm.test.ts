// The full SOL003 lifecycle through the VNFM onto a REAL Heat (the harness's heat-all, noauth)
// with the OpenStack Vim: instantiate, scale out, heal one VNFC, scale in, terminate, each
// checked on the Heat stack itself. Nova/Neutron are the harness's facades. Then operate,
// change_ext_conn and change_flavour with an NFVO's grant whose zone, flavour and image the stack
// must carry.
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
  let hot: { template: string; files: Record<string, string>; environment: { resource_registry: Record<string, string> } };

  before(async function () {
    this.timeout(150_000);
    const sb = await heatSandbox();
    heat = new HeatClient(Session.noauth({ orchestration: sb.heatUrl }), { pollMs: 250 });
    const facade = await facadeFiles(['OS::Nova::Server', 'OS::Neutron::Port']);
    hot = {
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

  describe('with an NFVO granting zone, flavour and image', () => {
    // The NFVO: a stand-in that answers POST /grant/v1/grants with 201 and a Grant as SOL003
    // 9.5.2.3 / ONAP SO's granting document define it (zones, addResources, vimAssets).
    let nfvo: Server;
    let granted: Vnfm;
    const grants: Json[] = [];

    before(async () => {
      nfvo = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          const g = JSON.parse(body) as Json;
          grants.push(g);
          res.writeHead(201, { 'content-type': 'application/json', location: `/grant/v1/grants/g${grants.length}` }).end(
            JSON.stringify({
              id: `g${grants.length}`,
              vnfInstanceId: g.vnfInstanceId,
              vnfLcmOpOccId: g.vnfLcmOpOccId,
              zones: [{ id: 'z1', zoneId: 'az-granted' }],
              addResources: [{ resourceDefinitionId: 'VDU1', zoneId: 'z1' }],
              vimAssets: {
                computeResourceFlavours: [{ vnfdVirtualComputeDescId: 'VDU1', vimFlavourId: 'm1.granted' }],
                softwareImages: [{ vnfdSoftwareImageId: 'VDU1', vimSoftwareImageId: 'snf-granted-image' }],
              },
              _links: { self: { href: '/grant/v1/grants/g' }, vnfInstance: { href: '/v' }, vnfLcmOpOcc: { href: '/o' } },
            }),
          );
        });
      });
      await new Promise<void>((r) => nfvo.listen(0, '127.0.0.1', r));
      const vnfd = testVnfd({
        artifacts: {
          simple: { hot },
          // The second flavour's own template: another description and one more instance by default.
          big: { hot: { ...hot, template: hot.template.replace(/^description: >[\s\S]*?\n\n/m, 'description: the big flavour\n\n') } },
        },
      });
      vnfd.flavours.simple.defaultInstantiationLevelId = 'small';
      vnfd.flavours.big = { aspects: { worker: { vduId: 'VDU1', minInstances: 2, maxScaleLevel: 2 } }, instantiationLevels: { one: { worker: 0 } }, defaultInstantiationLevelId: 'one' };
      granted = await startVnfm({
        redis: redis.node,
        stateName: 'heat-granted',
        catalog: [vnfd],
        vims: { openstack: new OpenStackVim(heat, { pollMs: 250, timeoutMs: 180_000 }) },
        grant: { url: `http://127.0.0.1:${(nfvo.address() as AddressInfo).port}` },
        responseValidation: 'enforce',
        log: () => {},
      });
    });

    after(async () => {
      await granted?.lcm.idle();
      await granted?.close();
      await new Promise((r) => nfvo?.close(r));
    });

    it('applies the grant to the stack, stops and starts it, moves a CP to another network and changes the flavour', async () => {
      const api = new Sol003Client(granted.url);
      const id = ((await api.call('POST', '/vnf_instances', { vnfdId: 'snf-firewall-vnfd', vnfInstanceName: 'heat-ops' })).body as Json).id as string;
      const run = async (path: string, body: Json) => {
        const r = await api.call('POST', `/vnf_instances/${id}/${path}`, body);
        expect(r.status, JSON.stringify(r.body)).to.equal(202);
        const op = await api.waitOp(opIdOf(r), ['COMPLETED', 'FAILED_TEMP'], 180_000);
        expect(op.operationState, JSON.stringify(op.error)).to.equal('COMPLETED');
      };
      await run('instantiate', { flavourId: 'simple', extVirtualLinks: [{ id: 'mgmt-vl', resourceId: 'ext-mgmt', extCps: [{ cpdId: 'mgmt' }] }] });
      const stack = (await heat.listStacks()).find((s) => s.stack_name.startsWith('snf-heat-ops-'));
      expect(stack).to.not.equal(undefined);
      const ref = await heat.resolve(stack!.stack_name);
      const params = async () => (await heat.getStack(ref)).parameters ?? {};
      expect(await params()).to.include({ flavor: 'm1.granted', image: 'snf-granted-image', zone: 'az-granted', net_mgmt: 'ext-mgmt', vdu_count: '1' });

      await run('operate', { changeStateTo: 'STOPPED', stopType: 'FORCEFUL' });
      expect((await heat.getStack(ref)).stack_status).to.equal('SUSPEND_COMPLETE');
      let vnf = (await api.call('GET', `/vnf_instances/${id}`)).body as Vnf & { instantiatedVnfInfo: { vnfState: string; vnfcInfo: Array<{ vnfcState: string }> } };
      expect(vnf.instantiatedVnfInfo.vnfState).to.equal('STOPPED');
      expect(vnf.instantiatedVnfInfo.vnfcInfo.map((c) => c.vnfcState)).to.deep.equal(['STOPPED']);
      await run('operate', { changeStateTo: 'STARTED' });
      expect((await heat.getStack(ref)).stack_status).to.equal('RESUME_COMPLETE');
      vnf = (await api.call('GET', `/vnf_instances/${id}`)).body as typeof vnf;
      expect(vnf.instantiatedVnfInfo.vnfcInfo.map((c) => c.vnfcState)).to.deep.equal(['STARTED']);

      await run('change_ext_conn', { extVirtualLinks: [{ id: 'mgmt-vl2', resourceId: 'ext-mgmt-2', extCps: [{ cpdId: 'mgmt' }] }] });
      expect(await params()).to.include({ net_mgmt: 'ext-mgmt-2', net_data: 'net-data' });

      await run('change_flavour', { newFlavourId: 'big' });
      expect(((await heat.template(ref)) as Json).description).to.equal('the big flavour');
      expect(await params()).to.include({ vdu_count: '2', flavor: 'm1.granted', net_mgmt: 'ext-mgmt-2' });
      expect((await heat.getStack(ref)).tags).to.include('flavour=big');
      vnf = (await api.call('GET', `/vnf_instances/${id}`)).body as typeof vnf;
      expect(vnf.instantiatedVnfInfo.vnfcResourceInfo).to.have.length(2);

      await run('terminate', { terminationType: 'FORCEFUL' });
      expect(grants.map((g) => g.operation)).to.deep.equal(['INSTANTIATE', 'OPERATE', 'OPERATE', 'CHANGE_EXT_CONN', 'CHANGE_FLAVOUR']);
      expect(api.violations, api.violations.join('\n')).to.deep.equal([]);
    });
  });
});
