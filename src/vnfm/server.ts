// The HTTP face of the VNFM: SOL003 VNF LCM at /vnflcm/v2 (and /vnflcm/v1, the dialect ONAP SO's
// SOL003 adapter speaks), the OAuth2 token endpoint, Tacker hooks and Alertmanager webhooks.
// Every body in and out is checked against the standard's schema; every error is a
// ProblemDetails.
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Authenticator, type AuthConfig } from './auth.js';
import { matchFilter, parseFilter } from './filter.js';
import { handleAlerts, type TackerHooks } from './hooks.js';
import type { Lcm } from './lcm.js';
import type { Notifier } from './notify.js';
import { ApiError, badRequest, notFound, toProblem } from './problem.js';
import { renderOp, renderSub, renderVnf } from './render.js';
import { EXCLUDED_BY_DEFAULT, parseSelector } from './selectors.js';
import { productSchemas, type ApiSchemas, type Dialect } from './schema.js';
import type { Json, Subscription } from './types.js';
import { randomUUID } from 'node:crypto';

export const API_VERSION: Record<Dialect, string> = { v2: '2.0.0', v1: '1.3.0' };

export interface VnfmServerOptions {
  lcm: Lcm;
  notifier: Notifier;
  hooks?: TackerHooks;
  auth?: AuthConfig;
  tls?: { cert: string | Buffer; key: string | Buffer };
  host?: string;
  port?: number;
  /** what links point at; default the address the server listens on */
  publicUrl?: string;
  /** check responses too: 'enforce' turns an invalid one into a 500 (tests), 'log' only reports it */
  responseValidation?: 'off' | 'log' | 'enforce';
  /** SOL003: test the callback URI with a GET before creating a subscription (default true) */
  testCallbacks?: boolean;
  /** SOL013 5.4 paging: items per page of every list (default 100) */
  pageSize?: number;
  log?: (msg: string) => void;
}

/**
 * A handler mounted beside the SOL003 API (e.g. a live view): it answers true when it took the
 * request, false to let the API have it. It runs before authentication and does its own.
 */
export type ExtraHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean> | boolean;

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  dialect: Dialect;
  /** the operation's path in the API document, e.g. /vnf_instances/{vnfInstanceId} */
  template: string;
  params: string[];
  body: unknown;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type Handler = (c: Ctx) => Promise<Reply>;

const MAX_BODY = 1 << 20;
/** How long an over-limit body is read (and dropped) so its 413 arrives instead of a reset. */
const DRAIN_MS = 30_000;

/**
 * Reads the body up to MAX_BODY. Past it, the rest is read and dropped and the promise rejects
 * with 413 once the body ends: closing a socket with unread data makes TCP send a reset, and the
 * client would see that instead of the 413. A body still arriving after DRAIN_MS is cut off.
 */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    const tooLarge = () => new ApiError(413, `request body: larger than the limit of ${MAX_BODY} bytes`, { connection: 'close' });
    let timer: NodeJS.Timeout | undefined;
    const overflow = () => {
      chunks.length = 0;
      timer ??= setTimeout(() => req.destroy(), DRAIN_MS).unref();
    };
    if (Number(req.headers['content-length']) > MAX_BODY) overflow();
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) overflow();
      else chunks.push(c);
    });
    req.on('end', () => {
      if (timer) {
        clearTimeout(timer);
        reject(tooLarge());
      } else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

/** SOL003 bodies nest a dozen levels; far deeper is an attack on the parser and validator stacks. */
const MAX_DEPTH = 64;

/** True when the JSON text nests arrays/objects deeper than `max` (strings are skipped). */
export function nestsDeeper(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw badRequest(`path segment "${raw}": not valid percent-encoded UTF-8`);
  }
}

export class VnfmServer {
  readonly server: Server;
  readonly auth: Authenticator;
  private readonly routes: Array<{ method: string; re: RegExp; template: string; h: Handler }> = [];
  private readonly extra: ExtraHandler[] = [];
  private readonly schemas = productSchemas();
  private readonly log: (m: string) => void;
  private base = '';

  constructor(private readonly o: VnfmServerOptions) {
    this.auth = new Authenticator(o.auth);
    this.log = o.log ?? (() => {});
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    this.server = o.tls ? createHttps({ cert: o.tls.cert, key: o.tls.key }, handler) : createHttp(handler);
    this.defineRoutes();
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.o.port ?? 0, this.o.host ?? '127.0.0.1', () => resolve());
    });
    const a = this.server.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    this.base = this.o.publicUrl?.replace(/\/$/, '') ?? `${this.o.tls ? 'https' : 'http'}://${host}:${a.port}`;
    return this.base;
  }

  get url(): string {
    return this.base;
  }

  /** Mounts a handler tried, in the order added, before the API routes. */
  addHandler(h: ExtraHandler): void {
    this.extra.push(h);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections?.();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private api(d: Dialect): string {
    return `${this.base}/vnflcm/${d}`;
  }

  private on(method: string, template: string, h: Handler): void {
    const re = new RegExp(`^${template.replace(/\{[^}]+\}/g, '([^/]+)')}$`);
    this.routes.push({ method, re, template, h });
  }

  private schemaFor(d: Dialect, method: string, template: string): ApiSchemas {
    // ONAP SO's document has only the calls SO makes; the rest of v1 is the v2 schema.
    const v1 = this.schemas.v1.doc.paths as Record<string, Json>;
    if (d === 'v1') return v1[template]?.[method.toLowerCase()] ? this.schemas.v1 : this.schemas.v1ext;
    return this.schemas.v2;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://x');
    } catch {
      const p = badRequest('request target: not a valid URI').problem();
      return this.send(res, { status: 400, body: p });
    }
    let reply: Reply;
    let ctx: Ctx | undefined;
    try {
      for (const h of this.extra) if (await h(req, res, url)) return;
      if (req.method === 'POST' && url.pathname === '/oauth2/token') {
        const t = this.auth.token(req, new URLSearchParams(await readBody(req)));
        return this.send(res, { status: t.status, body: t.body, headers: { 'cache-control': 'no-store' } });
      }
      if (req.method === 'GET' && url.pathname === '/vnflcm/api_versions') {
        this.auth.check(req);
        return this.send(res, { status: 200, body: { uriPrefix: '/vnflcm', apiVersions: [{ version: API_VERSION.v2 }, { version: API_VERSION.v1 }] } });
      }
      if (req.method === 'GET' && url.pathname === '/health') return this.send(res, { status: 200, body: { status: 'ok' } });
      this.auth.check(req);
      const m = /^\/vnflcm\/(v1|v2)(\/.*)$/.exec(url.pathname);
      const dialect: Dialect = (m?.[1] as Dialect | undefined) ?? 'v2';
      const path = m ? m[2] : url.pathname;
      const methodOk = this.routes.filter((r) => r.re.test(path) && (r.template.startsWith('/vnf') || r.template.startsWith('/sub') || r.template.startsWith('/api') ? !!m : !m));
      const route = methodOk.find((r) => r.method === req.method);
      if (!route) {
        if (methodOk.length) throw new ApiError(405, `${req.method} is not allowed on ${url.pathname}`, { allow: methodOk.map((r) => r.method).join(', ') });
        throw notFound(`no resource ${url.pathname}`);
      }
      if (m) {
        this.checkVersion(req, dialect);
        this.checkAccept(req);
      }
      const raw = req.method === 'POST' || req.method === 'PATCH' ? await readBody(req) : '';
      let body: unknown;
      if (raw.trim()) {
        const ct = (req.headers['content-type'] ?? '').split(';')[0].trim();
        if (!['application/json', 'application/merge-patch+json', ''].includes(ct)) throw new ApiError(415, `Content-Type ${ct} is not accepted; send application/json`);
        if (nestsDeeper(raw, MAX_DEPTH)) throw badRequest(`request body: JSON nested deeper than ${MAX_DEPTH} levels`);
        try {
          body = JSON.parse(raw);
        } catch (e) {
          throw badRequest(`request body is not JSON: ${(e as Error).message}`);
        }
      }
      ctx = { req, res, url, dialect, template: route.template, params: route.re.exec(path)!.slice(1).map(decodeSegment), body };
      if (m && (req.method === 'POST' || req.method === 'PATCH')) {
        const schema = this.schemaFor(dialect, req.method, route.template);
        if (body === undefined) {
          if (this.needsBody(dialect, req.method, route.template)) throw badRequest('this request needs a JSON body');
        } else {
          const errors = schema.request(req.method, route.template, body);
          if (errors.length) throw badRequest(`request body does not match the SOL003 schema: ${errors.join('; ')}`);
        }
      }
      reply = await route.h(ctx);
    } catch (err) {
      if (!(err instanceof ApiError)) this.log(`vnfm: ${req.method} ${url.pathname}: ${(err as Error).stack ?? String(err)}`);
      const p = toProblem(err, url.pathname);
      reply = { status: p.status, body: p, headers: err instanceof ApiError ? err.headers : {} };
    }
    if (ctx && /^\/vnflcm\//.test(url.pathname) && ctx.template !== '/api-docs' && this.o.responseValidation && this.o.responseValidation !== 'off') {
      const errors = this.schemaFor(ctx.dialect, ctx.req.method!, ctx.template).response(ctx.req.method!, ctx.template, reply.status, reply.body);
      if (errors.length) {
        this.log(`vnfm: response to ${req.method} ${url.pathname} (${reply.status}) does not match the schema: ${errors.join('; ')}`);
        if (this.o.responseValidation === 'enforce') reply = { status: 500, body: { title: 'Internal Server Error', status: 500, detail: `response failed schema validation: ${errors.join('; ')}` } };
      }
    }
    this.send(res, reply, /^\/vnflcm\/v1/.test(url.pathname) ? 'v1' : /^\/vnflcm\//.test(url.pathname) ? 'v2' : undefined);
  }

  private needsBody(d: Dialect, method: string, template: string): boolean {
    const s = this.schemaFor(d, method, template);
    const op = (s.doc.paths as Record<string, Json>)[template]?.[method.toLowerCase()] as Json | undefined;
    return !!op && (op.requestBody !== undefined || ((op.parameters as Json[] | undefined) ?? []).some((p) => p.in === 'body' && p.required));
  }

  private checkVersion(req: IncomingMessage, d: Dialect): void {
    const v = req.headers.version;
    if (typeof v === 'string' && v.trim() && v.split('.')[0] !== API_VERSION[d].split('.')[0]) {
      throw new ApiError(406, `Version ${v} is not supported at /vnflcm/${d} (this API is ${API_VERSION[d]})`);
    }
  }

  /** SOL013 4.2: the API speaks JSON; an Accept that rules it out is 406. */
  private checkAccept(req: IncomingMessage): void {
    const a = req.headers.accept;
    if (!a || !a.trim()) return;
    const ok = a.split(',').some((part) => {
      const [type, ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      if (q && Number(q.slice(2)) === 0) return false;
      return ['*/*', 'application/*', 'application/json', 'application/problem+json', 'application/merge-patch+json'].includes(type.trim());
    });
    if (!ok) throw new ApiError(406, `Accept: ${a} excludes application/json, the only representation of this API`);
  }

  private send(res: ServerResponse, r: Reply, dialect?: Dialect): void {
    const headers: Record<string, string> = { ...(r.headers ?? {}) };
    if (dialect) headers.version = API_VERSION[dialect];
    let text = '';
    if (r.body !== undefined) {
      text = JSON.stringify(r.body);
      headers['content-type'] = r.status >= 400 ? 'application/problem+json' : 'application/json';
    }
    res.writeHead(r.status, headers);
    res.end(text);
  }

  /**
   * A list: SOL013 filter, attribute selector (where SOL003 defines one) and paging. Paging
   * follows the filter; the marker is the id of the page's first item, opaque to clients.
   */
  private list<T>(c: Ctx, items: T[], render: (x: T) => Json, select?: keyof typeof EXCLUDED_BY_DEFAULT): Reply {
    const q = c.url.searchParams;
    const filters = q.getAll('filter');
    if (filters.length > 1) throw badRequest('filter: given more than once; join the terms with ";" in one filter');
    const terms = filters.length ? parseFilter(filters[0]) : [];
    const schema = this.schemaFor(c.dialect, 'GET', c.template);
    for (const t of terms) {
      if (!schema.listAttributeKnown(c.template, t.path)) throw badRequest(`filter: "${t.path.join('/')}" is not an attribute of the resources at ${c.template}`);
    }
    const selector = select ? parseSelector(q, EXCLUDED_BY_DEFAULT[select]) : undefined;
    if (!select) for (const k of ['all_fields', 'fields', 'exclude_fields', 'exclude_default']) if (q.has(k)) throw badRequest(`${k}: ${c.template} supports no attribute selectors`);
    const matched = items.map(render).filter((x) => matchFilter(terms, x));
    const markers = q.getAll('nextpage_opaque_marker');
    if (markers.length > 1) throw badRequest('nextpage_opaque_marker: given more than once');
    let start = 0;
    if (markers.length) {
      let id = '';
      try {
        id = Buffer.from(markers[0], 'base64url').toString('utf8');
      } catch {
        id = '';
      }
      start = matched.findIndex((x) => x.id === id);
      if (start < 0) throw badRequest('nextpage_opaque_marker: unknown or expired marker; start again without it');
    }
    const size = this.o.pageSize ?? 100;
    const page = matched.slice(start, start + size);
    const headers: Record<string, string> = {};
    const next = matched[start + size];
    if (next) {
      const nq = new URLSearchParams(q);
      nq.set('nextpage_opaque_marker', Buffer.from(String(next.id)).toString('base64url'));
      headers.link = `<${this.api(c.dialect)}${c.template}?${nq.toString()}>; rel="next"`;
    }
    return { status: 200, body: selector ? page.map(selector) : page, headers };
  }

  private defineRoutes(): void {
    const { lcm } = this.o;
    const apiVersions = async (c: Ctx): Promise<Reply> => ({
      status: 200,
      body: { uriPrefix: `/vnflcm/${c.dialect}`, apiVersions: [{ version: API_VERSION[c.dialect] }] },
    });
    this.on('GET', '/api_versions', apiVersions);
    this.on('GET', '/api-docs', async (c) => ({ status: 200, body: c.dialect === 'v1' ? this.schemas.v1.doc : this.schemas.v2.doc }));

    this.on('POST', '/vnf_instances', async (c) => {
      const rec = await lcm.createVnf(c.body as { vnfdId: string });
      return { status: 201, body: renderVnf(rec, this.api(c.dialect), c.dialect), headers: { location: `${this.api(c.dialect)}/vnf_instances/${rec.vnf.id}` } };
    });
    this.on('GET', '/vnf_instances', async (c) => this.list(c, await lcm.o.repo.listVnfs(), (r) => renderVnf(r, this.api(c.dialect), c.dialect), 'vnfInstances'));
    this.on('GET', '/vnf_instances/{vnfInstanceId}', async (c) => ({ status: 200, body: renderVnf(await lcm.getVnf(c.params[0]), this.api(c.dialect), c.dialect) }));
    this.on('PATCH', '/vnf_instances/{vnfInstanceId}', async (c) => {
      const { rec, op } = await lcm.modify(c.params[0], (c.body ?? {}) as Json);
      return { status: 202, body: renderVnf(rec, this.api(c.dialect), c.dialect), headers: { location: `${this.api(c.dialect)}/vnf_lcm_op_occs/${op.op.id}` } };
    });
    this.on('DELETE', '/vnf_instances/{vnfInstanceId}', async (c) => {
      await lcm.deleteVnf(c.params[0]);
      return { status: 204 };
    });
    const task = (fn: (id: string, body: Json) => Promise<{ op: { id: string } }>) => async (c: Ctx): Promise<Reply> => {
      const op = await fn(c.params[0], (c.body ?? {}) as Json);
      return { status: 202, headers: { location: `${this.api(c.dialect)}/vnf_lcm_op_occs/${op.op.id}` } };
    };
    this.on('POST', '/vnf_instances/{vnfInstanceId}/instantiate', task((id, b) => lcm.instantiate(id, b)));
    this.on('POST', '/vnf_instances/{vnfInstanceId}/scale', task((id, b) => lcm.scale(id, b)));
    this.on('POST', '/vnf_instances/{vnfInstanceId}/scale_to_level', task((id, b) => lcm.scaleToLevel(id, b)));
    this.on('POST', '/vnf_instances/{vnfInstanceId}/heal', task((id, b) => lcm.heal(id, b)));
    this.on('POST', '/vnf_instances/{vnfInstanceId}/operate', task((id, b) => lcm.operate(id, b)));
    this.on('POST', '/vnf_instances/{vnfInstanceId}/change_flavour', task((id, b) => lcm.changeFlavour(id, b)));
    this.on('POST', '/vnf_instances/{vnfInstanceId}/change_ext_conn', task((id, b) => lcm.changeExtConn(id, b)));
    this.on('POST', '/vnf_instances/{vnfInstanceId}/terminate', async (c) => {
      const r = await task((id, b) => lcm.terminate(id, b))(c);
      // ONAP SO's client definition has the VnfInstance in this 202; SOL003 has no body.
      return c.dialect === 'v1' ? { ...r, body: renderVnf(await lcm.getVnf(c.params[0]), this.api('v1'), 'v1') } : r;
    });

    this.on('GET', '/vnf_lcm_op_occs', async (c) => this.list(c, await lcm.o.repo.listOps(), (r) => renderOp(r, this.api(c.dialect)), 'opOccs'));
    this.on('GET', '/vnf_lcm_op_occs/{vnfLcmOpOccId}', async (c) => ({ status: 200, body: renderOp(await lcm.getOp(c.params[0]), this.api(c.dialect)) }));
    this.on('POST', '/vnf_lcm_op_occs/{vnfLcmOpOccId}/retry', async (c) => {
      await lcm.retry(c.params[0]);
      return { status: 202 };
    });
    this.on('POST', '/vnf_lcm_op_occs/{vnfLcmOpOccId}/rollback', async (c) => {
      await lcm.rollback(c.params[0]);
      return { status: 202 };
    });
    this.on('POST', '/vnf_lcm_op_occs/{vnfLcmOpOccId}/cancel', async (c) => {
      const mode = (c.body as { cancelMode?: 'GRACEFUL' | 'FORCEFUL' } | undefined)?.cancelMode;
      await lcm.cancel(c.params[0], mode);
      return { status: 202 };
    });
    this.on('POST', '/vnf_lcm_op_occs/{vnfLcmOpOccId}/fail', async (c) => ({ status: 200, body: renderOp(await lcm.fail(c.params[0]), this.api(c.dialect)) }));

    this.on('POST', '/subscriptions', async (c) => {
      const b = c.body as Subscription;
      const auth = b.authentication;
      if (auth?.authType.includes('BASIC') && !auth.paramsBasic) throw badRequest('authentication: BASIC needs paramsBasic');
      if (auth?.authType.includes('OAUTH2_CLIENT_CREDENTIALS') && !auth.paramsOauth2ClientCredentials?.tokenEndpoint) throw badRequest('authentication: OAUTH2_CLIENT_CREDENTIALS needs paramsOauth2ClientCredentials.tokenEndpoint');
      if (this.o.testCallbacks !== false) {
        try {
          await this.o.notifier.testCallback(b.callbackUri, auth, API_VERSION[c.dialect]);
        } catch (err) {
          throw new ApiError(422, `the callback URI did not answer the test GET: ${(err as Error).message}`);
        }
      }
      const sub: Subscription = {
        id: randomUUID(),
        ...(b.filter ? { filter: b.filter } : {}),
        callbackUri: b.callbackUri,
        verbosity: b.verbosity ?? 'FULL',
        ...(auth ? { authentication: auth } : {}),
        dialect: c.dialect,
      };
      await lcm.o.repo.putSub(sub);
      return { status: 201, body: renderSub(sub, this.api(c.dialect)), headers: { location: `${this.api(c.dialect)}/subscriptions/${sub.id}` } };
    });
    this.on('GET', '/subscriptions', async (c) => this.list(c, await lcm.o.repo.listSubs(), (s) => renderSub(s, this.api(c.dialect))));
    this.on('GET', '/subscriptions/{subscriptionId}', async (c) => {
      const s = await lcm.o.repo.getSub(c.params[0]);
      if (!s) throw notFound(`no subscription ${c.params[0]}`);
      return { status: 200, body: renderSub(s, this.api(c.dialect)) };
    });
    this.on('DELETE', '/subscriptions/{subscriptionId}', async (c) => {
      if (!(await lcm.o.repo.deleteSub(c.params[0]))) throw notFound(`no subscription ${c.params[0]}`);
      return { status: 204 };
    });

    // Not SOL003: event sources of the lifecycle translation.
    this.on('POST', '/hooks/tacker/{hook}', async (c) => {
      if (!this.o.hooks) throw new ApiError(503, 'Tacker hooks are not enabled on this adapter');
      if (!c.body || typeof c.body !== 'object') throw badRequest('hook body must be a JSON object');
      return { status: 200, body: await this.o.hooks.handle(c.params[0], c.body as Json) };
    });
    const alerts = (only?: 'auto_scale' | 'auto_heal') => async (c: Ctx): Promise<Reply> => {
      if (!c.body || typeof c.body !== 'object') throw badRequest('alert body must be a JSON object');
      return { status: 200, body: { outcomes: await handleAlerts(lcm, c.body as Json, only) } };
    };
    this.on('POST', '/alerts', alerts());
    this.on('POST', '/alert/auto_scaling', alerts('auto_scale'));
    this.on('POST', '/alert/auto_healing', alerts('auto_heal'));
  }
}
