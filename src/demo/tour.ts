// The one-minute tour of the local deployment: live TCP connections through a firewall + NAT
// on three instances; one instance is killed with SIGKILL, two are added, three are removed,
// and not one connection breaks. Then the same kill against the coupled baseline, which breaks
// the connections the killed instance carried.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalDeployment } from '../vim/local/deployment.js';
import { names, NET } from '../vim/local/topology.js';
import { closeShells } from '../vim/local/sh.js';
import type { ClientSummary } from './traffic/client.js';
import { jsonLines, type JsonLine } from './traffic/json-lines.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Client {
  child: ChildProcess;
  next(pred: (l: JsonLine) => boolean, timeoutMs: number): Promise<JsonLine>;
}

function startClient(ns: string, connections: number): Client {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', join(ROOT, 'src/demo/traffic/client.ts'),
    '--target', `${NET.server.host}:7000`, '--connections', String(connections), '--interval', '100'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const out = jsonLines('traffic client', child.stdout!);
  return { child, next: (pred, timeoutMs) => out.waitFor(pred, timeoutMs) };
}

async function summary(c: Client): Promise<ClientSummary> {
  const p = c.next((l) => l.event === 'summary', 20_000);
  c.child.stdin?.write('stop\n');
  return (await p) as unknown as ClientSummary;
}

async function mark(c: Client): Promise<void> {
  const p = c.next((l) => l.event === 'marked', 5000);
  c.child.stdin?.write('mark\n');
  await p;
}

function verdict(s: ClientSummary): string {
  return `${s.connections - s.resets - s.stalledOver1s}/${s.connections} connections intact (resets ${s.resets}, stalled > 1 s ${s.stalledOver1s}, longest stall ${s.maxStallMs} ms, ${s.responses} responses)`;
}

type TourStore = 'redis' | 'ramcloud' | 'local';

async function scenario(label: string, name: string, runRoot: string | undefined, store: TourStore, connections: number, log: (s: string) => void): Promise<ClientSummary> {
  const baseline = store === 'local';
  log(`\n== ${label}`);
  const t0 = Date.now();
  const d = await LocalDeployment.up(
    { name, chain: ['firewall', 'nat'], instances: 3, dataStore: store, echoServer: true, ...(runRoot ? { runRoot } : {}) },
    (m) => log(`   up: ${m}`),
  );
  let client: Client | undefined;
  try {
    log(`   deployment up in ${((Date.now() - t0) / 1000).toFixed(1)} s: 3 instances, firewall + NAT, ECMP steering`);
    client = startClient(names(name).client, connections);
    const ready = await client.next((l) => l.event === 'connected', 60_000);
    log(`   ${String(ready.connected)} TCP connections doing request/response every 100 ms`);
    await sleep(1500);
    await mark(client);
    const victim = d.state.instances[1].id;
    const tk = Date.now();
    d.kill(victim);
    await d.waitSteered((ids) => !ids.has(victim), 5000);
    log(`   kill -9 ${victim}: removed from steering ${Date.now() - tk} ms later`);
    await sleep(2000);
    if (!baseline) {
      const added = await d.scaleOut(2);
      log(`   scale out: ${added.join(', ')} registered and steered`);
      await sleep(2000);
      const removed = await d.scaleIn(3);
      log(`   scale in: ${removed.join(', ')} unsteered and stopped (no state to drain)`);
      await sleep(2000);
    }
    const s = await summary(client);
    client = undefined;
    log(`   ${verdict(s)}`);
    return s;
  } finally {
    client?.child.kill('SIGKILL');
    await d.close().catch(() => undefined);
    await d.down().catch(() => undefined);
  }
}

/** Deployment names of the two scenarios (they prefix namespace names) and where their state goes; tests pass their own. */
export interface TourNames {
  stateless: string;
  baseline: string;
  runRoot?: string;
}

export async function runTour(
  log: (s: string) => void,
  connections = 100,
  names: TourNames = { stateless: 'snftour', baseline: 'snftourb' },
  /** where the stateless scenario keeps flow state: Redis (default) or RAMCloud (`snf tour --store ramcloud`) */
  store: 'redis' | 'ramcloud' = 'redis',
): Promise<{ stateless: ClientSummary; baseline: ClientSummary }> {
  try {
    const where = store === 'ramcloud' ? 'RAMCloud' : 'Redis';
    const stateless = await scenario(`stateless: flow state in ${where}, shared by every instance`, names.stateless, names.runRoot, store, connections, log);
    const baseline = await scenario('coupled baseline: flow state inside each instance', names.baseline, names.runRoot, 'local', connections, log);
    log(`\nstateless: ${verdict(stateless)}\nbaseline:  ${verdict(baseline)}`);
    return { stateless, baseline };
  } finally {
    closeShells();
  }
}
