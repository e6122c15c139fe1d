// Runs the iproute2 / nft / sysctl / ethtool commands that build the local deployment. Every
// failure carries the command and its stderr, since "exit status 2" alone explains nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

export class CommandError extends Error {
  constructor(
    readonly argv: string[],
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`${argv.join(' ')}: ${stderr.trim() || `exit ${code}`}`);
    this.name = 'CommandError';
  }
}

/**
 * A long-lived `sh` that runs our commands. Spawning from a large Node process costs ~50 ms per
 * child on small VMs (fork of the whole address space), while sh forks in ~1 ms: the steering
 * controller's reaction time to a failed instance is mostly this cost, so commands go through
 * shells kept open for the life of the process. Each command's output ends with a marker line
 * carrying its exit status.
 */
class Shell {
  private readonly child: ChildProcess;
  private buf = '';
  private seq = 0;
  private queue: { id: string; resolve: (r: { code: number; out: string }) => void }[] = [];
  private dead: Error | undefined;

  constructor() {
    this.child = spawn('sh', [], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (d: string) => this.onData(d));
    this.child.stderr?.resume();
    this.child.on('exit', () => this.fail(new Error('command shell exited')));
    this.child.on('error', (e) => this.fail(e));
    this.child.stdin?.on('error', () => undefined);
    // The shell keeps the process alive only while a command is running.
    this.hold(false);
  }

  private hold(on: boolean): void {
    if (on) this.child.ref();
    else this.child.unref();
    for (const s of [this.child.stdin, this.child.stdout, this.child.stderr]) {
      const h = s as unknown as { ref?: () => void; unref?: () => void } | null;
      if (on) h?.ref?.();
      else h?.unref?.();
    }
  }

  private fail(e: Error): void {
    this.dead = e;
    for (const q of this.queue.splice(0)) q.resolve({ code: -1, out: e.message });
  }

  private onData(d: string): void {
    this.buf += d;
    for (;;) {
      const head = this.queue[0];
      if (!head) return;
      const marker = `__snf_done_${head.id} `;
      const at = this.buf.indexOf(marker);
      if (at < 0) return;
      const nl = this.buf.indexOf('\n', at);
      if (nl < 0) return;
      const code = Number(this.buf.slice(at + marker.length, nl));
      const out = this.buf.slice(0, at);
      this.buf = this.buf.slice(nl + 1);
      this.queue.shift();
      if (this.queue.length === 0) this.hold(false);
      head.resolve({ code, out });
    }
  }

  close(): void {
    this.child.stdin?.end();
  }

  get alive(): boolean {
    return this.dead === undefined;
  }

  exec(argv: string[], input?: string): Promise<{ code: number; out: string }> {
    if (this.dead) return Promise.resolve({ code: -1, out: this.dead.message });
    const id = `${process.pid}_${++this.seq}`;
    const cmd = argv.map(quote).join(' ');
    const stdin = input === undefined ? ' </dev/null' : ` <<'__SNF_EOF_${id}'\n${input}${input.endsWith('\n') ? '' : '\n'}__SNF_EOF_${id}\n`;
    // stderr joins stdout so a failure's message comes back with its status
    const script = input === undefined ? `${cmd} 2>&1${stdin}\necho "\n__snf_done_${id} $?"\n` : `${cmd} 2>&1${stdin}echo "\n__snf_done_${id} $?"\n`;
    return new Promise((resolve) => {
      if (this.queue.length === 0) this.hold(true);
      this.queue.push({ id, resolve });
      this.child.stdin?.write(script);
    });
  }
}

function quote(a: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

// Two lanes, so the two steering namespaces are programmed in parallel.
const shells: Shell[] = [];
let lane = 0;
function shell(): Shell {
  // a shell that died (OOM, someone's kill) is replaced rather than failing every later command
  for (let i = shells.length - 1; i >= 0; i--) if (!shells[i].alive) shells.splice(i, 1);
  if (shells.length < 2) shells.push(new Shell());
  return shells[lane++ % shells.length];
}

/** Ends the command shells (tests; a CLI process simply exits). */
export function closeShells(): void {
  for (const s of shells.splice(0)) s.close();
}

/** Runs argv[0] with the rest as arguments; resolves its output, rejects CommandError. */
export async function run(argv: string[], input?: string): Promise<string> {
  const { code, out } = await shell().exec(argv, input);
  const text = out.endsWith('\n') ? out.slice(0, -1) : out;
  if (code !== 0) throw new CommandError(argv, code, text);
  return text;
}

/** Like run, but a failure is only reported, not thrown (cleanup paths must go on). */
export async function tryRun(argv: string[], input?: string): Promise<string | undefined> {
  try {
    return await run(argv, input);
  } catch {
    return undefined;
  }
}

/** `ip -n <ns> -batch -`: many iproute2 commands in one process, stopping at the first error. */
export function ipBatch(ns: string | undefined, lines: string[]): Promise<string> {
  if (lines.length === 0) return Promise.resolve('');
  const argv = ns ? ['ip', '-n', ns, '-batch', '-'] : ['ip', '-batch', '-'];
  return run(argv, lines.join('\n') + '\n');
}

/** A command inside a network namespace. */
export function inNs(ns: string, argv: string[], input?: string): Promise<string> {
  return run(['ip', 'netns', 'exec', ns, ...argv], input);
}

export interface Spawned {
  pid: number;
}

/**
 * Starts a detached process inside `ns` (or the current namespace when undefined) (its own process group, so it outlives the CLI that
 * started it and can be signalled as a group), stdout and stderr into `logFile`.
 */
export function spawnInNs(ns: string | undefined, argv: string[], logFd: number, cwd?: string): Spawned {
  const full = ns ? ['ip', 'netns', 'exec', ns, ...argv] : argv;
  const child = spawn(full[0], full.slice(1), { detached: true, stdio: ['ignore', logFd, logFd], ...(cwd ? { cwd } : {}) });
  if (child.pid === undefined) throw new Error(`cannot start ${argv.join(' ')} in ${ns}`);
  child.unref();
  return { pid: child.pid };
}

/**
 * true while `pid` runs. A zombie counts as dead: processes outlive the CLI that started them,
 * and an init that does not reap leaves them as zombies forever.
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // state is the field after the parenthesised command name (which may contain spaces)
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
