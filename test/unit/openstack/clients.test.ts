// Nova, Neutron (+ networking-sfc), Glance and Tacker clients against fakes that follow the
// api-ref (test/support/fakes/*): request shapes, status codes, and the errors each returns.
import { expect } from 'chai';
import { fakeNova, type FakeNova } from '../../support/fakes/nova.js';
import { fakeNeutron, type FakeNeutron } from '../../support/fakes/neutron.js';
import { fakeGlance, type FakeGlance } from '../../support/fakes/glance.js';
import { fakeTacker, type FakeTacker } from '../../support/fakes/tacker.js';
import {
  GlanceClient,
  NeutronClient,
  NovaClient,
  OpenStackHttpError,
  OpenStackOperationError,
  OpenStackResponseError,
  Session,
  TackerClient,
} from '../../../src/openstack/index.js';

const http = { timeoutMs: 3000, retries: 0 };

describe('Nova client (fake Nova)', () => {
  let f: FakeNova;
  let nova: NovaClient;
  beforeEach(async () => {
    f = await fakeNova();
    nova = new NovaClient(Session.noauth({ compute: `${f.url}/v2.1` }, http));
  });
  afterEach(() => f.close());

  it('reboots and rebuilds a server with the documented action bodies', async () => {
    await nova.reboot('s-1', 'HARD');
    expect(f.requests.at(-1)?.json).to.deep.equal({ reboot: { type: 'HARD' } });
    expect((await nova.getServer('s-1')).status).to.equal('HARD_REBOOT');
    f.servers.get('s-1')!.status = 'ACTIVE';
    const rebuilt = await nova.rebuild('s-1', 'img-2', { name: 'vdu1-b' });
    expect(f.requests.at(-1)?.json).to.deep.equal({ rebuild: { imageRef: 'img-2', name: 'vdu1-b' } });
    expect(rebuilt).to.include({ name: 'vdu1-b', status: 'REBUILD' });
  });

  it('reports Nova faults: 409 for an action in the wrong state, 404 for a missing server', async () => {
    f.servers.get('s-1')!.status = 'BUILD';
    const busy = await nova.reboot('s-1').catch((e: unknown) => e);
    expect(busy).to.be.instanceOf(OpenStackHttpError);
    expect(busy).to.include({ status: 409, errorType: 'conflictingRequest' });
    expect((busy as Error).message).to.match(/Cannot 'reboot' instance s-1 while it is in vm_state build/);
    const missing = await nova.getServer('nope').catch((e: unknown) => e);
    expect(missing).to.include({ status: 404, detail: 'Instance could not be found.' });
  });

  it('lists and creates flavors; a duplicate name is a 409', async () => {
    const fl = await nova.createFlavor({ name: 'snf.dp', vcpus: 2, ram: 4096, disk: 10 });
    expect(fl).to.include({ name: 'snf.dp', vcpus: 2 });
    expect((await nova.listFlavors()).map((x) => x.name)).to.include.members(['m1.small', 'snf.dp']);
    const dup = await nova.createFlavor({ name: 'snf.dp', vcpus: 2, ram: 4096, disk: 10 }).catch((e: unknown) => e);
    expect((dup as OpenStackHttpError).status).to.equal(409);
  });
});

describe('Neutron client (fake Neutron with networking-sfc)', () => {
  let f: FakeNeutron;
  let neutron: NeutronClient;
  beforeEach(async () => {
    f = await fakeNeutron();
    // the catalog lists Neutron without a version: the client adds /v2.0
    neutron = new NeutronClient(Session.noauth({ network: f.url }, http));
  });
  afterEach(() => f.close());

  it('creates ports and chains them through port pairs and a port pair group', async () => {
    expect((await neutron.listNetworks({ name: 'data' })).map((n) => n.id)).to.deep.equal(['net-1']);
    const inP = await neutron.createPort({ network_id: 'net-1', name: 'vdu1-in', port_security_enabled: false });
    const outP = await neutron.createPort({ network_id: 'net-1', name: 'vdu1-out' });
    expect(f.requests.find((r) => r.method === 'POST')?.path).to.equal('/v2.0/ports');
    const pp = await neutron.createPortPair({ name: 'vdu1', ingress: inP.id, egress: outP.id });
    const g = await neutron.createPortPairGroup({ name: 'snf-nat', port_pairs: [pp.id] });
    expect(g.port_pairs).to.deep.equal([pp.id]);
    const emptied = await neutron.setPortPairGroupMembers(g.id, []);
    expect(emptied.port_pairs).to.deep.equal([]);
    expect(f.requests.at(-1)?.json).to.deep.equal({ port_pair_group: { port_pairs: [] } });
    await neutron.deletePortPair(pp.id);
    expect(await neutron.listPortPairs()).to.deep.equal([]);
  });

  it('surfaces NeutronError type and message', async () => {
    const err = await neutron.createPortPair({ name: 'x', ingress: 'nope', egress: 'nope' }).catch((e: unknown) => e);
    expect(err).to.include({ status: 404, errorType: 'PortNotFound', detail: 'Port nope could not be found.' });
    const netErr = await neutron.createPort({ network_id: 'missing' }).catch((e: unknown) => e);
    expect((netErr as Error).message).to.match(/404 NetworkNotFound: Network missing could not be found/);
  });
});

describe('Glance client (fake Glance)', () => {
  let f: FakeGlance;
  let glance: GlanceClient;
  beforeEach(async () => {
    f = await fakeGlance();
    glance = new GlanceClient(Session.noauth({ image: f.url }, http));
  });
  afterEach(() => f.close());

  it('creates an image and uploads its data as octet-stream', async () => {
    const bytes = new Uint8Array([1, 2, 3, 4, 5]);
    const img = await glance.createAndUpload({ name: 'snf-dataplane', disk_format: 'qcow2', container_format: 'bare', visibility: 'private' }, bytes);
    expect(img).to.include({ status: 'active', size: 5 });
    const put = f.requests.find((r) => r.method === 'PUT')!;
    expect(put.path).to.equal(`/v2/images/${img.id}/file`);
    expect(put.headers['content-type']).to.equal('application/octet-stream');
    expect([...f.data.get(img.id)!]).to.deep.equal([1, 2, 3, 4, 5]);
  });

  it('reads Glance\'s HTML error pages into a plain message', async () => {
    const err = await glance.getImage('nope').catch((e: unknown) => e);
    expect(err).to.include({ status: 404 });
    expect((err as OpenStackHttpError).detail).to.equal('404 Not Found No image found with ID nope');
  });
});

describe('Tacker client (fake Tacker)', () => {
  let f: FakeTacker;
  let tacker: TackerClient;
  const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(64), Buffer.from([0x50, 0x4b, 0x05, 0x06]), Buffer.alloc(18)]);
  beforeEach(async () => {
    f = await fakeTacker();
    tacker = new TackerClient(Session.noauth({ nfv_orchestration: f.url }, http));
  });
  afterEach(() => f.close());

  it('onboards a package: create, PUT package_content as zip, poll until ONBOARDED', async () => {
    const states: string[] = [];
    const pkg = await tacker.onboard(zip, { pollMs: 10, userDefinedData: { product: 'snf' }, onState: (p) => states.push(p.onboardingState) });
    expect(pkg).to.include({ onboardingState: 'ONBOARDED', operationalState: 'ENABLED' });
    expect(states).to.deep.equal(['CREATED', 'PROCESSING', 'ONBOARDED']);
    const put = f.requests.find((r) => r.method === 'PUT')!;
    expect(put.headers['content-type']).to.equal('application/zip');
    expect(f.requests[0].json).to.deep.equal({ userDefinedData: { product: 'snf' } });
  });

  it('reports a package Tacker could not process, and a second upload as 409', async () => {
    const pkg = await tacker.createPackage();
    await tacker.uploadPackageContent(pkg.id, Buffer.from('not a zip'));
    const err = await tacker.waitOnboarded(pkg.id, { pollMs: 10 }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(OpenStackOperationError);
    expect((err as Error).message).to.match(/ONBOARDING_FAILED: CSAR file is corrupt/);
    await tacker.uploadPackageContent(pkg.id, zip);
    const again = await tacker.uploadPackageContent(pkg.id, zip).catch((e: unknown) => e);
    expect(again).to.include({ status: 409, detail: `VNF Package ${pkg.id} onboarding state is not CREATED` });
  });

  it('runs the LCM operations and follows each op occurrence from its Location header', async () => {
    const vnf = await tacker.createVnf({ vnfdId: 'vnfd-1', vnfInstanceName: 'nat-1' });
    const op = await tacker.instantiate(vnf.id, { flavourId: 'simple', instantiationLevelId: 'default' });
    expect((await tacker.waitOperation(op, { pollMs: 10 })).operationState).to.equal('COMPLETED');
    expect((await tacker.getVnf(vnf.id)).instantiationState).to.equal('INSTANTIATED');
    const sc = await tacker.scale(vnf.id, { type: 'SCALE_OUT', aspectId: 'worker', numberOfSteps: 1 });
    expect((await tacker.waitOperation(sc, { pollMs: 10 })).operation).to.equal('SCALE');
    const he = await tacker.heal(vnf.id, { vnfcInstanceId: ['c-1'] });
    await tacker.waitOperation(he, { pollMs: 10 });
    const again = await tacker.instantiate(vnf.id, { flavourId: 'simple' }).catch((e: unknown) => e);
    expect(again).to.include({ status: 409 });
    const te = await tacker.terminate(vnf.id);
    await tacker.waitOperation(te, { pollMs: 10 });
    await tacker.deleteVnf(vnf.id);
    expect(f.instances.size).to.equal(0);
  });

  it('reports a failed LCM operation with its ProblemDetails', async () => {
    const vnf = await tacker.createVnf({ vnfdId: 'vnfd-1' });
    const op = await tacker.instantiate(vnf.id, { flavourId: 'simple', additionalParams: { fail: true } });
    const err = await tacker.waitOperation(op, { pollMs: 10 }).catch((e: unknown) => e);
    expect((err as Error).message).to.match(/LCM INSTANTIATE .*: FAILED_TEMP: Heat stack create failed: VDU1 CREATE_FAILED/);
  });

  it('rejects a 202 without the Location of the operation', async () => {
    await f.close();
    f = await fakeTacker({ noLocation: true });
    tacker = new TackerClient(Session.noauth({ nfv_orchestration: f.url }, http));
    const vnf = await tacker.createVnf({ vnfdId: 'vnfd-1' });
    const err = await tacker.instantiate(vnf.id, { flavourId: 'simple' }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(OpenStackResponseError);
    expect((err as Error).message).to.match(/no Location header/);
  });
});
