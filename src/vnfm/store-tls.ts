// TLS for a store the VNF's own template creates (the store VDU): Heat cannot make certificates,
// so the VNF manager makes a private CA and the store's certificate at instantiate time and hands
// them to the stack as its hidden store_tls_* parameters. The files live only for the moment it
// takes to read them; the CA key never leaves makeStoreCerts, and nothing here logs a key.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeStoreCerts } from '../store/tls-certs.js';
import { STORE_TLS_PARAMS } from '../package/heat-tacker.js';
import { STORE_TLS_NAME } from '../package/userdata.js';
import type { HotArtifacts } from '../vim/types.js';
import { parseHot } from '../vim/openstack/template.js';
import { badRequest } from './problem.js';

type Params = Record<string, unknown>;

/**
 * Refuses store_tls_* additionalParams that are not all given or all left out (or not strings):
 * half a TLS setup would leave a store VDU that does not start.
 */
export function checkStoreTlsParams(additionalParams: unknown): void {
  if (typeof additionalParams !== 'object' || additionalParams === null) return;
  const p = additionalParams as Params;
  const given = STORE_TLS_PARAMS.filter((k) => Object.hasOwn(p, k));
  if (given.length === 0) return;
  for (const k of STORE_TLS_PARAMS) {
    if (!Object.hasOwn(p, k)) throw badRequest(`additionalParams.${k}: missing (${given.join(', ')} given: the store's CA, certificate and key go together)`);
    if (typeof p[k] !== 'string') throw badRequest(`additionalParams.${k}: must be a PEM string (or '' for no TLS)`);
  }
  const empty = STORE_TLS_PARAMS.filter((k) => p[k] === '');
  if (empty.length !== 0 && empty.length !== STORE_TLS_PARAMS.length) throw badRequest(`additionalParams.${empty[0]}: empty while the other store_tls_* are given`);
}

/** True when the flavour's template creates the store (it declares the store TLS parameters). */
export function createsStore(hot: HotArtifacts | undefined): boolean {
  if (!hot) return false;
  let declared: Record<string, unknown>;
  try {
    declared = parseHot(hot.template).parameters ?? {};
  } catch {
    return false; // a template the VIM cannot read either: it reports why, not this
  }
  return STORE_TLS_PARAMS.every((k) => Object.hasOwn(declared, k));
}

/**
 * The instantiate parameters for the VIM: with a template-created store and no store_tls_* of
 * the caller's, a fresh CA, certificate (for STORE_TLS_NAME, the name the NFs verify) and key.
 * The caller's own values (including '' = plain TCP) are kept. The result goes to the VIM only:
 * it is never stored with the operation.
 */
export function withStoreTls(additionalParams: Params | undefined, hot: HotArtifacts | undefined): Params | undefined {
  if (!createsStore(hot)) return additionalParams;
  if (additionalParams && STORE_TLS_PARAMS.some((k) => Object.hasOwn(additionalParams, k))) return additionalParams;
  const dir = mkdtempSync(join(tmpdir(), 'snf-store-tls-'));
  try {
    const c = makeStoreCerts(dir, [STORE_TLS_NAME]);
    return {
      ...(additionalParams ?? {}),
      store_tls_ca: readFileSync(c.caFile, 'utf8'),
      store_tls_cert: readFileSync(c.certFile, 'utf8'),
      store_tls_key: readFileSync(c.keyFile, 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
