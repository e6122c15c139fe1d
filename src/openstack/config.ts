// Cloud credentials the way openstacksdk finds them, so a user's existing clouds.yaml and
// openrc files work unchanged:
// - clouds.yaml: $OS_CLIENT_CONFIG_FILE, ./clouds.yaml, ~/.config/openstack/clouds.yaml,
//   /etc/openstack/clouds.yaml (the first found wins); secure.yaml from the same places
//   ($OS_CLIENT_SECURE_FILE first) is deep-merged over it, so passwords can live apart;
// - OS_* variables form a cloud named "envvars" (keys lower-cased without OS_);
// - the cloud used: the explicit name, else $OS_CLOUD, else "envvars" if OS_* variables set
//   credentials, else the only cloud in clouds.yaml.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { loadYaml, YAML_SCHEMAS, yamlErrorReason } from '../util/safe-yaml.js';
import { OpenStackConfigError } from './errors.js';

export type AuthType = 'password' | 'token' | 'v3applicationcredential' | 'none';
export type Interface = 'public' | 'internal' | 'admin';

export interface AuthOptions {
  auth_url?: string;
  username?: string;
  user_id?: string;
  password?: string;
  project_name?: string;
  project_id?: string;
  user_domain_name?: string;
  user_domain_id?: string;
  project_domain_name?: string;
  project_domain_id?: string;
  domain_name?: string;
  domain_id?: string;
  system_scope?: string;
  token?: string;
  application_credential_id?: string;
  application_credential_name?: string;
  application_credential_secret?: string;
  /** auth_type none: the one endpoint every service call goes to (keystoneauth's noauth plugin) */
  endpoint?: string;
}

export interface CloudConfig {
  name: string;
  authType: AuthType;
  auth: AuthOptions;
  regionName?: string;
  interface: Interface;
  /** service type (with '-' as '_', e.g. nfv_orchestration) -> endpoint URL, skipping the catalog */
  endpointOverrides: Record<string, string>;
  /** api_timeout in ms */
  timeoutMs?: number;
}

const AUTH_KEYS = new Set<string>([
  'auth_url', 'username', 'user_id', 'password', 'project_name', 'project_id', 'tenant_name', 'tenant_id',
  'user_domain_name', 'user_domain_id', 'project_domain_name', 'project_domain_id', 'domain_name', 'domain_id',
  'default_domain_name', 'default_domain_id', 'system_scope', 'token', 'application_credential_id',
  'application_credential_name', 'application_credential_secret', 'endpoint',
]);
// OS_* variables that select configuration rather than describe a cloud
const NOT_CLOUD_KEYS = new Set(['cloud', 'cloud_name', 'client_config_file', 'client_secure_file']);

export interface LoadOptions {
  cloud?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  home?: string;
}

type Raw = Record<string, unknown>;

function isRecord(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function firstExisting(paths: Array<string | undefined>): string | undefined {
  return paths.find((p): p is string => !!p && existsSync(p));
}

function readYaml(path: string): Raw {
  let doc: unknown;
  try {
    // clouds.yaml is written for openstacksdk (PyYAML safe_load): the default schema, merge keys included.
    doc = loadYaml(readFileSync(path, 'utf8'), { schema: YAML_SCHEMAS.default, source: path });
  } catch (err) {
    throw new OpenStackConfigError(`${path}: not valid YAML: ${yamlErrorReason(err)}`);
  }
  if (doc === undefined || doc === null) return {};
  if (!isRecord(doc)) throw new OpenStackConfigError(`${path}: expected a mapping with a "clouds" key`);
  return doc;
}

function deepMerge(base: Raw, over: Raw): Raw {
  const out: Raw = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isRecord(v) && isRecord(out[k]) ? deepMerge(out[k] as Raw, v) : v;
  return out;
}

/** The clouds defined in clouds.yaml (+ secure.yaml), and the files they came from. */
export function loadCloudsFile(opts: LoadOptions = {}): { clouds: Record<string, Raw>; files: string[] } {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const home = opts.home ?? homedir();
  const dirs = [cwd, join(home, '.config', 'openstack'), '/etc/openstack'];
  const cloudsFile = firstExisting([env.OS_CLIENT_CONFIG_FILE, ...dirs.map((d) => join(d, 'clouds.yaml')), ...dirs.map((d) => join(d, 'clouds.yml'))]);
  const secureFile = firstExisting([env.OS_CLIENT_SECURE_FILE, ...dirs.map((d) => join(d, 'secure.yaml')), ...dirs.map((d) => join(d, 'secure.yml'))]);
  let doc: Raw = cloudsFile ? readYaml(cloudsFile) : {};
  if (secureFile) doc = deepMerge(doc, readYaml(secureFile));
  const clouds = isRecord(doc.clouds) ? (doc.clouds as Record<string, Raw>) : {};
  return { clouds, files: [cloudsFile, secureFile].filter((f): f is string => !!f) };
}

/** OS_* variables as an openstacksdk cloud dict: { auth: {...}, region_name, ... }; undefined if none. */
export function envCloud(env: NodeJS.ProcessEnv = process.env): Raw | undefined {
  const cloud: Raw = {};
  const auth: Raw = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('OS_') || value === undefined || value === '') continue;
    const key = name.slice(3).toLowerCase();
    if (NOT_CLOUD_KEYS.has(key)) continue;
    if (AUTH_KEYS.has(key)) auth[key] = value;
    else cloud[key] = value;
  }
  // Only a region or interface is not a cloud: openstacksdk wants something that authenticates.
  if (Object.keys(auth).length === 0 && !cloud.auth_type) return undefined;
  cloud.auth = auth;
  return cloud;
}

function normAuthType(raw: unknown, auth: AuthOptions): AuthType {
  const t = typeof raw === 'string' ? raw.toLowerCase() : '';
  switch (t) {
    case '':
      if (auth.application_credential_id || auth.application_credential_name) return 'v3applicationcredential';
      if (auth.token && !auth.password) return 'token';
      return 'password';
    case 'password':
    case 'v3password':
      return 'password';
    case 'token':
    case 'v3token':
      return 'token';
    case 'v3applicationcredential':
    case 'applicationcredential':
      return 'v3applicationcredential';
    case 'none':
    case 'noauth':
      return 'none';
    default:
      throw new OpenStackConfigError(`auth_type "${t}" is not supported (password, token, v3applicationcredential, none)`);
  }
}

function normInterface(raw: unknown): Interface {
  const v = typeof raw === 'string' ? raw.toLowerCase().replace(/url$/, '') : 'public';
  if (v === 'public' || v === 'internal' || v === 'admin') return v;
  throw new OpenStackConfigError(`interface "${String(raw)}" must be public, internal or admin`);
}

/** Turns an openstacksdk cloud dict into a checked CloudConfig. */
export function toCloudConfig(name: string, raw: Raw): CloudConfig {
  const authRaw: Raw = isRecord(raw.auth) ? { ...raw.auth } : {};
  // Auth keys written at the top level of a cloud are accepted too, as openstacksdk does.
  for (const k of Object.keys(raw)) if (AUTH_KEYS.has(k) && authRaw[k] === undefined) authRaw[k] = raw[k];
  const auth: AuthOptions = {};
  for (const [k, v] of Object.entries(authRaw)) {
    if (v === undefined || v === null) continue;
    (auth as Record<string, string>)[k] = String(v);
  }
  const a = auth as AuthOptions & Record<string, string | undefined>;
  // Old names and defaults openstacksdk still honours.
  a.project_name ??= a.tenant_name;
  a.project_id ??= a.tenant_id;
  delete a.tenant_name;
  delete a.tenant_id;
  a.user_domain_id ??= a.default_domain_id;
  a.project_domain_id ??= a.default_domain_id;
  a.user_domain_name ??= a.default_domain_name;
  a.project_domain_name ??= a.default_domain_name;
  delete a.default_domain_id;
  delete a.default_domain_name;
  if (a.project_name || a.project_id) {
    // With a project scope, domain_* names the domain of the user and project (openstacksdk).
    if (!a.user_domain_id && !a.user_domain_name) {
      if (a.domain_id) a.user_domain_id = a.domain_id;
      else if (a.domain_name) a.user_domain_name = a.domain_name;
    }
    if (!a.project_domain_id && !a.project_domain_name) {
      if (a.domain_id) a.project_domain_id = a.domain_id;
      else if (a.domain_name) a.project_domain_name = a.domain_name;
    }
    delete a.domain_id;
    delete a.domain_name;
  }
  const authType = normAuthType(raw.auth_type, auth);
  const endpointOverrides: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    const m = /^(.+)_endpoint_override$/.exec(k);
    if (m && typeof v === 'string' && v) endpointOverrides[m[1].replace(/-/g, '_')] = v.replace(/\/+$/, '');
  }
  const timeout = raw.api_timeout ?? raw.timeout;
  const cfg: CloudConfig = {
    name,
    authType,
    auth,
    regionName: typeof raw.region_name === 'string' && raw.region_name ? raw.region_name : undefined,
    interface: normInterface(raw.interface ?? raw.endpoint_type),
    endpointOverrides,
    timeoutMs: timeout !== undefined && Number.isFinite(Number(timeout)) ? Number(timeout) * 1000 : undefined,
  };
  checkConfig(cfg);
  return cfg;
}

function checkConfig(cfg: CloudConfig): void {
  const a = cfg.auth;
  const where = `cloud "${cfg.name}"`;
  if (cfg.authType === 'none') {
    if (!a.endpoint && Object.keys(cfg.endpointOverrides).length === 0) {
      throw new OpenStackConfigError(`${where}: auth_type none needs auth.endpoint or <service>_endpoint_override`);
    }
    return;
  }
  if (!a.auth_url) throw new OpenStackConfigError(`${where}: auth.auth_url (OS_AUTH_URL) is required`);
  if (cfg.authType === 'password') {
    if (!a.username && !a.user_id) throw new OpenStackConfigError(`${where}: auth.username or auth.user_id (OS_USERNAME) is required`);
    if (!a.password) throw new OpenStackConfigError(`${where}: auth.password (OS_PASSWORD) is required`);
    if (a.username && !a.user_id && !a.user_domain_id && !a.user_domain_name) {
      throw new OpenStackConfigError(`${where}: auth.user_domain_name or user_domain_id (OS_USER_DOMAIN_NAME) is required with a user name`);
    }
  }
  if (cfg.authType === 'token' && !a.token) throw new OpenStackConfigError(`${where}: auth.token (OS_TOKEN) is required`);
  if (cfg.authType === 'v3applicationcredential') {
    if (!a.application_credential_secret) {
      throw new OpenStackConfigError(`${where}: auth.application_credential_secret (OS_APPLICATION_CREDENTIAL_SECRET) is required`);
    }
    if (!a.application_credential_id && !(a.application_credential_name && (a.user_id || a.username))) {
      throw new OpenStackConfigError(`${where}: auth.application_credential_id, or a credential name with its user, is required`);
    }
  }
}

/** The cloud to use, from clouds.yaml/secure.yaml and OS_* variables (see the file comment). */
export function loadCloudConfig(opts: LoadOptions = {}): CloudConfig {
  const env = opts.env ?? process.env;
  const { clouds, files } = loadCloudsFile(opts);
  const fromEnv = envCloud(env);
  const wanted = opts.cloud ?? (env.OS_CLOUD || undefined);
  if (wanted) {
    const raw = clouds[wanted];
    if (!raw) {
      const known = Object.keys(clouds);
      throw new OpenStackConfigError(
        `cloud "${wanted}" not found in ${files.length ? files.join(', ') : 'any clouds.yaml'}` +
          (known.length ? ` (clouds: ${known.join(', ')})` : ''),
      );
    }
    // openstacksdk applies OS_REGION_NAME / OS_INTERFACE to a named cloud when it sets none.
    const merged: Raw = { ...raw };
    if (merged.region_name === undefined && env.OS_REGION_NAME) merged.region_name = env.OS_REGION_NAME;
    if (merged.interface === undefined && env.OS_INTERFACE) merged.interface = env.OS_INTERFACE;
    return toCloudConfig(wanted, merged);
  }
  if (fromEnv) return toCloudConfig(env.OS_CLOUD_NAME || 'envvars', fromEnv);
  const names = Object.keys(clouds);
  if (names.length === 1) return toCloudConfig(names[0], clouds[names[0]]);
  if (names.length > 1) throw new OpenStackConfigError(`several clouds in ${files[0]} (${names.join(', ')}): choose one with --os-cloud or OS_CLOUD`);
  throw new OpenStackConfigError('no OpenStack credentials: set OS_CLOUD with a clouds.yaml, or OS_AUTH_URL and the other OS_* variables');
}
