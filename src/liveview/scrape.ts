// Reads one instance's Prometheus metrics where its registry record says they are (unix:/path or
// http://host:port) and reduces them to the counters the view derives rates from.
import { request } from 'node:http';
import { parseMetrics, sumOf, type Sample } from '../dataplane/metrics.js';

export function fetchMetricsText(at: string, timeoutMs = 1500): Promise<string> {
  return new Promise((resolve, reject) => {
    let opts: { socketPath?: string; host?: string; port?: number; path: string };
    if (at.startsWith('unix:')) opts = { socketPath: at.slice(5), path: '/metrics' };
    else {
      const u = new URL('/metrics', at);
      opts = { host: u.hostname, port: Number(u.port || 80), path: u.pathname };
    }
    const req = request({ ...opts, method: 'GET', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${at}: HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`${at}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

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
