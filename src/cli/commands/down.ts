// `snf down`: removes a local deployment by name and pid.
import type { Command } from '../main.js';
import { LocalDeployment } from '../../vim/local/deployment.js';
import { listNamespaces } from '../../vim/local/topology.js';
import { deploymentName, parseArgs, progress, requireRoot, runCommand, UsageError } from '../../vim/local/cli-args.js';
import { closeShells, tryRun } from '../../vim/local/sh.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runDirFor } from '../../vim/local/state.js';

const USAGE = `usage: snf down [--name NAME] [--purge]

Stops every process of the deployment (by pid), deletes its namespaces (and with them every
veth) by name, stops the Redis it started and removes /run/snf/<name>. --purge first deletes the
VNF's keys from the store (useful with an external --store).`;

export const command: Command = {
  summary: 'remove a local deployment: processes, namespaces, veths, Redis, run directory',
  run: (args) =>
    runCommand('down', USAGE, async () => {
      const p = parseArgs(args, { name: true, purge: false });
      if (p.flags.has('help')) {
        console.log(USAGE);
        return 0;
      }
      if (p.positional.length) throw new UsageError(`unexpected argument '${p.positional[0]}'`);
      const name = deploymentName(p);
      requireRoot('down');
      try {
        if (existsSync(join(runDirFor(name), 'state.json'))) {
          const d = LocalDeployment.load(name);
          if (p.flags.has('purge')) await d.purge();
          await d.down(progress);
        } else {
          // No state (a crashed `up`): the namespaces are still found by name.
          const left = await listNamespaces(name);
          if (!left.length) {
            console.log(`snf down: no deployment '${name}'`);
            return 0;
          }
          progress(`no state for '${name}'; deleting ${left.length} namespaces by name`);
          for (const ns of left) await tryRun(['ip', 'netns', 'del', ns]);
        }
      } finally {
        closeShells();
      }
      progress(`${name} removed`);
      return 0;
    }),
};
