// Validation and normalisation of NfTables before they reach the store.
//
// Errors name the offending field path (`lb.vips[1].backends[0].weight: must be 1..1000`) so an
// operator can find it in the descriptor or request it came from. Normalisation fills defaults and
// sorts unordered collections, so what readTables returns equals normalizeTables(what was written).

import type {
  FirewallConfig,
  FirewallRule,
  LbBackend,
  LbConfig,
  LbVip,
  NatConfig,
  PortRange,
  Timeouts,
} from '../model/tables.js';
import { compareAddr, ipFamily, prefixError } from './addr.js';
import { assertName } from './keys.js';

export class TableValidationError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'TableValidationError';
  }
}

export const DEFAULT_TIMEOUTS: Readonly<Timeouts> = Object.freeze({
  udpMs: 30_000,
  tcpEstablishedMs: 7_200_000,
  tcpTransitoryMs: 240_000,
  icmpMs: 60_000,
  tcpClosedMs: 10_000,
  refreshIntervalMs: 1_000,
});
export const DEFAULT_PORT_RANGE: Readonly<PortRange> = Object.freeze([1024, 65535]) as Readonly<PortRange>;
export const DEFAULT_SHARDS = 64;
export const DEFAULT_MAGLEV_TABLE_SIZE = 65537;

/** NfTables with every default filled in; `timeouts` is always complete. */
export interface NormalizedTables {
  nat?: Required<NatConfig>;
  firewall?: FirewallConfig & { defaultAction: 'allow' | 'deny' };
  lb?: Required<LbConfig>;
  timeouts: Timeouts;
}

type Obj = Record<string, unknown>;

function fail(path: string, reason: string): never {
  throw new TableValidationError(path || 'tables', reason);
}

function obj(path: string, v: unknown, allowed: readonly string[]): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'must be an object');
  for (const k of Object.keys(v)) {
    // Unknown fields are usually typos of optional ones; silently dropping them would hide that.
    if (!allowed.includes(k)) fail(path ? `${path}.${k}` : k, `unknown field (expected one of ${allowed.join(', ')})`);
  }
  return v as Obj;
}

function arr(path: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) fail(path, 'must be an array');
  return v;
}

function int(path: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    fail(path, `must be an integer ${lo}..${hi}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function oneOf<T extends string>(path: string, v: unknown, values: readonly T[]): T {
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
    fail(path, `must be one of ${values.join(', ')}, got ${JSON.stringify(v)}`);
  }
  return v as T;
}

function address(path: string, v: unknown): string {
  if (typeof v !== 'string' || !ipFamily(v)) fail(path, `must be an IPv4 or IPv6 address, got ${JSON.stringify(v)}`);
  return v;
}

function prefix(path: string, v: unknown): string {
  if (typeof v !== 'string') fail(path, `must be a CIDR prefix string, got ${JSON.stringify(v)}`);
  const e = prefixError(v);
  if (e) fail(path, e);
  return v;
}

function name(path: string, v: unknown): string {
  try {
    assertName(path, v);
  } catch (e) {
    fail(path, (e as Error).message.replace(/^[^:]*: /, ''));
  }
  return v as string;
}

function portRange(path: string, v: unknown, lo: number): PortRange {
  const a = arr(path, v);
  if (a.length !== 2) fail(path, 'must be [low, high]');
  const l = int(`${path}[0]`, a[0], lo, 65535);
  const h = int(`${path}[1]`, a[1], lo, 65535);
  if (l > h) fail(path, `low ${l} is above high ${h}`);
  return [l, h];
}

function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

function nat(v: unknown): Required<NatConfig> {
  const o = obj('nat', v, ['insidePrefixes', 'pool', 'portRange', 'shards']);
  const insidePrefixes = arr('nat.insidePrefixes', o.insidePrefixes).map((p, i) => prefix(`nat.insidePrefixes[${i}]`, p));
  const poolIn = arr('nat.pool', o.pool);
  if (poolIn.length === 0) fail('nat.pool', 'must hold at least one address');
  const seen = new Set<string>();
  const pool = poolIn.map((a, i) => {
    const s = address(`nat.pool[${i}]`, a);
    if (seen.has(s)) fail(`nat.pool[${i}]`, `duplicate address ${s}`);
    seen.add(s);
    return s;
  });
  const portRangeV = o.portRange === undefined ? ([...DEFAULT_PORT_RANGE] as PortRange) : portRange('nat.portRange', o.portRange, 1);
  const shards = o.shards === undefined ? DEFAULT_SHARDS : int('nat.shards', o.shards, 1, 4096);
  if (shards > portRangeV[1] - portRangeV[0] + 1) fail('nat.shards', `${shards} shards exceed the ${portRangeV[1] - portRangeV[0] + 1} ports of nat.portRange`);
  // A SET keeps no order; sorting makes the stored form and the round trip deterministic.
  return { insidePrefixes, pool: pool.sort(compareAddr), portRange: portRangeV, shards };
}

function rule(path: string, v: unknown): FirewallRule {
  const o = obj(path, v, ['id', 'action', 'direction', 'src', 'dst', 'proto', 'srcPorts', 'dstPorts']);
  const r: FirewallRule = { action: oneOf(`${path}.action`, o.action, ['allow', 'deny'] as const) };
  if (o.id !== undefined) r.id = name(`${path}.id`, o.id);
  if (o.direction !== undefined) r.direction = oneOf(`${path}.direction`, o.direction, ['in', 'out', 'any'] as const);
  if (o.src !== undefined) r.src = arr(`${path}.src`, o.src).map((p, i) => prefix(`${path}.src[${i}]`, p));
  if (o.dst !== undefined) r.dst = arr(`${path}.dst`, o.dst).map((p, i) => prefix(`${path}.dst[${i}]`, p));
  if (o.proto !== undefined) r.proto = oneOf(`${path}.proto`, o.proto, ['tcp', 'udp', 'icmp', 'any'] as const);
  for (const k of ['srcPorts', 'dstPorts'] as const) {
    if (o[k] === undefined) continue;
    if (r.proto === 'icmp') fail(`${path}.${k}`, 'ports make no sense with proto icmp');
    r[k] = arr(`${path}.${k}`, o[k]).map((p, i) => portRange(`${path}.${k}[${i}]`, p, 0));
  }
  return r;
}

function firewall(v: unknown): NonNullable<NormalizedTables['firewall']> {
  const o = obj('firewall', v, ['rules', 'defaultAction']);
  const ids = new Map<string, number>();
  const rules = arr('firewall.rules', o.rules).map((x, i) => {
    const r = rule(`firewall.rules[${i}]`, x);
    if (r.id !== undefined) {
      if (ids.has(r.id)) fail(`firewall.rules[${i}].id`, `duplicate id ${JSON.stringify(r.id)} (also rules[${ids.get(r.id)}])`);
      ids.set(r.id, i);
    }
    return r;
  });
  const defaultAction = o.defaultAction === undefined ? 'deny' : oneOf('firewall.defaultAction', o.defaultAction, ['allow', 'deny'] as const);
  return { rules, defaultAction };
}

function backend(path: string, v: unknown): LbBackend {
  const o = obj(path, v, ['id', 'address', 'port', 'weight', 'state']);
  const b: LbBackend = { id: name(`${path}.id`, o.id), address: address(`${path}.address`, o.address) };
  if (o.port !== undefined) b.port = int(`${path}.port`, o.port, 1, 65535);
  b.weight = o.weight === undefined ? 1 : int(`${path}.weight`, o.weight, 1, 1000);
  b.state = o.state === undefined ? 'active' : oneOf(`${path}.state`, o.state, ['active', 'drained'] as const);
  return b;
}

function vip(path: string, v: unknown): LbVip {
  const o = obj(path, v, ['id', 'address', 'port', 'protocol', 'backends']);
  const id = name(`${path}.id`, o.id);
  const addr = address(`${path}.address`, o.address);
  const port = int(`${path}.port`, o.port, 1, 65535);
  const protocol = oneOf(`${path}.protocol`, o.protocol, ['tcp', 'udp'] as const);
  const seen = new Map<string, number>();
  const backends = arr(`${path}.backends`, o.backends).map((x, i) => {
    const b = backend(`${path}.backends[${i}]`, x);
    if (seen.has(b.id)) fail(`${path}.backends[${i}].id`, `duplicate id ${JSON.stringify(b.id)} (also backends[${seen.get(b.id)}])`);
    seen.set(b.id, i);
    return b;
  });
  // A HASH keeps no order; sorting by id makes the round trip deterministic.
  backends.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { id, address: addr, port, protocol, backends };
}

function lb(v: unknown): Required<LbConfig> {
  const o = obj('lb', v, ['vips', 'algorithm', 'maglevTableSize']);
  const ids = new Map<string, number>();
  const services = new Map<string, number>();
  const vips = arr('lb.vips', o.vips).map((x, i) => {
    const p = `lb.vips[${i}]`;
    const r = vip(p, x);
    if (ids.has(r.id)) fail(`${p}.id`, `duplicate id ${JSON.stringify(r.id)} (also vips[${ids.get(r.id)}])`);
    ids.set(r.id, i);
    const svc = `${r.protocol} ${r.address} ${r.port}`;
    if (services.has(svc)) fail(p, `same address, port and protocol as vips[${services.get(svc)}]`);
    services.set(svc, i);
    return r;
  });
  vips.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const algorithm = o.algorithm === undefined ? 'wlc' : oneOf('lb.algorithm', o.algorithm, ['wlc', 'maglev'] as const);
  let maglevTableSize = DEFAULT_MAGLEV_TABLE_SIZE;
  if (o.maglevTableSize !== undefined) {
    maglevTableSize = int('lb.maglevTableSize', o.maglevTableSize, 3, 1_000_003);
    if (!isPrime(maglevTableSize)) fail('lb.maglevTableSize', `must be a prime, got ${maglevTableSize}`);
  }
  return { vips, algorithm, maglevTableSize };
}

function timeouts(v: unknown): Timeouts {
  const fields = Object.keys(DEFAULT_TIMEOUTS) as (keyof Timeouts)[];
  const t: Timeouts = { ...DEFAULT_TIMEOUTS };
  if (v === undefined) return t;
  const o = obj('timeouts', v, fields);
  for (const f of fields) {
    // Upper bound: a day in ms is well past any sane idle timeout and far below PX limits.
    if (o[f] !== undefined) t[f] = int(`timeouts.${f}`, o[f], 1, 86_400_000 * 7);
  }
  return t;
}

/** Validates `input` as NfTables and returns it with defaults filled; throws TableValidationError. */
export function normalizeTables(input: unknown): NormalizedTables {
  const o = obj('', input, ['nat', 'firewall', 'lb', 'timeouts']);
  const out: NormalizedTables = { timeouts: timeouts(o.timeouts) };
  if (o.nat !== undefined) out.nat = nat(o.nat);
  if (o.firewall !== undefined) out.firewall = firewall(o.firewall);
  if (o.lb !== undefined) out.lb = lb(o.lb);
  return out;
}
