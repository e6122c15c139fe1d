// The native data plane takes plain `host:port` / `unix:/path` nodes and separate credentials
// and TLS settings (the native connection parses no URL); operators and descriptors name the store with a
// URL. This turns one into the other, so an instance started with
// `rediss://user:password@host:port?ca=/etc/snf/store-ca.pem` uses that user and TLS.
import { accessSync, constants } from 'node:fs';
import type { StoreConfig, StoreTlsConfig } from '../model/tables.js';
import { parseStoreSeeds, redact, type StoreTarget } from './url.js';

type RedisStoreConfig = Extract<StoreConfig, { kind: 'redis' }>;

const URL_RE = /^[a-z+]+:\/\//i;

function hostPort(s: { host: string; port: number }): string {
  return s.host.includes(':') ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`;
}

function readable(path: string, field: string): void {
  try {
    accessSync(path, constants.R_OK);
  } catch (e) {
    throw new Error(`${field}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function tlsFromTarget(t: StoreTarget, field: string): StoreTlsConfig | undefined {
  if (!t.tls) return undefined;
  if (t.tls.caFile === undefined)
    throw new Error(`${field}: rediss:// needs ?ca=/path/to/ca.pem: the data plane checks the store's certificate against the deployment's CA, not the system trust store`);
  return {
    caFile: t.tls.caFile,
    ...(t.tls.servername !== undefined ? { servername: t.tls.servername } : {}),
    ...(t.tls.certFile !== undefined ? { certFile: t.tls.certFile } : {}),
    ...(t.tls.keyFile !== undefined ? { keyFile: t.tls.keyFile } : {}),
  };
}

/**
 * The settings the native store takes: URL nodes (redis://, rediss://) become host:port with
 * their user, password, TLS and cluster mode carried over (explicit fields win). Plain nodes
 * pass through. The TLS files are checked here so a wrong path is refused before the engine
 * starts, naming the field. A Sentinel URL is resolved first (engineStoreConfig).
 */
export function nativeStoreConfig(store: RedisStoreConfig): RedisStoreConfig {
  const urls = store.nodes.filter((n) => URL_RE.test(n.trim()));
  let out = store;
  if (urls.length > 0) {
    if (urls.length !== store.nodes.length) throw new Error('store.nodes: give either URLs or host:port nodes, not both');
    if (store.nodes.some((n) => /^rediss?\+sentinel:/i.test(n.trim())))
      throw new Error('store.nodes: a Sentinel URL names no node; resolve it first (engineStoreConfig)');
    let target: StoreTarget;
    try {
      target = parseStoreSeeds(store.nodes.length === 1 ? [store.nodes[0]] : store.nodes);
    } catch (e) {
      throw new Error(`store.nodes: ${(e as Error).message}`);
    }
    const user = store.user ?? target.username;
    const password = store.password ?? target.password;
    const tls = store.tls ?? tlsFromTarget(target, `store.nodes[0] ${JSON.stringify(redact(store.nodes[0]))}`);
    out = {
      ...store,
      nodes: target.seeds.map(hostPort),
      cluster: store.cluster ?? target.mode === 'cluster',
      ...(user !== undefined ? { user } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(tls !== undefined ? { tls } : {}),
    };
  }
  if (out.user !== undefined && out.password === undefined) throw new Error('store.user: an ACL user needs store.password');
  if (out.tls) {
    if (!out.tls.caFile.startsWith('/')) throw new Error(`store.tls.caFile: must be an absolute path, got ${JSON.stringify(out.tls.caFile)}`);
    readable(out.tls.caFile, 'store.tls.caFile');
    if ((out.tls.certFile === undefined) !== (out.tls.keyFile === undefined))
      throw new Error(`store.tls.${out.tls.certFile === undefined ? 'certFile' : 'keyFile'}: a client certificate needs both certFile and keyFile`);
    if (out.tls.certFile !== undefined) readable(out.tls.certFile, 'store.tls.certFile');
    if (out.tls.keyFile !== undefined) readable(out.tls.keyFile, 'store.tls.keyFile');
  }
  return out;
}

