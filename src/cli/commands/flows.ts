// `snf flows`: the flow state held in the store (key formats: native/store/README.md).
import type { Command } from '../main.js';
import { listFlows, type FlowRow } from '../../store/flows.js';
import { int, loadDeployment, parseArgs, runCommand, UsageError } from '../../vim/local/cli-args.js';

const USAGE = `usage: snf flows [--name NAME] [--limit N] [--json]

Scans the store for the VNF's flow keys (snf:<vnf>:nat:f:*, fw:*, lb:f:*) and prints each flow
with its state and remaining TTL, at most --limit (default 50) per family. No instance is asked:
the store is where flow state lives.`;

export const command: Command = {
  summary: 'list the flow state the NFs keep in the store',
  run: (args) =>
    runCommand('flows', USAGE, async () => {
      const p = parseArgs(args, { name: true, limit: true, json: false });
      if (p.flags.has('help')) {
        console.log(USAGE);
        return 0;
      }
      if (p.positional.length) throw new UsageError(`unexpected argument '${p.positional[0]}'`);
      const limit = int(p, 'limit', 50, 1, 1_000_000);
      const d = loadDeployment(p);
      try {
        if (d.state.dataStore === 'local') console.log('note: the coupled baseline keeps flow state inside each instance; the store holds none');
        if (d.state.dataStore === 'ramcloud') console.log('note: flow state is in RAMCloud, which this command does not read (it lists the Redis store); see the instances\' counters in snf status');
        const { rows, totals } = await listFlows(await d.store(), d.state.vnf, limit);
        if (p.flags.has('json')) {
          console.log(JSON.stringify({ totals, flows: rows }, null, 2));
          return 0;
        }
        for (const fam of ['fw', 'nat', 'lb'] as const) {
          const mine = rows.filter((r) => r.family === fam);
          if (!totals[fam]) continue;
          console.log(`${fam}: ${totals[fam]} flows${(totals[fam] ?? 0) > mine.length ? ` (showing ${mine.length})` : ''}`);
          for (const r of mine) console.log(`  ${r.flow.padEnd(52)} ${r.state.padEnd(3)} ${r.detail.padEnd(28)} ttl ${r.ttlMs < 0 ? '-' : `${(r.ttlMs / 1000).toFixed(0)}s`}`);
        }
        if (!Object.keys(totals).length) console.log('no flows in the store');
        return 0;
      } finally {
        await d.close();
      }
    }),
};
