// A private CA and a server certificate for the store, made with the openssl CLI at deploy time
// (never committed). The CA key signs once and is deleted: nobody can mint another certificate
// this deployment's clients would trust.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isIP } from 'node:net';

export interface StoreCerts {
  dir: string;
  /** CA certificate clients verify the store against (`?ca=` of a rediss:// URL). */
  caFile: string;
  /** redis-server's `tls-cert-file` and `tls-key-file`. */
  certFile: string;
  keyFile: string;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`openssl ${args[0]}: ${err.stderr?.toString().trim() || err.message}`);
  }
}

/**
 * Writes ca.crt, server.crt and server.key into `dir` for the given names (DNS names or IP
 * addresses the clients connect to). ECDSA P-256: fast handshakes, small certificates.
 */
export function makeStoreCerts(dir: string, names: string[], days = 825): StoreCerts {
  if (names.length === 0) throw new Error('store certificates: at least one name or address is required');
  for (const n of names) if (!/^[A-Za-z0-9.:-]{1,253}$/.test(n)) throw new Error(`store certificates: names: ${JSON.stringify(n)} is not a host name or address`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const san = names.map((n) => (isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  const ext = join(dir, 'server.ext');
  // clientAuth too: with tls-cluster / tls-replication a node presents this certificate to its
  // peers as a client, and they refuse it without (a TLS cluster never formed).
  writeFileSync(ext, `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature,keyEncipherment\nbasicConstraints=CA:FALSE\n`);
  try {
    openssl(['req', '-x509', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', String(days), '-subj', '/CN=StatelessNF store CA'], dir);
    openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${names[0]}`], dir);
    openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', String(days), '-extfile', 'server.ext'], dir);
  } finally {
    for (const f of ['ca.key', 'server.csr', 'ca.srl', 'server.ext']) rmSync(join(dir, f), { force: true });
  }
  chmodSync(join(dir, 'server.key'), 0o600);
  return { dir, caFile: join(dir, 'ca.crt'), certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key') };
}

/** redis-server arguments for a TLS-only listener on `tlsPort` (the plain port is the caller's choice). */
export function redisTlsArgs(c: StoreCerts, tlsPort: number): string[] {
  return ['--tls-port', String(tlsPort), '--tls-cert-file', c.certFile, '--tls-key-file', c.keyFile, '--tls-ca-cert-file', c.caFile, '--tls-auth-clients', 'no', '--tls-replication', 'yes', '--tls-cluster', 'yes'];
}
