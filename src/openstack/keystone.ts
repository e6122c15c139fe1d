// Keystone v3 authentication: password, token and application-credential methods, the service
// catalog of the issued token, and renewal shortly before the token expires (or at once after a
// service answered 401), so a long LCM operation never runs into an expired token.
import type { AuthOptions, CloudConfig, Interface } from './config.js';
import { OpenStackConfigError, OpenStackResponseError } from './errors.js';
import { DEFAULT_HTTP, httpRequest, type HttpOptions } from './http.js';

export interface CatalogEndpoint {
  id?: string;
  interface: string;
  region?: string | null;
  region_id?: string | null;
  url: string;
}

export interface CatalogEntry {
  id?: string;
  type: string;
  name?: string;
  endpoints: CatalogEndpoint[];
}

export interface IssuedToken {
  value: string;
  expiresAt: number;
  issuedAt: number;
  userId?: string;
  projectId?: string;
  projectName?: string;
  roles: string[];
  catalog: CatalogEntry[];
}

export interface EndpointQuery {
  interface?: Interface;
  region?: string;
}

/** What a Session needs from an authentication method. */
export interface Auth {
  /** the X-Auth-Token to send, or undefined when the endpoints need none */
  token(signal?: AbortSignal): Promise<string | undefined>;
  /** base URL of a service type from the catalog (or the configured endpoint) */
  endpoint(serviceType: string, q?: EndpointQuery): Promise<string>;
  /** forget the current token: the next call authenticates again */
  invalidate(): void;
  /** whether invalidate() + token() can produce a different, valid token */
  readonly canReauthenticate: boolean;
}

/** No Keystone: every service has an explicit endpoint (Heat with paste flavor noauth). */
export class NoAuth implements Auth {
  readonly canReauthenticate = false;
  constructor(
    private readonly endpoints: Record<string, string>,
    private readonly fallback?: string,
  ) {}
  async token(): Promise<undefined> {
    return undefined;
  }
  async endpoint(serviceType: string): Promise<string> {
    const url = this.endpoints[serviceType.replace(/-/g, '_')] ?? this.fallback;
    if (!url) throw new OpenStackConfigError(`no endpoint configured for service "${serviceType}" (auth_type none)`);
    return url.replace(/\/+$/, '');
  }
  invalidate(): void {}
}

export interface KeystoneOptions {
  /** renew this long before expires_at */
  refreshMarginMs?: number;
  http?: HttpOptions;
  now?: () => number;
}

export function v3Url(authUrl: string): string {
  const u = authUrl.replace(/\/+$/, '');
  return /\/v3$/.test(u) ? u : `${u}/v3`;
}

interface TokenBody {
  token?: {
    expires_at?: string;
    issued_at?: string;
    user?: { id?: string };
    project?: { id?: string; name?: string };
    roles?: Array<{ name?: string }>;
    catalog?: CatalogEntry[];
  };
}

function domain(id?: string, name?: string): { id: string } | { name: string } | undefined {
  return id ? { id } : name ? { name } : undefined;
}

/** The POST /v3/auth/tokens body for the configured method. */
export function authRequestBody(method: 'password' | 'token' | 'v3applicationcredential', a: AuthOptions): Record<string, unknown> {
  let identity: Record<string, unknown>;
  if (method === 'password') {
    const user: Record<string, unknown> = a.user_id ? { id: a.user_id } : { name: a.username, domain: domain(a.user_domain_id, a.user_domain_name) };
    user.password = a.password;
    identity = { methods: ['password'], password: { user } };
  } else if (method === 'token') {
    identity = { methods: ['token'], token: { id: a.token } };
  } else {
    const cred: Record<string, unknown> = { secret: a.application_credential_secret };
    if (a.application_credential_id) cred.id = a.application_credential_id;
    else {
      cred.name = a.application_credential_name;
      cred.user = a.user_id ? { id: a.user_id } : { name: a.username, domain: domain(a.user_domain_id, a.user_domain_name) };
    }
    // An application credential carries its own scope; Keystone rejects an explicit one.
    return { auth: { identity: { methods: ['application_credential'], application_credential: cred } } };
  }
  let scope: Record<string, unknown> | undefined;
  if (a.project_id) scope = { project: { id: a.project_id } };
  else if (a.project_name) scope = { project: { name: a.project_name, domain: domain(a.project_domain_id, a.project_domain_name) } };
  else if (a.domain_id || a.domain_name) scope = { domain: domain(a.domain_id, a.domain_name) };
  else if (a.system_scope) scope = { system: { [a.system_scope]: true } };
  return { auth: scope ? { identity, scope } : { identity } };
}

export class KeystoneAuth implements Auth {
  readonly canReauthenticate: boolean;
  private current?: IssuedToken;
  private pending?: Promise<IssuedToken>;
  private readonly margin: number;
  private readonly http: HttpOptions;
  private readonly now: () => number;
  private readonly url: string;

  constructor(
    private readonly cfg: Pick<CloudConfig, 'authType' | 'auth' | 'interface' | 'regionName' | 'endpointOverrides'>,
    opts: KeystoneOptions = {},
  ) {
    if (cfg.authType === 'none') throw new OpenStackConfigError('KeystoneAuth needs an auth_type other than none');
    if (!cfg.auth.auth_url) throw new OpenStackConfigError('auth_url is required');
    this.url = v3Url(cfg.auth.auth_url);
    this.margin = opts.refreshMarginMs ?? 60_000;
    this.http = opts.http ?? DEFAULT_HTTP;
    this.now = opts.now ?? Date.now;
    // A plain token cannot be renewed: re-posting it yields the same expiry.
    this.canReauthenticate = cfg.authType !== 'token';
  }

  /** The token, authenticating if there is none or it expires within the refresh margin. */
  async issued(signal?: AbortSignal): Promise<IssuedToken> {
    const t = this.current;
    if (t && t.expiresAt - this.now() > Math.min(this.margin, (t.expiresAt - t.issuedAt) / 2)) return t;
    this.pending ??= this.authenticate(signal).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  async token(signal?: AbortSignal): Promise<string> {
    return (await this.issued(signal)).value;
  }

  invalidate(): void {
    this.current = undefined;
  }

  async endpoint(serviceType: string, q: EndpointQuery = {}): Promise<string> {
    const override = this.cfg.endpointOverrides[serviceType.replace(/-/g, '_')];
    if (override) return override;
    if (serviceType === 'identity') return this.url;
    const { catalog } = await this.issued();
    return selectEndpoint(catalog, serviceType, q.interface ?? this.cfg.interface, q.region ?? this.cfg.regionName);
  }

  private async authenticate(signal?: AbortSignal): Promise<IssuedToken> {
    const method = this.cfg.authType as 'password' | 'token' | 'v3applicationcredential';
    const url = `${this.url}/auth/tokens`;
    const res = await httpRequest<TokenBody>(
      { method: 'POST', url, service: 'identity', json: authRequestBody(method, this.cfg.auth), signal, idempotent: true },
      this.http,
    );
    const value = res.headers.get('x-subject-token');
    const tok = res.body?.token;
    const expiresAt = tok?.expires_at ? Date.parse(tok.expires_at) : NaN;
    if (!value || !tok || !Number.isFinite(expiresAt)) {
      throw new OpenStackResponseError({ method: 'POST', url, service: 'identity' }, res.status, 'no X-Subject-Token or token.expires_at', res.requestId);
    }
    const issuedAt = tok.issued_at ? Date.parse(tok.issued_at) : this.now();
    this.current = {
      value,
      expiresAt,
      issuedAt: Number.isFinite(issuedAt) ? Math.min(issuedAt, this.now()) : this.now(),
      userId: tok.user?.id,
      projectId: tok.project?.id,
      projectName: tok.project?.name,
      roles: (tok.roles ?? []).map((r) => r.name ?? '').filter(Boolean),
      catalog: tok.catalog ?? [],
    };
    return this.current;
  }
}

/** The URL of a service type for an interface and region; a clear error lists what exists. */
export function selectEndpoint(catalog: CatalogEntry[], serviceType: string, iface: Interface, region?: string): string {
  const entries = catalog.filter((e) => e.type === serviceType);
  if (entries.length === 0) {
    const types = [...new Set(catalog.map((e) => e.type))].sort();
    throw new OpenStackConfigError(`service "${serviceType}" is not in the catalog (has: ${types.join(', ') || 'nothing; is the token scoped?'})`);
  }
  const all = entries.flatMap((e) => e.endpoints);
  const match = all.find(
    (ep) => ep.interface.replace(/URL$/i, '').toLowerCase() === iface && (!region || ep.region_id === region || ep.region === region),
  );
  if (!match) {
    const have = all.map((ep) => `${ep.interface}@${ep.region_id ?? ep.region ?? '-'}`).join(', ');
    throw new OpenStackConfigError(`no ${iface} endpoint of "${serviceType}"${region ? ` in region ${region}` : ''} (has: ${have})`);
  }
  return match.url.replace(/\/+$/, '');
}
