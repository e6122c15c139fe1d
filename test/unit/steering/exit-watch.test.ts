// The exit watcher on real processes and the real pidfd addon: a kill -9 is reported once, a live
// process never, an already-gone pid on the next loop turn (not inside watch()), and watches that
// were dropped or closed stay silent. The watcher holds no handle that keeps Node running.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { ExitWatcher } from '../../../src/vim/local/exit-watch.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function sleeper(): ChildProcess & { pid: number } {
  const c = spawn('sleep', ['60'], { stdio: 'ignore' });
  if (c.pid === undefined) throw new Error('cannot start sleep');
  return c as ChildProcess & { pid: number };
}

async function until(what: string, fn: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('exit watcher (pidfd)', () => {
  const procs: ChildProcess[] = [];
  const watchers: ExitWatcher[] = [];
  afterEach(() => {
    for (const w of watchers.splice(0)) w.close();
    for (const p of procs.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  });

  function watcher(seen: number[]): ExitWatcher {
    const w = new ExitWatcher((pid) => seen.push(pid));
    watchers.push(w);
    return w;
  }

  it('uses pidfds on this kernel (Linux >= 5.3) with the built addon', () => {
    expect(watcher([]).mode).to.equal('pidfd');
  });

  it('reports a kill -9 once, and never a process that lives on', async () => {
    const seen: number[] = [];
    const w = watcher(seen);
    const victim = sleeper();
    const bystander = sleeper();
    procs.push(victim, bystander);
    w.watch(victim.pid);
    w.watch(victim.pid); // twice: still one report
    w.watch(bystander.pid);
    const t0 = process.hrtime.bigint();
    process.kill(victim.pid, 'SIGKILL');
    await until('the exit reported', () => seen.length > 0);
    console.log(`      kill -9 -> reported in ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1)} ms`);
    await sleep(100);
    expect(seen).to.deep.equal([victim.pid]);
    expect(w.exited(victim.pid)).to.equal(true);
    expect(w.exited(bystander.pid)).to.equal(false);
  });

  it('reports a pid that is already gone on a later loop turn, not inside watch()', async () => {
    const c = sleeper();
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited; // reaped: the pid names no process now
    const seen: number[] = [];
    const w = watcher(seen);
    w.watch(c.pid);
    expect(seen, 'not synchronously').to.deep.equal([]);
    await until('the gone pid reported', () => seen.length > 0);
    expect(seen).to.deep.equal([c.pid]);
  });

  it('stays silent for pids dropped by retain() and after close()', async () => {
    const seen: number[] = [];
    const w = watcher(seen);
    const [a, b, c] = [sleeper(), sleeper(), sleeper()];
    procs.push(a, b, c);
    for (const p of [a, b, c]) w.watch(p.pid);
    w.retain([b.pid, c.pid]);
    process.kill(a.pid, 'SIGKILL');
    process.kill(b.pid, 'SIGKILL');
    await until('b reported', () => seen.includes(b.pid));
    w.close();
    process.kill(c.pid, 'SIGKILL');
    await sleep(200);
    expect(seen).to.deep.equal([b.pid]);
  });
});
