// One HTTP exchange with an OpenStack service on Node's fetch: a timeout on every attempt,
// retries with exponential backoff only where repeating the request cannot do harm (idempotent
// methods, or a caller that says so), and typed errors carrying OpenStack's error body.
import {
  OpenStackConnectionError,
  OpenStackHttpError,
  OpenStackResponseError,
  OpenStackTimeoutError,
  type RequestInfo,
} from './errors.js';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

export interface HttpOptions {
  /** per-attempt timeout */
  timeoutMs: number;
  /** extra attempts for idempotent requests */
  retries: number;
  /** first backoff; doubles per attempt, with jitter */
  backoffMs: number;
  userAgent: string;
}

export const DEFAULT_HTTP: HttpOptions = {
  timeoutMs: 30_000,
  retries: 2,
  backoffMs: 250,
  userAgent: 'statelessnf-vnf',
};

export interface HttpRequest {
  method: Method;
  url: string;
  service?: string;
  headers?: Record<string, string>;
  /** serialized as JSON with content-type application/json */
  json?: unknown;
  /** raw body (uploads) */
  body?: Uint8Array | string;
  /** 'json' (default): parse the body; 'text': return it; 'none': discard it */
  expect?: 'json' | 'text' | 'none';
  timeoutMs?: number;
  /** override whether this request may be repeated (e.g. a POST the API documents as safe) */
  idempotent?: boolean;
  signal?: AbortSignal;
}

export interface HttpResponse<T> {
  status: number;
  headers: Headers;
  body: T;
  requestId?: string;
}

const IDEMPOTENT = new Set<Method>(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
const RETRY_STATUS = new Set([408, 429, 502, 503, 504]);
const MAX_RETRY_AFTER_MS = 10_000;

export function requestIdOf(headers: Headers): string | undefined {
  return headers.get('x-openstack-request-id') ?? headers.get('x-compute-request-id') ?? headers.get('x-request-id') ?? undefined;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function retryAfterMs(h: Headers): number | undefined {
  const v = h.get('retry-after');
  if (!v) return undefined;
  const secs = Number(v);
  if (Number.isFinite(secs)) return Math.min(secs * 1000, MAX_RETRY_AFTER_MS);
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.min(Math.max(at - Date.now(), 0), MAX_RETRY_AFTER_MS) : undefined;
}

async function readBody(res: Response): Promise<string> {
  return res.status === 204 || res.status === 304 ? '' : res.text();
}

function parseMaybeJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Performs the request; throws OpenStackHttpError / ConnectionError / TimeoutError / ResponseError. */
export async function httpRequest<T = unknown>(req: HttpRequest, opts: HttpOptions = DEFAULT_HTTP): Promise<HttpResponse<T>> {
  const info: RequestInfo = { method: req.method, url: req.url, service: req.service };
  const timeoutMs = req.timeoutMs ?? opts.timeoutMs;
  const mayRetry = req.idempotent ?? IDEMPOTENT.has(req.method);
  const attempts = mayRetry ? opts.retries + 1 : 1;
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': opts.userAgent, ...req.headers };
  // Copied once into an ArrayBuffer-backed view: fetch's types reject shared buffers, and a
  // retry must send the same bytes.
  let body: string | Uint8Array<ArrayBuffer> | undefined = typeof req.body === 'string' || req.body === undefined ? req.body : new Uint8Array(req.body);
  if (req.json !== undefined) {
    body = JSON.stringify(req.json);
    headers['content-type'] ??= 'application/json';
  }

  let lastError: Error | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await sleep(backoff(opts.backoffMs, attempt, lastError), req.signal);
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    let res: Response;
    let text: string;
    try {
      res = await fetch(req.url, { method: req.method, headers, body, signal, redirect: 'follow' });
      text = req.expect === 'none' && res.ok ? (await res.arrayBuffer(), '') : await readBody(res);
    } catch (err) {
      if (req.signal?.aborted) throw req.signal.reason instanceof Error ? req.signal.reason : new Error('aborted');
      lastError = timeout.aborted ? new OpenStackTimeoutError(info, timeoutMs) : new OpenStackConnectionError(info, err);
      continue;
    }
    const requestId = requestIdOf(res.headers);
    if (!res.ok) {
      lastError = new OpenStackHttpError(info, res.status, parseMaybeJson(text), requestId);
      (lastError as OpenStackHttpError & { retryAfter?: number }).retryAfter = retryAfterMs(res.headers);
      if (RETRY_STATUS.has(res.status)) continue;
      throw lastError;
    }
    if (req.expect === 'none') return { status: res.status, headers: res.headers, body: undefined as T, requestId };
    if (req.expect === 'text') return { status: res.status, headers: res.headers, body: text as T, requestId };
    if (!text) return { status: res.status, headers: res.headers, body: undefined as T, requestId };
    try {
      return { status: res.status, headers: res.headers, body: JSON.parse(text) as T, requestId };
    } catch {
      throw new OpenStackResponseError(info, res.status, `malformed JSON: ${JSON.stringify(text.slice(0, 120))}`, requestId);
    }
  }
  throw lastError ?? new Error('unreachable');
}

function backoff(base: number, attempt: number, last: Error | undefined): number {
  const hinted = (last as { retryAfter?: number } | undefined)?.retryAfter;
  if (hinted !== undefined) return hinted;
  const exp = base * 2 ** (attempt - 1);
  return exp / 2 + Math.random() * (exp / 2);
}
