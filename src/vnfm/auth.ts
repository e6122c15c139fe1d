// Who may call the VNFM: HTTP Basic users, OAuth2 client-credentials clients (SOL013 clause 8:
// the VNFM runs its own token endpoint), or static bearer tokens (the Tacker hook shim sends one).
// Issued tokens are HMAC-signed and carry their expiry, so they need no storage and survive a
// restart when the signing key is configured.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ApiError } from './problem.js';
import { own } from './own.js';

export interface AuthConfig {
  /** user -> password for HTTP Basic */
  basic?: Record<string, string>;
  /** client id -> secret for the token endpoint */
  oauth2Clients?: Record<string, string>;
  /** lifetime of an issued token (default 3600 s) */
  tokenTtlS?: number;
  /** HMAC key of issued tokens (default: random per process) */
  tokenKey?: string;
  /** bearer tokens accepted as they are */
  staticTokens?: string[];
}

function eq(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class Authenticator {
  private readonly key: Buffer;

  constructor(readonly cfg: AuthConfig | undefined) {
    this.key = cfg?.tokenKey ? Buffer.from(cfg.tokenKey) : randomBytes(32);
  }

  get enabled(): boolean {
    const c = this.cfg;
    return !!c && (Object.keys(c.basic ?? {}).length > 0 || Object.keys(c.oauth2Clients ?? {}).length > 0 || (c.staticTokens ?? []).length > 0);
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }

  issue(clientId: string, now = Date.now()): { access_token: string; token_type: 'Bearer'; expires_in: number } {
    const ttl = this.cfg?.tokenTtlS ?? 3600;
    const payload = Buffer.from(JSON.stringify({ sub: clientId, exp: Math.floor(now / 1000) + ttl })).toString('base64url');
    return { access_token: `${payload}.${this.sign(payload)}`, token_type: 'Bearer', expires_in: ttl };
  }

  private bearerOk(token: string): boolean {
    if ((this.cfg?.staticTokens ?? []).some((t) => eq(t, token))) return true;
    const [payload, sig] = token.split('.');
    if (!payload || !sig || !eq(sig, this.sign(payload))) return false;
    try {
      const { sub, exp } = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { sub: string; exp: number };
      return typeof exp === 'number' && exp * 1000 > Date.now() && typeof sub === 'string' && own(this.cfg?.oauth2Clients, sub) !== undefined;
    } catch {
      return false;
    }
  }

  /** Throws 401 unless the request carries valid credentials (or auth is off). */
  check(req: IncomingMessage): void {
    if (!this.enabled) return;
    const h = req.headers.authorization ?? '';
    const [scheme, cred] = h.split(/\s+/, 2);
    if (/^bearer$/i.test(scheme ?? '') && cred && this.bearerOk(cred)) return;
    if (/^basic$/i.test(scheme ?? '') && cred) {
      const [user, ...rest] = Buffer.from(cred, 'base64').toString().split(':');
      const pw = own(this.cfg?.basic, user);
      if (pw !== undefined && eq(pw, rest.join(':'))) return;
    }
    const schemes = [Object.keys(this.cfg?.basic ?? {}).length ? 'Basic realm="snf-vnfm"' : '', 'Bearer realm="snf-vnfm"'].filter(Boolean).join(', ');
    throw new ApiError(401, 'missing or invalid credentials', { 'www-authenticate': schemes });
  }

  /** The token endpoint: grant_type=client_credentials, client authenticated by Basic or form fields. */
  token(req: IncomingMessage, form: URLSearchParams): { status: number; body: Record<string, unknown> } {
    if (form.get('grant_type') !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type' } };
    let id = form.get('client_id') ?? '';
    let secret = form.get('client_secret') ?? '';
    const h = req.headers.authorization ?? '';
    if (/^basic\s/i.test(h)) {
      const [u, ...rest] = Buffer.from(h.slice(6).trim(), 'base64').toString().split(':');
      // RFC 6749 2.3.1: both halves are form-urlencoded; a bad escape is a malformed request.
      try {
        id = decodeURIComponent(u);
        secret = decodeURIComponent(rest.join(':'));
      } catch {
        return { status: 400, body: { error: 'invalid_request', error_description: 'Authorization: Basic credentials are not valid form-urlencoding' } };
      }
    }
    const want = own(this.cfg?.oauth2Clients, id);
    if (want === undefined || !eq(want, secret)) return { status: 401, body: { error: 'invalid_client' } };
    return { status: 200, body: this.issue(id) };
  }
}
