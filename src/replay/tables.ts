// The NF tables a replay runs with. Captured traffic comes from anywhere, so the NAT treats every
// initiator as inside, the firewall lets out what the inside starts and nothing else in, and the
// load balancer offers one VIP per family and protocol, where sides.ts sends every TCP and UDP flow.
import type { EngineConfig, NfKind, NfTables } from '../dataplane/types.js';
import type { MappingMode, VipPlan } from './sides.js';

export const REPLAY_VIPS: VipPlan = {
  v4: Buffer.from([192, 0, 2, 10]),
  v6: Buffer.from('20010db8000f00000000000000000010', 'hex'),
  tcpPort: 80,
  udpPort: 53,
};

export const REPLAY_TABLES: NfTables = {
  nat: { insidePrefixes: ['0.0.0.0/0', '::/0'], pool: ['198.51.100.1', '198.51.100.2', '2001:db8:ff::1'], portRange: [1024, 65535] },
  firewall: { rules: [{ id: 'out', action: 'allow', direction: 'out' }], defaultAction: 'deny' },
  lb: {
    vips: [
      { id: 'tcp4', address: '192.0.2.10', port: 80, protocol: 'tcp', backends: [1, 2, 3].map((n) => ({ id: `t4-${n}`, address: `10.1.0.${n}`, port: 8080 })) },
      { id: 'udp4', address: '192.0.2.10', port: 53, protocol: 'udp', backends: [1, 2].map((n) => ({ id: `u4-${n}`, address: `10.1.1.${n}` })) },
      { id: 'tcp6', address: '2001:db8:f::10', port: 80, protocol: 'tcp', backends: [1, 2, 3].map((n) => ({ id: `t6-${n}`, address: `fd00:1::${n}`, port: 8080 })) },
      { id: 'udp6', address: '2001:db8:f::10', port: 53, protocol: 'udp', backends: [1, 2].map((n) => ({ id: `u6-${n}`, address: `fd00:1:1::${n}` })) },
    ],
  },
  // Capture time is not replayed, wall time passes at each store's own pace: with the product's
  // timeouts a closed TCP flow (10 s) would expire during a slow store's run and not during a
  // fast one's, and least-connections (which counts unexpired flows) would then pick other
  // backends. An hour outlasts any replay, so every store sees the same live flows.
  timeouts: { udpMs: 3_600_000, tcpEstablishedMs: 3_600_000, tcpTransitoryMs: 3_600_000, icmpMs: 3_600_000, tcpClosedMs: 3_600_000 },
};

/** The chains `snf replay --nf` knows, by the names the issue and the table use. */
export const CHAINS: Record<string, { chain: NfKind[]; mode: MappingMode }> = {
  nat: { chain: ['nat'], mode: 'nat' },
  firewall: { chain: ['firewall'], mode: 'firewall' },
  'fw+nat': { chain: ['firewall', 'nat'], mode: 'nat' },
  lb: { chain: ['lb'], mode: 'lb' },
};

export type StoreName = 'local' | 'redis' | 'redis+cache' | 'ramcloud';
/** The default stores; `ramcloud` only when asked (it needs `scripts/setup.sh --ramcloud`). */
export const STORES: StoreName[] = ['local', 'redis', 'redis+cache'];
export const ALL_STORES: StoreName[] = [...STORES, 'ramcloud'];

export interface RamcloudTarget {
  coordinator: string;
  clusterName: string;
  /** the masters' pids, for their CPU (the coordinator is off the data path) */
  pids: number[];
}

export function storeConfig(store: StoreName, redisNode: string | undefined, ramcloud?: RamcloudTarget, postHoldUs?: number): EngineConfig['store'] {
  if (store === 'local') return { kind: 'local' };
  if (store === 'ramcloud') {
    if (!ramcloud) throw new Error('store ramcloud needs a RAMCloud cluster');
    return { kind: 'ramcloud', coordinator: ramcloud.coordinator, clusterName: ramcloud.clusterName, timeoutMs: 2000 };
  }
  if (!redisNode) throw new Error(`store ${store} needs a Redis server`);
  // A busy host stalls the store for longer than the product's 100 ms deadline now and then;
  // a replay measures throughput and checks equivalence, so it waits rather than drop.
  return {
    kind: 'redis', nodes: [redisNode], timeoutMs: 2000,
    ...(store === 'redis' ? { cacheBytes: 0 } : {}),
    ...(postHoldUs !== undefined ? { postHoldUs } : {}),
  };
}
