// `snf scale out|in [N]`: the local VIM's scaling, as the LCM lifecycle describes it.
import type { Command } from '../main.js';
import { loadDeployment, parseArgs, progress, requireRoot, runCommand, UsageError } from '../../vim/local/cli-args.js';
import { closeShells } from '../../vim/local/sh.js';

const USAGE = `usage: snf scale out|in [N] [--name NAME]

out: create N instances (default 1), wait until each registers, then the steering adds them.
in:  remove N instances from steering, wait one in-flight window, stop them. No state moves:
     it all lives in the store.`;

export const command: Command = {
  summary: 'add or remove NF instances without losing a connection',
  run: (args) =>
    runCommand('scale', USAGE, async () => {
      const p = parseArgs(args, { name: true });
      if (p.flags.has('help')) {
        console.log(USAGE);
        return 0;
      }
      const [dir, count, extra] = p.positional;
      if (dir !== 'out' && dir !== 'in') throw new UsageError(`expected 'out' or 'in', got '${dir ?? ''}'`);
      if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`);
      if (count !== undefined && !/^[1-9]\d{0,1}$/.test(count)) throw new UsageError(`N must be an integer 1..99, got '${count}'`);
      const n = count === undefined ? 1 : Number(count);
      requireRoot('scale');
      const d = loadDeployment(p);
      const t0 = Date.now();
      try {
        const ids = dir === 'out' ? await d.scaleOut(n, progress) : await d.scaleIn(n, progress);
        const now = d.state.instances.filter((i) => i.steer).map((i) => i.id);
        progress(`scaled ${dir} by ${ids.join(', ')} in ${((Date.now() - t0) / 1000).toFixed(1)} s; instances: ${now.join(', ')}`);
        return 0;
      } finally {
        await d.close();
        closeShells();
      }
    }),
};
