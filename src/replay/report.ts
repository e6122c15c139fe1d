// The replay's table: one row per chain and store, ratios against the local store (the coupled
// baseline) of the same run, then what did not hold.
import type { CorpusStats } from './corpus.js';
import type { ChainResult } from './runner.js';

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function corpusLine(s: CorpusStats, batches: number): string {
  const skipped = Object.entries(s.skipped).map(([k, v]) => `${v} ${k}`).join(', ');
  return [
    `${fmt(s.packets)} packets from ${s.files} file(s) (${fmt(s.frames)} frames; skipped: ${skipped || 'none'})`,
    `${fmt(s.flows)} flows (${((100 * s.flows) / Math.max(s.packets, 1)).toFixed(1)}% of packets start one); IPv4 ${fmt(s.ipv4)}, IPv6 ${fmt(s.ipv6)}, VLAN-tagged ${fmt(s.vlanTagged)}, fragments ${fmt(s.fragments)}, ICMP errors ${fmt(s.icmpErrors)}`,
    `${fmt(batches)} batches (${(s.packets / Math.max(batches, 1)).toFixed(1)} packets on average)`,
  ].join('\n');
}

export function table(results: ChainResult[]): string {
  const head = ['nf', 'store', 'pkt/s', 'x local', 'x local, calls', 'cache hit', 'round trips/pkt', 'store ops/pkt', 'engine CPU µs/pkt', 'store CPU µs/pkt', 'forwarded', 'same verdicts', 'same bytes', 'checksums'];
  const rows: string[][] = [];
  for (const c of results) {
    const base = c.stores.find((s) => s.store === 'local');
    for (const s of c.stores) {
      const lookups = (s.cacheHits ?? 0) + (s.cacheMisses ?? 0);
      const checks = s.checksumsBroken > 0 ? `${s.checksumsBroken} BROKEN` : `ok (${fmt(s.checksumsOk)} full, ${fmt(s.checksumsPartial)} IP only${s.checksumsInherited ? `, ${s.checksumsInherited} bad in capture` : ''})`;
      rows.push([
        c.nf,
        s.store,
        fmt(s.pps),
        base ? `${(s.pps / base.pps).toFixed(2)}x` : '-',
        base && s.callSeconds > 0 ? `${(base.callSeconds / s.callSeconds).toFixed(2)}x` : '-',
        s.cacheHits !== undefined && lookups > 0 ? `${((100 * s.cacheHits) / lookups).toFixed(0)}%` : '-',
        (s.roundTrips / s.packets).toFixed(3),
        (s.commands / s.packets).toFixed(3),
        (s.engineCpuUs / s.packets).toFixed(2),
        s.redisCpuUs !== undefined ? (s.redisCpuUs / s.packets).toFixed(2) : '-',
        fmt(s.forwarded),
        s === c.stores[0] ? 'reference' : s.verdictMismatches === 0 ? 'yes' : `NO (${s.verdictMismatches})`,
        s === c.stores[0] ? 'reference' : !s.bytesCompared ? 'not compared' : s.outputMismatches === 0 ? 'yes' : `NO (${s.outputMismatches})`,
        checks,
      ]);
    }
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((x, i) => x.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** Drop reasons per chain and store, and examples of what differed or broke. */
export function findings(results: ChainResult[]): string {
  const out: string[] = [];
  for (const c of results) {
    for (const s of c.stores) {
      const drops = Object.entries(s.drops).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
      out.push(`${c.nf} / ${s.store}: drops: ${drops || 'none'}; replies mapped ${s.repliesRewritten}, unmapped ${s.repliesUnmapped}`);
      for (const m of s.mismatches) out.push(`  packet ${m.packet}: reference ${m.expected}, here ${m.got}`);
      for (const f of s.checksumFailures) out.push(`  packet ${f.packet}: ${f.field} wrong in the output: ${f.head}`);
    }
  }
  return out.join('\n');
}
