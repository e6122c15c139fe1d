// ONAP SO's SOL003 adapter call sequence on /vnflcm/v1 (validated against SO's own client
// definitions), Tacker hooks doing the StatelessNF store actions on a real Redis, and
// Alertmanager webhooks in Tacker's Prometheus-plugin format. FAKE Vim throughout.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { deregister, heartbeat, liveInstances, connectStore, closeStore, type StoreClient } from '../../../src/store/index.js';
import { startHarness, type Harness } from '../../support/vnfm-harness.js';
import { Sol003Client, TestSubscriber, opIdOf, specSchemas } from '../../support/vnfm.js';

type Json = Record<string, unknown>;

describe('VNFM: ONAP SO sequence, Tacker hooks, Prometheus alerts (fake Vim, real Redis)', function () {
  this.timeout(40_000);
  let h: Harness;
  let store: StoreClient;

  beforeEach(async () => {
    h = await startHarness({ hooks: { inFlightMs: 50, registerTimeoutMs: 3000 } });
    store = await connectStore(h.redis.node);
  });
  afterEach(async () => {
    await h.vnfm.lcm.idle();
    await closeStore(store);
    await h.stop();
  });

  it('runs the ONAP SO SOL003 adapter sequence: create, instantiate, poll, subscribe, terminate, delete', async () => {
    const so = new Sol003Client(h.vnfm.url, 'v1');
    const lcn = new TestSubscriber();
    await lcn.start();
    try {
      const created = await so.call('POST', '/vnf_instances', { vnfdId: 'snf-firewall-vnfd', vnfInstanceName: 'vFW-so', vnfInstanceDescription: 'from SO' });
      expect(created.status).to.equal(201);
      const id = (created.body as Json).id as string;
      expect((created.body as Json).vnfPkgId).to.equal('snf-firewall-vnfd');
      const inst = await so.call('POST', `/vnf_instances/${id}/instantiate`, {
        flavourId: 'simple',
        vimConnectionInfo: [{ id: 'vim-1', vimId: 'RegionOne', vimType: 'openstack', interfaceInfo: { identityEndPoint: 'http://keystone/v3' }, accessInfo: { projectId: 'p' } }],
        extVirtualLinks: [{ id: 'ext-1', resourceId: 'net-mgmt', extCps: [{ cpdId: 'mgmt' }] }],
        additionalParams: { snf_vnf: 'vfw' },
      });
      expect(inst.status).to.equal(202);
      expect(inst.headers.get('location')).to.match(/\/vnflcm\/v1\/vnf_lcm_op_occs\//);
      const op = await so.waitOp(opIdOf(inst), ['COMPLETED']);
      expect(op.operation).to.equal('INSTANTIATE');
      const sub = await so.call('POST', '/subscriptions', {
        callbackUri: lcn.url,
        filter: { notificationTypes: ['VnfLcmOperationOccurrenceNotification'], operationTypes: ['TERMINATE'], vnfInstanceSubscriptionFilter: { vnfInstanceIds: [id] } },
        authentication: { authType: ['BASIC'], paramsBasic: { userName: 'vnfm', password: 'so' } },
      });
      expect(sub.status).to.equal(201);
      const vnf = (await so.call('GET', `/vnf_instances/${id}`)).body as Json;
      expect(vnf.vimConnectionInfo).to.deep.equal([{ id: 'vim-1', vimId: 'RegionOne', vimType: 'openstack', interfaceInfo: { identityEndPoint: 'http://keystone/v3' }, accessInfo: { projectId: 'p' } }]);
      const term = await so.call('POST', `/vnf_instances/${id}/terminate`, { terminationType: 'GRACEFUL' });
      expect(term.status).to.equal(202);
      await so.waitOp(opIdOf(term), ['COMPLETED']);
      await lcn.until((r) => r.length === 3);
      expect(lcn.states()).to.deep.equal(['TERMINATE:STARTING', 'TERMINATE:PROCESSING', 'TERMINATE:COMPLETED']);
      for (const r of lcn.received) {
        expect(specSchemas().lcn.definition('VnfLcmOperationOccurrenceNotification', r.body)).to.deep.equal([]);
        expect(((r.body._links as Json).vnfInstance as Json).href).to.match(/\/vnflcm\/v1\/vnf_instances\//);
        expect(r.authorization).to.equal(`Basic ${Buffer.from('vnfm:so').toString('base64')}`);
      }
      const done = (lcn.received[2].body.affectedVnfcs as Json[]).map((v) => v.changeType);
      expect(done).to.deep.equal(['REMOVED', 'REMOVED']);
      expect((await so.call('DELETE', `/vnf_instances/${id}`)).status).to.equal(204);
      expect((await so.call('GET', `/vnf_instances/${id}`)).status).to.equal(404);
      expect(so.violations, so.violations.join('\n')).to.deep.equal([]);
    } finally {
      await lcn.stop();
    }
  });

  async function hook(name: string, body: Json): Promise<{ status: number; body: Json }> {
    const r = await fetch(`${h.vnfm.url}/hooks/tacker/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: r.status, body: (await r.json()) as Json };
  }

  it('does the StatelessNF part of Tacker hooks on the store: check, wait for registration, unsteer, purge', async () => {
    const vnfInstance = { id: 'aaaaaaaa-1111', vnfInstanceName: 'tk-fw', instantiatedVnfInfo: { vnfcResourceInfo: [{ id: 'vnfc-1', computeResource: { resourceId: 'srv-1' } }, { id: 'vnfc-2', computeResource: { resourceId: 'srv-2' } }] } };
    const start = await hook('instantiate_start', { hook: 'instantiate_start', vnfInstanceId: 'aaaaaaaa-1111', vnfInstance, request: { flavourId: 'simple' } });
    expect(start.status).to.equal(200);
    expect(start.body).to.include({ vnf: 'tk-fw', tablesGeneration: 0 });

    // instances register a little later than Tacker finishes
    setTimeout(() => {
      void heartbeat(store, 'tk-fw', { id: 'srv-1', pid: 1, addr: 'srv-1', startedAt: Date.now() }, 30_000);
      void heartbeat(store, 'tk-fw', { id: 'srv-2', pid: 2, addr: 'srv-2', startedAt: Date.now() }, 30_000);
    }, 300);
    const end = await hook('instantiate_end', { vnfInstanceId: 'aaaaaaaa-1111', vnfInstance, request: {} });
    expect(end.status).to.equal(200);
    expect(end.body.registered).to.have.members(['srv-1', 'srv-2']);

    const heal = await hook('heal_start', { vnfInstanceId: 'aaaaaaaa-1111', vnfInstance, request: { vnfcInstanceId: ['vnfc-2'] } });
    expect(heal.body.unsteered).to.deep.equal(['srv-2']);
    expect((await liveInstances(store, 'tk-fw')).map((i) => i.id)).to.deep.equal(['srv-1']);

    const scaleIn = await hook('scale_start', { vnfInstanceId: 'aaaaaaaa-1111', vnfInstance, request: { type: 'SCALE_IN', aspectId: 'worker' }, grantRequest: { removeResources: [{ id: 'x', resource: { resourceId: 'srv-1' } }] } });
    expect(scaleIn.body.unsteered).to.deep.equal(['srv-1']);
    expect((scaleIn.body.actions as string[]).join()).to.match(/in-flight window/);

    // A package change rebuilds the VNFCs the grant names on the new image: each leaves steering
    // first (healthy, so after the in-flight window), and the end waits for them to register again.
    await heartbeat(store, 'tk-fw', { id: 'srv-2', pid: 2, addr: 'srv-2', startedAt: Date.now() }, 30_000);
    for (const [start, end] of [['change_vnfpkg_start', 'change_vnfpkg_end'], ['change_current_package_start', 'change_current_package_end']]) {
      const roll = await hook(start, { vnfInstanceId: 'aaaaaaaa-1111', vnfInstance, request: { vnfdId: 'new' }, grantRequest: { removeResources: [{ id: 'y', resource: { resourceId: 'srv-2' } }] } });
      expect(roll.body.unsteered, start).to.deep.equal(['srv-2']);
      expect((roll.body.actions as string[]).join(), start).to.match(/in-flight window/);
      setTimeout(() => void heartbeat(store, 'tk-fw', { id: 'srv-2', pid: 3, addr: 'srv-2', startedAt: Date.now() }, 30_000), 200);
      const done = await hook(end, { vnfInstanceId: 'aaaaaaaa-1111', vnfInstance, request: { additionalParams: { snf_expected_instances: 1 } } });
      expect(done.status, end).to.equal(200);
      expect(done.body.registered, end).to.deep.equal(['srv-2']);
    }
    await deregister(store, 'tk-fw', 'srv-2');

    const timeout = await hook('scale_end', { vnfInstanceId: 'aaaaaaaa-1111', vnfInstance, request: { type: 'SCALE_OUT', additionalParams: { snf_expected_instances: 1 } } });
    expect(timeout.status).to.equal(503);
    expect(timeout.body).to.include({ status: 503 });

    await store.set('snf:{tk-fw}:flow:x', '1');
    const term = await hook('terminate_end', { vnfInstanceId: 'aaaaaaaa-1111', vnfInstance, request: { additionalParams: { snf_purge_state: true } } });
    expect(term.body.actions).to.deep.equal(['state purged']);
    expect(await store.exists('snf:{tk-fw}:flow:x')).to.equal(0);

    expect((await hook('make_coffee', { vnfInstance })).status).to.equal(404);
  });

  it('answers the CSAR\'s Python hook shim run as Tacker runs it (JSON on stdin, result on stdout)', async () => {
    const payload = { operation: 'terminate_start', vnf_instance: { id: 'bbbbbbbb-2222', vnfInstanceName: 'shim-fw' }, request: { terminationType: 'GRACEFUL' } };
    await heartbeat(store, 'shim-fw', { id: 'n1', pid: 1, addr: 'n1', startedAt: Date.now() }, 30_000);
    // Asynchronous: the adapter answering the shim runs in this very process.
    const out = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const c = spawn('python3', ['tosca/scripts/snf_lcm_hook.py'], { env: { ...process.env, SNF_ADAPTER_URL: h.vnfm.url, SNF_HOOK_ATTEMPTS: '1' } });
      let stdout = '';
      let stderr = '';
      c.stdout.on('data', (x: Buffer) => (stdout += x.toString()));
      c.stderr.on('data', (x: Buffer) => (stderr += x.toString()));
      c.once('exit', (status) => resolve({ status, stdout, stderr }));
      c.stdin.end(JSON.stringify(payload));
    });
    expect(out.status, out.stderr).to.equal(0);
    expect(JSON.parse(out.stdout)).to.deep.include({ hook: 'terminate_start', vnf: 'shim-fw', unsteered: ['n1'] });
    expect(await liveInstances(store, 'shim-fw')).to.deep.equal([]);
  });

  it('turns Alertmanager auto_scale / auto_heal alerts into SCALE and HEAL operations when the VNF enables them', async () => {
    const api = new Sol003Client(h.vnfm.url);
    const id = ((await api.call('POST', '/vnf_instances', { vnfdId: 'snf-firewall-vnfd' })).body as Json).id as string;
    await api.waitOp(opIdOf(await api.call('POST', `/vnf_instances/${id}/instantiate`, { flavourId: 'simple', vnfConfigurableProperties: { isAutoscaleEnabled: true, isAutohealEnabled: false } })), ['COMPLETED']);
    const alert = (labels: Json) => ({ version: '4', status: 'firing', receiver: 'tacker', alerts: [{ status: 'firing', labels: { alertname: 'snf', ...labels }, annotations: {}, startsAt: new Date().toISOString() }] });
    const post = async (path: string, body: Json) => (await (await fetch(`${h.vnfm.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as { outcomes: Json[] };

    const scaled = await post('/alerts', alert({ function_type: 'auto_scale', vnf_instance_id: id, auto_scale_type: 'SCALE_OUT', aspect_id: 'worker' }));
    expect(scaled.outcomes[0]).to.include({ action: 'scale' });
    const op = await api.waitOp(scaled.outcomes[0].opId as string, ['COMPLETED']);
    expect(op.isAutomaticInvocation).to.equal(true);

    const vnfc = ((await api.call('GET', `/vnf_instances/${id}`)).body as { instantiatedVnfInfo: { vnfcResourceInfo: Json[] } }).instantiatedVnfInfo.vnfcResourceInfo[0].id as string;
    const off = await post('/alert/auto_healing', alert({ function_type: 'auto_heal', vnf_instance_id: id, vnfc_info_id: vnfc }));
    expect(off.outcomes[0]).to.include({ action: 'skipped', reason: 'isAutohealEnabled is not true' });
    const p = await api.call('PATCH', `/vnf_instances/${id}`, { vnfConfigurableProperties: { isAutohealEnabled: true } });
    await api.waitOp(opIdOf(p), ['COMPLETED']);
    const healed = await post('/alerts', alert({ function_type: 'auto_heal', vnf_instance_id: id, vnfc_info_id: vnfc }));
    expect(healed.outcomes[0]).to.include({ action: 'heal' });
    await api.waitOp(healed.outcomes[0].opId as string, ['COMPLETED']);
    expect(h.vim.calls.filter((c) => c.startsWith('heal'))).to.have.length(1);
    const resolved = await post('/alerts', { ...alert({ function_type: 'auto_scale', vnf_instance_id: id }), alerts: [{ status: 'resolved', labels: { function_type: 'auto_scale', vnf_instance_id: id } }] });
    expect(resolved.outcomes[0]).to.include({ action: 'skipped' });
    expect(api.violations, api.violations.join('\n')).to.deep.equal([]);
  });
});
