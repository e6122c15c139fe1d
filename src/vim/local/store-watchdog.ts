// Promotes a dead master's replica at once, for the local deployment's Redis Cluster (and asks
// the Sentinels to fail over at once in Sentinel mode):
//   node --import tsx src/vim/local/store-watchdog.ts <run dir>
// `snf up --store-mode cluster|sentinel` starts it detached (pid in state.json; `snf down` stops it).
//
// Why: Redis Cluster's own failover waits cluster-node-timeout for the master to miss pings,
// then for the other masters to agree (FAIL), then a fixed 500 ms plus a random 0-500 ms before
// the replica's election: 1.4-2 s here at a 500 ms node timeout, and clients find the new owner
// later still. TCP's retransmission backoff (200, 400, 800, 1600 ms) turns that into 3-7 s
// stalls (bench/RESULTS.md). On one machine the process exit is known at once: this watchdog
// polls the nodes' pids every 20 ms and, when a master with slots is gone, sends its replica
// CLUSTER FAILOVER TAKEOVER (the replica takes the slots without an election). Redis's own
// failover stays in place for what this cannot see (a hung master, this watchdog down); a
// takeover only ever follows a dead process, so it cannot split the slots between two live
// masters.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CallAuth } from '../../store/call-once.js';
import { NodeLink } from '../../store/node-link.js';
import { loadState } from './state.js';
import { loadAccess, nodeAuth } from './store-access.js';
import { alive, sleep } from './sh.js';
import { SENTINEL_NAME, type StoreNode } from './store-nodes.js';

interface ClusterNode {
  id: string;
  port: number;
  master: boolean;
  /** the master's id, for a replica */
  of?: string;
  slots: boolean;
  failed: boolean;
}

/** CLUSTER NODES, one line per node: id addr flags master ping pong epoch link slots... */
export function parseClusterNodes(text: string): ClusterNode[] {
  return text
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const f = l.split(' ');
      const flags = f[2].split(',');
      return {
        id: f[0],
        port: Number(f[1].split('@')[0].split(':').pop()),
        master: flags.includes('master'),
        ...(f[3] !== '-' ? { of: f[3] } : {}),
        slots: f.length > 8,
        failed: flags.includes('fail') || flags.includes('fail?'),
      };
    });
}

// the admin's login (and TLS) for every node, read once at start
let auth: CallAuth = {};

// one held connection per node, so a failover command costs no handshake when it matters
const links = new Map<number, NodeLink>();

function call(port: number, args: string[], timeoutMs = 500): Promise<unknown> {
  let l = links.get(port);
  if (!l) {
    l = new NodeLink(port, auth);
    links.set(port, l);
  }
  return l.call(args, timeoutMs);
}

/**
 * Sentinel mode: when the process of the primary the Sentinels name exits, asks a Sentinel for
 * SENTINEL FAILOVER (the failover it would start itself after down-after-milliseconds and the
 * vote, without the wait); the instances follow as for any failover (src/store/sentinel.ts).
 */
async function runSentinelWatchdog(all: StoreNode[], log: (s: string) => void, pollMs: number, topologyMs: number): Promise<never> {
  const sentinels = all.filter((n) => n.role === 'sentinel');
  const data = all.filter((n) => n.role !== 'sentinel');
  let primaryPort = 0;
  let topologyAt = 0;
  const handled = new Set<number>();
  log(`watching ${data.length} data nodes (ports ${data.map((n) => n.port).join(', ')}) for ${sentinels.length} Sentinels`);
  for (;;) {
    if (Date.now() - topologyAt >= topologyMs) {
      for (const s of sentinels.filter((x) => alive(x.pid))) {
        try {
          const r = (await call(s.port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_NAME])) as string[];
          primaryPort = Number(r[1]);
          topologyAt = Date.now();
          break;
        } catch {
          /* ask the next */
        }
      }
    }
    const dead = data.find((n) => n.port === primaryPort && !handled.has(n.pid) && !alive(n.pid));
    if (dead) {
      handled.add(dead.pid);
      const t0 = Date.now();
      let done = false;
      for (const s of sentinels.filter((x) => alive(x.pid))) {
        try {
          await call(s.port, ['SENTINEL', 'FAILOVER', SENTINEL_NAME]);
          log(`primary 127.0.0.1:${dead.port} (pid ${dead.pid}) exited: Sentinel 127.0.0.1:${s.port} told to fail over (${Date.now() - t0} ms)`);
          done = true;
          topologyAt = 0;
          break;
        } catch (e) {
          // INPROG: a Sentinel already started it
          log(`Sentinel 127.0.0.1:${s.port}: SENTINEL FAILOVER: ${(e as Error).message}`);
          if (/INPROG/.test((e as Error).message)) {
            done = true;
            break;
          }
        }
      }
      if (!done) log(`primary 127.0.0.1:${dead.port} exited and no Sentinel took the failover: the Sentinels' own detection is left`);
    }
    await sleep(pollMs);
  }
}

export async function runWatchdog(runDir: string, log: (s: string) => void, pollMs = 20, topologyMs = 500): Promise<never> {
  const st = loadState(runDir).store;
  auth = nodeAuth(loadAccess(runDir));
  if (st.mode === 'sentinel') return runSentinelWatchdog(st.nodes ?? [], log, pollMs, topologyMs);
  const nodes: StoreNode[] = (st.nodes ?? []).filter((n) => n.role !== 'sentinel');
  let topology: ClusterNode[] = [];
  let topologyAt = 0;
  const handled = new Set<number>();
  log(`watching ${nodes.length} cluster nodes (ports ${nodes.map((n) => n.port).join(', ')})`);
  for (;;) {
    if (Date.now() - topologyAt >= topologyMs) {
      for (const n of nodes.filter((x) => alive(x.pid))) {
        try {
          topology = parseClusterNodes(String(await call(n.port, ['CLUSTER', 'NODES'])));
          topologyAt = Date.now();
          break;
        } catch {
          /* ask the next */
        }
      }
    }
    for (const dead of nodes.filter((n) => !handled.has(n.pid) && !alive(n.pid))) {
      handled.add(dead.pid);
      const t0 = Date.now();
      const me = topology.find((t) => t.port === dead.port);
      if (!me || !me.master || !me.slots) {
        log(`node 127.0.0.1:${dead.port} (pid ${dead.pid}) exited; it served no slots: nothing to promote`);
        continue;
      }
      const replicas = topology.filter((t) => t.of === me.id && !t.failed && nodes.some((n) => n.port === t.port && alive(n.pid)));
      let done = false;
      for (const r of replicas) {
        try {
          await call(r.port, ['CLUSTER', 'FAILOVER', 'TAKEOVER']);
          log(`master 127.0.0.1:${dead.port} (pid ${dead.pid}) exited: replica 127.0.0.1:${r.port} told to take over its slots (${Date.now() - t0} ms)`);
          done = true;
          topologyAt = 0;
          break;
        } catch (e) {
          log(`replica 127.0.0.1:${r.port}: CLUSTER FAILOVER TAKEOVER failed: ${(e as Error).message}`);
        }
      }
      if (!done) log(`master 127.0.0.1:${dead.port} (pid ${dead.pid}) exited and has no live replica: its slots stay down until it is back`);
    }
    await sleep(pollMs);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const runDir = process.argv[2];
  if (!runDir) {
    console.error('usage: store-watchdog.ts <run dir>');
    process.exit(2);
  }
  const logFile = join(runDir, 'store-watchdog.log');
  const log = (s: string) => appendFileSync(logFile, `${new Date().toISOString()} ${s}\n`);
  process.once('SIGTERM', () => process.exit(0));
  runWatchdog(runDir, log).catch((e: unknown) => {
    log(`store watchdog: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
