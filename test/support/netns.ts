// Test support for the local deployment: unique names per run, traffic tools as processes in
// the deployment's namespaces, and cleanup by name and pid that runs even when a test fails
// (after hooks) or the test process dies (exit hook).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { constants } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonLines } from '../../src/demo/traffic/json-lines.js';
import { alive } from '../../src/vim/local/sh.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RUN_ROOT = `/tmp/snf-test-${process.pid}`;

let seq = 0;
const prefixes = new Set<string>();
const pids = new Set<number>();

/** A deployment name unique to this test process: `t<pid><letter>` (namespaces are `<name>-...`). */
export function uniqueName(): string {
  const name = `t${process.pid}${String.fromCharCode(97 + (seq++ % 26))}`;
  prefixes.add(name);
  return name;
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

/** Namespaces whose name starts with `<prefix>-`. */
export function namespacesOf(prefix: string): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return (r.stdout ?? '')
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith(`${prefix}-`));
}

/** Synchronous, so it also works from the exit hook: pids from state.json and namespaces, then the namespaces. */
export function forceCleanup(prefix: string, runRoot = RUN_ROOT): void {
  const state = join(runRoot, prefix, 'state.json');
  if (existsSync(state)) {
    try {
      const s = JSON.parse(readFileSync(state, 'utf8')) as { controllerPid?: number; store?: { redisPid?: number; watchdogPid?: number; nodes?: { pid: number; relayPid?: number }[] }; instances?: { pid: number }[] };
      for (const p of [s.controllerPid, s.store?.redisPid, s.store?.watchdogPid, ...(s.store?.nodes ?? []).flatMap((n) => [n.pid, n.relayPid]), ...(s.instances ?? []).map((i) => i.pid)]) if (p) kill(p);
    } catch {
      /* half-written state: the namespaces below still go */
    }
  }
  for (const ns of namespacesOf(prefix)) {
    const r = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' });
    for (const p of (r.stdout ?? '').split('\n').filter((x) => /^\d+$/.test(x))) kill(Number(p));
    spawnSync('ip', ['netns', 'del', ns]);
  }
  spawnSync('rm', ['-rf', join(runRoot, prefix)]);
}

process.on('exit', () => {
  for (const p of pids) kill(p);
  for (const p of prefixes) forceCleanup(p);
  spawnSync('rm', ['-rf', RUN_ROOT]);
});
// Node skips 'exit' when a signal ends the process: a CI timeout or a stopped session sends
// SIGTERM / SIGHUP, so those end it through exit() and the hook above runs.
for (const sig of ['SIGTERM', 'SIGHUP'] as const) process.once(sig, () => process.exit(128 + constants.signals[sig]));

/**
 * What a test process that died by SIGKILL left (no hook of its own ran): its namespaces
 * (`t<pid><letter>-...`), its processes in them and its run dir. Only for pids no longer alive.
 */
export function sweepDeadRuns(): void {
  for (const ns of spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout?.split('\n') ?? []) {
    const m = /^(t(\d+)[a-z])-/.exec(ns.split(' ')[0]);
    if (!m || Number(m[2]) === process.pid || alive(Number(m[2]))) continue;
    forceCleanup(m[1], `/tmp/snf-test-${m[2]}`);
  }
  for (const entry of readdirSync('/tmp')) {
    const m = /^snf-test-(\d+)$/.exec(entry);
    if (m && Number(m[1]) !== process.pid && !alive(Number(m[1]))) rmSync(join('/tmp', entry), { recursive: true, force: true });
  }
}
sweepDeadRuns();

export interface Proc {
  pid: number;
  child: ChildProcess;
  /** every JSON line printed so far */
  lines: Record<string, unknown>[];
  /** resolves with the first line (past or future) satisfying pred */
  waitFor(pred: (l: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  stderr(): string;
  stop(): void;
  exited: Promise<number | null>;
}

/** A traffic tool (src/demo/traffic/<tool>.ts) in namespace `ns`, tracked for cleanup. */
export function startTool(ns: string, tool: string, args: string[]): Proc {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', join(ROOT, 'src/demo/traffic', `${tool}.ts`), ...args], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`cannot start ${tool}`);
  const pid = child.pid;
  pids.add(pid);
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => {
    pids.delete(pid);
    r(code);
  }));
  const out = jsonLines(tool, child.stdout!, exited);
  return {
    pid,
    child,
    lines: out.lines,
    stderr: () => err,
    waitFor: (pred, timeoutMs = 30_000) => out.waitFor(pred, timeoutMs, () => `; stderr: ${err.slice(-500)}`),
    stop() {
      kill(pid);
    },
    exited,
  };
}

/** Runs a command in a namespace to completion. */
export function runIn(ns: string, argv: string[]): { code: number | null; out: string } {
  const r = spawnSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
