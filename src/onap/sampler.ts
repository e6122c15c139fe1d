// Per-instance counters for VES measurements, read where each instance says its Prometheus
// metrics are (its registry record): packets received and forwarded, and flows created, as
// deltas since the previous sample. An instance seen for the first time reports its totals
// since it started; one whose metrics cannot be read is left out of that measurement.
import { request } from 'node:http';
import { parseMetrics, sumOf } from '../dataplane/metrics.js';
import { liveInstances } from '../store/registry.js';
import type { StoreClient } from '../store/connect.js';
import type { InstanceSample } from './ves.js';

interface Totals {
  rx: number;
  tx: number;
  flows: number;
}

function fetchMetrics(at: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const opts = at.startsWith('unix:') ? { socketPath: at.slice(5), path: '/metrics' } : (() => {
      const u = new URL('/metrics', at);
      return { host: u.hostname, port: Number(u.port || 80), path: u.pathname };
    })();
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

export function metricsSampler(store: StoreClient, vnf: string, timeoutMs = 2000): (ids: string[]) => Promise<Record<string, InstanceSample>> {
  const last = new Map<string, Totals>();
  return async (ids) => {
    const where = new Map((await liveInstances(store, vnf)).map((i) => [i.id, i.metrics]));
    const out: Record<string, InstanceSample> = {};
    await Promise.all(
      ids.map(async (id) => {
        const at = where.get(id);
        if (!at) return;
        let t: Totals;
        try {
          const s = parseMetrics(await fetchMetrics(at, timeoutMs));
          t = { rx: sumOf(s, 'snf_rx_packets_total'), tx: sumOf(s, 'snf_tx_packets_total'), flows: sumOf(s, 'snf_nf_new_flows_total') };
        } catch {
          return;
        }
        const p = last.get(id) ?? { rx: 0, tx: 0, flows: 0 };
        // A restarted instance starts from zero again: never report a negative delta.
        const d = (a: number, b: number) => (a >= b ? a - b : a);
        out[id] = { rxPacketsDelta: d(t.rx, p.rx), txPacketsDelta: d(t.tx, p.tx), flows: d(t.flows, p.flows) };
        last.set(id, t);
      }),
    );
    for (const id of [...last.keys()]) if (!ids.includes(id)) last.delete(id);
    return out;
  };
}
