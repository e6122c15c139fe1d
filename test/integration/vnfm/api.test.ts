// The SOL003 VNF LCM API over a real Redis, driven with a FAKE Vim (test/support/vnfm-fake-vim.ts)
// so states can be held and failed at will. Every request and response is checked against the
// SOL003 OpenAPI (test/support/vnfm.ts); every error must be a ProblemDetails.
import { expect } from 'chai';
import { startHarness, type Harness } from '../../support/vnfm-harness.js';
import { Sol003Client, TestSubscriber, opIdOf, specSchemas } from '../../support/vnfm.js';

type Json = Record<string, unknown>;

describe('VNFM SOL003 API (fake Vim, real Redis)', function () {
  this.timeout(30_000);
  let h: Harness;
  let api: Sol003Client;
  let sub: TestSubscriber;

  beforeEach(async () => {
    h = await startHarness();
    api = new Sol003Client(h.vnfm.url);
    sub = new TestSubscriber();
    await sub.start();
  });

  afterEach(async () => {
    await h.vnfm.lcm.idle();
    await h.stop();
    await sub.stop();
    expect(api.violations, api.violations.join('\n')).to.deep.equal([]);
  });

  async function subscribe(extra: Json = {}): Promise<string> {
    const r = await api.call('POST', '/subscriptions', { callbackUri: sub.url, ...extra });
    expect(r.status).to.equal(201);
    return (r.body as Json).id as string;
  }

  async function createVnf(name = 'fw1'): Promise<string> {
    const r = await api.call('POST', '/vnf_instances', { vnfdId: 'snf-firewall-vnfd', vnfInstanceName: name });
    expect(r.status).to.equal(201);
    expect(r.headers.get('location')).to.match(/\/vnflcm\/v2\/vnf_instances\//);
    return (r.body as Json).id as string;
  }

  async function instantiated(name = 'fw1'): Promise<string> {
    const id = await createVnf(name);
    const r = await api.call('POST', `/vnf_instances/${id}/instantiate`, { flavourId: 'simple' });
    expect(r.status).to.equal(202);
    await api.waitOp(opIdOf(r), ['COMPLETED']);
    return id;
  }

  it('serves api_versions, its OpenAPI document, and subscription resources', async () => {
    const v = await api.call('GET', '/api_versions');
    expect(v.status).to.equal(200);
    expect(v.body).to.deep.equal({ uriPrefix: '/vnflcm/v2', apiVersions: [{ version: '2.0.0' }] });
    expect(v.headers.get('version')).to.equal('2.0.0');
    const subId = await subscribe({ filter: { operationStates: ['FAILED'] }, authentication: { authType: ['BASIC'], paramsBasic: { userName: 'u', password: 'p' } } });
    const subs = await api.call('GET', '/subscriptions');
    expect((subs.body as Json[]).map((s) => s.id)).to.deep.equal([subId]);
    const one = await api.call('GET', `/subscriptions/${subId}`);
    expect(one.body).to.deep.include({ id: subId, callbackUri: sub.url, verbosity: 'FULL', filter: { operationStates: ['FAILED'] } });
    expect(one.body).to.not.have.property('authentication');
    expect((await api.call('DELETE', `/subscriptions/${subId}`)).status).to.equal(204);
    expect((await api.call('GET', `/subscriptions/${subId}`)).status).to.equal(404);
    const doc = await fetch(`${h.vnfm.url}/vnflcm/v2/api-docs`).then((r) => r.json() as Promise<Json>);
    expect(doc.openapi).to.equal('3.0.2');
    expect(Object.keys(doc.paths as Json)).to.include('/vnf_instances/{vnfInstanceId}/scale');
  });

  it('creates, lists with attribute filters, reads, modifies and deletes VNF instances', async () => {
    await subscribe({ filter: { notificationTypes: ['VnfIdentifierCreationNotification', 'VnfIdentifierDeletionNotification'] } });
    const a = await createVnf('fw-a');
    const b = await createVnf('fw-b');
    const all = await api.call('GET', '/vnf_instances');
    expect((all.body as Json[]).map((x) => x.id)).to.have.members([a, b]);
    const one = await api.call('GET', `/vnf_instances?filter=${encodeURIComponent('(eq,vnfInstanceName,fw-b)')}`);
    expect((one.body as Json[]).map((x) => x.id)).to.deep.equal([b]);
    const none = await api.call('GET', `/vnf_instances?filter=${encodeURIComponent('(eq,instantiationState,INSTANTIATED);(neq,vnfInstanceName,fw-b)')}`);
    expect(none.body).to.deep.equal([]);
    const bad = await api.call('GET', `/vnf_instances?filter=${encodeURIComponent('(like,x,y)')}`);
    expect(bad.status).to.equal(400);

    const p = await api.call('PATCH', `/vnf_instances/${a}`, { vnfInstanceDescription: 'edge firewall', metadata: { site: 'lab' } });
    expect(p.status).to.equal(202);
    await api.waitOp(opIdOf(p), ['COMPLETED']);
    const got = await api.call('GET', `/vnf_instances/${a}`);
    expect(got.body).to.deep.include({ vnfInstanceDescription: 'edge firewall', metadata: { site: 'lab' }, instantiationState: 'NOT_INSTANTIATED' });

    expect((await api.call('DELETE', `/vnf_instances/${a}`)).status).to.equal(204);
    expect((await api.call('GET', `/vnf_instances/${a}`)).status).to.equal(404);
    await sub.until((r) => r.length === 3);
    expect(sub.received.map((r) => `${String(r.body.notificationType)}:${String(r.body.vnfInstanceId)}`)).to.deep.equal([
      `VnfIdentifierCreationNotification:${a}`,
      `VnfIdentifierCreationNotification:${b}`,
      `VnfIdentifierDeletionNotification:${a}`,
    ]);
  });

  it('runs instantiate, scale out/in, scale to level, heal and terminate onto the Vim, notifying each state in order', async () => {
    await subscribe({ filter: { notificationTypes: ['VnfLcmOperationOccurrenceNotification'] } });
    const id = await createVnf();
    const inst = await api.call('POST', `/vnf_instances/${id}/instantiate`, { flavourId: 'simple', instantiationLevelId: 'large', additionalParams: { note: 'x' } });
    expect(inst.status).to.equal(202);
    expect(inst.body).to.equal(undefined);
    const op = await api.waitOp(opIdOf(inst), ['COMPLETED']);
    expect(op.operation).to.equal('INSTANTIATE');
    let vnf = (await api.call('GET', `/vnf_instances/${id}`)).body as Json & { instantiatedVnfInfo: Json & { vnfcResourceInfo: Json[]; scaleStatus: Json[] } };
    expect(vnf.instantiationState).to.equal('INSTANTIATED');
    expect(vnf.instantiatedVnfInfo.vnfcResourceInfo).to.have.length(2);
    expect(vnf.instantiatedVnfInfo.scaleStatus).to.deep.equal([{ aspectId: 'worker', scaleLevel: 1 }]);

    const out = await api.call('POST', `/vnf_instances/${id}/scale`, { type: 'SCALE_OUT', aspectId: 'worker', numberOfSteps: 2 });
    const outOp = await api.waitOp(opIdOf(out), ['COMPLETED']);
    expect(((outOp.resourceChanges as Json).affectedVnfcs as Json[]).map((v) => v.changeType)).to.deep.equal(['ADDED', 'ADDED']);
    const scaleIn = await api.call('POST', `/vnf_instances/${id}/scale`, { type: 'SCALE_IN', aspectId: 'worker' });
    await api.waitOp(opIdOf(scaleIn), ['COMPLETED']);
    const toLevel = await api.call('POST', `/vnf_instances/${id}/scale_to_level`, { instantiationLevelId: 'small' });
    await api.waitOp(opIdOf(toLevel), ['COMPLETED']);
    vnf = (await api.call('GET', `/vnf_instances/${id}`)).body as typeof vnf;
    expect(vnf.instantiatedVnfInfo.vnfcResourceInfo).to.have.length(1);
    expect(vnf.instantiatedVnfInfo.scaleStatus).to.deep.equal([{ aspectId: 'worker', scaleLevel: 0 }]);
    const [dep] = h.vim.deployments.keys();
    expect(h.vim.deployments.get(dep)!.instances).to.have.length(1);

    const victim = vnf.instantiatedVnfInfo.vnfcResourceInfo[0].id as string;
    const heal = await api.call('POST', `/vnf_instances/${id}/heal`, { cause: 'instance lost', additionalParams: { vnfcInstanceId: [victim] } });
    const healOp = await api.waitOp(opIdOf(heal), ['COMPLETED']);
    const changes = ((healOp.resourceChanges as Json).affectedVnfcs as Json[]).map((v) => `${String(v.changeType)}`);
    expect(changes).to.have.members(['ADDED', 'REMOVED']);
    vnf = (await api.call('GET', `/vnf_instances/${id}`)).body as typeof vnf;
    expect(vnf.instantiatedVnfInfo.vnfcResourceInfo.map((v) => v.id)).to.not.include(victim);

    const term = await api.call('POST', `/vnf_instances/${id}/terminate`, { terminationType: 'GRACEFUL', gracefulTerminationTimeout: 1 });
    await api.waitOp(opIdOf(term), ['COMPLETED']);
    expect(h.vim.deployments.size).to.equal(0);
    expect(((await api.call('GET', `/vnf_instances/${id}`)).body as Json).instantiationState).to.equal('NOT_INSTANTIATED');

    const ops = ['INSTANTIATE', 'SCALE', 'SCALE', 'SCALE_TO_LEVEL', 'HEAL', 'TERMINATE'];
    await sub.until((r) => r.length === ops.length * 3);
    expect(sub.states()).to.deep.equal(ops.flatMap((o) => [`${o}:STARTING`, `${o}:PROCESSING`, `${o}:COMPLETED`]));
    for (const r of sub.received) expect(specSchemas().lcn.definition('VnfLcmOperationOccurrenceNotification', r.body)).to.deep.equal([]);
    expect(sub.received.map((r) => r.body.notificationStatus).slice(0, 3)).to.deep.equal(['START', 'START', 'RESULT']);

    const list = await api.call('GET', `/vnf_lcm_op_occs?filter=${encodeURIComponent('(eq,operation,SCALE)')}`);
    expect(list.body as Json[], JSON.stringify(list.body)).to.have.length(2);
  });

  it('answers every error with a ProblemDetails', async () => {
    const id = await createVnf();
    const cases: Array<[number, Promise<{ status: number }>]> = [
      [404, api.call('GET', '/vnf_instances/nope')],
      [404, api.call('GET', '/vnf_lcm_op_occs/nope')],
      [404, api.call('DELETE', '/subscriptions/nope')],
      [404, api.call('GET', '/no_such_thing')],
      [400, api.call('POST', '/vnf_instances', { vnfInstanceName: 'no vnfd' }, { invalid: true })],
      [400, api.call('POST', '/vnf_instances', undefined, { raw: '{"vnfdId": ' })],
      [400, api.call('POST', `/vnf_instances/${id}/scale`, { type: 'SIDEWAYS', aspectId: 'worker' }, { invalid: true })],
      [422, api.call('POST', '/vnf_instances', { vnfdId: 'unknown-vnfd' })],
      [400, api.call('POST', `/vnf_instances/${id}/instantiate`, { flavourId: 'huge' })],
      [409, api.call('POST', `/vnf_instances/${id}/terminate`, { terminationType: 'FORCEFUL' })],
      [405, api.call('PUT', `/vnf_instances/${id}`, { a: 1 }, { invalid: true })],
      [406, api.call('GET', '/vnf_instances', undefined, { headers: { version: '9.0.0' } })],
      [415, api.call('POST', '/vnf_instances', undefined, { raw: 'vnfdId=x', headers: { 'content-type': 'text/plain' } })],
      [422, api.call('POST', '/subscriptions', { callbackUri: 'http://127.0.0.1:1/nothing-listens' })],
    ];
    for (const [want, p] of cases) expect((await p).status).to.equal(want);
  });

  it('refuses a second operation on a VNF while one runs (409), including requests racing each other', async () => {
    const id = await instantiated();
    const gate = h.vim.hold();
    const first = await api.call('POST', `/vnf_instances/${id}/scale`, { type: 'SCALE_OUT', aspectId: 'worker' });
    expect(first.status).to.equal(202);
    await gate.reached;
    const second = await api.call('POST', `/vnf_instances/${id}/heal`, {});
    expect(second.status).to.equal(409);
    expect((second.body as Json).detail).to.match(/busy with operation/);
    gate.release();
    await api.waitOp(opIdOf(first), ['COMPLETED']);

    // Five at once: the store's lock lets exactly one through.
    const racing = await Promise.all([1, 2, 3, 4, 5].map(() => api.call('POST', `/vnf_instances/${id}/scale`, { type: 'SCALE_IN', aspectId: 'worker' })));
    expect(racing.map((r) => r.status).sort()).to.deep.equal([202, 409, 409, 409, 409]);
    await api.waitOp(opIdOf(racing.find((r) => r.status === 202)!), ['COMPLETED']);
    // and a different VNF is not blocked by it
    await instantiated('fw2');
  });

  it('takes a failed operation to FAILED_TEMP, then retry completes it, rollback undoes it, fail ends it', async () => {
    const id = await instantiated();
    await subscribe({ filter: { notificationTypes: ['VnfLcmOperationOccurrenceNotification'], vnfInstanceSubscriptionFilter: { vnfInstanceIds: [id] } } });
    // retry
    h.vim.failNext('scale', 'Heat said no');
    const a = opIdOf(await api.call('POST', `/vnf_instances/${id}/scale`, { type: 'SCALE_OUT', aspectId: 'worker' }));
    const failed = await api.waitOp(a, ['FAILED_TEMP']);
    expect(failed.error).to.deep.include({ status: 500, detail: 'Heat said no' });
    expect(((failed._links as Json).retry as Json).href).to.match(/retry$/);
    expect((await api.call('POST', `/vnf_instances/${id}/heal`, {})).status).to.equal(409); // FAILED_TEMP still holds the VNF
    expect((await api.call('POST', `/vnf_lcm_op_occs/${a}/retry`)).status).to.equal(202);
    await api.waitOp(a, ['COMPLETED']);
    expect((await api.call('POST', `/vnf_lcm_op_occs/${a}/retry`)).status).to.equal(409);
    expect([...h.vim.deployments.values()][0].instances).to.have.length(3);

    // rollback: back to the size before the operation
    h.vim.failNext('scale');
    const b = opIdOf(await api.call('POST', `/vnf_instances/${id}/scale`, { type: 'SCALE_OUT', aspectId: 'worker' }));
    await api.waitOp(b, ['FAILED_TEMP']);
    expect((await api.call('POST', `/vnf_lcm_op_occs/${b}/rollback`)).status).to.equal(202);
    await api.waitOp(b, ['ROLLED_BACK']);
    expect([...h.vim.deployments.values()][0].instances).to.have.length(3);

    // fail
    h.vim.failNext('heal');
    const c = opIdOf(await api.call('POST', `/vnf_instances/${id}/heal`, { additionalParams: { vnfcInstanceId: [[...h.vim.deployments.values()][0].instances[0].id] } }));
    await api.waitOp(c, ['FAILED_TEMP']);
    const f = await api.call('POST', `/vnf_lcm_op_occs/${c}/fail`);
    expect(f.status).to.equal(200);
    expect((f.body as Json).operationState).to.equal('FAILED');
    // the VNF is free again
    const t = await api.call('POST', `/vnf_instances/${id}/terminate`, { terminationType: 'FORCEFUL' });
    await api.waitOp(opIdOf(t), ['COMPLETED']);
    const want = [
      'SCALE:STARTING', 'SCALE:PROCESSING', 'SCALE:FAILED_TEMP', 'SCALE:PROCESSING', 'SCALE:COMPLETED',
      'SCALE:STARTING', 'SCALE:PROCESSING', 'SCALE:FAILED_TEMP', 'SCALE:ROLLING_BACK', 'SCALE:ROLLED_BACK',
      'HEAL:STARTING', 'HEAL:PROCESSING', 'HEAL:FAILED_TEMP', 'HEAL:FAILED',
      'TERMINATE:STARTING', 'TERMINATE:PROCESSING', 'TERMINATE:COMPLETED',
    ];
    await sub.until((r) => r.length === want.length);
    expect(sub.states()).to.deep.equal(want);
    const failedTemp = sub.received.find((r) => r.body.operationState === 'FAILED_TEMP')!.body;
    expect(failedTemp).to.deep.include({ notificationStatus: 'RESULT', error: { title: 'LCM operation failed', status: 500, detail: 'Heat said no' } });
  });

  it('rolls back a failed instantiate by deleting what the VIM had created', async () => {
    const id = await createVnf();
    h.vim.failNext('instantiate');
    const a = opIdOf(await api.call('POST', `/vnf_instances/${id}/instantiate`, { flavourId: 'simple' }));
    await api.waitOp(a, ['FAILED_TEMP']);
    expect(h.vim.deployments.size).to.equal(1); // the half-made deployment
    await api.call('POST', `/vnf_lcm_op_occs/${a}/rollback`);
    await api.waitOp(a, ['ROLLED_BACK']);
    expect(h.vim.deployments.size).to.equal(0);
    expect(((await api.call('GET', `/vnf_instances/${id}`)).body as Json).instantiationState).to.equal('NOT_INSTANTIATED');
    expect((await api.call('DELETE', `/vnf_instances/${id}`)).status).to.equal(204);
  });
});
