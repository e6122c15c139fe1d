// The steering supervisor and controller run at nice -10. On a box shared with builds and tests
// (and in the detect soak, a CPU hog per core), a nice-0 controller woken by an instance's exit
// waited its turn behind every runnable task, and kill -> unsteered grew from ~50 ms to ~300 ms.
// A control-plane daemon whose reaction time is the product's failover time gets the scheduler's
// preference, as keepalived and BFD daemons do. Linux nice is per thread and inherited on fork:
// raised on the main thread before any child starts, it covers the controllers the supervisor
// spawns and the `sh` / `ip` processes that program the routes. Needs root (CAP_SYS_NICE); without
// it the processes keep their priority and say so.
import { getPriority, setPriority } from 'node:os';

export const CONTROL_NICE = -10;

/** Raises this thread's priority to CONTROL_NICE (never lowers it); returns the nice value in force. */
export function raiseControlPriority(): { nice: number; error?: string } {
  try {
    if (getPriority() > CONTROL_NICE) setPriority(CONTROL_NICE);
    return { nice: getPriority() };
  } catch (e) {
    return { nice: getPriority(), error: (e as Error).message };
  }
}
