// clouds.yaml / secure.yaml / OS_* resolution, as openstacksdk does it.
import { expect } from 'chai';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCloudConfig, envCloud, OpenStackConfigError, authRequestBody } from '../../../src/openstack/index.js';

describe('openstack config loading', () => {
  let dir: string;
  let home: string;
  let cwd: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'snf-oscfg-'));
    home = join(dir, 'home');
    cwd = join(dir, 'cwd');
    mkdirSync(join(home, '.config', 'openstack'), { recursive: true });
    mkdirSync(cwd);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const clouds = `
clouds:
  prod:
    auth:
      auth_url: https://keystone.example:5000
      username: alice
      project_name: vnf
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionTwo
    interface: internal
    orchestration_endpoint_override: http://heat.example/v1/x/
  appcred:
    auth_type: v3applicationcredential
    auth:
      auth_url: https://keystone.example:5000/v3
      application_credential_id: ac-1
      application_credential_secret: s3cret
  sandbox:
    auth_type: none
    auth:
      endpoint: http://127.0.0.1:8004/v1/admin
`;

  it('merges secure.yaml over clouds.yaml and applies region, interface and endpoint overrides', () => {
    writeFileSync(join(home, '.config', 'openstack', 'clouds.yaml'), clouds);
    writeFileSync(join(home, '.config', 'openstack', 'secure.yaml'), 'clouds:\n  prod:\n    auth:\n      password: hunter2\n');
    const c = loadCloudConfig({ cloud: 'prod', env: {}, cwd, home });
    expect(c.authType).to.equal('password');
    expect(c.auth).to.include({ username: 'alice', password: 'hunter2', project_name: 'vnf', user_domain_name: 'Default' });
    expect(c.regionName).to.equal('RegionTwo');
    expect(c.interface).to.equal('internal');
    expect(c.endpointOverrides.orchestration).to.equal('http://heat.example/v1/x');
  });

  it('picks $OS_CLIENT_CONFIG_FILE first and the cloud named by OS_CLOUD', () => {
    writeFileSync(join(cwd, 'clouds.yaml'), 'clouds:\n  other:\n    auth_type: none\n    auth: {endpoint: http://x}\n');
    const file = join(dir, 'mine.yaml');
    writeFileSync(file, clouds);
    const c = loadCloudConfig({ env: { OS_CLIENT_CONFIG_FILE: file, OS_CLOUD: 'appcred' }, cwd, home });
    expect(c.name).to.equal('appcred');
    expect(c.authType).to.equal('v3applicationcredential');
    expect(authRequestBody('v3applicationcredential', c.auth)).to.deep.equal({
      auth: { identity: { methods: ['application_credential'], application_credential: { id: 'ac-1', secret: 's3cret' } } },
    });
  });

  it('builds the "envvars" cloud from OS_* variables, with legacy names and domain defaults', () => {
    const env = {
      OS_AUTH_URL: 'http://127.0.0.1:5000/v3',
      OS_USERNAME: 'bob',
      OS_PASSWORD: 'pw',
      OS_TENANT_NAME: 'legacy',
      OS_DEFAULT_DOMAIN_NAME: 'Default',
      OS_REGION_NAME: 'RegionOne',
      OS_INTERFACE: 'publicURL',
    };
    expect(envCloud(env)).to.have.property('region_name', 'RegionOne');
    const c = loadCloudConfig({ env, cwd, home });
    expect(c.name).to.equal('envvars');
    expect(c.auth).to.include({ project_name: 'legacy', user_domain_name: 'Default', project_domain_name: 'Default' });
    expect(c.interface).to.equal('public');
    const body = authRequestBody('password', c.auth) as { auth: { scope: unknown; identity: { password: { user: unknown } } } };
    expect(body.auth.scope).to.deep.equal({ project: { name: 'legacy', domain: { name: 'Default' } } });
    expect(body.auth.identity.password.user).to.deep.equal({ name: 'bob', domain: { name: 'Default' }, password: 'pw' });
  });

  it('infers token auth from OS_TOKEN and noauth from OS_AUTH_TYPE=none with an endpoint override', () => {
    const t = loadCloudConfig({ env: { OS_AUTH_URL: 'http://k/v3', OS_TOKEN: 'gAAA', OS_PROJECT_ID: 'p1' }, cwd, home });
    expect(t.authType).to.equal('token');
    expect(authRequestBody('token', t.auth)).to.deep.equal({ auth: { identity: { methods: ['token'], token: { id: 'gAAA' } }, scope: { project: { id: 'p1' } } } });
    const n = loadCloudConfig({ env: { OS_AUTH_TYPE: 'none', OS_ORCHESTRATION_ENDPOINT_OVERRIDE: 'http://127.0.0.1:8004/v1/admin' }, cwd, home });
    expect(n.authType).to.equal('none');
    expect(n.endpointOverrides.orchestration).to.equal('http://127.0.0.1:8004/v1/admin');
  });

  it('says what is missing: unknown cloud, no auth_url, no password, no credentials at all', () => {
    writeFileSync(join(cwd, 'clouds.yaml'), clouds);
    expect(() => loadCloudConfig({ cloud: 'nope', env: {}, cwd, home })).to.throw(OpenStackConfigError, /cloud "nope" not found .*clouds: prod, appcred, sandbox/);
    expect(() => loadCloudConfig({ env: { OS_USERNAME: 'x', OS_PASSWORD: 'y' }, cwd, home })).to.throw(/auth_url \(OS_AUTH_URL\) is required/);
    expect(() => loadCloudConfig({ cloud: 'prod', env: {}, cwd, home })).to.throw(/auth.password \(OS_PASSWORD\) is required/);
    expect(() => loadCloudConfig({ env: {}, cwd, home })).to.throw(/several clouds/);
    rmSync(join(cwd, 'clouds.yaml'));
    expect(() => loadCloudConfig({ env: {}, cwd, home })).to.throw(/no OpenStack credentials/);
  });

  it('rejects a clouds.yaml that is not YAML with the file name', () => {
    writeFileSync(join(cwd, 'clouds.yaml'), 'clouds: [unclosed');
    expect(() => loadCloudConfig({ env: {}, cwd, home })).to.throw(OpenStackConfigError, /clouds\.yaml: not valid YAML/);
  });
});
