// A Session is what every service client talks through: it resolves the service's endpoint,
// adds the token, and when a service answers 401 (token revoked or expired under us) it
// authenticates again and repeats the request once. A 401 means the service did nothing, so
// repeating even a POST is safe.
import { loadCloudConfig, type CloudConfig, type LoadOptions } from './config.js';
import { OpenStackHttpError } from './errors.js';
import { DEFAULT_HTTP, httpRequest, type HttpOptions, type HttpRequest, type HttpResponse, type Method } from './http.js';
import { KeystoneAuth, NoAuth, type Auth, type KeystoneOptions } from './keystone.js';

export interface ServiceRequest {
  headers?: Record<string, string>;
  json?: unknown;
  body?: Uint8Array | string;
  expect?: HttpRequest['expect'];
  timeoutMs?: number;
  idempotent?: boolean;
  signal?: AbortSignal;
  query?: Record<string, string | number | boolean | undefined>;
}

export class Session {
  readonly http: HttpOptions;
  constructor(
    readonly auth: Auth,
    http: Partial<HttpOptions> = {},
  ) {
    this.http = { ...DEFAULT_HTTP, ...http };
  }

  /** From a CloudConfig (clouds.yaml / OS_*). */
  static fromConfig(cfg: CloudConfig, opts: { http?: Partial<HttpOptions>; keystone?: Omit<KeystoneOptions, 'http'> } = {}): Session {
    const http = { ...DEFAULT_HTTP, ...(cfg.timeoutMs ? { timeoutMs: cfg.timeoutMs } : {}), ...opts.http };
    const auth = cfg.authType === 'none' ? new NoAuth(cfg.endpointOverrides, cfg.auth.endpoint) : new KeystoneAuth(cfg, { ...opts.keystone, http });
    return new Session(auth, http);
  }

  /** Loads the cloud (see config.ts for the lookup order) and builds a Session for it. */
  static fromEnvironment(opts: LoadOptions & { http?: Partial<HttpOptions> } = {}): Session {
    return Session.fromConfig(loadCloudConfig(opts), { http: opts.http });
  }

  /** No Keystone; explicit endpoints per service type (e.g. { orchestration: heatUrl }). */
  static noauth(endpoints: Record<string, string>, http: Partial<HttpOptions> = {}): Session {
    return new Session(new NoAuth(endpoints), http);
  }

  endpoint(serviceType: string): Promise<string> {
    return this.auth.endpoint(serviceType);
  }

  /** path is relative to the service endpoint (leading '/') or an absolute URL. */
  async request<T = unknown>(service: string, method: Method, path: string, r: ServiceRequest = {}): Promise<HttpResponse<T>> {
    let url = /^https?:\/\//.test(path) ? path : `${await this.auth.endpoint(service)}${path}`;
    if (r.query) {
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(r.query)) if (v !== undefined) qs.append(k, String(v));
      const s = qs.toString();
      if (s) url += (url.includes('?') ? '&' : '?') + s;
    }
    for (let attempt = 0; ; attempt++) {
      const token = await this.auth.token(r.signal);
      const headers: Record<string, string> = { ...r.headers };
      if (token) headers['x-auth-token'] = token;
      try {
        return await httpRequest<T>(
          { method, url, service, headers, json: r.json, body: r.body, expect: r.expect, timeoutMs: r.timeoutMs, idempotent: r.idempotent, signal: r.signal },
          this.http,
        );
      } catch (err) {
        if (attempt === 0 && err instanceof OpenStackHttpError && err.status === 401 && this.auth.canReauthenticate) {
          this.auth.invalidate();
          continue;
        }
        throw err;
      }
    }
  }
}
