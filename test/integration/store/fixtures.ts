import type { NfTables } from '../../../src/dataplane/types.js';
import { startRedis, startRedisCluster } from '../../support/redis.js';
import { connectStore, closeStore, type StoreClient } from '../../../src/store/index.js';

export const tablesA: NfTables = {
  nat: { insidePrefixes: ['10.0.0.0/8', 'fd00::/8'], pool: ['198.51.100.2', '198.51.100.1'], portRange: [2000, 60000], shards: 16 },
  firewall: {
    defaultAction: 'deny',
    rules: [
      { id: 'out-all', action: 'allow', direction: 'out' },
      { action: 'allow', direction: 'in', proto: 'tcp', dst: ['10.1.0.0/16'], dstPorts: [[80, 80], [443, 443]] },
      { id: 'no-telnet', action: 'deny', proto: 'tcp', dstPorts: [[23, 23]] },
    ],
  },
  lb: {
    algorithm: 'maglev',
    maglevTableSize: 251,
    vips: [
      {
        id: 'web',
        address: '203.0.113.10',
        port: 80,
        protocol: 'tcp',
        backends: [
          { id: 'b2', address: '10.1.0.2', weight: 3 },
          { id: 'b1', address: '10.1.0.1', port: 8080, weight: 1, state: 'active' },
        ],
      },
      { id: 'dns', address: '2001:db8::53', port: 53, protocol: 'udp', backends: [{ id: 'd1', address: 'fd00::53' }] },
    ],
  },
  timeouts: { udpMs: 5000 },
};

export const tablesB: NfTables = {
  lb: { vips: [{ id: 'api', address: '203.0.113.20', port: 443, protocol: 'tcp', backends: [{ id: 'x', address: '10.2.0.1' }] }] },
};

export interface Target {
  name: string;
  setup(): Promise<{ client: StoreClient; seeds: string[]; teardown(): Promise<void> }>;
}

/** The same tests run against a single node and a 3-master cluster. */
export const targets: Target[] = [
  {
    name: 'single redis',
    async setup() {
      const r = await startRedis();
      const client = await connectStore(r.node);
      return { client, seeds: [r.node], teardown: async () => { await closeStore(client); await r.stop(); } };
    },
  },
  {
    name: 'redis cluster (3 masters)',
    async setup() {
      const c = await startRedisCluster(3);
      const client = await connectStore(c.nodes);
      return { client, seeds: c.nodes, teardown: async () => { await closeStore(client); await c.stop(); } };
    },
  },
];

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function eventually(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
