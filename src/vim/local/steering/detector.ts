// Failure detection with hysteresis, as a pure state machine so its rules can be shown one
// observation at a time (no clock, no store, no namespaces).
//
// Why not "expired record = remove" (the first design): on a loaded 2-core box a Node process can
// miss its 50 ms heartbeat for a few hundred ms without anything being wrong, and every such
// stall removed a healthy instance (10 in 40 minutes, twice every instance at once). Instead:
//   - a confirmed death (the VIM says the process is gone, or its links are down) removes at once:
//     this is what keeps kill -9 -> unsteered fast;
//   - a heartbeat gap only suspects; the instance is removed after `missToRemove` heartbeat
//     periods without a beat (the gap is measured from the newest beat ever seen, so a late or
//     reordered heartbeat can only make it smaller, never remove anything). Default 40 periods
//     (2 s at 50 ms): with deaths reported by the kernel (pidfds), gaps only have to catch hangs,
//     and a soak with a CPU hog per core saw a freshly healed instance starved for just over 1 s;
//   - a removed (or new) instance comes back after `goodToAdd` fresh beats in a row;
//   - heartbeat gaps never remove the last steered instance: with no instance steered every flow
//     is dropped, so a suspected one is the better bet. Only a confirmed death may empty the set.

export interface Observation {
  id: string;
  slot: number;
  /** The VIM's word that the instance is gone (process exited, veth down). */
  dead: boolean;
  /** The newest heartbeat time the registry shows (ms), undefined when it has no record. */
  beatAt: number | undefined;
  /** The instance's own heartbeat period (ms) when it says; gaps are counted in the larger of it and the detector's. */
  periodMs?: number;
}

export interface DetectorOptions {
  /** The instances' heartbeat period (ms). */
  periodMs: number;
  /** Heartbeat periods without a beat before a suspected instance is removed (default 40). */
  missToRemove?: number;
  /** Fresh beats in a row before a new or removed instance is steered (default 3). */
  goodToAdd?: number;
}

export type Health = 'joining' | 'up' | 'suspected' | 'removed' | 'dead';

interface Track {
  slot: number;
  health: Health;
  /** newest beat seen (ms, the instance's clock) */
  lastBeat: number | undefined;
  /** when that beat was first seen (ms, this detector's clock): gaps are measured on one clock,
   * because an instance on another host (a VM, a Nova server) stamps beats with its own, skewed one */
  seenAt: number | undefined;
  /** fresh beats seen in a row while joining */
  good: number;
}

export interface Decision {
  /** id -> slot of the instances to steer */
  steer: Map<string, number>;
  /** instances removed by this step, with the reason */
  removed: { id: string; reason: 'dead' | 'missed heartbeats' | 'gone' }[];
  /** suspected instances kept only because they are the last ones */
  keptLast: string[];
}

export class FailureDetector {
  private readonly t = new Map<string, Track>();
  private readonly missToRemove: number;
  private readonly goodToAdd: number;

  constructor(private readonly o: DetectorOptions) {
    if (!Number.isFinite(o.periodMs) || o.periodMs <= 0) throw new Error(`detector.periodMs: must be a positive number, got ${o.periodMs}`);
    this.missToRemove = o.missToRemove ?? 40;
    this.goodToAdd = o.goodToAdd ?? 3;
    if (!Number.isInteger(this.missToRemove) || this.missToRemove < 1) throw new Error(`detector.missToRemove: must be a positive integer, got ${this.missToRemove}`);
    if (!Number.isInteger(this.goodToAdd) || this.goodToAdd < 1) throw new Error(`detector.goodToAdd: must be a positive integer, got ${this.goodToAdd}`);
  }

  health(id: string): Health | undefined {
    return this.t.get(id)?.health;
  }

  /**
   * One reconcile step. `obs`: every instance the VIM wants steered (others are forgotten).
   * `initial`: instances steered before this detector existed (a restarted controller adopts the
   * steering it finds instead of re-proving every instance, which would empty the set for a while).
   */
  step(now: number, obs: Observation[], initial?: ReadonlySet<string>): Decision {
    const removed: Decision['removed'] = [];
    const seen = new Set<string>();
    for (const o of obs) {
      seen.add(o.id);
      let tr = this.t.get(o.id);
      if (!tr) {
        const adopted = initial?.has(o.id) === true && !o.dead;
        // an adopted instance is given one full removal window from now, as if it had just beaten
        tr = { slot: o.slot, health: adopted ? 'up' : 'joining', lastBeat: adopted ? o.beatAt : undefined, seenAt: adopted ? now - this.o.periodMs : undefined, good: 0 };
        this.t.set(o.id, tr);
      }
      const wasSteered = tr.health === 'up' || tr.health === 'suspected';
      const fresh = o.beatAt !== undefined && (tr.lastBeat === undefined || o.beatAt > tr.lastBeat);
      if (fresh) {
        tr.lastBeat = o.beatAt;
        tr.seenAt = now;
      }
      if (tr.slot !== o.slot) {
        // the same id on a new slot is a new instance
        tr.slot = o.slot;
        tr.health = 'joining';
        tr.good = 0;
      }
      if (o.dead) {
        if (wasSteered) removed.push({ id: o.id, reason: 'dead' });
        tr.health = 'dead';
        tr.good = 0;
        continue;
      }
      // Counted in the instance's own period when it beats slower than the detector assumes: a VM
      // beating every 100 ms watched with a 50 ms period would otherwise miss "2 periods" between
      // any two beats and never be steered.
      const period = Math.max(this.o.periodMs, o.periodMs ?? 0);
      const missed = tr.seenAt === undefined ? Infinity : Math.floor((now - tr.seenAt) / period);
      switch (tr.health) {
        case 'up':
        case 'suspected':
          tr.health = missed >= 2 ? 'suspected' : 'up';
          if (missed >= this.missToRemove) {
            tr.health = 'removed';
            tr.good = 0;
            removed.push({ id: o.id, reason: 'missed heartbeats' });
          }
          break;
        case 'dead':
        case 'removed':
        case 'joining':
          // A run of good beats is broken by a gap of 3 periods: a beat one period late (timer
          // jitter of a loaded host or a TCG guest) is still a live instance's beat.
          if (fresh && missed < 3) tr.good++;
          else if (missed >= 3) tr.good = 0;
          tr.health = tr.good >= this.goodToAdd ? 'up' : tr.health === 'dead' && !fresh ? 'dead' : 'joining';
          break;
      }
    }
    for (const [id, tr] of this.t) {
      if (seen.has(id)) continue;
      if (tr.health === 'up' || tr.health === 'suspected') removed.push({ id, reason: 'gone' });
      this.t.delete(id);
    }
    const steer = new Map<string, number>();
    for (const [id, tr] of this.t) if (tr.health === 'up' || tr.health === 'suspected') steer.set(id, tr.slot);
    const keptLast: string[] = [];
    if (steer.size === 0) {
      // Heartbeat gaps never empty the set: put back the instances they removed in this step.
      for (const r of removed) {
        if (r.reason !== 'missed heartbeats') continue;
        const tr = this.t.get(r.id) as Track;
        tr.health = 'suspected';
        steer.set(r.id, tr.slot);
        keptLast.push(r.id);
      }
    }
    return { steer, removed: removed.filter((r) => !keptLast.includes(r.id)), keptLast };
  }
}
