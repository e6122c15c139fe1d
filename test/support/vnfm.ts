// Helpers for VNFM tests: a SOL003 client that checks every request it sends and every response
// it gets against the standard's own documents (read from /work/shared/specs when present, so a
// bad copy in src/vnfm/schemas would be caught), a loopback subscriber that records
// notifications in order, and the test VNFD.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { ApiSchemas, SCHEMA_DIR, loadJson, v1Shapes, type Dialect } from '../../src/vnfm/schema.js';
import type { VnfdInfo } from '../../src/vnfm/types.js';

const SHARED = '/work/shared/specs';
type Json = Record<string, unknown>;

let docs: { v2: ApiSchemas; v1: ApiSchemas; v1ext: ApiSchemas; lcn: ApiSchemas } | undefined;
export function specSchemas(): { v2: ApiSchemas; v1: ApiSchemas; v1ext: ApiSchemas; lcn: ApiSchemas } {
  if (!docs) {
    const shared = existsSync(join(SHARED, 'etsi-sol003', 'sol003_lifecycle_openapi.json'));
    const sol003 = loadJson(shared ? join(SHARED, 'etsi-sol003', 'sol003_lifecycle_openapi.json') : join(SCHEMA_DIR, 'sol003-vnflcm.json'));
    const so = loadJson(shared ? join(SHARED, 'onap-so-sol003', 'SOL003-VNFLifecycleManagement-API.json') : join(SCHEMA_DIR, 'onap-so-vnflcm-v1.json'));
    docs = {
      // v1 calls outside SO's document: the shared SOL003 document with SO's vimConnectionInfo array (v1Shapes)
      v1ext: new ApiSchemas(v1Shapes(sol003, so)),
      v2: new ApiSchemas(sol003),
      v1: new ApiSchemas(so),
      lcn: new ApiSchemas(loadJson(shared ? join(SHARED, 'onap-so-sol003', 'SOL003-VNFLifecycleManagementNotification-API.json') : join(SCHEMA_DIR, 'onap-so-lcn.json'))),
    };
  }
  return docs;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: unknown;
  /** schema errors of the response (a test asserts they are empty) */
  errors: string[];
}

function templateOf(doc: ApiSchemas, path: string): string | undefined {
  for (const t of Object.keys(doc.doc.paths as Json)) {
    if (new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path)) return t;
  }
  return undefined;
}

export class Sol003Client {
  /** every schema violation seen, request or response */
  readonly violations: string[] = [];

  constructor(
    readonly base: string,
    readonly dialect: Dialect = 'v2',
    readonly authorization?: string,
  ) {}

  private schemaFor(method: string, template: string | undefined): ApiSchemas {
    const s = specSchemas();
    const v1 = s.v1.doc.paths as Record<string, Json>;
    if (this.dialect === 'v1') return template && v1[template]?.[method.toLowerCase()] ? s.v1 : s.v1ext;
    return s.v2;
  }

  /** Sends a request; `invalid` marks one the test sends on purpose against the schema. */
  async call(method: string, path: string, body?: unknown, o: { invalid?: boolean; headers?: Record<string, string>; raw?: string } = {}): Promise<ApiResponse> {
    const t = templateOf(specSchemas().v2, path);
    const schema = this.schemaFor(method, t);
    if (body !== undefined && t && !o.invalid) {
      const errs = schema.request(method, t, body);
      if (errs.length) this.violations.push(`request ${method} ${path}: ${errs.join('; ')}`);
    }
    const headers: Record<string, string> = { accept: 'application/json', version: this.dialect === 'v2' ? '2.0.0' : '1.3.0', ...(o.headers ?? {}) };
    if (this.authorization) headers.authorization = this.authorization;
    if (body !== undefined || o.raw !== undefined) headers['content-type'] ??= method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
    const r = await fetch(`${this.base}/vnflcm/${this.dialect}${path}`, {
      method,
      headers,
      body: o.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await r.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    const errors: string[] = [];
    if (r.status >= 400) {
      if (r.headers.get('content-type') !== 'application/problem+json') errors.push(`${r.status} without application/problem+json`);
      const p = parsed as Json | undefined;
      if (!p || typeof p.status !== 'number' || typeof p.detail !== 'string' || p.status !== r.status) errors.push(`${r.status} body is not a ProblemDetails: ${text.slice(0, 200)}`);
    } else if (t) {
      errors.push(...schema.response(method, t, r.status, parsed));
    }
    if (!r.headers.get('version')) errors.push('no Version header');
    if (errors.length) this.violations.push(`response ${method} ${path} ${r.status}: ${errors.join('; ')}`);
    return { status: r.status, headers: r.headers, body: parsed, errors };
  }

  /** Polls an op occurrence until it reaches one of `states`. */
  async waitOp(opId: string, states: string[], timeoutMs = 20_000): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.call('GET', `/vnf_lcm_op_occs/${opId}`);
      const op = r.body as Json;
      if (states.includes(String(op.operationState))) return op;
      if (Date.now() > deadline) throw new Error(`op ${opId} still ${String(op.operationState)} after ${timeoutMs} ms (waiting for ${states.join('/')})`);
      await new Promise((res) => setTimeout(res, 25));
    }
  }
}

export function opIdOf(r: ApiResponse): string {
  const loc = r.headers.get('location');
  if (!loc) throw new Error(`no Location in ${r.status} response: ${JSON.stringify(r.body)}`);
  return loc.split('/').pop()!;
}

export interface Received {
  body: Json;
  authorization?: string;
  at: number;
}

/** A notification consumer on loopback: answers the test GET, records POSTs in arrival order. */
export class TestSubscriber {
  readonly received: Received[] = [];
  readonly gets: number[] = [];
  /** answer the next N POSTs with 503 */
  failNext = 0;
  /** answer every POST with 503 (a dead consumer that still listens) */
  alwaysFail = false;
  /** required Authorization value, if any */
  expectAuth?: string;
  private server?: Server;
  url = '';
  private waiters: Array<() => void> = [];

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/callback`;
    return this.url;
  }

  private async handle(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (this.expectAuth && req.headers.authorization !== this.expectAuth) {
      res.writeHead(401).end();
      return;
    }
    if (req.method === 'GET') {
      this.gets.push(Date.now());
      res.writeHead(204).end();
      return;
    }
    if (this.alwaysFail || this.failNext > 0) {
      if (this.failNext > 0) this.failNext--;
      res.writeHead(503).end();
      return;
    }
    this.received.push({ body: JSON.parse(Buffer.concat(chunks).toString()) as Json, authorization: req.headers.authorization, at: Date.now() });
    res.writeHead(204).end();
    this.waiters.splice(0).forEach((w) => w());
  }

  /** Waits until `pred` holds over what was received. */
  async until(pred: (r: Received[]) => boolean, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this.received)) {
      if (Date.now() > deadline) throw new Error(`subscriber: condition not met after ${timeoutMs} ms; got ${this.received.map((r) => `${String(r.body.notificationType)}:${String(r.body.operationState ?? '')}`).join(', ')}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }

  states(opId?: string): string[] {
    return this.received
      .filter((r) => r.body.notificationType === 'VnfLcmOperationOccurrenceNotification' && (!opId || r.body.vnfLcmOpOccId === opId))
      .map((r) => `${String(r.body.operation)}:${String(r.body.operationState)}`);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/** The VNFD the tests instantiate: one aspect "worker" of VDU1, 1..4 instances. */
export function testVnfd(extra: Partial<VnfdInfo> = {}): VnfdInfo {
  return {
    vnfdId: 'snf-firewall-vnfd',
    vnfProvider: 'StatelessNF',
    vnfProductName: 'snf-firewall',
    vnfSoftwareVersion: '0.1.0',
    vnfdVersion: '1.0',
    flavours: {
      simple: {
        aspects: { worker: { vduId: 'VDU1', minInstances: 1, maxScaleLevel: 3 } },
        instantiationLevels: { small: { worker: 0 }, large: { worker: 1 } },
        defaultInstantiationLevelId: 'large',
      },
    },
    ...extra,
  };
}
