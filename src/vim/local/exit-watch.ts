// Learns of the local deployment's processes exiting the moment they exit, for the steering
// controller and its supervisor: a kill -9'd instance is a confirmed death, and acting on it one
// wake-up after the kernel reaps it, instead of on the next 20 ms poll (which a loaded machine
// stretches to hundreds of ms), is what keeps kill -> unsteered short.
//
// Neither watcher is the instances' parent (the CLI that started them has long exited), so
// waitpid and 'exit' events are out; a pidfd (pidfd_open(2), through the native addon) works for
// any process. Where there is none (kernel < 5.3, an addon built without it) `mode` is 'poll' and
// callers rely on their polling alone, as before.
import { addon, type NativeExitWatch, type NativeExitWatchClass } from '../../dataplane/native.js';
import { alive } from './sh.js';

export type ExitWatchMode = 'pidfd' | 'poll';

function nativeClass(): NativeExitWatchClass | undefined {
  try {
    const c = addon().ExitWatch;
    return c && c.supported() ? c : undefined;
  } catch {
    return undefined; // no addon built: polling only
  }
}

export class ExitWatcher {
  readonly mode: ExitWatchMode;
  private readonly cls: NativeExitWatchClass | undefined;
  private readonly watches = new Map<number, NativeExitWatch>();
  private readonly gone = new Set<number>();

  /** `onExit(pid)`: called once per watched pid, after its exit is confirmed. */
  constructor(private readonly onExit: (pid: number) => void) {
    this.cls = nativeClass();
    this.mode = this.cls ? 'pidfd' : 'poll';
  }

  /** Starts watching `pid` (no-op when already watched or known gone). */
  watch(pid: number): void {
    if (!this.cls || !(pid > 0) || this.watches.has(pid) || this.exited(pid)) return;
    let w: NativeExitWatch;
    try {
      w = new this.cls(pid, () => this.fired(pid));
    } catch {
      return; // EPERM or out of fds: the caller's polling still covers this pid
    }
    if (!this.gone.has(pid)) this.watches.set(pid, w);
  }

  /** true once `pid` was seen to exit (and no new process has taken the number since). */
  exited(pid: number): boolean {
    if (!this.gone.has(pid)) return false;
    // pids are reused: a healed instance may get the number of one that died
    if (alive(pid)) {
      this.gone.delete(pid);
      return false;
    }
    return true;
  }

  /** Stops watching (and forgets) every pid not in `pids`. */
  retain(pids: Iterable<number>): void {
    const keep = new Set(pids);
    for (const [pid, w] of this.watches) if (!keep.has(pid)) (w.close(), this.watches.delete(pid));
    for (const pid of this.gone) if (!keep.has(pid)) this.gone.delete(pid);
  }

  close(): void {
    for (const w of this.watches.values()) w.close();
    this.watches.clear();
  }

  private fired(pid: number): void {
    this.watches.delete(pid);
    // the pidfd says exited; kill(pid, 0) + /proc agreeing costs microseconds and guards the one
    // thing that would hurt, removing a live instance
    if (alive(pid)) return;
    this.gone.add(pid);
    this.onExit(pid);
  }
}
