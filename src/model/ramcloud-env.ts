// The ramcloud flavour's store settings as the NF VM's environment file carries them
// (/etc/statelessnf/nf.env, heat/cloud-init/nf-user-data.yaml): written by the package
// generators (src/package/userdata.ts), read back into the engine's StoreConfig here, so the two
// sides share one list of names. SNF_STORE_NODES stays the control-plane Redis (tables, registry,
// heartbeats); these lines move only the flow state to RAMCloud.
import type { StoreConfig } from './tables.js';

export const RAMCLOUD_ENV = {
  kind: 'SNF_STORE_KIND',
  coordinator: 'SNF_RAMCLOUD_COORDINATOR',
  clusterName: 'SNF_RAMCLOUD_CLUSTER_NAME',
  table: 'SNF_RAMCLOUD_TABLE',
  span: 'SNF_RAMCLOUD_SPAN',
} as const;

type RamcloudStore = Extract<StoreConfig, { kind: 'ramcloud' }>;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** The fork's TCP transport locator; RAMCloud's own parser takes more, the flavour writes only this. */
const LOCATOR = /^tcp:host=[A-Za-z0-9.:-]+,port=[0-9]{1,5}$/;

/**
 * The flow store an nf.env asks for: undefined for Redis (no SNF_STORE_KIND, or `redis`), the
 * RAMCloud StoreConfig for `ramcloud`. Every error names the variable; a Heat token left unfilled
 * is called one.
 */
export function ramcloudStoreFromEnv(env: Readonly<Record<string, string>>): RamcloudStore | undefined {
  const kind = env[RAMCLOUD_ENV.kind];
  if (kind === undefined || kind === '' || kind === 'redis') return undefined;
  if (kind !== 'ramcloud') throw new Error(`${RAMCLOUD_ENV.kind}: must be redis or ramcloud, got ${JSON.stringify(kind)}`);
  const need = (k: string): string => {
    const v = env[k];
    if (!v || /^__[A-Z_]+__$/.test(v)) throw new Error(`${k}: missing${v ? ` (the template token ${v} was never replaced)` : ''}`);
    return v;
  };
  const coordinator = need(RAMCLOUD_ENV.coordinator);
  if (!LOCATOR.test(coordinator)) throw new Error(`${RAMCLOUD_ENV.coordinator}: ${JSON.stringify(coordinator)} is not tcp:host=<address>,port=<port>`);
  const port = Number(/port=([0-9]+)$/.exec(coordinator)![1]);
  if (port < 1 || port > 65535) throw new Error(`${RAMCLOUD_ENV.coordinator}: port ${port} is outside 1..65535`);
  const clusterName = need(RAMCLOUD_ENV.clusterName);
  if (!NAME.test(clusterName)) throw new Error(`${RAMCLOUD_ENV.clusterName}: ${JSON.stringify(clusterName)} is not a RAMCloud name (letters, digits, _ . -)`);
  const out: RamcloudStore = { kind: 'ramcloud', coordinator, clusterName };
  const table = env[RAMCLOUD_ENV.table];
  if (table) {
    if (!NAME.test(table)) throw new Error(`${RAMCLOUD_ENV.table}: ${JSON.stringify(table)} is not a RAMCloud name (letters, digits, _ . -)`);
    out.table = table;
  }
  const span = env[RAMCLOUD_ENV.span];
  if (span) {
    const n = Number(span);
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`${RAMCLOUD_ENV.span}: must be an integer in 1..64, got ${JSON.stringify(span)}`);
    out.span = n;
  }
  return out;
}
