// Real Keystone + a Heat behind it (harness, { keystone: true }): password, token and
// application-credential auth, the orchestration endpoint from the catalog, a stack created
// with a token (Heat makes a trust), and Heat's 401 without one.
import { expect } from 'chai';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { heatSandbox, type HeatSandbox } from '../../support/openstack-sandbox.js';
import { HeatClient, KeystoneAuth, OpenStackHttpError, Session, loadCloudConfig, OpenStackConfigError } from '../../../src/openstack/index.js';
import { command as stackCommand } from '../../../src/cli/commands/stack.js';

describe('Keystone-backed Heat', function () {
  this.timeout(180_000);
  let sb: HeatSandbox;
  let dir: string;

  before(async function () {
    this.timeout(300_000); // Keystone + Heat start: ~20 s on a quiet machine, minutes on a loaded CI box
    sb = await heatSandbox({ keystone: true });
    dir = mkdtempSync(join(tmpdir(), 'snf-ks-'));
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  function passwordCloud() {
    const a = sb.admin!;
    writeFileSync(
      join(dir, 'clouds.yaml'),
      [
        'clouds:',
        '  sandbox:',
        '    region_name: RegionOne',
        '    auth:',
        `      auth_url: ${sb.keystoneUrl!.replace(/\/v3$/, '')}`,
        `      username: ${a.username}`,
        `      project_name: ${a.projectName}`,
        `      user_domain_name: ${a.userDomainName}`,
        `      project_domain_name: ${a.projectDomainName}`,
      ].join('\n'),
    );
    writeFileSync(join(dir, 'secure.yaml'), `clouds:\n  sandbox:\n    auth:\n      password: ${a.password}\n`);
    return loadCloudConfig({ cloud: 'sandbox', env: {}, cwd: dir, home: dir });
  }

  it('refuses an unauthenticated request with 401 and Keystone\'s message', async () => {
    const anon = new HeatClient(Session.noauth({ orchestration: sb.heatUrl }, { retries: 0 }));
    const err = await anon.listStacks().catch((e: unknown) => e);
    expect(err).to.be.instanceOf(OpenStackHttpError);
    expect(err).to.include({ status: 401 });
    expect((err as Error).message).to.match(/requires authentication/);
  });

  it('authenticates from clouds.yaml + secure.yaml, finds Heat in the catalog and runs a stack with the token', async () => {
    const session = Session.fromConfig(passwordCloud());
    expect(await session.endpoint('orchestration')).to.equal(sb.heatUrl);
    const auth = session.auth as KeystoneAuth;
    const tok = await auth.issued();
    expect(tok.projectName).to.equal('admin');
    expect(tok.expiresAt).to.be.greaterThan(Date.now() + 60_000);
    expect(tok.catalog.map((c) => c.type)).to.include.members(['identity', 'orchestration']);

    const heat = new HeatClient(session, { pollMs: 200, timeoutMs: 90_000 });
    const ref = await heat.createStack({
      stack_name: 'ks-stack',
      template: { heat_template_version: '2018-08-31', resources: { r: { type: 'OS::Heat::RandomString', properties: { length: 12 } } }, outputs: { v: { value: { get_attr: ['r', 'value'] } } } },
    });
    const done = await heat.waitFor(ref, 'CREATE');
    expect(done.stack.stack_status).to.equal('CREATE_COMPLETE');
    expect(String((await heat.outputs(ref)).v)).to.have.length(12);

    // a revoked token mid-operation: the session re-authenticates once and carries on
    await fetch(`${sb.keystoneUrl}/auth/tokens`, { method: 'DELETE', headers: { 'x-auth-token': tok.value, 'x-subject-token': tok.value } });
    expect((await heat.getStack(ref)).stack_status).to.equal('CREATE_COMPLETE');
    expect((await auth.token())).to.not.equal(tok.value);

    await heat.deleteStack(ref);
    await heat.waitFor(ref, 'DELETE');
  });

  it('authenticates with a token and with an application credential (OS_* variables)', async () => {
    const pw = Session.fromConfig(passwordCloud());
    const tok = await (pw.auth as KeystoneAuth).issued();
    const base = sb.keystoneUrl!;
    const env = { OS_AUTH_URL: base, OS_TOKEN: tok.value, OS_PROJECT_ID: tok.projectId!, OS_REGION_NAME: 'RegionOne' };
    const bytoken = new HeatClient(Session.fromEnvironment({ env, cwd: dir, home: join(dir, 'none') }));
    expect(await bytoken.listStacks()).to.be.an('array');

    const created = await fetch(`${base}/users/${tok.userId}/application_credentials`, {
      method: 'POST',
      headers: { 'x-auth-token': tok.value, 'content-type': 'application/json' },
      body: JSON.stringify({ application_credential: { name: `snf-${Date.now()}` } }),
    });
    expect(created.status).to.equal(201);
    const cred = ((await created.json()) as { application_credential: { id: string; secret: string } }).application_credential;
    const acEnv = { OS_AUTH_URL: base, OS_APPLICATION_CREDENTIAL_ID: cred.id, OS_APPLICATION_CREDENTIAL_SECRET: cred.secret, OS_INTERFACE: 'internal' };
    const byAppCred = Session.fromEnvironment({ env: acEnv, cwd: dir, home: join(dir, 'none') });
    const acTok = await (byAppCred.auth as KeystoneAuth).issued();
    expect(acTok.projectId).to.equal(tok.projectId);
    expect(await new HeatClient(byAppCred).listStacks()).to.be.an('array');

    const wrong = Session.fromEnvironment({ env: { ...acEnv, OS_APPLICATION_CREDENTIAL_SECRET: 'nope' }, cwd: dir, home: join(dir, 'none'), http: { retries: 0 } });
    const err = await new HeatClient(wrong).listStacks().catch((e: unknown) => e);
    expect(err).to.include({ status: 401 });
    expect((err as Error).message).to.match(/identity: POST .*auth\/tokens failed with 401/);
  });

  it('says which region is missing from the catalog', async () => {
    const cfg = { ...passwordCloud(), regionName: 'RegionMars' };
    const err = await Session.fromConfig(cfg).endpoint('orchestration').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(OpenStackConfigError);
    expect((err as Error).message).to.match(/no public endpoint of "orchestration" in region RegionMars \(has: .*public@RegionOne/);
  });

  it('runs `snf stack list` with OS_CLOUD credentials', async () => {
    passwordCloud();
    const saved = { ...process.env };
    const cwd = process.cwd();
    try {
      process.env.OS_CLOUD = 'sandbox';
      process.env.OS_CLIENT_CONFIG_FILE = join(dir, 'clouds.yaml');
      process.env.OS_CLIENT_SECURE_FILE = join(dir, 'secure.yaml');
      process.chdir(dir);
      const lines: string[] = [];
      const log = console.log;
      console.log = (...a: unknown[]) => void lines.push(a.join(' '));
      try {
        expect(await stackCommand.run(['list'])).to.equal(0);
      } finally {
        console.log = log;
      }
      expect(lines.join('\n')).to.match(/^NAME\s+STATUS\s+CREATED\s+ID/);
    } finally {
      process.chdir(cwd);
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});
