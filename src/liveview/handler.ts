// The live view over HTTP, without a framework: one static page (src/liveview/static, served as
// committed: no build step, nothing fetched at run time), a snapshot, a server-sent event stream
// and the view's Prometheus metrics. The page and its script are public (they hold no data);
// everything with data passes the same authenticator as the VNF manager's API.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { LiveHub } from './hub.js';
import { renderViewMetrics } from './prometheus.js';

/** What the VNFM's Authenticator offers: check() throws a 401 error unless the request may pass. */
export interface RequestAuth {
  readonly enabled: boolean;
  check(req: IncomingMessage): void;
}

const STATIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'static');
// The chart library (uPlot, MIT) is served from the installed package as it ships: no bundler.
const UPLOT_DIR = dirname(createRequire(import.meta.url).resolve('uplot'));
const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: join(STATIC_DIR, 'index.html'), type: 'text/html; charset=utf-8' },
  '/app.js': { file: join(STATIC_DIR, 'app.js'), type: 'text/javascript; charset=utf-8' },
  '/chart.js': { file: join(STATIC_DIR, 'chart.js'), type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: join(STATIC_DIR, 'app.css'), type: 'text/css; charset=utf-8' },
  '/uplot.js': { file: join(UPLOT_DIR, 'uPlot.esm.js'), type: 'text/javascript; charset=utf-8' },
  '/uplot.css': { file: join(UPLOT_DIR, 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export const VIEW_PREFIX = '/view';

export class LiveViewHandler {
  private readonly assets = new Map<string, { body: Buffer; type: string }>();
  private readonly streams = new Set<ServerResponse>();

  constructor(private readonly hub: LiveHub, private readonly auth?: RequestAuth) {
    for (const [path, a] of Object.entries(ASSETS)) this.assets.set(path, { body: readFileSync(a.file), type: a.type });
  }

  /** Handles a request under /view and returns true, or returns false and leaves it alone. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== VIEW_PREFIX && !url.pathname.startsWith(`${VIEW_PREFIX}/`)) return false;
    const path = url.pathname.slice(VIEW_PREFIX.length);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      this.problem(res, 405, `${req.method ?? '?'} is not allowed on ${url.pathname}: the live view is read-only`, { allow: 'GET, HEAD' });
      return true;
    }
    if (path === '') {
      res.writeHead(301, { location: `${VIEW_PREFIX}/`, ...SECURITY_HEADERS });
      res.end();
      return true;
    }
    const asset = this.assets.get(path);
    if (asset) {
      res.writeHead(200, { 'content-type': asset.type, 'content-length': asset.body.length, ...SECURITY_HEADERS });
      res.end(req.method === 'HEAD' ? undefined : asset.body);
      return true;
    }
    if (!['/api/snapshot', '/api/events', '/metrics'].includes(path)) {
      this.problem(res, 404, `no live view resource ${url.pathname} (have ${VIEW_PREFIX}/, ${VIEW_PREFIX}/api/snapshot, ${VIEW_PREFIX}/api/events, ${VIEW_PREFIX}/metrics)`);
      return true;
    }
    if (url.search) {
      this.problem(res, 400, `${url.pathname} takes no query parameters (got '${url.search.slice(1, 60)}'); credentials go in the Authorization header`);
      return true;
    }
    try {
      this.auth?.check(req);
    } catch (e) {
      const status = (e as { status?: number }).status ?? 401;
      // A Bearer challenge only: a Basic one would make the browser pop its own dialog over the page's sign-in form.
      this.problem(res, status, (e as Error).message, { 'www-authenticate': 'Bearer realm="snf-live-view"' });
      return true;
    }
    const snap = this.hub.latest();
    if (path === '/api/snapshot') {
      if (!snap) this.problem(res, 503, 'the live view has not collected anything yet');
      else this.json(res, 200, snap);
    } else if (path === '/metrics') {
      if (!snap) this.problem(res, 503, 'the live view has not collected anything yet');
      else {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', ...SECURITY_HEADERS });
        res.end(renderViewMetrics(snap));
      }
    } else this.stream(req, res);
    return true;
  }

  /** Server-sent events: the latest snapshot at once, then one per collection; a comment every 15 s keeps proxies from timing out. */
  private stream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive', 'x-accel-buffering': 'no', ...SECURITY_HEADERS });
    res.write(`retry: ${Math.max(1000, this.hub.intervalMs)}\n\n`);
    const send = (s: object) => res.write(`event: snapshot\ndata: ${JSON.stringify(s)}\n\n`);
    const first = this.hub.latest();
    if (first) send(first);
    const unsubscribe = this.hub.subscribe(send);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    this.streams.add(res);
    const done = () => {
      clearInterval(keepAlive);
      unsubscribe();
      this.streams.delete(res);
    };
    req.on('close', done);
    res.on('close', done);
  }

  /** Ends every open stream (before the server closes). */
  closeStreams(): void {
    for (const r of this.streams) r.end();
    this.streams.clear();
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', ...SECURITY_HEADERS });
    res.end(text);
  }

  private problem(res: ServerResponse, status: number, detail: string, headers: Record<string, string> = {}): void {
    const title = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found', 405: 'Method Not Allowed', 503: 'Service Unavailable' }[status] ?? 'Error';
    res.writeHead(status, { 'content-type': 'application/problem+json', ...SECURITY_HEADERS, ...headers });
    res.end(JSON.stringify({ title, status, detail }));
  }
}
