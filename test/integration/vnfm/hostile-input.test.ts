// Hostile input answers a 4xx ProblemDetails (issue 14), never a 500, a crash or a reset, and
// changes nothing: prototype keys as flavour, level, aspect, user and client ids; bad
// percent-encoding; JSON nested 200k deep; bodies over the limit. Real Redis, the FAKE Vim of
// test/support/vnfm-fake-vim.ts, the VNFM's real HTTP server.
import { expect } from 'chai';
import { request } from 'node:http';
import { startHarness, type Harness } from '../../support/vnfm-harness.js';
import { Sol003Client, opIdOf } from '../../support/vnfm.js';

type Json = Record<string, unknown>;
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

/** A request with the target sent byte for byte (fetch would normalise it). */
function rawGet(base: string, target: string, headers: Record<string, string>): Promise<{ status: number; type: string | undefined; body: Json }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const r = request({ host: u.hostname, port: u.port, path: target, method: 'GET', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body: JSON.parse(text) as Json }));
    });
    r.on('error', reject);
    r.end();
  });
}

describe('VNFM: hostile input gets a 4xx ProblemDetails and changes nothing', function () {
  this.timeout(60_000);
  let h: Harness;
  let api: Sol003Client;
  const auth = basic('admin', 'pw');

  before(async () => {
    h = await startHarness({ auth: { basic: { admin: 'pw' }, oauth2Clients: { nfvo: 'secret' } } });
    api = new Sol003Client(h.vnfm.url, 'v2', auth);
  });

  after(async () => {
    await h.vnfm.lcm.idle();
    await h.stop();
    expect(api.violations, api.violations.join('\n')).to.deep.equal([]);
  });

  function problem(r: { status: number; body: unknown }, status: number, detail: RegExp): void {
    expect(r.status, JSON.stringify(r.body)).to.equal(status);
    expect(r.body).to.include({ status });
    expect((r.body as Json).detail).to.match(detail);
  }

  it('prototype keys: Basic users and OAuth2 client ids are unknown credentials (401), not a 500', async () => {
    for (const user of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      problem(await new Sol003Client(h.vnfm.url, 'v2', basic(user, 'x')).call('GET', '/vnf_instances'), 401, /invalid credentials/);
    }
    for (const id of ['constructor', '__proto__']) {
      const t = await fetch(`${h.vnfm.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=client_credentials&client_id=${id}&client_secret=x` });
      expect(t.status).to.equal(401);
      expect(await t.json()).to.deep.equal({ error: 'invalid_client' });
    }
    const bad = await fetch(`${h.vnfm.url}/oauth2/token`, { method: 'POST', headers: { authorization: basic('%zz', 'x'), 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    expect(bad.status).to.equal(400);
    expect(await bad.json()).to.include({ error: 'invalid_request' });
    // the real client still gets its token
    const ok = await fetch(`${h.vnfm.url}/oauth2/token`, { method: 'POST', headers: { authorization: basic('nfvo', 'secret'), 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    expect(ok.status).to.equal(200);
  });

  it('bad percent-encoding in a path segment is 400', async () => {
    for (const seg of ['%E0%A4%A', '%ZZ', '%C0%80']) {
      const r = await rawGet(h.vnfm.url, `/vnflcm/v2/vnf_instances/${seg}`, { authorization: auth, version: '2.0.0' });
      expect(r.type).to.equal('application/problem+json');
      problem(r, 400, /path segment .*percent-encoded/);
    }
  });

  it('prototype keys as flavour, instantiation level, aspect and VNFC are refused at request time, starting nothing', async () => {
    const id = ((await api.call('POST', '/vnf_instances', { vnfdId: 'snf-firewall-vnfd', vnfInstanceName: 'proto' })).body as Json).id as string;
    problem(await api.call('POST', `/vnf_instances/${id}/instantiate`, { flavourId: 'constructor' }), 400, /^flavourId: .*no flavour "constructor"/);
    problem(await api.call('POST', `/vnf_instances/${id}/instantiate`, { flavourId: 'simple', instantiationLevelId: 'toString' }), 400, /^instantiationLevelId: .*"toString"/);
    problem(await api.call('POST', '/vnf_instances', { vnfdId: 'constructor' }), 422, /^vnfdId: "constructor" is not an onboarded VNFD/);
    const inst = await api.call('POST', `/vnf_instances/${id}/instantiate`, { flavourId: 'simple' });
    await api.waitOp(opIdOf(inst), ['COMPLETED']);
    const opsBefore = ((await api.call('GET', '/vnf_lcm_op_occs')).body as Json[]).length;
    problem(await api.call('POST', `/vnf_instances/${id}/scale`, { type: 'SCALE_OUT', aspectId: 'constructor' }), 400, /^aspectId: unknown aspect "constructor"/);
    problem(await api.call('POST', `/vnf_instances/${id}/scale_to_level`, { instantiationLevelId: 'constructor' }), 400, /^instantiationLevelId: no instantiation level "constructor"/);
    problem(await api.call('POST', `/vnf_instances/${id}/scale_to_level`, { scaleInfo: [{ aspectId: '__proto__', scaleLevel: 0 }] }), 400, /^scaleInfo.aspectId: unknown aspect "__proto__"/);
    problem(await api.call('POST', `/vnf_instances/${id}/heal`, { vnfcInstanceId: ['constructor'] }), 400, /^vnfcInstanceId: no VNFC "constructor"/);
    // past the aspect's maximum depends on the current level: a conflict with the resource's state
    problem(await api.call('POST', `/vnf_instances/${id}/scale`, { type: 'SCALE_IN', aspectId: 'worker', numberOfSteps: 9 }), 409, /^numberOfSteps: aspect "worker" is at scale level \d; SCALE_IN by 9 would leave \[0, \d+\]/);
    expect(((await api.call('GET', '/vnf_lcm_op_occs')).body as Json[]).length).to.equal(opsBefore);
    expect(h.vim.calls.filter((c) => !c.startsWith('instantiate'))).to.deep.equal([]);
  });

  it('a "__proto__" key in a merge patch is data, not a prototype', async () => {
    const id = ((await api.call('POST', '/vnf_instances', { vnfdId: 'snf-firewall-vnfd', vnfInstanceName: 'patchy' })).body as Json).id as string;
    const p = await api.call('PATCH', `/vnf_instances/${id}`, undefined, { raw: '{"metadata": {"__proto__": {"polluted": "yes"}, "site": "lab"}}' });
    expect(p.status).to.equal(202);
    await api.waitOp(opIdOf(p), ['COMPLETED']);
    const got = (await api.call('GET', `/vnf_instances/${id}`)).body as { metadata: Json };
    expect(Object.hasOwn(got.metadata, '__proto__')).to.equal(true);
    expect(got.metadata.site).to.equal('lab');
    expect(({} as Json).polluted).to.equal(undefined);
  });

  it('JSON nested 200k deep in under 1 MiB is 400, and the server keeps serving', async () => {
    const deep = `{"vnfdId": "snf-firewall-vnfd", "metadata": {"a": ${'['.repeat(200_000)}${']'.repeat(200_000)}}}`;
    expect(deep.length).to.be.lessThan(1 << 20);
    problem(await api.call('POST', '/vnf_instances', undefined, { raw: deep }), 400, /^request body: JSON nested deeper than 64 levels/);
    // brackets inside strings are text, not nesting
    const text = await api.call('POST', '/vnf_instances', { vnfdId: 'snf-firewall-vnfd', vnfInstanceName: 'brackets', metadata: { note: '['.repeat(1000) } });
    expect(text.status).to.equal(201);
  });

  it('bodies over the limit get a 413 ProblemDetails, not a reset (API and token endpoint)', async () => {
    const before = ((await api.call('GET', '/vnf_instances')).body as Json[]).length;
    for (const size of [2 << 20, 50 << 20]) {
      const raw = `{"vnfdId": "snf-firewall-vnfd", "vnfInstanceDescription": "${'x'.repeat(size)}"}`;
      problem(await api.call('POST', '/vnf_instances', undefined, { raw }), 413, /^request body: larger than the limit/);
    }
    const t = await fetch(`${h.vnfm.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=client_credentials&client_id=nfvo&client_secret=${'s'.repeat(2 << 20)}` });
    expect(t.status).to.equal(413);
    expect(await t.json()).to.include({ status: 413 });
    expect(((await api.call('GET', '/vnf_instances')).body as Json[]).length).to.equal(before);
  });
});
