// Failover and scaling through the local deployment, stateless vs the coupled baseline, same
// script: 100 TCP connections through firewall + NAT on 3 instances; after 3 s one instance is
// killed with SIGKILL; 5 s later two are added; 5 s after that two are removed. Prints a table and writes
// bench/failover/timeline.svg (responses per second over time, both runs).
//   sudo node --import tsx bench/failover/run.ts
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalDeployment } from '../../src/vim/local/deployment.js';
import { names, NET } from '../../src/vim/local/topology.js';
import { closeShells } from '../../src/vim/local/sh.js';
import { readSteeringStatus } from '../../src/vim/local/state.js';
import { timelineSvg, type Marker } from './chart.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CONNS = 100;

interface Result {
  buckets: number[];
  maxWait: number[];
  resets: number;
  markers: Marker[];
  killToUnsteerMs: number;
}

async function once(baseline: boolean): Promise<Result> {
  const name = baseline ? 'snffob' : 'snffos';
  const d = await LocalDeployment.up({ name, chain: ['firewall', 'nat'], instances: 3, dataStore: baseline ? 'local' : 'redis', echoServer: true });
  const child = spawn('ip', ['netns', 'exec', names(name).client, process.execPath, '--import', 'tsx', join(HERE, 'load.ts'),
    '--target', `${NET.server.host}:7000`, '--connections', String(CONNS), '--interval', '10'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: Record<string, unknown>[] = [];
  const waitFor = (ev: string, ms: number) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`load: no ${ev}`)), ms);
      const check = () => {
        const l = lines.find((x) => x.event === ev);
        if (l) (clearTimeout(t), resolve(l));
        else setTimeout(check, 20);
      };
      check();
    });
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
  try {
    await waitFor('connected', 60_000);
    const start = Date.now();
    const at = () => (Date.now() - start) / 1000;
    const markers: Marker[] = [];
    await sleep(3000);
    const victim = d.state.instances[1].id;
    const tk = Date.now();
    markers.push({ t: at(), label: `kill -9 ${victim}` });
    d.kill(victim);
    await d.waitSteered((ids) => !ids.has(victim), 5000);
    const killToUnsteerMs = (readSteeringStatus(d.state.runDir)?.at ?? Date.now()) - tk;
    await sleep(5000 - (Date.now() - tk));
    markers.push({ t: at(), label: 'scale out +2' });
    await d.scaleOut(2);
    await sleep(5000);
    markers.push({ t: at(), label: 'scale in -2' });
    await d.scaleIn(2);
    await sleep(4000);
    child.stdin?.write('stop\n');
    const r = await waitFor('result', 10_000);
    // Buckets are counted from the load's start; shift them to the first step's clock.
    const skip = Math.max(0, Math.floor((start - Number(r.t0)) / 100));
    const end = Math.floor((Date.now() - Number(r.t0)) / 100) - 1;
    return { buckets: (r.buckets as number[]).slice(skip, end), maxWait: r.maxWait as number[], resets: Number(r.resets), markers, killToUnsteerMs };
  } finally {
    child.kill('SIGKILL');
    await d.close().catch(() => undefined);
    await d.down().catch(() => undefined);
  }
}

function summarize(label: string, r: Result): string {
  const broken = r.maxWait.filter((w) => w > 1000).length + r.resets;
  const rate = (from: number, to: number) => {
    const b = r.buckets.slice(from * 10, to * 10);
    return Math.round((b.reduce((a, x) => a + x, 0) / Math.max(1, b.length)) * 10);
  };
  const before = rate(1, 3);
  const dip = Math.min(...r.buckets.slice(30, 50).map((x) => x * 10));
  return `| ${label} | ${r.killToUnsteerMs} | ${before} | ${dip} | ${rate(4, 8)} | ${rate(14, 17)} | ${Math.max(...r.maxWait)} | ${broken} / ${CONNS} |`;
}

async function main(): Promise<void> {
  const stateless = await once(false);
  const baseline = await once(true);
  closeShells();
  console.log('| run | kill → unsteered ms | resp/s before | lowest 100 ms after kill (resp/s) | resp/s 1-5 s after kill | resp/s after scale in | longest wait ms | connections broken (> 1 s or reset) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  console.log(summarize('stateless (Redis)', stateless));
  console.log(summarize('coupled baseline', baseline));
  const svg = timelineSvg(
    'Responses per second, 100 TCP connections through 3 NF instances (firewall + NAT)',
    [
      { label: 'stateless (state in Redis)', color: '#1f77b4', buckets: stateless.buckets, markers: stateless.markers },
      { label: 'coupled baseline (state in each instance)', color: '#d62728', buckets: baseline.buckets, markers: baseline.markers },
    ],
  );
  writeFileSync(join(HERE, 'timeline.svg'), svg);
  console.log(`\nwrote ${join('bench', 'failover', 'timeline.svg')}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
