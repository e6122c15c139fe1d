// The NF tables and store settings as one model that the store (control tables), the data plane
// (engine config) and the VIMs (what they deploy) all import, so none of them has to import
// another for its types. Addresses are strings (IPv4 dotted or IPv6), prefixes are CIDR strings.

export type NfKind = 'nat' | 'firewall' | 'lb';

/**
 * Which side of the NF a frame arrived on. `inside` is the protected / private network
 * (NAT inside hosts, firewall's protected side, LB backends); `outside` is the rest
 * (the Internet, LB clients). A forwarded frame leaves on the other side.
 */
export type Side = 'inside' | 'outside';

export type L4Proto = 'tcp' | 'udp' | 'icmp';

export interface Timeouts {
  /** UDP mapping / pseudo-connection idle timeout (default 30 s). */
  udpMs: number;
  /** TCP established idle timeout (default 2 h). */
  tcpEstablishedMs: number;
  /** TCP transitory (handshake, FIN, RST) timeout (default 4 min). */
  tcpTransitoryMs: number;
  /** ICMP query timeout (default 60 s). */
  icmpMs: number;
  /** TCP after RST or both FINs (TIME_WAIT) (default 10 s). */
  tcpClosedMs: number;
  /** A flow's TTL in the store is refreshed at most once per this interval (default 1 s). */
  refreshIntervalMs: number;
}

export interface NatConfig {
  /** Prefixes whose sources are translated when leaving the inside. */
  insidePrefixes: string[];
  /** Outside addresses (IPv4 or IPv6, not mixed per family) mappings are allocated from. */
  pool: string[];
  /** Inclusive external port / ICMP id range (default [1024, 65535]). */
  portRange?: [number, number];
  /**
   * Port shards per pool address: the allocator for address X is split into this many
   * independently locked Redis Cluster slots (ports p with p % shards == k). Default 64.
   */
  shards?: number;
}

export type PortRange = [number, number];

export interface FirewallRule {
  id?: string;
  action: 'allow' | 'deny';
  /** `out`: initiated from the inside; `in`: initiated from the outside. Default `any`. */
  direction?: 'in' | 'out' | 'any';
  /** Source prefixes (initiator's address). Empty or absent: any. */
  src?: string[];
  /** Destination prefixes. Empty or absent: any. */
  dst?: string[];
  proto?: L4Proto | 'any';
  srcPorts?: PortRange[];
  dstPorts?: PortRange[];
}

export interface FirewallConfig {
  /** Evaluated in order on the first packet of a connection; the first match wins. */
  rules: FirewallRule[];
  /** Verdict when no rule matches (default deny). */
  defaultAction?: 'allow' | 'deny';
}

export interface LbBackend {
  id: string;
  address: string;
  /** Backend port; absent means the VIP's port. */
  port?: number;
  /** Relative weight, 1..1000 (default 1). */
  weight?: number;
  /** `drained`: gets no new flows, keeps its existing ones until they end. */
  state?: 'active' | 'drained';
}

export interface LbVip {
  id: string;
  address: string;
  port: number;
  protocol: 'tcp' | 'udp';
  backends: LbBackend[];
}

export interface LbConfig {
  vips: LbVip[];
  /** `wlc`: weighted least-connections over the shared load table; `maglev`: consistent hashing. */
  algorithm?: 'wlc' | 'maglev';
  /** Maglev lookup table size, a prime (default 65537). */
  maglevTableSize?: number;
}

/** How the data plane checks the store over TLS (docs/store.md). */
export interface StoreTlsConfig {
  /** PEM file of the CA the store's certificate must chain to (absolute path). */
  caFile: string;
  /** Name the certificate must carry (default: the host connected to). */
  servername?: string;
  /** Client certificate and key (PEM), for a store that checks clients (`tls-auth-clients yes`). */
  certFile?: string;
  keyFile?: string;
}

export type StoreConfig =
  | { kind: 'local'; maxFlows?: number }
  | {
      kind: 'redis';
      /** Seed nodes, `host:port`. With `cluster`, the slot map is read from any of them. */
      nodes: string[];
      cluster?: boolean;
      /** Per-batch store deadline; past it the batch's store-dependent packets are dropped. */
      timeoutMs?: number;
      password?: string;
      /** ACL user (AUTH <user> <password>); see docs/store.md for the roles. Needs `password`. */
      user?: string;
      /** TLS on every connection to the store (a rediss:// node turns it on by itself). */
      tls?: StoreTlsConfig;
      /**
       * Bytes of the coherent flow cache (default 64 MiB; 0 turns it off). Values read from the
       * store stay in the engine until Redis invalidates them (CLIENT TRACKING), so established
       * flows cost no round trip. See native/store/README.md.
       */
      cacheBytes?: number;
      /**
       * How often, in microseconds, the cache checks for invalidations before trusting itself
       * (default 50; 0 = before every batch; at most 1,000,000). It bounds how long a value changed elsewhere can
       * still be used here, on top of the invalidation's trip from Redis.
       */
      cacheRecheckUs?: number;
      /**
       * How long, in microseconds, a batch busy-polls for the store's replies before it sleeps
       * (default 200; 0 = always sleep; at most 10,000). A sleeping engine pays a wake-up on
       * every round trip (tens of µs on a VM); spinning costs CPU only while a batch waits.
       */
      spinUs?: number;
      /**
       * How long, in microseconds, commands nobody waits for (TTL refreshes, closings, state
       * changes) may wait for the next store round trip to carry them before they are written on
       * their own (default 1,000; 0 = at the end of every batch; at most 10,000). Each write of
       * their own wakes Redis; an idle engine sends them at once.
       */
      postHoldUs?: number;
    }
  | {
      /**
       * RAMCloud, through the store plugin (native/store/plugin_abi.h, built by
       * `scripts/setup.sh --ramcloud`). Flow state only: the control plane stays on Redis.
       */
      kind: 'ramcloud';
      /** The coordinator's service locator, e.g. `tcp:host=10.0.0.5,port=11100`. */
      coordinator: string;
      /** The RAMCloud cluster name the coordinator and masters were started with (default `main`). */
      clusterName?: string;
      /** The table holding flow state (default `snf`); created on first use. */
      table?: string;
      /** Masters the table is spread over when this engine creates it (default 1). */
      span?: number;
      /** Path of the plugin (libsnf_store_ramcloud.so); default: the cached build, or /opt/snf/ramcloud in the image. */
      plugin?: string;
      /** Bound on one store operation's wait; past it the batch's store-dependent packets are dropped (default 1000). */
      timeoutMs?: number;
    };

/** The NF configuration alone, as kept in the store's control tables. */
export interface NfTables {
  nat?: NatConfig;
  firewall?: FirewallConfig;
  lb?: LbConfig;
  timeouts?: Partial<Timeouts>;
}
