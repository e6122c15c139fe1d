// Typed errors of the OpenStack clients. Every failure a caller can act on says which request
// failed (method, URL, service), and for HTTP errors carries what OpenStack said: the status, the
// message parsed from the service's error body, the raw body and the x-openstack-request-id an
// operator needs to find the request in the service's logs.

export interface RequestInfo {
  method: string;
  url: string;
  /** catalog service type (orchestration, compute, ...) or 'identity' */
  service?: string;
}

export class OpenStackError extends Error {
  readonly method: string;
  readonly url: string;
  readonly service?: string;
  constructor(message: string, req: RequestInfo, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OpenStackError';
    this.method = req.method;
    this.url = req.url;
    this.service = req.service;
  }
}

/** The service answered with a non-2xx status. */
export class OpenStackHttpError extends OpenStackError {
  readonly status: number;
  readonly requestId?: string;
  /** the message parsed from the error body (Heat, Nova, Neutron, Keystone, Tacker shapes) */
  readonly detail: string;
  /** the error type the service names, e.g. Heat's StackValidationFailed or Neutron's NetworkNotFound */
  readonly errorType?: string;
  readonly body: unknown;
  constructor(req: RequestInfo, status: number, body: unknown, requestId?: string) {
    const { message, type } = parseErrorBody(body);
    const detail = message || `HTTP ${status}`;
    super(
      `${req.service ?? 'openstack'}: ${req.method} ${req.url} failed with ${status}` +
        `${type ? ` ${type}` : ''}: ${detail}${requestId ? ` (request id ${requestId})` : ''}`,
      req,
    );
    this.name = 'OpenStackHttpError';
    this.status = status;
    this.requestId = requestId;
    this.detail = detail;
    this.errorType = type;
    this.body = body;
  }
}

/** No answer: connection refused, DNS, reset. */
export class OpenStackConnectionError extends OpenStackError {
  constructor(req: RequestInfo, cause: unknown) {
    super(`${req.service ?? 'openstack'}: ${req.method} ${req.url}: cannot connect: ${causeText(cause)}`, req, { cause });
    this.name = 'OpenStackConnectionError';
  }
}

/** No answer within the request's timeout. */
export class OpenStackTimeoutError extends OpenStackError {
  readonly timeoutMs: number;
  constructor(req: RequestInfo, timeoutMs: number) {
    super(`${req.service ?? 'openstack'}: ${req.method} ${req.url}: no response within ${timeoutMs} ms`, req);
    this.name = 'OpenStackTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/** A 2xx answer we cannot use: malformed JSON, or a body missing what the API reference promises. */
export class OpenStackResponseError extends OpenStackError {
  readonly status: number;
  readonly requestId?: string;
  constructor(req: RequestInfo, status: number, problem: string, requestId?: string) {
    super(
      `${req.service ?? 'openstack'}: ${req.method} ${req.url}: unusable response (${status}): ${problem}` +
        `${requestId ? ` (request id ${requestId})` : ''}`,
      req,
    );
    this.name = 'OpenStackResponseError';
    this.status = status;
    this.requestId = requestId;
  }
}

/** A long-running operation (stack, package onboarding, LCM op) ended badly or took too long. */
export class OpenStackOperationError extends Error {
  readonly resource: string;
  readonly status: string;
  readonly reason: string;
  constructor(resource: string, status: string, reason: string) {
    super(`${resource}: ${status}${reason ? `: ${reason}` : ''}`);
    this.name = 'OpenStackOperationError';
    this.resource = resource;
    this.status = status;
    this.reason = reason;
  }
}

/** Configuration that cannot work (no auth_url, unknown cloud, no endpoint for a service). */
export class OpenStackConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OpenStackConfigError';
  }
}

function causeText(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = (cause as Error & { cause?: unknown }).cause;
    const code = inner && typeof inner === 'object' && 'code' in inner ? String((inner as { code: unknown }).code) : '';
    const msg = inner instanceof Error ? inner.message : cause.message;
    return code && !msg.includes(code) ? `${code} ${msg}` : msg;
  }
  return String(cause);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

/**
 * The human message and error type inside an OpenStack error body. Shapes:
 * - Heat:     {"explanation", "code", "error": {"message", "type", "traceback"}, "title"}
 * - Keystone: {"error": {"code", "title", "message"}}
 * - Nova:     {"badRequest" | "itemNotFound" | "conflictingRequest" | ...: {"message", "code"}}
 * - Neutron / Tacker v1: {"NeutronError" | "TackerError": {"type", "message", "detail"}}
 * - SOL ProblemDetails (Tacker vnflcm/vnfpkgm): {"status", "title", "detail"}
 * - Glance and proxies: text or HTML
 */
export function parseErrorBody(body: unknown): { message: string; type?: string } {
  if (typeof body === 'string') {
    const text = body
      .replace(/<head>[\s\S]*?<\/head>/i, ' ')
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    return { message: text.slice(0, 500) };
  }
  if (!isRecord(body)) return { message: '' };
  const err = body.error;
  if (isRecord(err)) {
    const message = str(err.message) ?? str(body.explanation) ?? str(err.title) ?? '';
    return { message, type: str(err.type) ?? str(err.title) };
  }
  if (typeof err === 'string') return { message: err };
  for (const key of ['NeutronError', 'TackerError']) {
    const e = body[key];
    if (isRecord(e)) {
      const message = [str(e.message), str(e.detail)].filter(Boolean).join(': ');
      return { message, type: str(e.type) };
    }
    if (typeof e === 'string') return { message: e };
  }
  if ('detail' in body || ('title' in body && 'status' in body)) {
    return { message: str(body.detail) ?? str(body.title) ?? '', type: str(body.title) };
  }
  if (str(body.message)) return { message: str(body.message)!, type: str(body.type) };
  if (str(body.faultstring)) return { message: str(body.faultstring)! };
  // Nova: a single key naming the fault
  const keys = Object.keys(body);
  if (keys.length === 1 && isRecord(body[keys[0]])) {
    const inner = body[keys[0]] as Record<string, unknown>;
    if (str(inner.message)) return { message: str(inner.message)!, type: keys[0] };
  }
  return { message: JSON.stringify(body).slice(0, 500) };
}
