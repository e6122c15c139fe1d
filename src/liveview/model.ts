// What the live view shows, as one JSON snapshot: the page renders it, the SSE stream sends it,
// and /view/metrics turns it into Prometheus samples. Sources (a local deployment, the VNF
// manager) fill it; nothing here knows where it came from.

/**
 * starting: its process runs (or is being created) and has not registered yet;
 * registered: heartbeating, not (yet) steered; steered: heartbeating and receiving traffic;
 * suspected: it registered before, its process is still there, but its heartbeat is missing, so
 * steering dropped it; dead: the process is gone (or, where processes cannot be seen, neither
 * heartbeat nor metrics answer).
 */
export type InstanceState = 'starting' | 'registered' | 'steered' | 'suspected' | 'dead';
export const INSTANCE_STATES: readonly InstanceState[] = ['starting', 'registered', 'steered', 'suspected', 'dead'];

export interface InstanceView {
  id: string;
  state: InstanceState;
  /** ms since its last heartbeat, when it is in the registry */
  heartbeatAgeMs?: number;
  rxPps?: number;
  txPps?: number;
  /** drops per second over the last interval, by reason */
  dropsPerS: Record<string, number>;
  /** drops since the instance started, by reason */
  drops: Record<string, number>;
  /** hit / (hit + miss) of the coherent flow cache over the last interval; absent without a cache */
  cacheHitRatio?: number;
  rttP50Us?: number;
  rttP99Us?: number;
  storeErrors?: number;
}

export interface StoreHealth {
  up: boolean;
  /** round trip of a PING from the view, ms */
  pingMs?: number;
  error?: string;
  /** flow keys in the store, per NF family (fw, nat, lb) */
  flows: Record<string, number>;
}

export interface VnfView {
  /** the VNF's name in the state store */
  vnf: string;
  /** the SOL003 VNF instance id when the VNF manager serves the view */
  vnfInstanceId?: string;
  chain: string[];
  instances: InstanceView[];
  /** instance ids the steering table sends traffic to */
  steering: string[];
  store: StoreHealth;
  /** cache hit ratio over all instances of the last interval */
  cacheHitRatio?: number;
}

export interface OpView {
  id: string;
  vnfInstanceId: string;
  operation: string;
  state: string;
  startTime: string;
  stateEnteredTime: string;
  automatic: boolean;
  error?: string;
}

export interface NotificationView {
  subscriptionId: string;
  notificationId: string;
  attempts: number;
  delivered: boolean;
  error?: string;
}

export interface TimelineEvent {
  at: number;
  vnf: string;
  kind: 'instance-added' | 'instance-removed' | 'state' | 'store' | 'operation';
  /** instance or operation id */
  subject: string;
  text: string;
}

/** One point of the timeline chart: total pkt/s and steered instances of a VNF at a time. */
export interface Point {
  at: number;
  vnf: string;
  rxPps: number;
  steered: number;
  live: number;
}

export interface Snapshot {
  at: number;
  source: 'local' | 'vnfm';
  vnfs: VnfView[];
  /** present when the VNF manager serves the view */
  operations?: OpView[];
  notifications?: NotificationView[];
  timeline: TimelineEvent[];
  points: Point[];
}
