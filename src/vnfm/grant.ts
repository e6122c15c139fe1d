// Optional granting: before instantiate, scale and heal the VNFM asks the NFVO (SOL003 Grant
// API, /grant/v1/grants, as ONAP SO serves it). 201 grants at once; 202 means "ask again at
// Location"; 403 rejects the operation.
import type { ApiSchemas } from './schema.js';
import type { Json, LcmOperation } from './types.js';

export class GrantRejected extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'GrantRejected';
  }
}

export interface GrantInput {
  vnfInstanceId: string;
  vnfLcmOpOccId: string;
  vnfdId: string;
  flavourId?: string;
  operation: LcmOperation;
  isAutomaticInvocation: boolean;
  links: { vnfInstance: string; vnfLcmOpOcc: string };
}

export interface GrantClient {
  /** Resolves with the grant id; throws GrantRejected when the NFVO says no. */
  grant(g: GrantInput, signal?: AbortSignal): Promise<string>;
}

export interface HttpGrantOptions {
  /** NFVO base URL; the client posts to {url}/grant/v1/grants */
  url: string;
  /** value of the Authorization header, e.g. "Basic ..." */
  authorization?: string;
  timeoutMs?: number;
  pollMs?: number;
  schema?: ApiSchemas;
}

export class HttpGrantClient implements GrantClient {
  constructor(private readonly o: HttpGrantOptions) {}

  async grant(g: GrantInput, signal?: AbortSignal): Promise<string> {
    const body: Json = {
      vnfInstanceId: g.vnfInstanceId,
      vnfLcmOpOccId: g.vnfLcmOpOccId,
      vnfdId: g.vnfdId,
      ...(g.flavourId ? { flavourId: g.flavourId } : {}),
      operation: g.operation,
      isAutomaticInvocation: g.isAutomaticInvocation,
      _links: { vnfInstance: { href: g.links.vnfInstance }, vnfLcmOpOcc: { href: g.links.vnfLcmOpOcc } },
    };
    const errors = this.o.schema?.request('POST', '/grants', body) ?? [];
    if (errors.length) throw new Error(`grant request not valid: ${errors.join('; ')}`);
    const timeoutMs = this.o.timeoutMs ?? 30_000;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', version: '1.0.0' };
    if (this.o.authorization) headers.authorization = this.o.authorization;
    const base = this.o.url.replace(/\/$/, '');
    let r = await fetch(`${base}/grant/v1/grants`, { method: 'POST', headers, body: JSON.stringify(body), signal: signal ?? AbortSignal.timeout(timeoutMs) });
    const deadline = Date.now() + timeoutMs;
    while (r.status === 202) {
      const loc = r.headers.get('location');
      await r.arrayBuffer();
      if (!loc) throw new Error('grant: 202 without Location');
      if (Date.now() > deadline) throw new Error(`grant: no decision within ${timeoutMs} ms`);
      await new Promise((res) => setTimeout(res, this.o.pollMs ?? 1000));
      r = await fetch(new URL(loc, base), { headers, signal: signal ?? AbortSignal.timeout(timeoutMs) });
    }
    const text = await r.text();
    if (r.status === 403) throw new GrantRejected(`the NFVO rejected the grant: ${text.slice(0, 500)}`);
    if (r.status !== 201 && r.status !== 200) throw new Error(`grant: NFVO answered ${r.status}: ${text.slice(0, 500)}`);
    const id = (JSON.parse(text) as { id?: unknown }).id;
    if (typeof id !== 'string') throw new Error('grant: the NFVO answered without a grant id');
    return id;
  }
}
