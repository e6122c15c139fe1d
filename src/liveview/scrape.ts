// Reads one instance's Prometheus metrics where its registry record says they are (unix:/path or
// http://host:port) and reduces them to the counters the view derives rates from.
import { parseMetrics, sumOf, type Sample } from '../dataplane/metrics.js';
import { fetchMetricsText } from '../dataplane/metrics-read.js';

export interface Counters {
  rx: number;
  tx: number;
  drops: Record<string, number>;
  cacheHits?: number;
  cacheMisses?: number;
  storeErrors: number;
  /** cumulative histogram: upper bound in seconds -> count */
  rtt: Array<{ le: number; n: number }>;
}

export function countersOf(samples: Sample[]): Counters {
  const drops: Record<string, number> = {};
  for (const s of samples) if (s.name === 'snf_dropped_packets_total') drops[s.labels.reason ?? '?'] = s.value;
  const hasCache = samples.some((s) => s.name === 'snf_cache_lookups_total');
  return {
    rx: sumOf(samples, 'snf_rx_packets_total'),
    tx: sumOf(samples, 'snf_tx_packets_total'),
    drops,
    ...(hasCache ? { cacheHits: sumOf(samples, 'snf_cache_lookups_total', { result: 'hit' }), cacheMisses: sumOf(samples, 'snf_cache_lookups_total', { result: 'miss' }) } : {}),
    storeErrors: sumOf(samples, 'snf_store_errors_total'),
    rtt: samples
      .filter((s) => s.name === 'snf_store_round_trip_seconds_bucket' && s.labels.le !== '+Inf')
      .map((s) => ({ le: Number(s.labels.le), n: s.value }))
      .sort((a, b) => a.le - b.le),
  };
}

/**
 * The q-quantile of the round trips between two cumulative histograms (the upper bound of the
 * bucket it falls in, as Prometheus' histogram_quantile bounds it). Without a previous one: since start.
 */
export function quantileUs(now: Counters['rtt'], before: Counters['rtt'] | undefined, q: number): number | undefined {
  const prev = new Map((before ?? []).map((b) => [b.le, b.n]));
  const delta = now.map((b) => ({ le: b.le, n: Math.max(0, b.n - (prev.get(b.le) ?? 0)) }));
  const total = delta.length ? delta[delta.length - 1].n : 0;
  if (!total) return undefined;
  const b = delta.find((x) => x.n >= q * total);
  return b ? b.le * 1e6 : undefined;
}

export async function scrapeCounters(at: string, timeoutMs?: number): Promise<Counters> {
  return countersOf(parseMetrics(await fetchMetricsText(at, timeoutMs)));
}
