// The ramcloud flavour through the VNF manager, on a REAL Heat (the sandbox's heat-all; Nova,
// Neutron and Cinder are its facades): the VNFD and BaseHOT come from the product's own CSAR
// (vnfdFromPackage, as `snf vnfm onboard` reads it), the instantiate creates the coordinator, the
// masters and the NFs, and the VNF manager treats the control-plane Redis on the coordinator as
// the template-created store it is: it hands the stack TLS certificates, so the NFs' control URLs
// are rediss://. The NFs' flow store is RAMCloud at the coordinator's locator.
import { expect } from 'chai';
import yaml from 'js-yaml';
import { facadeFiles, heatSandbox } from '../../support/openstack-sandbox.js';
import { HeatClient, Session } from '../../../src/openstack/index.js';
import { OpenStackVim } from '../../../src/vim/openstack/index.js';
import { startVnfm, type Vnfm } from '../../../src/vnfm/app.js';
import { vnfdFromPackage } from '../../../src/vnfm/catalogue.js';
import { flavourModel, nfFlavorName, rcFlavorName, RC_COORDINATOR_VDU, RC_MASTER_VDU } from '../../../src/package/model.js';
import { STORE_TLS_NAME } from '../../../src/package/userdata.js';
import type { VnfdInfo } from '../../../src/vnfm/types.js';
import { startRedis, type RedisServer } from '../../support/redis.js';
import { Sol003Client, opIdOf } from '../../support/vnfm.js';
import { csarOf, descriptor } from '../../unit/package/helpers.js';
import { foreignTypes } from '../package/heat-stacks.js';

type Json = Record<string, unknown>;

describe('VNFM: the ramcloud flavour from the product CSAR, on a real Heat', function () {
  this.timeout(400_000);
  let redis: RedisServer;
  let vnfm: Vnfm;
  let heat: HeatClient;
  let vnfd: VnfdInfo;

  before(async function () {
    this.timeout(150_000);
    const sb = await heatSandbox();
    heat = new HeatClient(Session.noauth({ orchestration: sb.heatUrl }), { pollMs: 250 });
    const d = await descriptor('nat');
    vnfd = await vnfdFromPackage(await csarOf(d), 'snf_nat.csar');
    const hot = vnfd.artifacts!.ramcloud.hot!;
    // Nested templates by the file name the groups use, as Tacker hands them to Heat.
    expect(Object.keys(hot.files ?? {}).sort()).to.deep.equal(['nf.yaml', 'rc_coordinator.yaml', 'rc_master.yaml']);
    // The sandbox's facades stand in for Nova, Neutron and Cinder; Heat and the templates are real.
    const texts = [String(hot.template), ...Object.values(hot.files ?? {})];
    const facade = await facadeFiles(foreignTypes(texts));
    vnfd.artifacts!.ramcloud.hot = { ...hot, files: { ...hot.files, ...facade.files }, environment: { resource_registry: facade.resource_registry } };
    redis = await startRedis();
    vnfm = await startVnfm({
      redis: redis.node,
      catalog: [vnfd],
      vims: { openstack: new OpenStackVim(heat, { pollMs: 250, timeoutMs: 300_000 }) },
      responseValidation: 'enforce',
      log: () => {},
    });
  });

  after(async () => {
    await vnfm?.lcm.idle();
    await vnfm?.close();
    await redis?.stop();
  });

  it('instantiates coordinator, masters and NFs; the control Redis gets TLS from the VNF manager; terminates', async () => {
    const d = await descriptor('nat');
    const m = flavourModel(d, 'ramcloud');
    const image = d.images.nf_image.name;
    const api = new Sol003Client(vnfm.url);
    const id = ((await api.call('POST', '/vnf_instances', { vnfdId: vnfd.vnfdId, vnfInstanceName: 'rc-nat' })).body as Json).id as string;
    const inst = await api.call('POST', `/vnf_instances/${id}/instantiate`, {
      flavourId: 'ramcloud',
      vimConnectionInfo: { vim1: { vimId: 'openstack', vimType: 'ETSINFV.OPENSTACK_KEYSTONE.V_3' } },
      extVirtualLinks: m.cps.filter((c) => c.external).map((c) => ({ id: `net-${c.name}`, resourceId: `net-${c.name}`, extCps: [{ cpdId: c.id }] })),
      // What a grant (or Tacker) names per VDU: flavors and images by name.
      additionalParams: {
        nfv: {
          VDU: {
            nf: { computeFlavourId: nfFlavorName(d, 'ramcloud'), vcImageId: image },
            [RC_COORDINATOR_VDU]: { computeFlavourId: rcFlavorName(d, 'ramcloud', RC_COORDINATOR_VDU), vcImageId: image },
            [RC_MASTER_VDU]: { computeFlavourId: rcFlavorName(d, 'ramcloud', RC_MASTER_VDU), vcImageId: image },
          },
        },
      },
    });
    expect(inst.status, JSON.stringify(inst.body)).to.equal(202);
    const done = await api.waitOp(opIdOf(inst), ['COMPLETED', 'FAILED_TEMP'], 300_000);
    expect(done.operationState, JSON.stringify(done.error)).to.equal('COMPLETED');
    const stack = (await heat.listStacks()).find((s) => s.stack_name.startsWith('snf-rc-nat-'));
    expect(stack, 'the stack of the instance').to.not.equal(undefined);
    const out = (await heat.outputs(await heat.resolve(stack!.stack_name))) as Record<string, unknown>;
    // The default instantiation level (base: two NF instances), three masters, one coordinator.
    expect(out.nf_instances).to.equal(2);
    expect(out.ramcloud_masters).to.have.length(3);
    const control = out.store_nodes as string[];
    expect(control).to.have.length(1);
    const ip = control[0].split(':')[0];
    expect(out.ramcloud_coordinator).to.equal(`tcp:host=${ip},port=11100`);
    // The VNF manager made the control Redis's certificates: TLS URLs for the table writer.
    expect(String(out.store_tls_ca)).to.match(/^-----BEGIN CERTIFICATE-----\n/);
    expect(String(out.store_control_nodes)).to.match(new RegExp(`^rediss://snf-control-${stack!.stack_name}:[A-Za-z0-9]{32}@${ip.replace(/\./g, '\\.')}:6379\\?servername=${STORE_TLS_NAME.replace(/\./g, '\\.')}$`));
    const vnf = (await api.call('GET', `/vnf_instances/${id}`)).body as Json;
    expect((vnf.instantiatedVnfInfo as Json).flavourId).to.equal('ramcloud');
    await api.waitOp(opIdOf(await api.call('POST', `/vnf_instances/${id}/terminate`, { terminationType: 'FORCEFUL' })), ['COMPLETED'], 300_000);
    expect((await heat.listStacks()).some((s) => s.stack_name === stack!.stack_name && s.stack_status !== 'DELETE_COMPLETE')).to.equal(false);
  });
});
