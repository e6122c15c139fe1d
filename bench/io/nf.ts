// The NF under test in the I/O benchmark: one Dataplane (NAT) in the current namespace until
// SIGTERM, then its counters as JSON on stdout.
import { Dataplane } from '../../src/dataplane/dataplane.js';
import type { StoreConfig } from '../../src/dataplane/types.js';

const [store, ioKind, inMac, outMac] = process.argv.slice(2);
const storeCfg: StoreConfig =
  store === 'local' ? { kind: 'local' } : { kind: 'redis', nodes: [`unix:${process.env.SNF_REDIS_SOCK}`], cacheBytes: store === 'redis-cache' ? 64 << 20 : 0 };
const dp = new Dataplane(
  {
    vnf: 'bench',
    instanceId: 'b1',
    chain: ['nat'],
    store: storeCfg,
    nat: { insidePrefixes: ['10.0.0.0/16'], pool: ['198.51.100.1'] },
    timeouts: { udpMs: 600000, refreshIntervalMs: 5000 },
  },
  { kind: ioKind as 'afpacket', inside: { iface: 'in0', peerMac: inMac }, outside: { iface: 'out0', peerMac: outMac } },
);
dp.start();
console.error('nf ready');
process.on('SIGTERM', () => {
  const c = dp.counters();
  dp.stop();
  process.stdout.write(JSON.stringify(c) + '\n');
  process.exit(0);
});
setInterval(() => undefined, 1000);
