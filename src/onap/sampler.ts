// Per-instance counters for VES measurements, read where each instance says its Prometheus
// metrics are (its registry record): packets received and forwarded, and flows created, as
// deltas since the previous sample. An instance seen for the first time reports its totals
// since it started; one whose metrics cannot be read is left out of that measurement.
import { parseMetrics, sumOf } from '../dataplane/metrics.js';
import { fetchMetricsText } from '../dataplane/metrics-read.js';
import { liveInstances } from '../store/registry.js';
import type { StoreClient } from '../store/connect.js';
import type { InstanceSample } from './ves.js';

interface Totals {
  rx: number;
  tx: number;
  flows: number;
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
          const s = parseMetrics(await fetchMetricsText(at, timeoutMs));
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
