// Keystone v3 auth against a fake Keystone (test/support/fakes/keystone.ts): the three auth
// methods, catalog selection by interface and region, renewal before expiry, and one re-auth
// when a service answers 401 in the middle of an operation.
import { expect } from 'chai';
import { fakeKeystone, requireToken, type FakeKeystone } from '../../support/fakes/keystone.js';
import { fakeNova, type FakeNova } from '../../support/fakes/nova.js';
import { KeystoneAuth, NovaClient, Session, OpenStackHttpError, OpenStackConfigError, toCloudConfig, selectEndpoint } from '../../../src/openstack/index.js';

describe('Keystone v3 auth (fake Keystone)', () => {
  let ks: FakeKeystone;
  let nova: FakeNova;
  const cloud = (auth: Record<string, string>, extra: Record<string, unknown> = {}) =>
    toCloudConfig('t', { auth: { auth_url: ks.url, ...auth }, region_name: 'RegionOne', ...extra });
  const password = { username: 'demo', password: 'secret', user_domain_name: 'default', project_name: 'demo', project_domain_name: 'default' };

  beforeEach(async () => {
    ks = await fakeKeystone({
      appCreds: [{ id: 'ac-1', secret: 'acs', userId: 'u-1', projectId: 'p-1' }],
      catalog: {
        compute: [
          { interface: 'public', region: 'RegionOne', url: 'http://127.0.0.1:1/wrong-public' },
          { interface: 'internal', region: 'RegionOne', url: 'NOVA/v2.1' },
          { interface: 'internal', region: 'RegionTwo', url: 'http://127.0.0.1:1/wrong-region' },
        ],
      },
    });
    nova = await fakeNova({ auth: requireToken(ks) });
  });
  afterEach(async () => {
    await nova.close();
    await ks.close();
  });

  function session(auth: Record<string, string>, ttlMs?: number) {
    if (ttlMs) ks.setTtl(ttlMs);
    const cfg = cloud(auth, { interface: 'internal' });
    const s = Session.fromConfig(cfg, { http: { timeoutMs: 3000, retries: 0 } });
    return s;
  }

  // Rewrites the catalog's NOVA placeholder: the fake Nova's port is known only after start.
  function novaOf(s: Session): NovaClient {
    const auth = s.auth as KeystoneAuth;
    const orig = auth.endpoint.bind(auth);
    auth.endpoint = async (type, q) => (await orig(type, q)).replace('NOVA', nova.url);
    return new NovaClient(s);
  }

  it('authenticates with a password and uses the internal endpoint of the configured region', async () => {
    const n = novaOf(session(password));
    const servers = await n.listServers();
    expect(servers.map((s) => s.id)).to.deep.equal(['s-1']);
    expect(nova.requests[0].path).to.equal('/v2.1/servers/detail');
    expect(nova.requests[0].headers['x-auth-token']).to.match(/^tok-/);
    expect(nova.requests[0].headers['openstack-api-version']).to.equal('compute 2.1');
  });

  it('authenticates with an application credential and with a token', async () => {
    const a = novaOf(session({ application_credential_id: 'ac-1', application_credential_secret: 'acs' }));
    expect((await a.getFlavor('1')).name).to.equal('m1.small');
    const tok = await (a.session.auth as KeystoneAuth).token();
    const t = novaOf(session({ token: tok, project_id: 'p-1' }));
    expect((await t.getServer('s-1')).status).to.equal('ACTIVE');
    expect(ks.issued).to.equal(2);
  });

  it('fails with Keystone\'s 401 message on a wrong password, without retrying it', async () => {
    const n = novaOf(session({ ...password, password: 'wrong' }));
    const err = await n.listServers().catch((e: unknown) => e);
    expect(err).to.be.instanceOf(OpenStackHttpError);
    expect((err as OpenStackHttpError).status).to.equal(401);
    expect((err as Error).message).to.match(/identity: POST .*\/v3\/auth\/tokens failed with 401 Unauthorized: The request you have made requires authentication/);
    expect(ks.requests.filter((r) => r.path === '/v3/auth/tokens')).to.have.length(1);
    expect(nova.requests).to.have.length(0);
  });

  it('renews the token shortly before it expires', async () => {
    const n = novaOf(session(password, 1200));
    await n.listServers();
    await n.listServers();
    expect(ks.issued).to.equal(1);
    await new Promise((r) => setTimeout(r, 700)); // past half the lifetime
    await n.listServers();
    expect(ks.issued).to.equal(2);
    expect(new Set(nova.requests.map((r) => r.headers['x-auth-token'])).size).to.equal(2);
  });

  it('re-authenticates once when a service answers 401 mid-operation (token revoked)', async () => {
    const n = novaOf(session(password));
    await n.listServers();
    ks.revokeAll();
    const started = Date.now();
    const s = await n.getServer('s-1');
    expect(s.id).to.equal('s-1');
    expect(ks.issued).to.equal(2);
    expect(nova.requests.map((r) => r.path)).to.deep.equal(['/v2.1/servers/detail', '/v2.1/servers/s-1', '/v2.1/servers/s-1']);
    expect(Date.now() - started).to.be.below(2000);
  });

  it('gives up after one re-auth if the service keeps answering 401', async () => {
    const n = novaOf(session(password));
    await n.listServers();
    ks.setTtl(-1000); // every new token is already expired
    ks.revokeAll();
    const err = await n.listServers().catch((e: unknown) => e);
    expect((err as OpenStackHttpError).status).to.equal(401);
    expect(nova.requests.length).to.equal(3); // first call, then exactly one retry
  });

  it('cannot renew a plain token: a 401 is reported, not looped on', async () => {
    const pw = novaOf(session(password));
    const tok = await (pw.session.auth as KeystoneAuth).token();
    const t = novaOf(session({ token: tok, project_id: 'p-1' }));
    await t.listServers();
    ks.revokeAll();
    const before = nova.requests.length;
    const err = await t.listServers().catch((e: unknown) => e);
    expect(err).to.be.instanceOf(OpenStackHttpError);
    expect((err as OpenStackHttpError).status).to.equal(401);
    expect(nova.requests.length - before).to.equal(1);
  });

  it('explains a missing service or region from the catalog', () => {
    const catalog = [{ type: 'compute', endpoints: [{ interface: 'public', region_id: 'RegionOne', url: 'http://n' }] }];
    expect(selectEndpoint(catalog, 'compute', 'public')).to.equal('http://n');
    expect(() => selectEndpoint(catalog, 'orchestration', 'public')).to.throw(OpenStackConfigError, /"orchestration" is not in the catalog \(has: compute\)/);
    expect(() => selectEndpoint(catalog, 'compute', 'internal', 'RegionOne')).to.throw(/no internal endpoint .* \(has: public@RegionOne\)/);
  });
});
