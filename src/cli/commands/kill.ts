// `snf kill <instance>`: kill -9 one NF instance, then report how fast steering dropped it.
import type { Command } from '../main.js';
import { loadDeployment, parseArgs, requireRoot, runCommand, UsageError } from '../../vim/local/cli-args.js';

const USAGE = `usage: snf kill <instance> [--name NAME] [--signal KILL|TERM]

Sends SIGKILL (default) to the instance's process: no deregistration, no goodbye. The steering
controller removes it (process gone or heartbeat missed) and the other instances carry its
flows on. Bring it back with 'snf scale out' (a new instance) or 'snf kill --heal <instance>'.`;

export const command: Command = {
  summary: 'kill -9 one NF instance (failover demo); --heal restarts it',
  run: (args) =>
    runCommand('kill', USAGE, async () => {
      const p = parseArgs(args, { name: true, signal: true, heal: false });
      if (p.flags.has('help')) {
        console.log(USAGE);
        return 0;
      }
      if (p.positional.length !== 1) throw new UsageError('exactly one instance id is required (see snf status)');
      const sigName = (p.flags.get('signal') as string | undefined) ?? 'KILL';
      if (sigName !== 'KILL' && sigName !== 'TERM') throw new UsageError(`--signal: KILL or TERM, got '${sigName}'`);
      requireRoot('kill');
      const d = loadDeployment(p);
      const id = p.positional[0];
      try {
        if (p.flags.has('heal')) {
          // Measured by this heal (a live controller reconciled after the restart), never read
          // back from a status file a dead controller may have left behind.
          const r = await d.heal(id, (m) => console.log(m));
          console.log(`${id} is back as pid ${r.pid}: registered after ${r.registeredMs} ms, steered after ${r.steeredMs} ms`);
          return 0;
        }
        const rec = d.instance(id);
        const t0 = Date.now();
        d.kill(id, sigName === 'KILL' ? 'SIGKILL' : 'SIGTERM');
        console.log(`sent SIG${sigName} to ${id} (pid ${rec.pid})`);
        await d.waitSteered((ids) => !ids.has(id), 5000);
        console.log(`steering no longer sends traffic to ${id} (${Date.now() - t0} ms after the signal)`);
        return 0;
      } finally {
        await d.close();
      }
    }),
};
