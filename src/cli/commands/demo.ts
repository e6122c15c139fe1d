// `snf demo`: the in-process demonstration of the product's promise, stateless vs coupled.
import { echo } from '../../util/echo.js';
import type { Command } from '../main.js';
import { runFailoverDemo, type DemoResult } from '../../demo/failover.js';
import { startLocalRedis, type LocalRedis } from '../../vim/local/redis-server.js';

const USAGE = `usage: snf demo [--store host:port] [--connections N]

Two NF instances (firewall + NAT) share one Redis; connections open across both (asymmetric
routing), one instance is destroyed, the other carries every connection on. Then the same with
the coupled baseline (state inside each instance). Starts a local redis-server unless --store.`;

function parse(args: string[]): { store?: string; connections: number } | string {
  let store: string | undefined;
  let connections = 20;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--store') {
      store = args[++i];
      if (!store || !/^[^:\s]+:\d+$/.test(store)) return `--store: expected host:port, got '${store ?? ''}'`;
    } else if (a === '--connections') {
      connections = Number(args[++i]);
      if (!Number.isInteger(connections) || connections < 1 || connections > 200) return '--connections: expected an integer 1..200';
    } else if (a === '-h' || a === '--help') {
      return '';
    } else {
      return echo`unknown argument '${a}'`;
    }
  }
  return { store, connections };
}

function verdict(r: DemoResult): string {
  return `${r.carriedAfterFailover}/${r.connections} connections survived the failover`;
}

export const command: Command = {
  summary: 'in-process demo: two instances share one Redis, one dies, nothing is lost',
  async run(args) {
    const o = parse(args);
    if (typeof o === 'string') {
      if (o) console.error(`snf demo: ${o}`);
      console.log(USAGE);
      return o ? 2 : 0;
    }
    let redis: LocalRedis | undefined;
    try {
      let node = o.store;
      if (!node) {
        process.stdout.write('starting a local redis-server ... ');
        redis = await startLocalRedis();
        node = redis.node;
        console.log(`listening on ${node}`);
      }
      console.log('\n[stateless] state in Redis, shared by nf-a and nf-b');
      const s = await runFailoverDemo({ storeNode: node, connections: o.connections }, (l) => console.log(l));
      console.log('\n[coupled baseline] state inside each instance');
      const c = await runFailoverDemo({ connections: o.connections }, (l) => console.log(l));
      console.log(`\nstateless: ${verdict(s)}    coupled baseline: ${verdict(c)}`);
      return s.carriedAfterFailover === s.connections ? 0 : 1;
    } finally {
      await redis?.stop();
    }
  },
};
