// `snf tour`: the local deployment's promise in about a minute (needs root).
import { echo } from '../../util/echo.js';
import type { Command } from '../main.js';
import { runTour } from '../../demo/tour.js';

export const command: Command = {
  summary: 'local deployment tour: live connections survive kill -9, scale out and scale in',
  async run(args) {
    let connections = 100;
    let store: 'redis' | 'ramcloud' = 'redis';
    for (let i = 0; i < args.length; i++) {
      if (args[i] === '--store') {
        const v = args[++i];
        if (v !== 'redis' && v !== 'ramcloud') {
          console.error(echo`snf tour: --store: expected redis or ramcloud, got '${v ?? ''}'`);
          return 2;
        }
        store = v;
      } else if (args[i] === '--connections') {
        connections = Number(args[++i]);
        if (!Number.isInteger(connections) || connections < 1 || connections > 500) {
          console.error('snf tour: --connections: expected an integer 1..500');
          return 2;
        }
      } else {
        console.error(echo`snf tour: unknown argument '${args[i]}'` + '\nusage: snf tour [--connections N] [--store redis|ramcloud]');
        return 2;
      }
    }
    if (process.getuid?.() !== 0) {
      console.error('snf tour: needs root (it builds network namespaces): sudo node bin/snf.js tour');
      return 2;
    }
    const r = await runTour((l) => console.log(l), connections, undefined, store);
    const ok = r.stateless.resets === 0 && r.stateless.stalledOver1s === 0;
    return ok ? 0 : 1;
  },
};
