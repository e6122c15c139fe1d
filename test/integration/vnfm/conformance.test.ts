// Conformance (issue 14): the whole lifecycle driven as a SOL003 NFVO would on /vnflcm/v2 and as
// ONAP SO would on /vnflcm/v1, every request and response validated by Sol003Client against the
// shared documents (ETSI SOL003 v3.3.1 bundle, ONAP SO's SOL003 adapter document; both with the
// vnfdIds correction of applyErrata, see docs/vnfm.md) and every notification received validated
// against ONAP SO's LCN document (the ETSI bundle here has no notification schemas). Real Redis,
// the FAKE Vim of test/support/vnfm-fake-vim.ts.
import { expect } from 'chai';
import { startHarness, type Harness } from '../../support/vnfm-harness.js';
import { Sol003Client, TestSubscriber, opIdOf, specSchemas, testVnfd } from '../../support/vnfm.js';
import type { Dialect } from '../../../src/vnfm/schema.js';

type Json = Record<string, unknown>;

for (const dialect of ['v2', 'v1'] as Dialect[]) {
  describe(`VNFM conformance on /vnflcm/${dialect} (fake Vim, real Redis, validated against the documents)`, function () {
    this.timeout(60_000);
    let h: Harness;
    let api: Sol003Client;
    let sub: TestSubscriber;

    before(async () => {
      // A second flavour to change to (one more instance at its default level).
      const vnfd = testVnfd();
      vnfd.flavours.big = { aspects: { worker: { vduId: 'VDU1', minInstances: 2, maxScaleLevel: 2 } }, instantiationLevels: { one: { worker: 0 }, two: { worker: 1 } }, defaultInstantiationLevelId: 'one' };
      h = await startHarness({ pageSize: 3, catalog: [vnfd] });
      api = new Sol003Client(h.vnfm.url, dialect);
      sub = new TestSubscriber();
      await sub.start();
    });

    after(async () => {
      await h.vnfm.lcm.idle();
      await h.stop();
      await sub.stop();
    });

    it('create, instantiate, scale, scale_to_level, heal, failure + retry / rollback, cancel + fail, modify, lists, terminate, delete', async () => {
      const s = await api.call('POST', '/subscriptions', { callbackUri: sub.url, filter: { vnfInstanceSubscriptionFilter: { vnfdIds: ['snf-firewall-vnfd'] } } });
      expect(s.status).to.equal(201);
      const created = await api.call('POST', '/vnf_instances', { vnfdId: 'snf-firewall-vnfd', vnfInstanceName: `conf-${dialect}` });
      expect(created.status).to.equal(201);
      const id = (created.body as Json).id as string;
      const vim = dialect === 'v1' ? [{ id: 'vim-1', vimId: 'RegionOne', vimType: 'openstack', accessInfo: { projectId: 'p' } }] : { 'vim-1': { vimId: 'RegionOne', vimType: 'ETSINFV.OPENSTACK_KEYSTONE.V_3' } };
      const run = async (path: string, body: Json, end = 'COMPLETED'): Promise<string> => {
        const r = await api.call('POST', `/vnf_instances/${id}${path}`, body);
        expect(r.status, JSON.stringify(r.body)).to.equal(202);
        await api.waitOp(opIdOf(r), [end]);
        return opIdOf(r);
      };
      // Operations on a VNF that is not instantiated: 409 before anything starts.
      for (const [path, body] of [['/operate', { changeStateTo: 'STOPPED' }], ['/change_flavour', { newFlavourId: 'big' }], ['/change_ext_conn', { extVirtualLinks: [{ id: 'l', resourceId: 'n', extCps: [{ cpdId: 'mgmt' }] }] }]] as const) {
        const r = await api.call('POST', `/vnf_instances/${id}${path}`, body);
        expect(r.status, `${path} ${JSON.stringify(r.body)}`).to.equal(409);
      }
      await run('/instantiate', {
        flavourId: 'simple',
        instantiationLevelId: 'small',
        vimConnectionInfo: vim,
        extVirtualLinks: [{ id: 'mgmt-vl', resourceId: 'net-mgmt-1', extCps: [{ cpdId: 'mgmt' }] }],
        additionalParams: { snf_vnf: 'conf' },
      });
      const dep = () => [...h.vim.deployments.values()][0];
      const getVnf = async () => (await api.call('GET', `/vnf_instances/${id}`)).body as Json & { instantiatedVnfInfo: Json & { vnfcInfo: Json[]; extVirtualLinkInfo: Json[] } };

      // operate: a request SOL003 forbids (stopType with STARTED) is 400 naming it; STOPPED -> STARTED.
      const badOp = await api.call('POST', `/vnf_instances/${id}/operate`, { changeStateTo: 'STOPPED', stopType: 'GRACEFUL' });
      expect(badOp.status).to.equal(400);
      expect((badOp.body as Json).detail).to.match(/^gracefulStopTimeout: shall be present/);
      expect((await api.call('POST', `/vnf_instances/${id}/operate`, { changeStateTo: 'STARTED' })).status).to.equal(409);
      await run('/operate', { changeStateTo: 'STOPPED', stopType: 'GRACEFUL', gracefulStopTimeout: 1 });
      let v = await getVnf();
      expect(v.instantiatedVnfInfo.vnfState).to.equal('STOPPED');
      expect(v.instantiatedVnfInfo.vnfcInfo.map((c) => c.vnfcState)).to.deep.equal(['STOPPED']);
      expect(dep().stopped).to.equal(true);
      expect((await api.call('POST', `/vnf_instances/${id}/scale`, { type: 'SCALE_OUT', aspectId: 'worker' })).status).to.equal(409);
      const badStart = await api.call('POST', `/vnf_instances/${id}/operate`, { changeStateTo: 'STARTED', stopType: 'FORCEFUL' });
      expect([badStart.status, (badStart.body as Json).detail]).to.deep.equal([400, 'stopType: shall be absent when changeStateTo is STARTED']);
      await run('/operate', { changeStateTo: 'STARTED' });
      v = await getVnf();
      expect(v.instantiatedVnfInfo.vnfState).to.equal('STARTED');
      expect(v.instantiatedVnfInfo.vnfcInfo.map((c) => c.vnfcState)).to.deep.equal(['STARTED']);
      expect(dep().stopped).to.equal(false);

      // change_flavour: unknown flavour or level 400, the current one 409; a failure rolls back.
      const unknown = await api.call('POST', `/vnf_instances/${id}/change_flavour`, { newFlavourId: 'constructor' });
      expect([unknown.status, String((unknown.body as Json).detail).split(':')[0]]).to.deep.equal([400, 'newFlavourId']);
      const level = await api.call('POST', `/vnf_instances/${id}/change_flavour`, { newFlavourId: 'big', instantiationLevelId: 'toString' });
      expect([level.status, String((level.body as Json).detail).split(':')[0]]).to.deep.equal([400, 'instantiationLevelId']);
      expect((await api.call('POST', `/vnf_instances/${id}/change_flavour`, { newFlavourId: 'simple' })).status).to.equal(409);
      h.vim.failNext('change');
      const cf = await run('/change_flavour', { newFlavourId: 'big' }, 'FAILED_TEMP');
      expect((await api.call('POST', `/vnf_lcm_op_occs/${cf}/rollback`)).status).to.equal(202);
      await api.waitOp(cf, ['ROLLED_BACK']);
      expect([(await getVnf()).instantiatedVnfInfo.flavourId, dep().flavourId, dep().instances.length]).to.deep.equal(['simple', 'simple', 1]);
      await run('/change_flavour', { newFlavourId: 'big', instantiationLevelId: 'two' });
      v = await getVnf();
      expect([v.instantiatedVnfInfo.flavourId, dep().flavourId, dep().instances.length]).to.deep.equal(['big', 'big', 3]);

      // change_ext_conn: the CP moves to the new network, on the VIM and in the VNF instance.
      const dup = await api.call('POST', `/vnf_instances/${id}/change_ext_conn`, { extVirtualLinks: [{ id: 'a', resourceId: 'n1', extCps: [{ cpdId: 'mgmt' }] }, { id: 'b', resourceId: 'n2', extCps: [{ cpdId: 'mgmt' }] }] });
      expect([dup.status, String((dup.body as Json).detail).split(':')[0]]).to.deep.equal([400, 'extVirtualLinks[1].extCps[0].cpdId']);
      await run('/change_ext_conn', { extVirtualLinks: [{ id: 'mgmt-vl2', resourceId: 'net-mgmt-2', extCps: [{ cpdId: 'mgmt' }] }] });
      v = await getVnf();
      expect(v.instantiatedVnfInfo.extVirtualLinkInfo.map((l) => [l.id, (l.resourceHandle as Json).resourceId])).to.deep.equal([['mgmt-vl2', 'net-mgmt-2']]);
      expect(dep().extVirtualLinks).to.deep.equal([{ resourceId: 'net-mgmt-2', cpdIds: ['mgmt'] }]);
      h.vim.failNext('change');
      const ce = await run('/change_ext_conn', { extVirtualLinks: [{ id: 'mgmt-vl3', resourceId: 'net-mgmt-3', extCps: [{ cpdId: 'mgmt' }] }] }, 'FAILED_TEMP');
      expect((await api.call('POST', `/vnf_lcm_op_occs/${ce}/retry`)).status).to.equal(202);
      expect((await api.waitOp(ce, ['COMPLETED'])).changedExtConnectivity).to.deep.equal([{ id: 'mgmt-vl3', resourceHandle: { resourceId: 'net-mgmt-3', vimConnectionId: 'vim-1' }, currentVnfExtCpData: [{ cpdId: 'mgmt' }] }]);
      expect(dep().extVirtualLinks).to.deep.equal([{ resourceId: 'net-mgmt-3', cpdIds: ['mgmt'] }]);
      // A stop cancelled while PROCESSING, then rolled back: the VNF is STARTED as before.
      const held = h.vim.hold();
      const stop = opIdOf(await api.call('POST', `/vnf_instances/${id}/operate`, { changeStateTo: 'STOPPED' }));
      await held.reached;
      await api.waitOp(stop, ['PROCESSING']);
      expect((await api.call('POST', `/vnf_lcm_op_occs/${stop}/cancel`, { cancelMode: 'FORCEFUL' })).status).to.equal(202);
      await api.waitOp(stop, ['FAILED_TEMP']);
      held.release();
      expect((await api.call('POST', `/vnf_lcm_op_occs/${stop}/rollback`)).status).to.equal(202);
      await api.waitOp(stop, ['ROLLED_BACK']);
      expect([(await getVnf()).instantiatedVnfInfo.vnfState, dep().stopped]).to.deep.equal(['STARTED', false]);
      await run('/change_flavour', { newFlavourId: 'simple', instantiationLevelId: 'small' });
      await run('/scale', { type: 'SCALE_OUT', aspectId: 'worker', numberOfSteps: 1 });
      await run('/scale_to_level', { instantiationLevelId: 'small' });
      const vnfc = ((((await api.call('GET', `/vnf_instances/${id}`)).body as Json).instantiatedVnfInfo as Json).vnfcResourceInfo as Json[])[0].id as string;
      await run('/heal', { additionalParams: { vnfcInstanceId: [vnfc] } });
      h.vim.failNext('scale');
      const a = await run('/scale', { type: 'SCALE_OUT', aspectId: 'worker' }, 'FAILED_TEMP');
      expect((await api.call('POST', `/vnf_lcm_op_occs/${a}/retry`)).status).to.equal(202);
      await api.waitOp(a, ['COMPLETED']);
      h.vim.failNext('scale');
      const b = await run('/scale', { type: 'SCALE_IN', aspectId: 'worker' }, 'FAILED_TEMP');
      expect((await api.call('POST', `/vnf_lcm_op_occs/${b}/rollback`)).status).to.equal(202);
      await api.waitOp(b, ['ROLLED_BACK']);
      const gate = h.vim.hold();
      const c = opIdOf(await api.call('POST', `/vnf_instances/${id}/scale`, { type: 'SCALE_IN', aspectId: 'worker' }));
      await gate.reached;
      await api.waitOp(c, ['PROCESSING']);
      const cancelled = await api.call('POST', `/vnf_lcm_op_occs/${c}/cancel`, { cancelMode: 'GRACEFUL' });
      expect(cancelled.status, `${JSON.stringify(cancelled.body)} ${h.logs.join('\n')}`).to.equal(202);
      await api.waitOp(c, ['FAILED_TEMP']);
      gate.release();
      const failed = await api.call('POST', `/vnf_lcm_op_occs/${c}/fail`);
      expect((failed.body as Json).operationState).to.equal('FAILED');
      // PATCH and the lists are not in ONAP SO's document: on v1 they are checked against the SOL003
      // document in v1 shapes (vimConnectionInfo an array with ids, v1Shapes), both dialects alike.
      const m = await api.call('PATCH', `/vnf_instances/${id}`, { vnfInstanceDescription: 'conformance', vimConnectionInfo: dialect === 'v1' ? [{ id: 'vim-2', vimType: 'openstack' }] : { 'vim-2': { vimType: 'openstack' } } });
      expect(m.status, JSON.stringify(m.body)).to.equal(202);
      await api.waitOp(opIdOf(m), ['COMPLETED']);
      const patched = (await api.call('GET', `/vnf_instances/${id}`)).body as Json;
      expect(patched.vimConnectionInfo).to.deep.equal(dialect === 'v1' ? [{ id: 'vim-1', vimId: 'RegionOne', vimType: 'openstack', accessInfo: { projectId: 'p' } }, { id: 'vim-2', vimType: 'openstack' }] : { 'vim-1': { vimId: 'RegionOne', vimType: 'ETSINFV.OPENSTACK_KEYSTONE.V_3' }, 'vim-2': { vimType: 'openstack' } });
      const selectors = ['', '?all_fields', '?exclude_default', '?fields=metadata', '?fields=vimConnectionInfo', '?exclude_fields=instantiatedVnfInfo'];
      for (const q of selectors) {
        const vl = await api.call('GET', `/vnf_instances${q}`);
        expect(vl.status, JSON.stringify(vl.body)).to.equal(200);
        const ol = await api.call('GET', `/vnf_lcm_op_occs${q}`);
        expect(ol.status, JSON.stringify(ol.body)).to.equal(200);
      }
      const page = await api.call('GET', '/vnf_lcm_op_occs');
      expect(page.headers.get('link')).to.match(/nextpage_opaque_marker=/);
      await run('/terminate', { terminationType: 'FORCEFUL' });
      expect((await api.call('DELETE', `/vnf_instances/${id}`)).status).to.equal(204);

      expect(api.violations, api.violations.join('\n')).to.deep.equal([]);
      await sub.until((r) => r.some((x) => x.body.notificationType === 'VnfIdentifierDeletionNotification'));
      const types = new Set(sub.received.map((r) => String(r.body.notificationType)));
      expect([...types].sort()).to.deep.equal(['VnfIdentifierCreationNotification', 'VnfIdentifierDeletionNotification', 'VnfLcmOperationOccurrenceNotification']);
      for (const r of sub.received) {
        expect(specSchemas().lcn.definition(String(r.body.notificationType), r.body), JSON.stringify(r.body)).to.deep.equal([]);
        const links = r.body._links as Json;
        expect((links.vnfInstance as Json).href).to.match(new RegExp(`/vnflcm/${dialect}/vnf_instances/${id}$`));
      }
      const states = sub.states();
      for (const want of ['OPERATE:COMPLETED', 'CHANGE_FLAVOUR:FAILED_TEMP', 'CHANGE_FLAVOUR:ROLLED_BACK', 'CHANGE_FLAVOUR:COMPLETED', 'CHANGE_EXT_CONN:COMPLETED', 'CHANGE_EXT_CONN:FAILED_TEMP', 'OPERATE:ROLLED_BACK', 'INSTANTIATE:COMPLETED', 'SCALE:FAILED_TEMP', 'SCALE:ROLLED_BACK', 'SCALE:FAILED', 'HEAL:COMPLETED', 'SCALE_TO_LEVEL:COMPLETED', 'MODIFY_INFO:COMPLETED', 'TERMINATE:COMPLETED']) expect(states).to.include(want);
    });
  });
}
