// SOL013 behaviour of the VNF LCM API (issue 14): attribute selectors with SOL003's
// exclude_default lists, filters on unknown attributes or given twice (400), 406 on an Accept
// without JSON, the Version header on the callback test GET, the standard's `vnfdIds`
// subscription filter, and paging with nextpage_opaque_marker / Link on every list. Real Redis,
// the FAKE Vim of test/support/vnfm-fake-vim.ts.
import { expect } from 'chai';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startHarness, type Harness } from '../../support/vnfm-harness.js';
import { Sol003Client, TestSubscriber, opIdOf } from '../../support/vnfm.js';

type Json = Record<string, unknown>;

describe('VNFM SOL013: selectors, filters, content negotiation, paging (fake Vim, real Redis)', function () {
  this.timeout(60_000);
  let h: Harness;
  let api: Sol003Client;
  let id: string;

  before(async () => {
    h = await startHarness({ pageSize: 2 });
    api = new Sol003Client(h.vnfm.url);
    id = ((await api.call('POST', '/vnf_instances', { vnfdId: 'snf-firewall-vnfd', vnfInstanceName: 'sel', metadata: { site: 'lab' } })).body as Json).id as string;
    await api.waitOp(opIdOf(await api.call('POST', `/vnf_instances/${id}/instantiate`, { flavourId: 'simple', additionalParams: { k: 'v' } })), ['COMPLETED']);
  });

  after(async () => {
    await h.vnfm.lcm.idle();
    await h.stop();
    expect(api.violations, api.violations.join('\n')).to.deep.equal([]);
  });

  const mine = async (q: string, list = '/vnf_instances'): Promise<Json> => {
    const r = await api.call('GET', `${list}?filter=${encodeURIComponent(`(eq,id,${id})`)}${q}`);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    return (r.body as Json[])[0];
  };

  it('VNF instances: exclude_default by default; all_fields, fields, exclude_fields, exclude_default as SOL013 says', async () => {
    const def = await mine('');
    for (const k of ['instantiatedVnfInfo', 'metadata', 'vimConnectionInfo']) expect(def).to.not.have.property(k);
    expect(def).to.include({ id, instantiationState: 'INSTANTIATED', vnfInstanceName: 'sel' });
    expect(await mine('&exclude_default')).to.deep.equal(def);
    const all = await mine('&all_fields');
    expect(all).to.have.property('instantiatedVnfInfo');
    expect(all.metadata).to.deep.equal({ site: 'lab' });
    // (a path into instantiatedVnfInfo would leave out attributes the document requires there)
    const some = await mine('&fields=instantiatedVnfInfo');
    expect(some.instantiatedVnfInfo).to.deep.equal(all.instantiatedVnfInfo);
    expect(some).to.not.have.property('metadata');
    const withDefault = await mine('&fields=metadata&exclude_default');
    expect(withDefault.metadata).to.deep.equal({ site: 'lab' });
    expect(withDefault).to.not.have.property('instantiatedVnfInfo');
    const but = await mine('&exclude_fields=metadata');
    expect(but).to.have.property('instantiatedVnfInfo');
    expect(but).to.not.have.property('metadata');
    for (const q of ['all_fields&fields=metadata', 'fields=metadata&exclude_fields=metadata', 'exclude_fields=metadata&exclude_default', 'fields=a,,b', 'all_fields&all_fields']) {
      const r = await api.call('GET', `/vnf_instances?${q}`);
      expect(r.status, q).to.equal(400);
    }
  });

  it('LCM operation occurrences: operationParams and resourceChanges left out unless asked for', async () => {
    const r = await api.call('GET', `/vnf_lcm_op_occs?filter=${encodeURIComponent(`(eq,vnfInstanceId,${id});(eq,operation,INSTANTIATE)`)}`);
    const op = (r.body as Json[])[0];
    expect(op).to.include({ operation: 'INSTANTIATE', operationState: 'COMPLETED' });
    expect(op).to.not.have.property('operationParams');
    expect(op).to.not.have.property('resourceChanges');
    const full = ((await api.call('GET', `/vnf_lcm_op_occs?all_fields&filter=${encodeURIComponent(`(eq,vnfInstanceId,${id});(eq,operation,INSTANTIATE)`)}`)).body as Json[])[0];
    expect(full.operationParams).to.deep.include({ flavourId: 'simple', additionalParams: { k: 'v' } });
    expect(full).to.have.property('resourceChanges');
    // the individual resource is whole: selectors are for lists
    expect((await api.call('GET', `/vnf_lcm_op_occs/${String(op.id)}`)).body).to.have.property('operationParams');
  });

  it('filter: an attribute the resource does not have, or a second filter parameter, is 400', async () => {
    const bad = await api.call('GET', `/vnf_instances?filter=${encodeURIComponent('(eq,noSuchAttribute,x)')}`);
    expect(bad.status).to.equal(400);
    expect((bad.body as Json).detail).to.match(/^filter: "noSuchAttribute" is not an attribute/);
    expect((await api.call('GET', `/vnf_instances?filter=${encodeURIComponent('(eq,instantiatedVnfInfo/nope,x)')}`)).status).to.equal(400);
    expect((await api.call('GET', `/vnf_lcm_op_occs?filter=${encodeURIComponent('(eq,operationz,SCALE)')}`)).status).to.equal(400);
    // nested attributes and free-form objects are fine
    expect((await api.call('GET', `/vnf_instances?filter=${encodeURIComponent('(eq,instantiatedVnfInfo/flavourId,simple)')}`)).status).to.equal(200);
    expect((await api.call('GET', `/vnf_instances?filter=${encodeURIComponent('(eq,metadata/site,lab)')}`)).status).to.equal(200);
    const twice = await api.call('GET', `/vnf_instances?filter=${encodeURIComponent('(eq,vnfInstanceName,sel)')}&filter=${encodeURIComponent('(eq,vnfInstanceName,other)')}`);
    expect(twice.status).to.equal(400);
    expect((twice.body as Json).detail).to.match(/^filter: given more than once/);
  });

  it('Accept without JSON is 406; JSON, application/* and */* are served', async () => {
    const xml = await api.call('GET', '/vnf_instances', undefined, { headers: { accept: 'application/xml' } });
    expect(xml.status).to.equal(406);
    expect((xml.body as Json).detail).to.match(/^Accept: /);
    expect((await api.call('GET', '/vnf_instances', undefined, { headers: { accept: 'application/json;q=0, text/html' } })).status).to.equal(406);
    for (const accept of ['application/json', 'application/*', '*/*', 'text/html, application/json;q=0.5']) {
      expect((await api.call('GET', '/vnf_instances', undefined, { headers: { accept } })).status, accept).to.equal(200);
    }
  });

  it('tests the callback with a GET carrying Version, and takes the standard vnfdIds filter', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const cb: Server = createServer((req, res) => {
      if (req.method === 'GET') seen.push(req.headers);
      req.resume();
      res.writeHead(204).end();
    });
    await new Promise<void>((r) => cb.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://127.0.0.1:${(cb.address() as AddressInfo).port}/cb`;
      const s = await api.call('POST', '/subscriptions', { callbackUri: url, filter: { vnfInstanceSubscriptionFilter: { vnfdIds: ['snf-firewall-vnfd'] } } });
      expect(s.status, JSON.stringify(s.body)).to.equal(201);
      expect((s.body as Json).filter).to.deep.equal({ vnfInstanceSubscriptionFilter: { vnfdIds: ['snf-firewall-vnfd'] } });
      expect(seen).to.have.length(1);
      expect(seen[0].version).to.equal('2.0.0');
      expect((await api.call('DELETE', `/subscriptions/${String((s.body as Json).id)}`)).status).to.equal(204);
    } finally {
      cb.closeAllConnections();
      await new Promise<void>((r) => cb.close(() => r()));
    }
  });

  it('pages every list with nextpage_opaque_marker and a Link header, the filter applied first', async () => {
    const sub = new TestSubscriber();
    await sub.start();
    try {
      for (let i = 0; i < 4; i++) await api.call('POST', '/vnf_instances', { vnfdId: 'snf-firewall-vnfd', vnfInstanceName: `page${i}` });
      for (let i = 0; i < 3; i++) await api.call('POST', '/subscriptions', { callbackUri: sub.url });
      for (const [list, want] of [['/vnf_instances', 5], ['/vnf_lcm_op_occs', 1], ['/subscriptions', 3]] as const) {
        const ids: string[] = [];
        let next: string | undefined = `${h.vnfm.url}/vnflcm/v2${list}`;
        let pages = 0;
        while (next) {
          const r = await api.call('GET', next.slice(`${h.vnfm.url}/vnflcm/v2`.length));
          expect(r.status).to.equal(200);
          const body = r.body as Json[];
          expect(body.length).to.be.within(1, 2);
          ids.push(...body.map((x) => x.id as string));
          const link = r.headers.get('link');
          next = link ? /^<([^>]+)>; rel="next"$/.exec(link)?.[1] : undefined;
          if (link) expect(next, link).to.be.a('string');
          pages++;
        }
        expect(new Set(ids).size, list).to.equal(want);
        expect(pages, list).to.equal(Math.ceil(want / 2));
      }
      // the marker carries the filter along; a forged marker is 400
      const f = await api.call('GET', `/vnf_instances?filter=${encodeURIComponent('(cont,vnfInstanceName,page)')}`);
      const link = f.headers.get('link')!;
      expect(decodeURIComponent(link)).to.include('(cont,vnfInstanceName,page)');
      const rest = await api.call('GET', /^<[^>]+(\/vnf_instances\?[^>]+)>/.exec(link)![1]);
      expect((rest.body as Json[]).map((x) => x.vnfInstanceName)).to.deep.equal(['page2', 'page3']);
      expect((await api.call('GET', '/vnf_instances?nextpage_opaque_marker=Zm9yZ2Vk')).status).to.equal(400);
    } finally {
      await sub.stop();
    }
  });
});
