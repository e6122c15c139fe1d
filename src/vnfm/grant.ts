// Optional granting: before instantiate, scale and heal the VNFM asks the NFVO (SOL003 Grant
// API, /grant/v1/grants, as ONAP SO serves it). 201 grants at once; 202 means "ask again at
// Location"; 403 rejects the operation.
import type { ApiSchemas } from './schema.js';
import type { GrantPlacement, Json, LcmOperation } from './types.js';

export type { GrantPlacement };

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

export interface GrantResult {
  id: string;
  placement: GrantPlacement;
}

export interface GrantClient {
  /** Resolves with the grant; throws GrantRejected when the NFVO says no. */
  grant(g: GrantInput, signal?: AbortSignal): Promise<GrantResult>;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function objects(v: unknown): Array<Record<string, unknown>> {
  return Array.isArray(v) ? v.filter(isObj) : [];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * The grant's zones and VIM assets as VIM placement. Our VNFDs name a VDU's compute descriptor
 * and software image after the VDU (Tacker's convention: VDU1), so both map onto the VDU. A zone
 * that addResources ties to a VDU's id places that VDU; otherwise the first zone places all.
 */
export function placementOf(grant: Record<string, unknown>): GrantPlacement {
  const zones = new Map(objects(grant.zones).flatMap((z) => (str(z.id) && str(z.zoneId) ? [[z.id as string, z.zoneId as string] as const] : [])));
  const vdus: Record<string, { flavor?: string; image?: string; zone?: string }> = Object.create(null) as Record<string, { flavor?: string; image?: string; zone?: string }>;
  const at = (vdu: string) => (vdus[vdu] ??= {});
  const assets = isObj(grant.vimAssets) ? grant.vimAssets : {};
  for (const f of objects(assets.computeResourceFlavours)) {
    const vdu = str(f.vnfdVirtualComputeDescId);
    const flavor = str(f.vimFlavourId);
    if (vdu && flavor) at(vdu).flavor = flavor;
  }
  for (const i of objects(assets.softwareImages)) {
    const vdu = str(i.vnfdSoftwareImageId);
    const image = str(i.vimSoftwareImageId);
    if (vdu && image) at(vdu).image = image;
  }
  let first: string | undefined = zones.values().next().value;
  for (const r of objects(grant.addResources)) {
    const zone = zones.get(str(r.zoneId) ?? '');
    if (!zone) continue;
    first ??= zone;
    const def = str(r.resourceDefinitionId);
    if (def && /^VDU/i.test(def)) at(def).zone = zone;
  }
  return { ...(first ? { zone: first } : {}), ...(Object.keys(vdus).length ? { vdus: { ...vdus } } : {}) };
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

  async grant(g: GrantInput, signal?: AbortSignal): Promise<GrantResult> {
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
    let grant: unknown;
    try {
      grant = JSON.parse(text);
    } catch {
      throw new Error(`grant: the NFVO's answer is not JSON: ${text.slice(0, 200)}`);
    }
    if (!isObj(grant) || typeof grant.id !== 'string') throw new Error('grant: the NFVO answered without a grant id');
    return { id: grant.id, placement: placementOf(grant) };
  }
}
