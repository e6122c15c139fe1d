// The live view's own figures as Prometheus metrics (GET /view/metrics): what no single instance
// can export — each instance's state as the VIM, registry and steering see it together, the
// steering table's size, live flows per NF family in the store, store health — plus
// snf_vnf_info, which joins the store's VNF name to the SOL003 VNF instance id that Tacker's
// auto-heal / auto-scale alerts must carry.
import { INSTANCE_STATES, type Snapshot } from './model.js';

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function line(name: string, labels: Record<string, string>, value: number): string {
  const l = Object.entries(labels)
    .map(([k, v]) => `${k}="${esc(v)}"`)
    .join(',');
  return `${name}{${l}} ${Number.isFinite(value) ? value : 0}`;
}

export function renderViewMetrics(s: Snapshot): string {
  const out: string[] = [];
  const fam = (name: string, type: 'gauge', help: string) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  fam('snf_instance_state', 'gauge', 'Instance state as the VIM, the registry and steering see it together: 1 for the current state (registered, steered, suspected, dead), 0 for the others.');
  for (const v of s.vnfs) for (const i of v.instances) for (const st of INSTANCE_STATES) out.push(line('snf_instance_state', { vnf: v.vnf, instance: i.id, state: st }, i.state === st ? 1 : 0));
  fam('snf_steered_instances', 'gauge', 'Instances the steering table sends traffic to.');
  for (const v of s.vnfs) out.push(line('snf_steered_instances', { vnf: v.vnf }, v.steering.length));
  fam('snf_store_flows', 'gauge', 'Flow keys in the state store, per NF family (fw, nat, lb).');
  for (const v of s.vnfs) for (const [family, n] of Object.entries(v.store.flows)) out.push(line('snf_store_flows', { vnf: v.vnf, family }, n));
  fam('snf_store_up', 'gauge', 'Whether the state store answered the last PING and registry read (1) or not (0).');
  for (const v of s.vnfs) out.push(line('snf_store_up', { vnf: v.vnf }, v.store.up ? 1 : 0));
  fam('snf_store_ping_seconds', 'gauge', "Round trip of the live view's last PING to the state store.");
  for (const v of s.vnfs) if (v.store.pingMs !== undefined) out.push(line('snf_store_ping_seconds', { vnf: v.vnf }, v.store.pingMs / 1000));
  if (s.vnfs.some((v) => v.vnfInstanceId)) {
    fam('snf_vnf_info', 'gauge', 'The SOL003 VNF instance id (label vnf_instance_id) of a VNF named vnf in the store, always 1.');
    for (const v of s.vnfs) if (v.vnfInstanceId) out.push(line('snf_vnf_info', { vnf: v.vnf, vnf_instance_id: v.vnfInstanceId }, 1));
  }
  return out.join('\n') + '\n';
}
