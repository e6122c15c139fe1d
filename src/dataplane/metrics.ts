// Prometheus text exposition (format 0.0.4) of one NF instance's counters, and a small parser
// for it so `snf status` reads exactly what a Prometheus server would scrape.
import type { EngineCounters, NfKind } from './types.js';
import type { IoCounters } from './io-types.js';

export interface InstanceMetrics {
  vnf: string;
  instance: string;
  counters?: EngineCounters & { io?: IoCounters };
  heartbeats: number;
  heartbeatFailures: number;
  /** last heartbeat round trip, ms */
  heartbeatMs: number;
  tablesGeneration: number;
  /** The store epoch this instance last read (src/store/epoch.ts); undefined: none seen yet. */
  storeEpoch?: string;
  /** Times the epoch vanished or changed under this instance (the store lost its data). */
  storeEpochChanges?: number;
  /** Times Sentinel named another primary and the data plane was restarted on it. */
  storePrimaryChanges?: number;
  startedAt: number;
  /**
   * The packet I/O backend actually running (afpacket, af_xdp, dpdk, or kernel for the stand-in),
   * so a scrape tells which path a VM's flavour brought up without reading its console.
   */
  ioKind?: string;
}

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

class Writer {
  private readonly out: string[] = [];
  constructor(private readonly base: Record<string, string>) {}

  family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): void {
    this.out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  }

  sample(name: string, value: number, labels: Record<string, string> = {}): void {
    const all = { ...this.base, ...labels };
    const l = Object.entries(all)
      .map(([k, v]) => `${k}="${esc(v)}"`)
      .join(',');
    this.out.push(`${name}{${l}} ${Number.isFinite(value) ? value : 0}`);
  }

  text(): string {
    return this.out.join('\n') + '\n';
  }
}

export function renderMetrics(m: InstanceMetrics): string {
  const w = new Writer({ vnf: m.vnf, instance: m.instance });
  w.family('snf_instance_start_time_seconds', 'gauge', 'When this instance started.');
  w.sample('snf_instance_start_time_seconds', m.startedAt / 1000);
  w.family('snf_registry_heartbeats_total', 'counter', 'Heartbeats written to the instance registry.');
  w.sample('snf_registry_heartbeats_total', m.heartbeats);
  w.family('snf_registry_heartbeat_failures_total', 'counter', 'Heartbeats that failed.');
  w.sample('snf_registry_heartbeat_failures_total', m.heartbeatFailures);
  w.family('snf_registry_heartbeat_seconds', 'gauge', 'Round trip of the last heartbeat.');
  w.sample('snf_registry_heartbeat_seconds', m.heartbeatMs / 1000);
  w.family('snf_tables_generation', 'gauge', 'Generation of the control tables in use.');
  w.sample('snf_tables_generation', m.tablesGeneration);
  if (m.storeEpoch !== undefined) {
    w.family('snf_store_epoch_info', 'gauge', 'The store epoch this instance last read (label epoch), always 1.');
    w.sample('snf_store_epoch_info', 1, { epoch: m.storeEpoch });
  }
  if (m.storeEpochChanges !== undefined) {
    w.family('snf_store_epoch_changes_total', 'counter', 'Times the store epoch vanished or changed (store data lost).');
    w.sample('snf_store_epoch_changes_total', m.storeEpochChanges);
  }
  if (m.storePrimaryChanges !== undefined) {
    w.family('snf_store_primary_changes_total', 'counter', 'Times Sentinel named a new store primary and the data plane restarted on it (its packet counters restart too).');
    w.sample('snf_store_primary_changes_total', m.storePrimaryChanges);
  }
  if (m.ioKind !== undefined) {
    w.family('snf_io_info', 'gauge', 'Packet I/O backend of the data plane (label kind), always 1.');
    w.sample('snf_io_info', 1, { kind: m.ioKind });
  }
  const c = m.counters;
  if (!c) return w.text();
  w.family('snf_rx_packets_total', 'counter', 'Frames the engine received.');
  w.sample('snf_rx_packets_total', c.rx);
  w.family('snf_tx_packets_total', 'counter', 'Frames the engine forwarded.');
  w.sample('snf_tx_packets_total', c.tx);
  w.family('snf_batches_total', 'counter', 'Batches processed.');
  w.sample('snf_batches_total', c.batches);
  w.family('snf_dropped_packets_total', 'counter', 'Frames dropped, by reason.');
  for (const [reason, n] of Object.entries(c.drops)) w.sample('snf_dropped_packets_total', n ?? 0, { reason });
  w.family('snf_nf_packets_total', 'counter', 'Frames seen by each NF of the chain, by outcome.');
  for (const [nf, n] of Object.entries(c.nf) as [NfKind, NonNullable<EngineCounters['nf'][NfKind]>][]) {
    w.sample('snf_nf_packets_total', n.packets, { nf, outcome: 'seen' });
    w.sample('snf_nf_packets_total', n.forwarded, { nf, outcome: 'forwarded' });
    w.sample('snf_nf_packets_total', n.dropped, { nf, outcome: 'dropped' });
  }
  w.family('snf_nf_new_flows_total', 'counter', 'Flows each NF created state for.');
  for (const [nf, n] of Object.entries(c.nf)) w.sample('snf_nf_new_flows_total', n?.newFlows ?? 0, { nf });
  w.family('snf_store_round_trips_total', 'counter', 'Pipelined exchanges with the state store.');
  w.sample('snf_store_round_trips_total', c.store.roundTrips);
  w.family('snf_store_commands_total', 'counter', 'Commands sent to the state store.');
  w.sample('snf_store_commands_total', c.store.commands);
  w.family('snf_store_errors_total', 'counter', 'Failed store exchanges.');
  w.sample('snf_store_errors_total', c.store.errors);
  w.family('snf_store_reconnects_total', 'counter', 'Store reconnections.');
  w.sample('snf_store_reconnects_total', c.store.reconnects);
  w.family('snf_store_module_fallbacks_total', 'counter', 'Store nodes that refused the store module commands (the scripts ran instead).');
  w.sample('snf_store_module_fallbacks_total', c.store.moduleFallbacks);
  w.family('snf_store_round_trip_seconds', 'histogram', 'Store round-trip latency.');
  let cum = 0;
  let sumApprox = 0;
  c.store.latencyBucketsUs.forEach((ub, i) => {
    const n = c.store.latencyUs[i] ?? 0;
    cum += n;
    sumApprox += n * ub;
    w.sample('snf_store_round_trip_seconds_bucket', cum, { le: String(ub / 1e6) });
  });
  // counts above the last bound, if the engine reports one more bucket than bounds
  cum += c.store.latencyUs.slice(c.store.latencyBucketsUs.length).reduce((a, b) => a + b, 0);
  w.sample('snf_store_round_trip_seconds_bucket', cum, { le: '+Inf' });
  // The engine keeps bucket counts only; the sum is estimated from the upper bounds.
  w.sample('snf_store_round_trip_seconds_sum', sumApprox / 1e6);
  w.sample('snf_store_round_trip_seconds_count', cum);
  if (c.cache) {
    // The coherent flow cache: its hit ratio is what makes established flows cost no round trip.
    const k = c.cache;
    w.family('snf_cache_lookups_total', 'counter', 'Flow-cache lookups, by result (hit, miss).');
    w.sample('snf_cache_lookups_total', k.hits, { result: 'hit' });
    w.sample('snf_cache_lookups_total', k.misses, { result: 'miss' });
    w.family('snf_cache_invalidations_total', 'counter', 'Cache entries the store invalidated (CLIENT TRACKING).');
    w.sample('snf_cache_invalidations_total', k.invalidations);
    w.family('snf_cache_flushes_total', 'counter', 'Whole-cache flushes (tracking connection lost or reset).');
    w.sample('snf_cache_flushes_total', k.flushes);
    w.family('snf_cache_evictions_total', 'counter', 'Entries evicted for space.');
    w.sample('snf_cache_evictions_total', k.evictions);
    w.family('snf_cache_entries', 'gauge', 'Entries in the flow cache.');
    w.sample('snf_cache_entries', k.entries);
    w.family('snf_cache_bytes', 'gauge', 'Bytes the flow cache holds.');
    w.sample('snf_cache_bytes', k.bytes);
  }
  if (c.io) {
    w.family('snf_io_packets_total', 'counter', 'Packet I/O per port and direction.');
    for (const port of ['inside', 'outside'] as const) {
      const p = c.io[port];
      w.sample('snf_io_packets_total', p.rx, { port, dir: 'rx' });
      w.sample('snf_io_packets_total', p.tx, { port, dir: 'tx' });
    }
    w.family('snf_io_rx_dropped_total', 'counter', 'Frames the kernel dropped before the engine read them.');
    for (const port of ['inside', 'outside'] as const) w.sample('snf_io_rx_dropped_total', c.io[port].rxDropped, { port });
    w.family('snf_io_tx_errors_total', 'counter', 'Frames the engine failed to send.');
    for (const port of ['inside', 'outside'] as const) w.sample('snf_io_tx_errors_total', c.io[port].txErrors, { port });
    w.family('snf_io_bursts_total', 'counter', 'Receive bursts.');
    w.sample('snf_io_bursts_total', c.io.bursts);
  }
  return w.text();
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the exposition format (the subset renderMetrics writes, which is also what Prometheus reads). */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2].replace(/\\n/g, '\n').replace(/\\(.)/g, '$1');
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

/** Sum of every sample of `name` whose labels include `match`. */
export function sumOf(samples: Sample[], name: string, match: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);
}
