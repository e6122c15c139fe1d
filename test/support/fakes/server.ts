// A tiny routed node:http server on a free loopback port, the base of the OpenStack service
// fakes. It records every request so tests can assert what the client sent.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  raw: Buffer;
  /** parsed JSON body, undefined if none or not JSON */
  json: unknown;
  params: string[];
}

export interface FakeReply {
  status: number;
  body?: unknown;
  /** send this text as is (e.g. malformed JSON) */
  text?: string;
  headers?: Record<string, string>;
}

export type Handler = (req: FakeRequest) => FakeReply | Promise<FakeReply> | 'hang';

export interface Route {
  method: string;
  path: RegExp;
  handler: Handler;
}

export interface FakeServer {
  url: string;
  requests: FakeRequest[];
  close(): Promise<void>;
}

export async function startFake(routes: Route[], opts: { auth?: (token: string | undefined, req: FakeRequest) => FakeReply | undefined } = {}): Promise<FakeServer> {
  const requests: FakeRequest[] = [];
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((inc, res) => {
    const chunks: Buffer[] = [];
    inc.on('data', (c: Buffer) => chunks.push(c));
    inc.on('end', () => {
      void (async () => {
        const u = new URL(inc.url ?? '/', 'http://x');
        const raw = Buffer.concat(chunks);
        let json: unknown;
        try {
          json = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
        } catch {
          json = undefined;
        }
        const req: FakeRequest = { method: inc.method ?? 'GET', path: u.pathname, query: u.searchParams, headers: inc.headers, raw, json, params: [] };
        requests.push(req);
        const reqId = `req-${randomUUID()}`;
        const send = (r: FakeReply) => {
          const headers: Record<string, string> = { 'x-openstack-request-id': reqId, ...r.headers };
          let payload = '';
          if (r.text !== undefined) payload = r.text;
          else if (r.body !== undefined) {
            payload = JSON.stringify(r.body);
            headers['content-type'] ??= 'application/json';
          }
          res.writeHead(r.status, headers);
          res.end(payload);
        };
        const denied = opts.auth?.(inc.headers['x-auth-token'] as string | undefined, req);
        if (denied) return send(denied);
        for (const route of routes) {
          if (route.method !== req.method) continue;
          const m = route.path.exec(req.path);
          if (!m) continue;
          req.params = m.slice(1).map((x) => decodeURIComponent(x));
          try {
            const out = await route.handler(req);
            if (out === 'hang') {
              hanging.add(res);
              return;
            }
            return send(out);
          } catch (err) {
            return send({ status: 500, body: { error: { message: String(err) } } });
          }
        }
        send({ status: 404, body: { itemNotFound: { code: 404, message: `fake: no route for ${req.method} ${req.path}` } } });
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A port nothing listens on (bound, then released). */
export async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
