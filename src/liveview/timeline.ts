// What changed between two collections, as timeline events: an instance appearing, vanishing or
// changing state (a kill shows as steered -> suspected/dead within one interval), the store going
// down or coming back, an LCM operation starting or changing state.
import type { TimelineEvent } from './model.js';
import type { Collected } from './source.js';

export function diff(prev: Collected | undefined, next: Collected, at: number): TimelineEvent[] {
  if (!prev) return [];
  const out: TimelineEvent[] = [];
  const before = new Map(prev.vnfs.map((v) => [v.vnf, v]));
  for (const v of next.vnfs) {
    const p = before.get(v.vnf);
    if (!p) {
      out.push({ at, vnf: v.vnf, kind: 'instance-added', subject: v.vnf, text: `VNF ${v.vnf} appears with ${v.instances.length} instance(s)` });
      continue;
    }
    if (p.store.up !== v.store.up) out.push({ at, vnf: v.vnf, kind: 'store', subject: v.vnf, text: v.store.up ? 'store answers again' : `store unreachable: ${v.store.error ?? 'no answer'}` });
    const was = new Map(p.instances.map((i) => [i.id, i]));
    const now = new Set(v.instances.map((i) => i.id));
    for (const i of v.instances) {
      const w = was.get(i.id);
      if (!w) out.push({ at, vnf: v.vnf, kind: 'instance-added', subject: i.id, text: `${i.id} added (${i.state})` });
      else if (w.state !== i.state) out.push({ at, vnf: v.vnf, kind: 'state', subject: i.id, text: `${i.id}: ${w.state} -> ${i.state}` });
    }
    for (const w of p.instances) if (!now.has(w.id)) out.push({ at, vnf: v.vnf, kind: 'instance-removed', subject: w.id, text: `${w.id} removed` });
  }
  for (const p of prev.vnfs) if (!next.vnfs.some((v) => v.vnf === p.vnf)) out.push({ at, vnf: p.vnf, kind: 'instance-removed', subject: p.vnf, text: `VNF ${p.vnf} is no longer instantiated` });
  const ops = new Map((prev.operations ?? []).map((o) => [o.id, o]));
  for (const o of next.operations ?? []) {
    const w = ops.get(o.id);
    if (w && w.state === o.state) continue;
    out.push({ at, vnf: o.vnfInstanceId, kind: 'operation', subject: o.id, text: `${o.operation}${o.automatic ? ' (automatic)' : ''} ${o.id.slice(0, 8)}: ${o.state}${o.error ? ` (${o.error})` : ''}` });
  }
  return out;
}
