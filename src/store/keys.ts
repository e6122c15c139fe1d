// Key and channel names of the control-plane key families. See README.md in this directory.
//
// Control keys share the hash tag `{<vnf>:ctl}` and registry keys `{<vnf>:reg}`, so each family
// lives in one Redis Cluster slot and a change to it can be one MULTI (or one script).

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * VNF names, instance ids, VIP ids and backend ids end up inside key names: they must not contain
 * `:`, `{`, `}` (which would break key parsing and hash tags) or glob characters (which would
 * make purge patterns match other VNFs).
 */
export function assertName(what: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || !NAME_RE.test(value)) {
    throw new Error(
      `${what}: must be 1..128 characters of [A-Za-z0-9_.-] starting with a letter or digit, got ${JSON.stringify(value)}`,
    );
  }
}

export interface CtlKeys {
  nat: string;
  natPool: string;
  fw: string;
  fwRules: string;
  lb: string;
  lbVips: string;
  lbBackends(vipId: string): string;
  timeouts: string;
  gen: string;
  /**
   * The store epoch: an opaque string (`<ms since the epoch>-<16 hex>`) the control plane writes
   * once per store lifetime. It lives with the tables (same hash tag), so a store that lost the
   * tables lost the epoch too: readers that see it vanish or change know the store's data was
   * wiped (flows, NAT port allocations, registry) and must not trust what they remember of it.
   */
  epoch: string;
  /** Pub/sub channel carrying the new generation after every change. */
  channel: string;
}

export function ctlKeys(vnf: string): CtlKeys {
  assertName('vnf', vnf);
  const p = `snf:{${vnf}:ctl}`;
  return {
    nat: `${p}:nat`,
    natPool: `${p}:nat:pool`,
    fw: `${p}:fw`,
    fwRules: `${p}:fw:rules`,
    lb: `${p}:lb`,
    lbVips: `${p}:lb:vips`,
    lbBackends: (vipId: string) => {
      assertName('vipId', vipId);
      return `${p}:lb:backends:${vipId}`;
    },
    timeouts: `${p}:timeouts`,
    gen: `${p}:gen`,
    epoch: `${p}:epoch`,
    channel: `snf:${vnf}:ctl:changed`,
  };
}

export interface RegKeys {
  inst(id: string): string;
  instances: string;
}

export function regKeys(vnf: string): RegKeys {
  assertName('vnf', vnf);
  const p = `snf:{${vnf}:reg}`;
  return {
    inst: (id: string) => {
      assertName('instance id', id);
      return `${p}:inst:${id}`;
    },
    instances: `${p}:instances`,
  };
}

/**
 * SCAN pattern that can only match keys of the `snf:` namespace, and a test that tells whether
 * such a key belongs to `vnf`: `snf:{<vnf>}...`, `snf:{<vnf>:...}...` or `snf:<vnf>:...`
 * (every family this project writes, control plane and data plane).
 */
export function vnfKeyMatcher(vnf: string): { pattern: string; test(key: string): boolean } {
  assertName('vnf', vnf);
  const esc = vnf.replace(/[.]/g, '\\.');
  const re = new RegExp(`^snf:(?:\\{${esc}[}:]|${esc}:)`);
  return { pattern: 'snf:*', test: (key) => re.test(key) };
}
