// Conformance (issue 14): the whole lifecycle driven as a SOL003 NFVO would on /vnflcm/v2 and as
// ONAP SO would on /vnflcm/v1, every request and response validated by Sol003Client against the
// shared documents (ETSI SOL003 v3.3.1 bundle, ONAP SO's SOL003 adapter document; both with the
// vnfdIds correction of applyErrata, see docs/vnfm.md) and every notification received validated
// against ONAP SO's LCN document (the ETSI bundle here has no notification schemas). Real Redis,
// the FAKE Vim of test/support/vnfm-fake-vim.ts.
import { expect } from 'chai';
import { startHarness, type Harness } from '../../support/vnfm-harness.js';
import { Sol003Client, TestSubscriber, opIdOf, specSchemas } from '../../support/vnfm.js';
import type { Dialect } from '../../../src/vnfm/schema.js';

type Json = Record<string, unknown>;

for (const dialect of ['v2', 'v1'] as Dialect[]) {
  describe(`VNFM conformance on /vnflcm/${dialect} (fake Vim, real Redis, validated against the documents)`, function () {
    this.timeout(60_000);
    let h: Harness;
    let api: Sol003Client;
    let sub: TestSubscriber;

    before(async () => {
      h = await startHarness({ pageSize: 3 });
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
      await run('/instantiate', { flavourId: 'simple', instantiationLevelId: 'small', vimConnectionInfo: vim, additionalParams: { snf_vnf: 'conf' } });
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
      // PATCH is not in ONAP SO's document and its v1 VnfInstance (vimConnectionInfo an array) fails
      // the SOL003 one: known gap, driven on v2 only (docs/vnfm.md).
      if (dialect === 'v2') {
        const m = await api.call('PATCH', `/vnf_instances/${id}`, { vnfInstanceDescription: 'conformance' });
        expect(m.status, JSON.stringify(m.body)).to.equal(202);
        await api.waitOp(opIdOf(m), ['COMPLETED']);
      }
      // v1: the list is not in SO's document, and a v1 VnfInstance with its vimConnectionInfo (an
      // array) fails the SOL003 one, so only selectors that leave vimConnectionInfo out (known gap).
      const selectors = dialect === 'v2' ? ['', '?all_fields', '?exclude_default', '?fields=metadata', '?exclude_fields=instantiatedVnfInfo'] : ['', '?exclude_default', '?fields=metadata'];
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
      for (const want of ['INSTANTIATE:COMPLETED', 'SCALE:FAILED_TEMP', 'SCALE:ROLLED_BACK', 'SCALE:FAILED', 'HEAL:COMPLETED', 'SCALE_TO_LEVEL:COMPLETED', ...(dialect === 'v2' ? ['MODIFY_INFO:COMPLETED'] : []), 'TERMINATE:COMPLETED']) expect(states).to.include(want);
    });
  });
}
