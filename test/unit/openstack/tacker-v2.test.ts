// TackerClient's vnflcm v2 (SOL003 v3.3.1) against a recording HTTP server: the paths, the
// Version header, the v3.3.1 map shapes (vimConnectionInfo, cpConfig), the op occurrence id taken
// from Location, the errors; and that v1 stays as it was (no Version header, lists).
import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  OpenStackHttpError,
  OpenStackOperationError,
  OpenStackResponseError,
  Session,
  TackerClient,
  type InstantiateVnfRequestV2,
} from '../../../src/openstack/index.js';

interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  json: unknown;
}
type Handler = (req: Seen, res: ServerResponse) => void;

const ipoe = { layerProtocol: 'IP_OVER_ETHERNET' as const, ipOverEthernet: { ipAddresses: [{ type: 'IPV4' as const, numDynamicAddresses: 1 }] } };
const request: InstantiateVnfRequestV2 = {
  flavourId: 'small',
  instantiationLevelId: 'minimal',
  extVirtualLinks: [{ id: 'ext-mgmt', resourceId: 'net-mgmt', extCps: [{ cpdId: 'nf_mgmt_cp', cpConfig: { c1: { cpProtocolData: [ipoe] } } }] }],
  vimConnectionInfo: {
    vim1: {
      vimId: 'vim-1',
      vimType: 'ETSINFV.OPENSTACK_KEYSTONE.V_3',
      interfaceInfo: { endpoint: 'http://keystone:5000/v3' },
      accessInfo: { username: 'u', password: 'p', project: 'p', projectDomain: 'Default', userDomain: 'Default', region: 'RegionOne' },
    },
  },
  additionalParams: { snf_adapter_url: 'http://vnfm:8080' },
};

describe('Tacker client: vnflcm v2 (SOL003 v3.3.1)', () => {
  let server: Server;
  let base: string;
  let seen: Seen[];
  let handler: Handler;
  let tacker: TackerClient;

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const s: Seen = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, json: body ? (JSON.parse(body) as unknown) : undefined };
        seen.push(s);
        handler(s, res);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const a = server.address();
    base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  });
  after(() => new Promise((r) => server.close(r)));
  beforeEach(() => {
    seen = [];
    // Tacker registers its catalog endpoint with a trailing slash (http://host:9890/)
    tacker = new TackerClient(Session.noauth({ nfv_orchestration: `${base}/` }, { timeoutMs: 3000, retries: 0 }));
    handler = (s, res) => {
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      if (s.method === 'POST' && s.path === '/vnflcm/v2/vnf_instances') return json(201, { id: 'i-1', vnfdId: 'd-1', instantiationState: 'NOT_INSTANTIATED', vnfProvider: 'p', vnfProductName: 'n', vnfSoftwareVersion: '1', vnfdVersion: '1' });
      const task = /^\/vnflcm\/v[12]\/vnf_instances\/i-1\/(\w+)$/.exec(s.path);
      if (s.method === 'POST' && task) {
        res.writeHead(202, { location: `${base}/vnflcm/v2/vnf_lcm_op_occs/op-${task[1]}` });
        return res.end();
      }
      if (s.method === 'GET' && s.path.startsWith('/vnflcm/v2/vnf_lcm_op_occs/op-')) {
        const id = s.path.split('/').pop()!;
        const n = seen.filter((x) => x.path === s.path).length;
        return json(200, { id, operation: 'SCALE', vnfInstanceId: 'i-1', operationState: n < 2 ? 'PROCESSING' : id === 'op-heal' ? 'FAILED_TEMP' : 'COMPLETED', isAutomaticInvocation: false, isCancelPending: false, startTime: 't', stateEnteredTime: 't', ...(id === 'op-heal' ? { error: { status: 500, detail: 'heal_start failed: adapter refused' } } : {}) });
      }
      if (s.method === 'DELETE' && s.path === '/vnflcm/v2/vnf_instances/i-1') {
        res.writeHead(409, { 'content-type': 'application/problem+json' });
        return res.end(JSON.stringify({ status: 409, detail: 'VnfInstance i-1 is INSTANTIATED.' }));
      }
      if (s.method === 'GET' && s.path.startsWith('/vnflcm/v2/vnf_lcm_op_occs')) return json(200, []);
      json(404, { status: 404, detail: `no route ${s.method} ${s.path}` });
    };
  });

  it('creates, instantiates, scales, heals and terminates at /vnflcm/v2 with Version: 2.0.0 on every request', async () => {
    const inst = await tacker.v2.createVnf({ vnfdId: 'd-1', vnfInstanceName: 'nat-1' });
    expect(inst.id).to.equal('i-1');
    expect(await tacker.v2.instantiate('i-1', request)).to.equal('op-instantiate');
    expect(await tacker.v2.scale('i-1', { type: 'SCALE_OUT', aspectId: 'nf_instances', numberOfSteps: 1 })).to.equal('op-scale');
    expect(await tacker.v2.heal('i-1', { vnfcInstanceId: ['nf-abc'], cause: 'test' })).to.equal('op-heal');
    expect(await tacker.v2.terminate('i-1')).to.equal('op-terminate');
    expect(seen.map((s) => `${s.method} ${s.path}`)).to.deep.equal([
      'POST /vnflcm/v2/vnf_instances',
      'POST /vnflcm/v2/vnf_instances/i-1/instantiate',
      'POST /vnflcm/v2/vnf_instances/i-1/scale',
      'POST /vnflcm/v2/vnf_instances/i-1/heal',
      'POST /vnflcm/v2/vnf_instances/i-1/terminate',
    ]);
    for (const s of seen) expect(s.headers.version, `${s.method} ${s.path}`).to.equal('2.0.0');
    expect(seen[0].json).to.deep.equal({ vnfdId: 'd-1', vnfInstanceName: 'nat-1' });
    // the v3.3.1 shapes go out as given: maps keyed by the caller's ids
    expect(seen[1].json).to.deep.equal(request);
    const body = seen[1].json as { vimConnectionInfo: unknown; extVirtualLinks: { extCps: { cpConfig: unknown }[] }[] };
    expect(body.vimConnectionInfo).to.be.an('object').that.has.key('vim1');
    expect(body.extVirtualLinks[0].extCps[0].cpConfig).to.be.an('object').that.has.key('c1');
    expect(seen[2].json).to.deep.equal({ type: 'SCALE_OUT', aspectId: 'nf_instances', numberOfSteps: 1 });
    expect(seen[3].json).to.deep.equal({ vnfcInstanceId: ['nf-abc'], cause: 'test' });
    expect(seen[4].json).to.deep.equal({ terminationType: 'FORCEFUL' });
  });

  it('follows op occurrences: COMPLETED resolves, FAILED_TEMP throws with Tacker\'s detail', async () => {
    const states: string[] = [];
    const done = await tacker.v2.waitOperation('op-scale', { pollMs: 5, onState: (o) => states.push(o.operationState) });
    expect(done.operationState).to.equal('COMPLETED');
    expect(states).to.deep.equal(['PROCESSING', 'COMPLETED']);
    const failed = await tacker.v2.waitOperation('op-heal', { pollMs: 5 }).catch((e: unknown) => e);
    expect(failed).to.be.instanceOf(OpenStackOperationError);
    expect(failed).to.include({ status: 'FAILED_TEMP', reason: 'heal_start failed: adapter refused' });
    await tacker.v2.listOpOccs('(eq,vnfInstanceId,i-1)');
    const list = seen.at(-1)!;
    expect(list.path).to.equal('/vnflcm/v2/vnf_lcm_op_occs?filter=%28eq%2CvnfInstanceId%2Ci-1%29');
    expect(list.headers.version).to.equal('2.0.0');
  });

  it('reports Tacker\'s ProblemDetails (409 deleting an instantiated VNF) and a 202 without Location', async () => {
    const err = await tacker.v2.deleteVnf('i-1').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(OpenStackHttpError);
    expect(err).to.include({ status: 409, detail: 'VnfInstance i-1 is INSTANTIATED.' });
    handler = (_s, res) => {
      res.writeHead(202);
      res.end();
    };
    const noLoc = await tacker.v2.scale('i-1', { type: 'SCALE_IN', aspectId: 'a' }).catch((e: unknown) => e);
    expect(noLoc).to.be.instanceOf(OpenStackResponseError);
    expect((noLoc as Error).message).to.match(/no Location header naming the vnf_lcm_op_occs/);
  });

  it('repeats a request Tacker refuses only because the previous operation still holds the lock', async () => {
    let busy = 2;
    handler = (s, res) => {
      if (busy-- > 0) {
        res.writeHead(409, { 'content-type': 'application/problem+json' });
        return res.end(JSON.stringify({ status: 409, detail: 'Other LCM operation of vnfInstance i-1 is in progress.' }));
      }
      res.writeHead(s.method === 'DELETE' ? 204 : 409, { 'content-type': 'application/problem+json' });
      res.end(s.method === 'DELETE' ? '' : JSON.stringify({ status: 409, detail: 'VnfInstance i-1 is NOT_INSTANTIATED.' }));
    };
    await tacker.v2.deleteVnf('i-1');
    expect(seen.map((s) => s.method)).to.deep.equal(['DELETE', 'DELETE', 'DELETE']);
    // any other conflict is reported at once
    seen = [];
    const other = await tacker.v2.terminate('i-1').catch((e: unknown) => e);
    expect(other).to.include({ status: 409, detail: 'VnfInstance i-1 is NOT_INSTANTIATED.' });
    expect(seen).to.have.length(1);
  });

  it('refuses v1 shapes and what Tacker fails on, naming the field, before sending anything', async () => {
    const bad = (r: unknown) => tacker.v2.instantiate('i-1', r as InstantiateVnfRequestV2).then(() => null, (e: unknown) => e as Error);
    const list = await bad({ ...request, vimConnectionInfo: [request.vimConnectionInfo!.vim1] });
    expect(list).to.be.instanceOf(TypeError);
    expect(list!.message).to.match(/vimConnectionInfo: must be a map/);
    const cpList = await bad({ ...request, extVirtualLinks: [{ ...request.extVirtualLinks![0], extCps: [{ cpdId: 'x', cpConfig: [{ cpProtocolData: [ipoe] }] }] }] });
    expect(cpList!.message).to.match(/extVirtualLinks\[0\]\.extCps\[0\]\.cpConfig: must be a map/);
    const noIpoe = await bad({ ...request, extVirtualLinks: [{ ...request.extVirtualLinks![0], extCps: [{ cpdId: 'x', cpConfig: { a: { cpProtocolData: [{ layerProtocol: 'IP_OVER_ETHERNET' }] } } }] }] });
    expect(noIpoe!.message).to.match(/cpConfig\.a\.cpProtocolData\[0\]\.ipOverEthernet: required/);
    const noVimId = await bad({ ...request, vimConnectionInfo: { v: { vimType: 'ETSINFV.OPENSTACK_KEYSTONE.V_3' } } });
    expect(noVimId!.message).to.match(/vimConnectionInfo\.v\.vimId: required by Tacker/);
    expect(seen).to.have.length(0);
  });

  it('keeps v1 as it was: /vnflcm/v1, no Version header, list shapes pass through', async () => {
    const v1 = { flavourId: 'small', vimConnectionInfo: [{ id: 'v', vimType: 'openstack' }], extVirtualLinks: [{ id: 'e', resourceId: 'n', extCps: [{ cpdId: 'c', cpConfig: [{ cpProtocolData: [ipoe] }] }] }] };
    expect(await tacker.instantiate('i-1', v1)).to.equal('op-instantiate');
    expect(seen[0].path).to.equal('/vnflcm/v1/vnf_instances/i-1/instantiate');
    expect(seen[0].headers.version).to.equal(undefined);
    expect(seen[0].json).to.deep.equal(v1);
  });
});
