// The one grammar for naming a store, shared by the CLI, the VNF manager, instances and tests.
// Parsing is separate from connecting so that a bad URL is refused before anything is started,
// with the part of the URL that is wrong.
//
//   host:port | [v6]:port                       a single node (or a cluster seed, detected)
//   unix:/absolute/path                         a node on a UNIX socket (the local deployment)
//   redis://[user[:password]@]h:p[,h:p...][?q]  plain TCP; several hosts = cluster seeds
//   rediss://...                                the same over TLS
//   redis+sentinel://[user[:password]@]s:p[,s:p...]/<primary>[?q]   (rediss+sentinel:// for TLS)
//
// Query parameters: cluster=yes|no|auto, ca=<PEM file> (TLS trust anchor), servername=<name>
// (TLS SNI / name checked in the certificate), cert=<PEM file>&key=<PEM file> (TLS client
// certificate), sentinelPassword=<pw>, sentinelUser=<user>.

export interface Seed {
  host: string;
  port: number;
}

export interface StoreTls {
  /** PEM file of the CA that signed the store's certificate; absent: the system's trust store. */
  caFile?: string;
  /** Name checked against the certificate (default: the host connected to). */
  servername?: string;
  /** Client certificate and its key (PEM files), for a store with `tls-auth-clients yes`. */
  certFile?: string;
  keyFile?: string;
}

export type StoreMode = 'auto' | 'single' | 'cluster' | 'sentinel' | 'unix';

export interface StoreTarget {
  mode: StoreMode;
  /** Nodes, or Sentinels in `sentinel` mode; empty for `unix`. */
  seeds: Seed[];
  /** `unix` mode: the socket path. */
  path?: string;
  username?: string;
  password?: string;
  tls?: StoreTls;
  /** `sentinel` mode: the primary's name as the Sentinels know it, and their own credentials. */
  sentinel?: { name: string; username?: string; password?: string };
}

export class StoreUrlError extends Error {
  constructor(
    readonly input: string,
    readonly part: string,
    reason: string,
  ) {
    // Passwords never reach an error message or a log line.
    super(`store URL ${JSON.stringify(redact(input))}: ${part}: ${reason}`);
    this.name = 'StoreUrlError';
  }
}

/** The URL with any password replaced by `***`. */
export function redact(s: string): string {
  return s
    .replace(/^([a-z+]+:\/\/[^:@/]*:)[^@/]*@/i, '$1***@')
    .replace(/([?&](?:sentinelPassword|password)=)[^&]*/gi, '$1***');
}

const HOSTPORT = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9_.-]+))(?::(\d{1,5}))?$/;

function hostPort(input: string, part: string, text: string, defaultPort: number | undefined): Seed {
  const m = HOSTPORT.exec(text);
  if (!m) throw new StoreUrlError(input, part, `expected host:port or [ipv6]:port, got ${JSON.stringify(text)}`);
  if (m[3] === undefined && defaultPort === undefined) throw new StoreUrlError(input, part, `a port is required, got ${JSON.stringify(text)}`);
  const port = m[3] === undefined ? (defaultPort as number) : Number(m[3]);
  if (port < 1 || port > 65535) throw new StoreUrlError(input, part, `port must be 1..65535, got ${port}`);
  return { host: m[1] ?? m[2], port };
}

function decode(input: string, part: string, s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new StoreUrlError(input, part, 'bad percent-encoding');
  }
}

const SCHEMES: Record<string, { tls: boolean; sentinel: boolean }> = {
  'redis:': { tls: false, sentinel: false },
  'rediss:': { tls: true, sentinel: false },
  'redis+sentinel:': { tls: false, sentinel: true },
  'rediss+sentinel:': { tls: true, sentinel: true },
};

const QUERY_KEYS = new Set(['cluster', 'ca', 'servername', 'cert', 'key', 'sentinelPassword', 'sentinelUser']);

/** Parses one store URL or bare `host:port`. Throws StoreUrlError naming the offending part. */
export function parseStoreUrl(input: string): StoreTarget {
  const text = input.trim();
  if (text === '') throw new StoreUrlError(input, 'url', 'empty');
  if (text.startsWith('unix:')) {
    const path = text.slice('unix:'.length);
    if (!path.startsWith('/')) throw new StoreUrlError(input, 'path', 'expected unix:/absolute/path');
    return { mode: 'unix', seeds: [], path };
  }
  const sm = /^([a-z+]+:)\/\/(.*)$/i.exec(text);
  if (!sm) {
    if (text.includes('://')) throw new StoreUrlError(input, 'scheme', 'unknown scheme');
    return { mode: 'auto', seeds: [hostPort(input, 'host', text, undefined)] };
  }
  const scheme = SCHEMES[sm[1].toLowerCase()];
  if (!scheme) throw new StoreUrlError(input, 'scheme', `must be redis://, rediss://, redis+sentinel:// or rediss+sentinel://, got ${JSON.stringify(sm[1] + '//')}`);
  let rest = sm[2];
  let query = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  let userinfo: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
  }
  let path = '';
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    path = rest.slice(slash + 1);
    rest = rest.slice(0, slash);
  }
  const defaultPort = scheme.sentinel ? 26379 : 6379;
  const hosts = rest.split(',');
  if (hosts.some((h) => h === '')) throw new StoreUrlError(input, 'host', 'empty host in the list');
  const seeds = hosts.map((h, i) => hostPort(input, hosts.length > 1 ? `host[${i}]` : 'host', h, defaultPort));

  const target: StoreTarget = { mode: scheme.sentinel ? 'sentinel' : seeds.length > 1 ? 'cluster' : 'auto', seeds };
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    const user = decode(input, 'username', colon >= 0 ? userinfo.slice(0, colon) : userinfo);
    if (colon >= 0) {
      target.password = decode(input, 'password', userinfo.slice(colon + 1));
      if (user !== '') target.username = user;
    } else if (user !== '') {
      // redis://secret@host is how redis-cli and ioredis read a password without a user.
      target.password = user;
    }
  }
  if (scheme.tls) target.tls = {};

  const params = new URLSearchParams(query);
  for (const k of params.keys()) {
    if (!QUERY_KEYS.has(k)) throw new StoreUrlError(input, `?${k}`, `unknown parameter (known: ${[...QUERY_KEYS].join(', ')})`);
  }
  const cluster = params.get('cluster');
  if (cluster !== null) {
    if (scheme.sentinel) throw new StoreUrlError(input, '?cluster', 'a Sentinel-watched primary is not a cluster');
    if (!['yes', 'no', 'auto'].includes(cluster)) throw new StoreUrlError(input, '?cluster', `must be yes, no or auto, got ${JSON.stringify(cluster)}`);
    if (cluster === 'no' && seeds.length > 1) throw new StoreUrlError(input, '?cluster', 'several hosts name cluster seeds; a single node takes one host');
    target.mode = cluster === 'yes' ? 'cluster' : cluster === 'no' ? 'single' : target.mode;
  }
  const field = { ca: 'caFile', servername: 'servername', cert: 'certFile', key: 'keyFile' } as const;
  for (const k of ['ca', 'servername', 'cert', 'key'] as const) {
    const v = params.get(k);
    if (v === null) continue;
    if (!scheme.tls) throw new StoreUrlError(input, `?${k}`, 'only meaningful with rediss:// (TLS)');
    if (v === '') throw new StoreUrlError(input, `?${k}`, 'empty');
    if (k !== 'servername' && !v.startsWith('/')) throw new StoreUrlError(input, `?${k}`, `must be an absolute path to a PEM file, got ${JSON.stringify(v)}`);
    target.tls = { ...target.tls, [field[k]]: v };
  }
  if (params.has('cert') !== params.has('key')) throw new StoreUrlError(input, params.has('cert') ? '?key' : '?cert', 'a client certificate needs both ?cert= and ?key=');

  if (scheme.sentinel) {
    const name = decode(input, 'primary name', path);
    if (!/^[A-Za-z0-9_.-]{1,128}$/.test(name)) throw new StoreUrlError(input, 'primary name', `the path must name the primary as the Sentinels know it (1..128 of [A-Za-z0-9_.-]), got ${JSON.stringify(name)}`);
    target.sentinel = { name };
    const sp = params.get('sentinelPassword');
    const su = params.get('sentinelUser');
    if (sp !== null) target.sentinel.password = sp;
    if (su !== null) target.sentinel.username = su;
  } else {
    if (path !== '' && !/^\d{1,2}$/.test(path)) throw new StoreUrlError(input, 'path', `only a Sentinel URL has a path (the primary's name), got ${JSON.stringify('/' + path)}`);
    if (path !== '' && path !== '0') throw new StoreUrlError(input, 'path', 'database numbers other than 0 are not supported (Redis Cluster has only db 0)');
    for (const k of ['sentinelPassword', 'sentinelUser']) {
      if (params.has(k)) throw new StoreUrlError(input, `?${k}`, 'only meaningful with redis+sentinel://');
    }
  }
  return target;
}

/** Several seeds given separately (CLI lists, descriptors): one target, the same rules as one URL. */
export function parseStoreSeeds(list: string[]): StoreTarget {
  const items = list.map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new StoreUrlError('', 'url', 'no seed nodes given');
  if (items.length === 1) return parseStoreUrl(items[0]);
  const parsed = items.map(parseStoreUrl);
  const first = parsed[0];
  parsed.forEach((p, i) => {
    if (p.mode === 'unix' || p.mode === 'sentinel') throw new StoreUrlError(items[i], `seeds[${i}]`, 'a list of seeds names cluster nodes; give a UNIX socket or a Sentinel URL alone');
    if (i > 0 && (!!p.tls !== !!first.tls || p.password !== first.password || p.username !== first.username))
      throw new StoreUrlError(items[i], `seeds[${i}]`, 'every seed must use the same scheme and credentials as the first');
  });
  const mode: StoreMode = parsed.some((p) => p.mode === 'cluster') ? 'cluster' : first.mode === 'single' ? 'single' : 'auto';
  return { ...first, mode, seeds: parsed.flatMap((p) => p.seeds) };
}
