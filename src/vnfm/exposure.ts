// Whether the VNFM may listen where it was told to. Its API instantiates, scales and terminates
// VNFs and purges their state: reachable from the network without authentication, anyone on that
// network owns the VNF. So a non-loopback address needs authentication configured, or the operator's
// explicit --insecure (then the start-up says so loudly).
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { echo } from '../util/echo.js';

/** The address the server listens on when none is given (server.ts). */
export const DEFAULT_VNFM_HOST = '127.0.0.1';

export interface ExposureInput {
  host: string | undefined;
  /** Authentication configured (Authenticator.enabled): some credential is required on every API call. */
  authEnabled: boolean;
  tls: boolean;
  insecure: boolean;
}

export type ExposureVerdict =
  | { allowed: true; warnings: string[]; /** serving a non-loopback address with no authentication (--insecure) */ unauthenticated: boolean }
  | { allowed: false; reason: string };

export const AUTH_HOWTO =
  'configure "auth" in the VNFM config file: {"basic": {"<user>": "<password>"}}, {"oauth2Clients": {"<client id>": "<secret>"}} ' +
  'or {"staticTokens": ["<token>"]} (docs/vnfm.md, "Exposure and authentication")';

function loopbackAddress(addr: string): boolean {
  const v = addr.toLowerCase();
  if (isIP(v) === 4) return v.startsWith('127.');
  if (isIP(v) === 6) return v === '::1' || /^::ffff:127\./.test(v) || /^0:0:0:0:0:0:0:1$/.test(v);
  return false;
}

/**
 * Every address a host may listen on is loopback. A name is resolved (all its addresses, since the
 * server binds the first the resolver returns): `localhost` passes, a name that resolves to a
 * routable address or does not resolve does not. The wildcard addresses (0.0.0.0, ::) are not loopback.
 */
export async function isLoopbackHost(host: string): Promise<boolean> {
  const h = host.replace(/^\[(.*)\]$/, '$1');
  if (isIP(h)) return loopbackAddress(h);
  try {
    const addrs = await lookup(h, { all: true });
    return addrs.length > 0 && addrs.every((a) => loopbackAddress(a.address));
  } catch {
    return false;
  }
}

export async function checkExposure(i: ExposureInput): Promise<ExposureVerdict> {
  const host = i.host ?? DEFAULT_VNFM_HOST;
  if (await isLoopbackHost(host)) return { allowed: true, warnings: [], unauthenticated: false };
  if (!i.authEnabled) {
    if (!i.insecure) {
      return {
        allowed: false,
        reason: echo`refusing to listen on ${host}: it is not a loopback address and no authentication is configured, so anyone who reaches it could instantiate, scale, heal and terminate VNFs. ` +
          `To expose the VNFM, ${AUTH_HOWTO}; or listen on 127.0.0.1 (--host 127.0.0.1); or pass --insecure to serve it unauthenticated anyway`,
      };
    }
    return {
      allowed: true,
      unauthenticated: true,
      warnings: [
        echo`WARNING: --insecure: the VNFM listens on ${host} WITHOUT AUTHENTICATION; anyone who reaches it can instantiate, scale, heal and terminate VNFs and purge their state. To secure it, ${AUTH_HOWTO}`,
      ],
    };
  }
  if (!i.tls) {
    return { allowed: true, unauthenticated: false, warnings: [echo`warning: the VNFM listens on ${host} without TLS: credentials and tokens cross the network in clear; set "tls": {"cert": "file:...", "key": "file:..."} in the config file`] };
  }
  return { allowed: true, warnings: [], unauthenticated: false };
}
