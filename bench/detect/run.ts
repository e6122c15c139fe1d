// Failure detection soak: false removals on a loaded machine, kill -9 -> unsteered latency, and
// steering controller restarts, in one run of a local deployment (firewall + NAT, 3 instances,
// 30 TCP connections for the whole run).
//   node --import tsx bench/detect/run.ts [--minutes 30] [--every 30] [--hogs <cores>]
// The bench loads the machine itself: --hogs busy-loop processes (default one per core, 0 for
// none) run at normal priority for the whole run, on top of whatever else the machine does.
// Every --every seconds one instance (round robin) gets SIGKILL and is healed once unsteered;
// every fourth round the active steering controller gets SIGKILL as well. Each kill explains one
// removal (the first of that instance after it); every other removal is a false removal. Prints a table; numbers go to
// bench/RESULTS.md by hand, with the machine and date.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg } from 'node:os';
import { LocalDeployment } from '../../src/vim/local/deployment.js';
import { names, NET } from '../../src/vim/local/topology.js';
import { closeShells } from '../../src/vim/local/sh.js';
import { readControllerHealth, readSupervisorStatus } from '../../src/vim/local/state.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const KNOWN = ['minutes', 'every', 'hogs'];

class UsageError extends Error {}

function arg(name: string, dflt: number, min = Number.MIN_VALUE): number {
  for (const a of process.argv.slice(2)) if (a.startsWith('--') && !KNOWN.includes(a.slice(2))) throw new UsageError(`${a}: unknown option (expected --${KNOWN.join(', --')})`);
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v < min) throw new UsageError(`--${name}: a number >= ${min === Number.MIN_VALUE ? '0 (not 0)' : min}, got ${process.argv[i + 1] ?? 'nothing'}`);
  return v;
}

/** One busy loop per hog, in sh so it costs no Node start-up; stopped by pid. */
function startHogs(n: number): ChildProcess[] {
  return Array.from({ length: n }, () => spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }));
}

interface SteeringLine {
  at: number;
  pid: number;
  event: string;
  ids?: string[];
  removed?: string[];
  reasons?: Record<string, string>;
  /** on 'started': how the controller learns of exits (pidfd, or poll without one) */
  deathWatch?: string;
}

function quantile(xs: number[], q: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
}

async function main(): Promise<void> {
  const minutes = arg('minutes', 30);
  const every = arg('every', 30) * 1000;
  const hogCount = Math.floor(arg('hogs', cpus().length, 0));
  const name = 'snfdet';
  const loadAtStart = loadavg();
  const d = await LocalDeployment.up({ name, chain: ['firewall', 'nat'], instances: 3, echoServer: true });
  // started after the deployment is up: the soak measures detection, not a slow `snf up`
  const hogs = startHogs(hogCount);
  const logFile = join(d.state.runDir, 'steering.log');
  const client = spawn(
    'ip',
    ['netns', 'exec', names(name).client, process.execPath, '--import', 'tsx', join(ROOT, 'src/demo/traffic/client.ts'), '--target', `${NET.server.host}:7000`, '--connections', '30', '--interval', '200', '--duration', String(minutes * 60 + 60)],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let summary: Record<string, unknown> | undefined;
  createInterface({ input: client.stdout }).on('line', (l) => {
    try {
      const o = JSON.parse(l) as Record<string, unknown>;
      if (o.event === 'summary') summary = o;
    } catch {
      /* not ours */
    }
  });
  const kills: { id: string; at: number }[] = [];
  const unsteerMs: number[] = [];
  /** rounds where the controller was killed just before the instance: the takeover is included */
  const unsteerAfterCtlKillMs: number[] = [];
  const linksDownMs: number[] = [];
  const ctlRestartMs: number[] = [];
  const ctlReconcileMs: number[] = [];
  const t0 = Date.now();
  const end = t0 + minutes * 60_000;
  let round = 0;
  try {
    await sleep(5000);
    while (Date.now() < end) {
      const next = t0 + 5000 + (round + 1) * every;
      round++;
      const victim = d.state.instances[(round - 1) % d.state.instances.length].id;
      if (round % 4 === 0) {
        const sup = readSupervisorStatus(d.state.runDir);
        if (sup) {
          const tk = Date.now();
          process.kill(sup.activePid, 'SIGKILL');
          for (;;) {
            const s2 = readSupervisorStatus(d.state.runDir);
            const h = readControllerHealth(d.state.runDir);
            if (s2 && s2.activePid !== sup.activePid && !ctlRestartMs[round]) ctlRestartMs[round] = (s2.lastRestartAt ?? Date.now()) - tk;
            if (s2 && h && h.pid === s2.activePid && h.pid !== sup.activePid) {
              ctlReconcileMs.push(h.reconciledAt - tk);
              break;
            }
            if (Date.now() - tk > 10_000) throw new Error('controller not replaced within 10 s');
            await sleep(5);
          }
        }
      }
      const tk = Date.now();
      kills.push({ id: victim, at: tk });
      const rec = d.kill(victim);
      // the supervisor's fallback: links down (ECMP skips the next hop without any controller)
      for (;;) {
        if (readSupervisorStatus(d.state.runDir)?.downed.includes(`${victim}:${rec.pid}`)) {
          linksDownMs.push(Date.now() - tk);
          break;
        }
        if (Date.now() - tk > 10_000) break;
        await sleep(2);
      }
      await d.waitSteered((ids) => !ids.has(victim), 10_000);
      const lines = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as SteeringLine);
      const ev = lines.find((l) => l.event === 'steering' && l.at >= tk && l.removed?.includes(victim));
      if (ev) (round % 4 === 0 ? unsteerAfterCtlKillMs : unsteerMs).push(ev.at - tk);
      await sleep(1000);
      await d.heal(victim);
      const wait = next - Date.now();
      if (wait > 0) await sleep(wait);
    }
    client.stdin.write('stop\n');
    for (let i = 0; i < 600 && !summary; i++) await sleep(100);
    const lines = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as SteeringLine);
    const removals = lines.filter((l) => l.event === 'steering').flatMap((l) => (l.removed ?? []).map((id) => ({ id, at: l.at, reason: l.reasons?.[id] ?? '?' })));
    // each kill explains one removal: the first of that instance after it. A later one (the healed
    // instance starved and removed for missed heartbeats) is a false removal however soon it comes.
    const explained = new Set<(typeof removals)[number]>();
    for (const k of kills) {
      const r = removals.find((x) => x.id === k.id && x.at >= k.at && !explained.has(x));
      if (r) explained.add(r);
    }
    const falseRemovals = removals.filter((r) => !explained.has(r));
    // the first programming of an empty set (before any instance registered) is not a removal
    const firstSteered = lines.findIndex((l) => l.event === 'steering' && (l.ids?.length ?? 0) > 0);
    const empty = lines.slice(firstSteered + 1).filter((l) => l.event === 'steering' && l.ids && l.ids.length === 0).length;
    const row = (k: string, v: string | number) => console.log(`| ${k} | ${v} |`);
    const watch = [...new Set(lines.filter((l) => l.event === 'started').map((l) => l.deathWatch ?? 'poll'))].join(', ');
    const all = [...unsteerMs, ...unsteerAfterCtlKillMs];
    console.log(`\ndetect soak: ${minutes} min, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${hogCount} CPU hogs, load average at start ${loadAtStart.map((x) => x.toFixed(1)).join(' / ')}, at end ${loadavg().map((x) => x.toFixed(1)).join(' / ')}, death watch: ${watch}, ${new Date().toISOString()}`);
    console.log('| measure | value |\n|---|---:|');
    row('instance kills (kill -9)', kills.length);
    row(`kill -9 -> unsteered by the controller, every kill, p50 / p99 / max (ms), ${all.length} kills`, `${quantile(all, 0.5)} / ${quantile(all, 0.99)} / ${Math.max(...all)}`);
    row(`same, rounds without a controller kill, p50 / p99 / max (ms), ${unsteerMs.length} kills`, `${quantile(unsteerMs, 0.5)} / ${quantile(unsteerMs, 0.99)} / ${Math.max(...unsteerMs)}`);
    row(
      `same, right after a controller kill (takeover included) p50 / max (ms), ${unsteerAfterCtlKillMs.length} kills`,
      `${quantile(unsteerAfterCtlKillMs, 0.5)} / ${Math.max(...unsteerAfterCtlKillMs)}`,
    );
    row(`kill -9 -> links down by the supervisor (seen by polling its status) p50 / p99 / max (ms)`, `${quantile(linksDownMs, 0.5)} / ${quantile(linksDownMs, 0.99)} / ${Math.max(...linksDownMs)}`);
    console.log(`unsteer samples (ms): ${JSON.stringify(unsteerMs)}; after controller kill: ${JSON.stringify(unsteerAfterCtlKillMs)}`);
    row('removals', removals.length);
    row('false removals (no kill before them)', falseRemovals.length);
    row('false removals by reason', JSON.stringify(falseRemovals.reduce<Record<string, number>>((a, r) => ((a[r.reason] = (a[r.reason] ?? 0) + 1), a), {})));
    row('steering emptied (every instance removed)', empty);
    row('controller kills', ctlReconcileMs.length);
    row('controller kill -> standby promoted p50 / max (ms)', `${quantile(ctlRestartMs.filter((x) => x !== undefined), 0.5)} / ${Math.max(...ctlRestartMs.filter((x) => x !== undefined))}`);
    row('controller kill -> new controller reconciled p50 / max (ms)', `${quantile(ctlReconcileMs, 0.5)} / ${Math.max(...ctlReconcileMs)}`);
    if (summary) {
      row('TCP connections / resets', `${String(summary.connections)} / ${String(summary.resets)}`);
      row('connections stalled > 1 s', String(summary.stalledOver1s));
      row('longest stall (ms)', Math.round(Number(summary.maxStallMs)));
    }
    if (falseRemovals.length) console.log('false removals:', JSON.stringify(falseRemovals));
  } finally {
    for (const h of hogs) h.kill('SIGKILL');
    client.kill('SIGKILL');
    await d.down().catch(() => undefined);
    closeShells();
  }
}

main().catch((e: unknown) => {
  if (e instanceof UsageError) {
    console.error(`bench detect: ${e.message}`);
    process.exit(2);
  }
  console.error(e instanceof Error ? e.stack : String(e));
  process.exit(1);
});
