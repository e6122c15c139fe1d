// Restart mid-operation (state in Redis; FAILED_TEMP, then retry and rollback), notification
// delivery (order, retries, a dead subscriber, Basic and OAuth2 callback auth), the adapter's own
// authentication (Basic, OAuth2 client credentials, TLS) and granting. FAKE Vim throughout.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, type Harness } from '../../support/vnfm-harness.js';
import { Sol003Client, TestSubscriber, opIdOf } from '../../support/vnfm.js';
import { startRedis, type RedisServer } from '../../support/redis.js';

type Json = Record<string, unknown>;

describe('VNFM restart, notifications, authentication, granting (fake Vim, real Redis)', function () {
  this.timeout(40_000);
  let redis: RedisServer;
  let h: Harness;
  let sub: TestSubscriber;

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
  });
  beforeEach(async () => {
    sub = new TestSubscriber();
    await sub.start();
  });
  afterEach(async () => {
    await h?.vnfm.lcm.idle();
    await h?.stop();
    await sub.stop();
  });

  async function instantiated(api: Sol003Client, name = 'fw1'): Promise<string> {
    const id = ((await api.call('POST', '/vnf_instances', { vnfdId: 'snf-firewall-vnfd', vnfInstanceName: name })).body as Json).id as string;
    await api.waitOp(opIdOf(await api.call('POST', `/vnf_instances/${id}/instantiate`, { flavourId: 'simple' })), ['COMPLETED']);
    return id;
  }

  it('restarted mid-operation, turns PROCESSING into FAILED_TEMP; retry completes it, rollback of another undoes it', async () => {
    h = await startHarness({}, redis);
    let api = new Sol003Client(h.vnfm.url);
    await api.call('POST', '/subscriptions', { callbackUri: sub.url, filter: { notificationTypes: ['VnfLcmOperationOccurrenceNotification'], operationTypes: ['SCALE'] } });
    const id = await instantiated(api);

    const gate = h.vim.hold();
    const a = opIdOf(await api.call('POST', `/vnf_instances/${id}/scale`, { type: 'SCALE_OUT', aspectId: 'worker', numberOfSteps: 2 }));
    await gate.reached;
    expect((await api.waitOp(a, ['PROCESSING'])).operationState).to.equal('PROCESSING');
    // The adapter dies mid-operation: nothing it does afterwards reaches the store.
    await h.vnfm.close();
    gate.release();
    const second = await h.restart();
    api = new Sol003Client(second.url);
    expect(second.recovered).to.deep.equal([a]);
    const op = await api.waitOp(a, ['FAILED_TEMP']);
    expect((op.error as Json).detail).to.match(/restarted while the operation was PROCESSING/);
    expect((await api.call('POST', `/vnf_instances/${id}/heal`, {})).status).to.equal(409);
    expect((await api.call('POST', `/vnf_lcm_op_occs/${a}/retry`)).status).to.equal(202);
    await api.waitOp(a, ['COMPLETED']);
    const vnf = (await api.call('GET', `/vnf_instances/${id}`)).body as { instantiatedVnfInfo: { vnfcResourceInfo: unknown[]; scaleStatus: Json[] } };
    expect(vnf.instantiatedVnfInfo.vnfcResourceInfo).to.have.length(4);
    expect(vnf.instantiatedVnfInfo.scaleStatus[0].scaleLevel).to.equal(3);

    // again, then roll back: the VNF returns to its size before the operation
    const gate2 = h.vim.hold();
    const b = opIdOf(await api.call('POST', `/vnf_instances/${id}/scale`, { type: 'SCALE_IN', aspectId: 'worker', numberOfSteps: 2 }));
    await gate2.reached;
    await h.vnfm.close();
    gate2.release();
    api = new Sol003Client((await h.restart()).url);
    await api.waitOp(b, ['FAILED_TEMP']);
    await api.call('POST', `/vnf_lcm_op_occs/${b}/rollback`);
    await api.waitOp(b, ['ROLLED_BACK']);
    expect([...h.vim.deployments.values()][0].instances).to.have.length(4);
    expect(api.violations, api.violations.join('\n')).to.deep.equal([]);
    // Notifications the first process had not delivered when it died come from the outbox in Redis.
    await sub.until((r) => r.length >= 10);
    expect(sub.states()).to.deep.equal(['SCALE:STARTING', 'SCALE:PROCESSING', 'SCALE:FAILED_TEMP', 'SCALE:PROCESSING', 'SCALE:COMPLETED', 'SCALE:STARTING', 'SCALE:PROCESSING', 'SCALE:FAILED_TEMP', 'SCALE:ROLLING_BACK', 'SCALE:ROLLED_BACK']);
  });

  it('retries a failing subscriber in order, and a dead one blocks neither operations nor other subscribers', async () => {
    h = await startHarness({}, redis);
    const api = new Sol003Client(h.vnfm.url);
    const flaky = sub;
    const dead = new TestSubscriber();
    await dead.start();
    try {
      await api.call('POST', '/subscriptions', { callbackUri: flaky.url });
      await api.call('POST', '/subscriptions', { callbackUri: dead.url });
      dead.alwaysFail = true;
      flaky.failNext = 2;
      const t0 = Date.now();
      const id = await instantiated(api);
      expect(Date.now() - t0).to.be.lessThan(5000);
      await flaky.until((r) => r.length === 4);
      expect(flaky.received.map((r) => `${String(r.body.notificationType)}:${String(r.body.operationState ?? '')}`)).to.deep.equal([
        'VnfIdentifierCreationNotification:',
        'VnfLcmOperationOccurrenceNotification:STARTING',
        'VnfLcmOperationOccurrenceNotification:PROCESSING',
        'VnfLcmOperationOccurrenceNotification:COMPLETED',
      ]);
      expect(flaky.received.every((r) => r.body.vnfInstanceId === id)).to.equal(true);
      await h.vnfm.notifier.idle();
      const deadDeliveries = h.vnfm.notifier.deliveries.filter((d) => !d.delivered);
      expect(deadDeliveries).to.have.length(4);
      expect(deadDeliveries.every((d) => d.attempts === 4)).to.equal(true);
      const flakyFirst = h.vnfm.notifier.deliveries.find((d) => d.delivered);
      expect(flakyFirst?.attempts).to.equal(3);
      expect(h.logs.some((l) => /dropped after 4 attempts/.test(l))).to.equal(true);
    } finally {
      await dead.stop();
    }
  });

  it('authenticates callbacks with Basic and with an OAuth2 client-credentials token', async () => {
    h = await startHarness({ auth: { basic: { so: 'so-secret' }, oauth2Clients: { nfvo: 'nfvo-secret' } } }, redis);
    const basic = `Basic ${Buffer.from('so:so-secret').toString('base64')}`;
    const api = new Sol003Client(h.vnfm.url, 'v2', basic);
    sub.expectAuth = `Basic ${Buffer.from('cb-user:cb-pass').toString('base64')}`;
    const s1 = await api.call('POST', '/subscriptions', {
      callbackUri: sub.url,
      authentication: { authType: ['BASIC'], paramsBasic: { userName: 'cb-user', password: 'cb-pass' } },
      filter: { notificationTypes: ['VnfIdentifierCreationNotification'] },
    });
    expect(s1.status).to.equal(201);
    expect(s1.body).to.not.have.property('authentication');
    expect(sub.gets).to.have.length(1);

    // OAuth2: the subscriber trusts tokens of the VNFM's own token endpoint (SOL013 clause 8)
    const oauthSub = new TestSubscriber();
    const url = await oauthSub.start();
    try {
      const tok = await fetch(`${h.vnfm.url}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('nfvo:nfvo-secret').toString('base64')}` },
        body: 'grant_type=client_credentials',
      }).then((r) => r.json() as Promise<{ access_token: string }>);
      const s2 = await api.call('POST', '/subscriptions', {
        callbackUri: url,
        authentication: { authType: ['OAUTH2_CLIENT_CREDENTIALS'], paramsOauth2ClientCredentials: { clientId: 'nfvo', clientPassword: 'nfvo-secret', tokenEndpoint: `${h.vnfm.url}/oauth2/token` } },
        filter: { notificationTypes: ['VnfIdentifierCreationNotification'] },
      });
      expect(s2.status).to.equal(201);
      const created = await api.call('POST', '/vnf_instances', { vnfdId: 'snf-firewall-vnfd' });
      await sub.until((r) => r.length === 1);
      await oauthSub.until((r) => r.length === 1);
      expect(sub.received[0].authorization).to.equal(sub.expectAuth);
      const bearer = oauthSub.received[0].authorization ?? '';
      expect(bearer).to.match(/^Bearer \S+\.\S+$/);
      expect(bearer.split('.')[0].length).to.equal(`Bearer ${tok.access_token}`.split('.')[0].length);
      // and that token opens the API too
      expect((await new Sol003Client(h.vnfm.url, 'v2', bearer).call('GET', `/vnf_instances/${(created.body as Json).id as string}`)).status).to.equal(200);
    } finally {
      await oauthSub.stop();
    }
    expect(api.violations, api.violations.join('\n')).to.deep.equal([]);
  });

  it('refuses requests without valid credentials (401 ProblemDetails) and serves over TLS when given a cert', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'snf-vnfm-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
      h = await startHarness({ auth: { basic: { so: 'pw' } }, tls: { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) } }, redis);
      expect(h.vnfm.url).to.match(/^https:/);
      process.env.NODE_EXTRA_CA_CERTS = join(dir, 'cert.pem');
      const { request } = await import('node:https');
      const get = (auth?: string) =>
        new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
          const req = request(`${h.vnfm.url}/vnflcm/v2/vnf_instances`, { ca: readFileSync(join(dir, 'cert.pem')), headers: auth ? { authorization: auth } : {} }, (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
          });
          req.on('error', reject);
          req.end();
        });
      const denied = await get();
      expect(denied.status).to.equal(401);
      expect(denied.type).to.equal('application/problem+json');
      expect(JSON.parse(denied.body)).to.include({ status: 401 });
      expect((await get(`Basic ${Buffer.from('so:wrong').toString('base64')}`)).status).to.equal(401);
      const ok = await get(`Basic ${Buffer.from('so:pw').toString('base64')}`);
      expect(ok.status).to.equal(200);
      expect(JSON.parse(ok.body)).to.deep.equal([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('asks the NFVO for a grant before instantiate and scale; a rejected grant rolls the operation back', async () => {
    const grants: Json[] = [];
    let reject = false;
    const nfvo: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        grants.push(JSON.parse(body) as Json);
        if (reject) return void res.writeHead(403, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ status: 403, detail: 'no capacity' }));
        res.writeHead(201, { 'content-type': 'application/json', location: '/grant/v1/grants/g1' }).end(JSON.stringify({ id: `grant-${grants.length}`, vnfInstanceId: 'x', vnfLcmOpOccId: 'y', _links: {} }));
      });
    });
    await new Promise<void>((r) => nfvo.listen(0, '127.0.0.1', () => r()));
    try {
      h = await startHarness({ grant: { url: `http://127.0.0.1:${(nfvo.address() as AddressInfo).port}` } }, redis);
      const api = new Sol003Client(h.vnfm.url);
      const id = await instantiated(api);
      expect(grants[0]).to.include({ vnfInstanceId: id, operation: 'INSTANTIATE', vnfdId: 'snf-firewall-vnfd', flavourId: 'simple' });
      reject = true;
      const op = opIdOf(await api.call('POST', `/vnf_instances/${id}/scale`, { type: 'SCALE_OUT', aspectId: 'worker' }));
      const done = await api.waitOp(op, ['ROLLED_BACK']);
      expect((done.error as Json).detail).to.match(/no capacity/);
      expect(grants[1]).to.include({ operation: 'SCALE' });
      expect(h.vim.calls.filter((c) => c.startsWith('scale'))).to.deep.equal([]);
      const inst = await api.call('GET', `/vnf_lcm_op_occs?filter=${encodeURIComponent('(eq,operation,INSTANTIATE)')}`);
      expect((inst.body as Json[])[0].grantId).to.equal('grant-1');
      expect(api.violations, api.violations.join('\n')).to.deep.equal([]);
    } finally {
      nfvo.closeAllConnections();
      await new Promise<void>((r) => nfvo.close(() => r()));
    }
  });
});
