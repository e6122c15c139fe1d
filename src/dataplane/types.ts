// Types of the engine binding: its configuration, frames in and out, verdicts and counters.

// The tables and store settings live in the shared model (src/model/tables.ts).
import type { FirewallConfig, LbConfig, NatConfig, NfKind, Side, StoreConfig, Timeouts } from '../model/tables.js';
export type { NfKind, Side, L4Proto, Timeouts, NatConfig, PortRange, FirewallRule, FirewallConfig, LbBackend, LbVip, LbConfig, StoreConfig, NfTables } from '../model/tables.js';

export interface EngineConfig {
  /** VNF name: namespaces every key this engine reads or writes (`snf:<vnf>:...`). */
  vnf: string;
  instanceId: string;
  /** NFs applied in order to outbound frames (inside -> outside), reversed for inbound. */
  chain: NfKind[];
  store: StoreConfig;
  nat?: NatConfig;
  firewall?: FirewallConfig;
  lb?: LbConfig;
  timeouts?: Partial<Timeouts>;
}

export interface FrameIn {
  data: Buffer;
  side: Side;
}

export type Verdict = 'forward' | 'drop';

export interface FrameOut {
  verdict: Verdict;
  /** Egress side for forwarded frames; ingress side for dropped ones. */
  side: Side;
  /** The (possibly rewritten) frame. */
  data: Buffer;
  /** Why it was dropped (see DropReason). */
  reason?: DropReason;
}

export type DropReason =
  | 'truncated'
  | 'bad_ethertype'
  | 'bad_ip_version'
  | 'bad_ihl'
  | 'bad_ip_length'
  | 'bad_ipv6_chain'
  | 'bad_l4_header'
  | 'bad_options'
  | 'fragment_no_state'
  | 'unsupported_proto'
  | 'fw_rule_deny'
  | 'fw_no_connection'
  | 'fw_bad_tcp_state'
  | 'nat_no_mapping'
  | 'nat_pool_exhausted'
  | 'nat_not_inside'
  | 'lb_no_vip'
  | 'lb_no_backend'
  | 'store_unavailable';

export interface StoreCounters {
  roundTrips: number;
  commands: number;
  errors: number;
  reconnects: number;
  /** Store nodes that refused the store module's commands (its ACL user lacks them, or the node lost the module): the engine runs the scripts there instead. */
  moduleFallbacks: number;
  /** Why the last connection to the store failed (refused, TLS, AUTH ...), naming the node; absent once it connects again. */
  lastError?: string;
  /** Round-trip latency histogram: counts per bucket whose upper bounds are latencyBucketsUs. */
  latencyUs: number[];
  latencyBucketsUs: number[];
}

export interface NfCounters {
  packets: number;
  forwarded: number;
  dropped: number;
  newFlows: number;
}

export interface CacheCounters {
  hits: number;
  misses: number;
  invalidations: number;
  flushes: number;
  evictions: number;
  bytes: number;
  entries: number;
}

export interface EngineCounters {
  rx: number;
  tx: number;
  dropped: number;
  batches: number;
  drops: Partial<Record<DropReason, number>>;
  nf: Partial<Record<NfKind, NfCounters>>;
  store: StoreCounters;
  /** Present when the store has a coherent cache. */
  cache?: CacheCounters;
}
