// A real OpenStack Heat (Debian's heat-all) and, optionally, a real Keystone, on free loopback
// ports in a temp dir, for integration tests. See /work/shared/openstack-sandbox.md and
// scripts/openstack-sandbox/README.md for why each step exists.
//
// One sandbox per flavour per test process (memoized); every process we start is killed by pid
// in stop() and at process exit, so a failing test never leaves heat-all behind.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, openSync, readFileSync, writeFileSync, appendFileSync, rmSync, mkdirSync, copyFileSync, renameSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';

const execFileP = promisify(execFile);
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCRIPTS = join(REPO, 'scripts', 'openstack-sandbox');
const READY_TIMEOUT_MS = 90_000;

export interface HeatSandbox {
  /** http://127.0.0.1:PORT/v1/<tenant> */
  heatUrl: string;
  tenant: string;
  /** Keystone base URL (http://127.0.0.1:PORT/v3) when started with { keystone: true }. */
  keystoneUrl?: string;
  /** Keystone admin credentials of the keystone-backed sandbox (user admin in project admin). */
  admin?: { username: string; password: string; projectName: string; userDomainName: string; projectDomainName: string };
  /** The temp dir holding configs, databases and logs (heat-all.log, keystone.log). */
  dir: string;
  stop(): Promise<void>;
}

const sandboxes = new Map<string, Promise<HeatSandbox>>();
const livePids = new Set<number>();
// Sandboxes are shared by every test file of a run and usually never stopped: their dirs go
// with the process.
const liveDirs = new Set<string>();

process.on('exit', () => {
  for (const pid of livePids) killGroup(pid, 'SIGKILL');
  if (!process.env.SNF_KEEP_SANDBOX) for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
});

function killGroup(pid: number, signal: NodeJS.Signals): void {
  // Children run in their own process group (detached) so that their own children die too.
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

export function heatSandbox(opts: { keystone?: boolean } = {}): Promise<HeatSandbox> {
  const key = opts.keystone ? 'keystone' : 'noauth';
  let p = sandboxes.get(key);
  if (!p) {
    p = (opts.keystone ? startKeystoneBacked() : startNoauth()).catch((err: unknown) => {
      sandboxes.delete(key);
      throw err;
    });
    sandboxes.set(key, p);
  }
  return p;
}

function requirePackages(keystone: boolean): void {
  const missing: string[] = [];
  if (!existsSync('/usr/bin/heat-all') || !existsSync('/usr/bin/heat-manage')) missing.push('heat-api heat-engine');
  if (keystone && !existsSync('/usr/bin/keystone-manage')) missing.push('python3-keystone');
  if (missing.length) {
    throw new Error(
      `Heat sandbox: Debian packages missing (${missing.join(', ')}). Install them with ` +
        `"sudo bash scripts/setup.sh" or: apt-get install --no-install-recommends $(grep -v '^#' scripts/deps/openstack.txt)`,
    );
  }
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

function fill(template: string, vars: Record<string, string>): string {
  return template.replace(/@([A-Z_]+)@/g, (m, name: string) => (name in vars ? vars[name] : m));
}

function startDetached(cmd: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = {}): ChildProcess {
  const fd = openSync(logFile, 'a');
  const child = spawn(cmd, args, {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, ...env },
  });
  if (child.pid === undefined) throw new Error(`Heat sandbox: could not start ${cmd}`);
  livePids.add(child.pid);
  // The sandbox must not keep mocha's event loop alive; the exit hook kills it.
  child.unref();
  return child;
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function waitHttp(url: string, child: ChildProcess, logFile: string, what: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code ?? -1;
  });
  while (Date.now() < deadline) {
    if (exited !== null) {
      throw new Error(`Heat sandbox: ${what} exited with ${exited} before it was ready. Log ${logFile}:\n${tail(logFile)}\n${tail(logFile.replace(/\.log$/, ".stdout.log"))}`);
    }
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await r.arrayBuffer();
      if (r.status < 500) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Heat sandbox: ${what} not ready at ${url} after ${READY_TIMEOUT_MS} ms. Log ${logFile}:\n${tail(logFile)}\n${tail(logFile.replace(/\.log$/, ".stdout.log"))}`);
}

async function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
  try {
    await execFileP(cmd, args, { env: { ...process.env, ...env }, timeout: 180_000, maxBuffer: 16 << 20 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`Heat sandbox: ${cmd} ${args.join(' ')} failed: ${e.message}\n${(e.stderr ?? '').slice(-3000)}`);
  }
}

// Schema migrations are the slowest part of a start (Keystone's especially): a freshly migrated
// database per package version is kept here and copied for each sandbox.
const DB_CACHE = join(tmpdir(), 'snf-openstack-db-cache');

function pkgVersion(pkg: string): string {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' }).replace(/[^A-Za-z0-9.+~-]/g, '_');
  } catch {
    return 'unknown';
  }
}

/** Puts a migrated database at `target`: from the cache, or by `migrate` (then cached). */
async function migratedDb(name: string, pkg: string, target: string, migrate: () => Promise<void>): Promise<void> {
  const cached = join(DB_CACHE, `${name}-${pkgVersion(pkg)}.sqlite`);
  if (existsSync(cached)) {
    copyFileSync(cached, target);
    return;
  }
  await migrate();
  mkdirSync(DB_CACHE, { recursive: true });
  // copy then rename: a concurrent sandbox never copies a half-written cache file
  const tmp = `${cached}.${process.pid}.tmp`;
  copyFileSync(target, tmp);
  renameSync(tmp, cached);
}

interface HeatProcOpts {
  dir: string;
  keystone?: { url: string; heatPassword: string; domainAdminPassword: string };
}

interface PreparedHeat {
  dir: string;
  apiPort: number;
  confFile: string;
}

/** Writes heat.conf + api-paste.ini, syncs and fixes the DB, starts heat-all; returns API port + pid. */
async function startHeat(o: HeatProcOpts): Promise<{ apiPort: number; pid: number }> {
  return launchHeat(await prepareHeat(o));
}

/** Config and database; needs no running Keystone, so it can run while Keystone is set up. */
async function prepareHeat(o: HeatProcOpts): Promise<PreparedHeat> {
  const { dir } = o;
  mkdirSync(join(dir, 'lock'), { recursive: true });
  const [apiPort, cfnPort] = [await freePort(), await freePort()];
  const paste = readFileSync('/etc/heat/api-paste.ini', 'utf8') + readFileSync(join(SCRIPTS, 'api-paste-cfn-noauth.ini'), 'utf8');
  writeFileSync(join(dir, 'api-paste.ini'), paste);
  const ks = o.keystone;
  const conf = fill(readFileSync(join(SCRIPTS, 'heat.conf.in'), 'utf8'), {
    DIR: dir,
    API_PORT: String(apiPort),
    CFN_PORT: String(cfnPort),
    DEFERRED_AUTH: ks ? 'trusts' : 'password',
    PASTE_FLAVOR: ks ? '' : 'flavor = noauth',
    AUTH_DEFAULT: ks
      ? [
          'stack_user_domain_name = heat',
          'stack_domain_admin = heat_domain_admin',
          `stack_domain_admin_password = ${ks.domainAdminPassword}`,
          'region_name_for_services = RegionOne',
        ].join('\n')
      : 'keystone_backend = heat.engine.clients.os.keystone.fake_keystoneclient.FakeKeystoneClient',
    AUTH_SECTIONS: ks
      ? fill(readFileSync(join(SCRIPTS, 'heat-keystone.conf.in'), 'utf8'), {
          KEYSTONE_URL: ks.url,
          HEAT_PASSWORD: ks.heatPassword,
        })
      : '',
  });
  const confFile = join(dir, 'heat.conf');
  writeFileSync(confFile, conf);
  await migratedDb('heat', 'heat-common', join(dir, 'heat.sqlite'), async () => {
    await run('heat-manage', ['--config-file', confFile, 'db_sync']);
    await run('/usr/bin/python3', [join(SCRIPTS, 'sqlite_autoincrement.py'), join(dir, 'heat.sqlite')]);
  });
  return { dir, apiPort, confFile };
}

async function launchHeat({ dir, apiPort, confFile }: PreparedHeat): Promise<{ apiPort: number; pid: number }> {
  const logFile = join(dir, 'heat-all.stdout.log');
  const child = startDetached('/usr/bin/python3', [join(SCRIPTS, 'heat_launcher.py'), '--config-file', confFile], logFile, {
    SNF_HEAT_FAST: '1',
    // the exit hook does not run when the test process is killed: the launcher watches us
    SNF_EXIT_WITH_PARENT: '1',
  });
  await waitHttp(`http://127.0.0.1:${apiPort}/`, child, join(dir, 'heat-all.log'), 'heat-all');
  return { apiPort, pid: child.pid! };
}

function makeStop(dir: string, pids: number[], key: string): () => Promise<void> {
  return async () => {
    for (const pid of pids) {
      killGroup(pid, 'SIGTERM');
    }
    await new Promise((r) => setTimeout(r, 300));
    for (const pid of pids) {
      killGroup(pid, 'SIGKILL');
      livePids.delete(pid);
    }
    sandboxes.delete(key);
    liveDirs.delete(dir);
    if (!process.env.SNF_KEEP_SANDBOX) rmSync(dir, { recursive: true, force: true });
  };
}

async function startNoauth(): Promise<HeatSandbox> {
  requirePackages(false);
  const dir = mkdtempSync(join(tmpdir(), 'snf-heat-'));
  liveDirs.add(dir);
  const { apiPort, pid } = await startHeat({ dir });
  const tenant = 'admin'; // noauth puts every request in tenant 'admin' whatever the URL says
  return { heatUrl: `http://127.0.0.1:${apiPort}/v1/${tenant}`, tenant, dir, stop: makeStop(dir, [pid], 'noauth') };
}

// ---- Keystone-backed sandbox ------------------------------------------------------------------

const ADMIN_PASSWORD = 'snf-admin-secret';

async function ks<T>(base: string, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { 'x-auth-token': token, 'content-type': 'application/json', accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`Heat sandbox: Keystone ${method} ${path} -> ${r.status}: ${text.slice(0, 500)}`);
  return (text ? JSON.parse(text) : {}) as T;
}

async function startKeystoneBacked(): Promise<HeatSandbox> {
  requirePackages(true);
  const dir = mkdtempSync(join(tmpdir(), 'snf-heat-ks-'));
  liveDirs.add(dir);
  mkdirSync(join(dir, 'fernet-keys'));
  mkdirSync(join(dir, 'credential-keys'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const confFile = join(dir, 'keystone.conf');
  writeFileSync(confFile, fill(readFileSync(join(SCRIPTS, 'keystone.conf.in'), 'utf8'), { DIR: dir }));
  const user = userInfo().username;
  const group = execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim();
  const km = (args: string[]) => run('keystone-manage', ['--config-file', confFile, ...args]);
  const heatPassword = 'snf-heat-secret';
  const domainAdminPassword = 'snf-heat-domain-secret';
  const heatDir = join(dir, 'heat');
  mkdirSync(heatDir);
  // Heat's config and database do not need Keystone running: prepare them meanwhile.
  const heatPrep = prepareHeat({ dir: heatDir, keystone: { url: base, heatPassword, domainAdminPassword } });
  heatPrep.catch(() => undefined);
  await Promise.all([
    // WAL: Keystone's threads otherwise fail with "database is locked" on SQLite.
    migratedDb('keystone', 'python3-keystone', join(dir, 'keystone.sqlite'), () => km(['db_sync'])).then(() =>
      run('sqlite3', [join(dir, 'keystone.sqlite'), 'PRAGMA journal_mode=WAL;']),
    ),
    km(['fernet_setup', '--keystone-user', user, '--keystone-group', group]),
    km(['credential_setup', '--keystone-user', user, '--keystone-group', group]),
  ]);
  await km([
    'bootstrap',
    '--bootstrap-password', ADMIN_PASSWORD,
    '--bootstrap-admin-url', `${base}/v3`,
    '--bootstrap-internal-url', `${base}/v3`,
    '--bootstrap-public-url', `${base}/v3`,
    '--bootstrap-region-id', 'RegionOne',
  ]);
  const ksLog = join(dir, 'keystone.stdout.log');
  const ksChild = startDetached('/usr/bin/python3', [join(SCRIPTS, 'keystone_launcher.py'), '127.0.0.1', String(port)], ksLog, {
    OS_KEYSTONE_CONFIG_FILES: confFile,
  });
  const pids = [ksChild.pid!];
  try {
    await waitHttp(`${base}/v3`, ksChild, ksLog, 'keystone');
    const tokRes = await fetch(`${base}/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: ADMIN_PASSWORD } } },
          scope: { project: { name: 'admin', domain: { id: 'default' } } },
        },
      }),
      signal: AbortSignal.timeout(30_000),
    });
    const token = tokRes.headers.get('x-subject-token');
    const tokBody = (await tokRes.json()) as { token: { project: { id: string }; user: { id: string } } };
    if (!token) throw new Error(`Heat sandbox: Keystone admin token request failed (${tokRes.status})`);
    const adminProject = tokBody.token.project.id;

    type Id = { id: string };
    const roles = (await ks<{ roles: Array<Id & { name: string }> }>(base, token, 'GET', '/v3/roles')).roles;
    const roleId = async (name: string) =>
      roles.find((r) => r.name === name)?.id ?? (await ks<{ role: Id }>(base, token, 'POST', '/v3/roles', { role: { name } })).role.id;
    const adminRole = await roleId('admin');
    const ownerRole = await roleId('heat_stack_owner');
    await roleId('heat_stack_user');
    const service = (await ks<{ project: Id }>(base, token, 'POST', '/v3/projects', { project: { name: 'service', domain_id: 'default' } })).project.id;
    const heatUser = (await ks<{ user: Id }>(base, token, 'POST', '/v3/users', { user: { name: 'heat', password: heatPassword, domain_id: 'default' } })).user.id;
    await ks(base, token, 'PUT', `/v3/projects/${service}/users/${heatUser}/roles/${adminRole}`);
    await ks(base, token, 'PUT', `/v3/projects/${adminProject}/users/${tokBody.token.user.id}/roles/${ownerRole}`);
    const heatDomain = (await ks<{ domain: Id }>(base, token, 'POST', '/v3/domains', { domain: { name: 'heat', description: 'Heat stack users' } })).domain.id;
    const domAdmin = (await ks<{ user: Id }>(base, token, 'POST', '/v3/users', { user: { name: 'heat_domain_admin', password: domainAdminPassword, domain_id: heatDomain } })).user.id;
    await ks(base, token, 'PUT', `/v3/domains/${heatDomain}/users/${domAdmin}/roles/${adminRole}`);

    const { apiPort, pid } = await launchHeat(await heatPrep);
    pids.push(pid);
    const heatBase = `http://127.0.0.1:${apiPort}/v1/%(tenant_id)s`;
    const svc = (await ks<{ service: Id }>(base, token, 'POST', '/v3/services', { service: { name: 'heat', type: 'orchestration' } })).service.id;
    for (const iface of ['public', 'internal', 'admin']) {
      await ks(base, token, 'POST', '/v3/endpoints', { endpoint: { service_id: svc, interface: iface, url: heatBase, region_id: 'RegionOne' } });
    }
    return {
      heatUrl: `http://127.0.0.1:${apiPort}/v1/${adminProject}`,
      tenant: adminProject,
      keystoneUrl: `${base}/v3`,
      admin: { username: 'admin', password: ADMIN_PASSWORD, projectName: 'admin', userDomainName: 'Default', projectDomainName: 'Default' },
      dir,
      stop: makeStop(dir, pids, 'keystone'),
    };
  } catch (err) {
    for (const pid of pids) {
      killGroup(pid, 'SIGKILL');
      livePids.delete(pid);
    }
    appendFileSync(join(dir, 'harness-error.log'), String(err));
    throw err;
  }
}

// ---- Facade provider templates ----------------------------------------------------------------

interface HotParam {
  type: string;
  default?: unknown;
  constraints?: unknown;
  description?: string;
}
interface GeneratedHot {
  heat_template_version: string;
  parameters?: Record<string, HotParam>;
  resources?: Record<string, unknown>;
  outputs?: Record<string, { value: unknown; description?: string }>;
}

function defaultFor(type: string): unknown {
  switch (type) {
    case 'number':
      return 0;
    case 'boolean':
      return false;
    case 'json':
      return {};
    case 'comma_delimited_list':
      return [];
    default:
      return '';
  }
}

// A fake address the facade reports for every network it is attached to: 10.x.y.z from the
// digits of the facade stack's own id, so two members of a scaled group differ without one more
// resource per facade (every resource costs Heat time).
const FAKE_ADDR = {
  yaql: {
    expression:
      "let(d => $.data.id.toCharArray().where($ in '0123456789'.toCharArray()).take(6).join('') + '000000') -> " +
      "format('10.{0}.{1}.{2}', int($d.substring(0, 2)), int($d.substring(2, 2)), int($d.substring(4, 2)) + 1)",
    data: { id: { get_param: 'OS::stack_id' } },
  },
};

function outputFor(type: string, attr: string, params: Record<string, HotParam>): unknown {
  const nameValue = 'name' in params ? { get_param: 'name' } : { get_attr: ['snf_facade', 'output'] };
  switch (attr) {
    case 'first_address':
      return FAKE_ADDR;
    case 'name':
      return nameValue;
    case 'networks':
    case 'addresses': {
      // One entry per requested network, keyed by the network (or port) it names. Heat hands a
      // list of maps to a provider template as ".member.N.key=value" strings.
      const inner = attr === 'networks' ? '[$addr]' : '[dict(addr => $addr, version => 4)]';
      return {
        yaql: {
          expression:
            "let(addr => $.data.addr) -> dict($.data.nets.where($.split('=')[0].endsWith('.network') or " +
            `$.split('=')[0].endsWith('.port')).select([$.split('=', 1)[1], ${inner}]))`,
          data: { nets: 'networks' in params ? { get_param: 'networks' } : [], addr: FAKE_ADDR },
        },
      };
    }
    case 'fixed_ips':
      return [{ ip_address: FAKE_ADDR, subnet_id: 'fake-subnet' }];
    case 'mac_address':
      return 'fa:16:3e:00:00:01';
    case 'show':
      return { id: { get_resource: 'snf_facade' }, type, name: nameValue };
    default:
      return { get_attr: ['snf_facade', 'output'] };
  }
}

/**
 * Provider templates with the exact facade of real resource types (OS::Nova::Server,
 * OS::Neutron::Port, ...), generated by the sandbox's own Heat so its interface check passes.
 * Map a type in an environment's resource_registry to the returned file name and pass `files`.
 */
export async function facadeFiles(types: string[]): Promise<{ resource_registry: Record<string, string>; files: Record<string, string> }> {
  const sb = await heatSandbox();
  const resource_registry: Record<string, string> = {};
  const files: Record<string, string> = {};
  for (const type of types) {
    const r = await fetch(`${sb.heatUrl}/resource_types/${encodeURIComponent(type)}/template?template_type=hot`, {
      signal: AbortSignal.timeout(30_000),
    });
    if (!r.ok) throw new Error(`facadeFiles: Heat could not generate a template for ${type}: ${r.status} ${await r.text()}`);
    const gen = (await r.json()) as GeneratedHot;
    const params: Record<string, HotParam> = {};
    for (const [name, p] of Object.entries(gen.parameters ?? {})) {
      // Constraints are dropped: custom ones (nova.flavor, glance.image, ...) would call services
      // that do not exist here; the facade check compares only names, types and required-ness.
      params[name] = { type: p.type, default: p.default ?? defaultFor(p.type), ...(p.description ? { description: p.description } : {}) };
    }
    const outputs: Record<string, { value: unknown }> = {};
    for (const attr of Object.keys(gen.outputs ?? {})) {
      if (attr === 'OS::stack_id') continue;
      outputs[attr] = { value: outputFor(type, attr, params) };
    }
    // Hidden attributes are not in the generated template but templates still use them.
    if (type === 'OS::Nova::Server' && !outputs.first_address) outputs.first_address = { value: FAKE_ADDR };
    const template = {
      heat_template_version: '2018-08-31',
      description: `Test facade of ${type}: same properties and attributes, no backing service.`,
      parameters: params,
      resources: {
        // Addresses are computed in outputs only: during validation the stack id is still empty.
        snf_facade: { type: 'OS::Heat::TestResource', properties: { value: `facade of ${type}` } },
      },
      outputs,
    };
    const file = `facade-${type.replace(/::/g, '-').toLowerCase()}.yaml`;
    files[file] = JSON.stringify(template, null, 1);
    resource_registry[type] = file;
  }
  return { resource_registry, files };
}
