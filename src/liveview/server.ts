// The live view on its own listener (`snf up --view HOST:PORT`). Loopback unless credentials are
// configured: the same AuthConfig, and the same Authenticator, as the VNF manager's API.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import { Authenticator, type AuthConfig } from '../vnfm/auth.js';
import { LiveViewHandler, VIEW_PREFIX } from './handler.js';
import { LiveHub, type HubOptions } from './hub.js';
import type { ViewSource } from './source.js';

export class ViewConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ViewConfigError';
  }
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}

/** `HOST:PORT`, `[v6]:PORT` or `PORT` (loopback). `field` names the option in errors. */
export function parseListen(v: string, field = '--view'): { host: string; port: number } {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+):)?(\d{1,5})$/.exec(v);
  if (!m) throw new ViewConfigError(`${field}: expected HOST:PORT or PORT, got '${v}'`);
  const host = (m[1] ?? '127.0.0.1').replace(/^\[|\]$/g, '');
  const port = Number(m[2]);
  if (port > 65535) throw new ViewConfigError(`${field}: port must be 0..65535, got ${port}`);
  if (host !== 'localhost' && !isIP(host)) throw new ViewConfigError(`${field}: host must be an IP address or localhost, got '${host}'`);
  return { host, port };
}

/** Checks an auth file's content (the VNF manager's `auth` section), naming the offending field. */
export function checkAuthConfig(v: unknown, field = 'auth'): AuthConfig {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ViewConfigError(`${field}: expected an object with basic, oauth2Clients or staticTokens`);
  const o = v as Record<string, unknown>;
  const known = ['basic', 'oauth2Clients', 'tokenTtlS', 'tokenKey', 'staticTokens'];
  for (const k of Object.keys(o)) if (!known.includes(k)) throw new ViewConfigError(`${field}.${k}: unknown field (have ${known.join(', ')})`);
  for (const k of ['basic', 'oauth2Clients'] as const) {
    const m = o[k];
    if (m === undefined) continue;
    if (!m || typeof m !== 'object' || Array.isArray(m)) throw new ViewConfigError(`${field}.${k}: expected an object of name -> secret`);
    for (const [n, s] of Object.entries(m)) if (typeof s !== 'string' || s.length < 8) throw new ViewConfigError(`${field}.${k}.${n}: the secret must be a string of at least 8 characters`);
  }
  if (o.staticTokens !== undefined) {
    if (!Array.isArray(o.staticTokens)) throw new ViewConfigError(`${field}.staticTokens: expected an array of strings`);
    o.staticTokens.forEach((t, i) => {
      if (typeof t !== 'string' || t.length < 16) throw new ViewConfigError(`${field}.staticTokens[${i}]: a token must be a string of at least 16 characters`);
    });
  }
  if (o.tokenTtlS !== undefined && (!Number.isInteger(o.tokenTtlS) || (o.tokenTtlS as number) < 1)) throw new ViewConfigError(`${field}.tokenTtlS: expected a positive integer`);
  if (o.tokenKey !== undefined && typeof o.tokenKey !== 'string') throw new ViewConfigError(`${field}.tokenKey: expected a string`);
  return o as AuthConfig;
}

export interface ViewServerOptions extends HubOptions {
  source: ViewSource;
  host: string;
  port: number;
  auth?: AuthConfig;
}

export interface ViewServer {
  /** the page's address, e.g. http://127.0.0.1:8088/view/ */
  url: string;
  hub: LiveHub;
  close(): Promise<void>;
}

export async function startViewServer(o: ViewServerOptions): Promise<ViewServer> {
  const auth = new Authenticator(o.auth);
  if (!isLoopback(o.host) && !auth.enabled) throw new ViewConfigError(`--view: ${o.host} is not a loopback address; serving the live view beyond loopback needs credentials (--view-auth FILE)`);
  const hub = new LiveHub(o.source, o);
  await hub.start();
  const handler = new LiveViewHandler(hub, auth);
  const server: Server = createServer((req, res) => {
    if (handler.handle(req, res)) return;
    if (req.url === '/' || req.url === '') {
      res.writeHead(302, { location: `${VIEW_PREFIX}/` });
      res.end();
      return;
    }
    res.writeHead(404, { 'content-type': 'application/problem+json' });
    res.end(JSON.stringify({ title: 'Not Found', status: 404, detail: `nothing at ${req.url ?? ''}; the live view is at ${VIEW_PREFIX}/` }));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host, () => resolve());
    });
  } catch (e) {
    await hub.stop();
    throw new ViewConfigError(`--view: cannot listen on ${o.host}:${o.port}: ${(e as Error).message}`);
  }
  const a = server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return {
    url: `http://${host}:${a.port}${VIEW_PREFIX}/`,
    hub,
    async close() {
      handler.closeStreams();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await hub.stop();
    },
  };
}
