// Store kill -9 under traffic through the local deployment, side by side in one run: the
// Sentinel-watched primary and a Redis Cluster master, each with the local deployment's store
// watchdog and left to the store's own failover. Firewall -> NAT, 3 instances, 50
// TCP connections doing request/response every 100 ms; the store node is killed 2 s in.
//   sudo node --import tsx bench/store/kill.ts [--rounds N] [--tls]
// --tls: the watchdog cases with the store serving TLS only (`snf up --store-tls`) next to the
// same cases in plain TCP (the store's ACL users are on in every case, as `snf up` runs it).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { LocalDeployment } from '../../src/vim/local/deployment.js';
import { names, NET } from '../../src/vim/local/topology.js';
import { closeShells } from '../../src/vim/local/sh.js';
import type { StoreMode } from '../../src/vim/local/store-nodes.js';
import type { ClientSummary } from '../../src/demo/traffic/client.js';

const ROOT = join(import.meta.dirname, '..', '..');
const RUN_ROOT = `/tmp/snf-bench-kill-${process.pid}`;
const i = process.argv.indexOf('--rounds');
const rounds = i > 0 ? Number(process.argv[i + 1]) : 1;
const withTls = process.argv.includes('--tls');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Case {
  label: string;
  mode: Exclude<StoreMode, 'single'>;
  watchdog: boolean;
  victim: 'primary' | 'master';
  tls?: boolean;
}
const TLS_CASES: Case[] = [
  { label: 'sentinel + watchdog, plain TCP: kill -9 the primary', mode: 'sentinel', watchdog: true, victim: 'primary' },
  { label: 'sentinel + watchdog, TLS only: kill -9 the primary', mode: 'sentinel', watchdog: true, victim: 'primary', tls: true },
  { label: 'cluster + watchdog, plain TCP: kill -9 a master', mode: 'cluster', watchdog: true, victim: 'master' },
  { label: 'cluster + watchdog, TLS only: kill -9 a master', mode: 'cluster', watchdog: true, victim: 'master', tls: true },
];
const CASES: Case[] = withTls ? TLS_CASES : [
  { label: 'sentinel + watchdog: kill -9 the primary', mode: 'sentinel', watchdog: true, victim: 'primary' },
  { label: 'sentinel alone: kill -9 the primary', mode: 'sentinel', watchdog: false, victim: 'primary' },
  { label: 'cluster + watchdog: kill -9 a master', mode: 'cluster', watchdog: true, victim: 'master' },
  { label: 'cluster alone: kill -9 a master', mode: 'cluster', watchdog: false, victim: 'master' },
];

function tool(ns: string, name: string, args: string[]) {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', join(ROOT, 'src/demo/traffic', `${name}.ts`), ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  let buf = '';
  const lines: Record<string, unknown>[] = [];
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let k = buf.indexOf('\n'); k >= 0; k = buf.indexOf('\n')) {
      try {
        lines.push(JSON.parse(buf.slice(0, k)) as Record<string, unknown>);
      } catch {
        /* not JSON */
      }
      buf = buf.slice(k + 1);
    }
  });
  const waitFor = async (pred: (l: Record<string, unknown>) => boolean, ms: number) => {
    const end = Date.now() + ms;
    for (;;) {
      const l = lines.find(pred);
      if (l) return l;
      if (Date.now() > end) throw new Error(`${name}: timed out`);
      await sleep(20);
    }
  };
  return { child, waitFor };
}

async function one(c: Case, n: number): Promise<string> {
  const name = `bk${process.pid % 10000}${n}`;
  const d = await LocalDeployment.up({ name, chain: ['firewall', 'nat'], instances: 3, runRoot: RUN_ROOT, storeMode: c.mode, storeWatchdog: c.watchdog, storeTls: c.tls === true });
  const server = tool(names(name).server, 'server', ['--tcp', `${NET.server.host}:7000`]);
  let client: ReturnType<typeof tool> | undefined;
  try {
    await server.waitFor((l) => l.event === 'listening', 30_000);
    client = tool(names(name).client, 'client', ['--target', `${NET.server.host}:7000`, '--connections', '50', '--interval', '100']);
    await client.waitFor((l) => l.event === 'connected', 60_000);
    await sleep(2000);
    const victim = d.state.store.nodes!.find((x) => x.role === c.victim)!;
    client.child.stdin.write('mark\n');
    const killedAt = Date.now();
    process.kill(victim.pid, 'SIGKILL');
    await sleep(c.watchdog ? 6000 : 12000);
    client.child.stdin.write('stop\n');
    const s = (await client.waitFor((l) => l.event === 'summary', 15_000)) as unknown as ClientSummary;
    // stalls the kill caused: begun before it (spanning it) or within one request interval after
    const back = Math.max(0, ...s.perConnection.filter((p) => p.maxStallAt > 0 && p.maxStallAt <= killedAt + 150 && p.maxStallAt + p.maxStallMs >= killedAt).map((p) => p.maxStallAt + p.maxStallMs - killedAt));
    const stalls = s.perConnection.map((p) => p.maxStallMs).sort((a, b) => a - b);
    return `| ${c.label} | ${s.connections} | ${s.resets} | ${s.perConnection.filter((p) => p.maxStallMs > 2000).length} | ${stalls[Math.floor(stalls.length / 2)]} | ${stalls[stalls.length - 1]} | ${back} |`;
  } finally {
    client?.child.kill('SIGKILL');
    server.child.kill('SIGKILL');
    await d.close().catch(() => undefined);
    await d.down().catch(() => undefined);
  }
}

const rows: string[] = [];
let n = 0;
for (let r = 0; r < rounds; r++) for (const c of CASES) rows.push(await one(c, n++));
closeShells();
console.log('| case | connections | reset | waited > 2 s | stall p50 ms | stall max ms | traffic back after the kill, ms |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) console.log(r);
process.exit(0);
