// The in-process demo: two NF instances (firewall + NAT) share one Redis. Connections open with
// asymmetric routing (SYN through A, SYN-ACK through B), then A is destroyed and B carries every
// connection on. The same script against the coupled baseline (state inside each instance)
// shows what the product fixes: B knows nothing of A's connections and drops them.
import { Engine } from '../dataplane/engine.js';
import type { EngineConfig, FrameOut, NfTables, StoreConfig } from '../dataplane/types.js';
import { closeStore, connectStore } from '../store/connect.js';
import { readTables, writeTables } from '../store/control-tables.js';
import { readTcp, tcpFrame } from './frames.js';

export interface DemoResult {
  store: 'redis' | 'local';
  connections: number;
  openedAsymmetric: number;
  carriedAfterFailover: number;
  dropsAfterFailover: Record<string, number>;
  unsolicitedBlocked: boolean;
  storeRoundTrips: number;
}

export const DEMO_TABLES: NfTables = {
  nat: { insidePrefixes: ['10.0.0.0/24'], pool: ['198.51.100.1'] },
  firewall: { rules: [{ id: 'web-out', action: 'allow', direction: 'out', proto: 'tcp', dstPorts: [[80, 80]] }], defaultAction: 'deny' },
};

const SERVER = '203.0.113.10';

function reasonCounts(outs: FrameOut[]): Record<string, number> {
  const r: Record<string, number> = {};
  for (const o of outs) if (o.verdict === 'drop') r[o.reason ?? 'unknown'] = (r[o.reason ?? 'unknown'] ?? 0) + 1;
  return r;
}

export async function runFailoverDemo(
  opts: { storeNode?: string; connections?: number; vnf?: string },
  log: (line: string) => void,
): Promise<DemoResult> {
  const n = opts.connections ?? 20;
  const vnf = opts.vnf ?? `demo${process.pid}`;
  let tables: NfTables = DEMO_TABLES;
  let store: StoreConfig = { kind: 'local' };
  if (opts.storeNode) {
    const client = await connectStore(opts.storeNode, { connectTimeoutMs: 3000 });
    try {
      await writeTables(client, vnf, DEMO_TABLES);
      tables = await readTables(client, vnf); // the engines load what the control plane wrote
    } finally {
      await closeStore(client);
    }
    store = { kind: 'redis', nodes: [opts.storeNode] };
  }
  const cfg = (id: string): EngineConfig => ({ vnf, instanceId: id, chain: ['firewall', 'nat'], store, ...tables });
  const a = new Engine(cfg('nf-a'));
  const b = new Engine(cfg('nf-b'));
  const kind = opts.storeNode ? 'redis' : 'local';
  try {
    const clients = Array.from({ length: n }, (_, i) => ({ ip: `10.0.0.${10 + i}`, port: 40000 + i, isn: 1000 * (i + 1) }));

    // 1. SYN through A.
    const syn = await a.process(clients.map((c) => ({ side: 'inside', data: tcpFrame({ src: c.ip, dst: SERVER, sport: c.port, dport: 80, flags: { syn: true }, seq: c.isn }) })));
    const mapped = syn.map((o) => (o.verdict === 'forward' ? readTcp(o.data) : undefined));
    // 2. SYN-ACK back through B: asymmetric routing.
    const synack = await b.process(
      clients.map((c, i) => ({
        side: 'outside',
        data: tcpFrame({ src: SERVER, dst: mapped[i]?.src ?? '198.51.100.1', sport: 80, dport: mapped[i]?.sport ?? 1, flags: { syn: true, ack: true }, seq: 5000, ack: c.isn + 1 }),
      })),
    );
    // 3. ACK with a request through A.
    const ack = await a.process(
      clients.map((c) => ({
        side: 'inside',
        data: tcpFrame({ src: c.ip, dst: SERVER, sport: c.port, dport: 80, flags: { ack: true, psh: true }, seq: c.isn + 1, ack: 5001, payload: Buffer.from('GET / HTTP/1.0\r\n\r\n') }),
      })),
    );
    const opened = clients.filter((_, i) => syn[i].verdict === 'forward' && synack[i].verdict === 'forward' && ack[i].verdict === 'forward').length;
    log(`  ${n} connections opened with SYN via nf-a, SYN-ACK via nf-b, ACK via nf-a: ${opened} established`);

    // 4. nf-a dies. Every packet of every connection now goes through nf-b.
    a.close();
    log('  nf-a destroyed: its process state is gone');
    const req = await b.process(
      clients.map((c) => ({
        side: 'inside',
        data: tcpFrame({ src: c.ip, dst: SERVER, sport: c.port, dport: 80, flags: { ack: true, psh: true }, seq: c.isn + 19, ack: 5001, payload: Buffer.from('GET /more HTTP/1.0\r\n\r\n') }),
      })),
    );
    const resp = await b.process(
      clients.map((c, i) => ({
        side: 'outside',
        data: tcpFrame({ src: SERVER, dst: mapped[i]?.src ?? '198.51.100.1', sport: 80, dport: mapped[i]?.sport ?? 1, flags: { ack: true, psh: true }, seq: 5001, ack: c.isn + 42, payload: Buffer.from('HTTP/1.0 200 OK\r\n\r\n') }),
      })),
    );
    const carried = clients.filter((c, i) => {
      if (req[i].verdict !== 'forward' || resp[i].verdict !== 'forward') return false;
      const back = readTcp(resp[i].data);
      return back.dst === c.ip && back.dport === c.port && readTcp(req[i].data).sport === mapped[i]?.sport;
    }).length;
    const drops = reasonCounts([...req, ...resp]);
    log(`  after the failover nf-b carried ${carried}/${n} connections in both directions` + (Object.keys(drops).length ? `; dropped: ${JSON.stringify(drops)}` : ''));

    // 5. The firewall still protects: an unsolicited connection from outside is refused.
    const probe = await b.process([{ side: 'outside', data: tcpFrame({ src: SERVER, dst: '198.51.100.1', sport: 80, dport: 22, flags: { syn: true }, seq: 1 }) }]);
    const blocked = probe[0].verdict === 'drop';
    log(`  unsolicited SYN from outside: ${blocked ? `dropped (${probe[0].reason})` : 'FORWARDED'}`);
    return {
      store: kind,
      connections: n,
      openedAsymmetric: opened,
      carriedAfterFailover: carried,
      dropsAfterFailover: drops,
      unsolicitedBlocked: blocked,
      storeRoundTrips: b.counters().store.roundTrips,
    };
  } finally {
    a.close();
    b.close();
  }
}
