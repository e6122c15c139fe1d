// The failure detector's rules, one observation at a time with a stepped clock: no timing
// thresholds, so the outcome does not depend on how loaded the machine is.
import { expect } from 'chai';
import { FailureDetector, type Observation } from '../../../src/vim/local/steering/detector.js';

const P = 50; // heartbeat period

function obs(id: string, slot: number, beatAt: number | undefined, dead = false): Observation {
  return { id, slot, beatAt, dead };
}

/** Steps `d` with every instance beating exactly at `now`, `n` periods, returns the last steer set. */
function beatAll(d: FailureDetector, ids: [string, number][], from: number, n: number): { now: number; steer: string[] } {
  let now = from;
  let steer: string[] = [];
  for (let i = 0; i < n; i++) {
    now += P;
    steer = [...d.step(now, ids.map(([id, slot]) => obs(id, slot, now))).steer.keys()].sort();
  }
  return { now, steer };
}

describe('failure detector', () => {
  it('steers a new instance only after goodToAdd fresh beats', () => {
    const d = new FailureDetector({ periodMs: P, goodToAdd: 3 });
    const seen: number[] = [];
    let now = 1000;
    for (let i = 0; i < 4; i++) {
      now += P;
      seen.push(d.step(now, [obs('a', 1, now)]).steer.size);
    }
    expect(seen).to.deep.equal([0, 0, 1, 1]);
  });

  it("measures gaps on its own clock: an instance whose clock is 10 s behind (a VM under TCG) is steered, then removed after missToRemove periods", () => {
    const d = new FailureDetector({ periodMs: P, goodToAdd: 3, missToRemove: 20 });
    let now = 100_000;
    const skew = -10_000;
    for (let i = 0; i < 3; i++) {
      now += P;
      d.step(now, [obs('vm', 1, now + skew), obs('other', 2, now)]);
    }
    expect(d.health('vm')).to.equal('up');
    const last = now + skew;
    for (let i = 0; i < 19; i++) {
      now += P;
      expect(d.step(now, [obs('vm', 1, last), obs('other', 2, now)]).steer.has('vm'), `after ${i + 1} missed periods`).to.equal(true);
    }
    now += P;
    expect(d.step(now, [obs('vm', 1, last), obs('other', 2, now)]).removed.map((r) => r.id)).to.deep.equal(['vm']);
  });

  it("counts gaps in the instance's own heartbeat period: a VM beating every 100 ms (60 ms late each time, TCG), watched with 50 ms and polled every 20 ms, is steered", () => {
    const d = new FailureDetector({ periodMs: P, goodToAdd: 3 });
    let beat: number | undefined;
    let steeredAt = -1;
    for (let now = 0; now <= 2000 && steeredAt < 0; now += 20) {
      if (now % 160 === 0) beat = now; // the instance's beat lands in the registry
      const o: Observation = { ...obs('vm', 1, beat), periodMs: 100 };
      if (d.step(now, [o]).steer.has('vm')) steeredAt = now;
    }
    expect(steeredAt, 'steered at its third beat').to.equal(320);
  });

  it('a joining instance whose beats come one period late (jitter) is still steered after goodToAdd beats', () => {
    const d = new FailureDetector({ periodMs: P, goodToAdd: 3 });
    const beats = [0, 2 * P + 10, 4 * P + 20]; // each beat 2 periods and a bit after the previous one
    let beat: number | undefined;
    let steered = false;
    for (let now = 0; now <= 5 * P; now += 10) {
      if (beats.includes(now)) beat = now;
      steered = d.step(now, [obs('a', 1, beat)]).steer.has('a');
    }
    expect(steered).to.equal(true);
  });

  it('a joining instance whose beats stop for 3 periods starts its run of good beats again', () => {
    const d = new FailureDetector({ periodMs: P, goodToAdd: 3 });
    d.step(0, [obs('a', 1, 0)]);
    d.step(P, [obs('a', 1, P)]);
    d.step(4 * P, [obs('a', 1, P)]); // 3 periods without a beat: the run is broken
    expect(d.step(5 * P, [obs('a', 1, 5 * P)]).steer.has('a'), 'one good beat after the break').to.equal(false);
    d.step(6 * P, [obs('a', 1, 6 * P)]);
    expect(d.step(7 * P, [obs('a', 1, 7 * P)]).steer.has('a'), 'three good beats after the break').to.equal(true);
  });

  it('a repeated (not fresh) beat does not count towards re-adding', () => {
    const d = new FailureDetector({ periodMs: P, goodToAdd: 3 });
    // the same beat read on many polls (the controller polls faster than instances beat)
    for (let i = 0; i < 10; i++) expect(d.step(1000 + i, [obs('a', 1, 1000)]).steer.size).to.equal(0);
    expect(d.health('a')).to.equal('joining');
  });

  it('by default removes after 40 missed periods (2 s at 50 ms), not one before', () => {
    const d = new FailureDetector({ periodMs: P, goodToAdd: 1 });
    const t0 = 1000;
    expect([...d.step(t0, [obs('a', 1, t0), obs('b', 2, t0)]).steer.keys()].sort()).to.deep.equal(['a', 'b']);
    const at = (n: number) => [...d.step(t0 + n * P, [obs('a', 1, t0), obs('b', 2, t0 + n * P)]).steer.keys()].sort();
    expect(at(39), 'after 39 periods').to.deep.equal(['a', 'b']);
    expect(d.health('a')).to.equal('suspected');
    expect(at(40), 'after 40 periods').to.deep.equal(['b']);
  });

  it('suspects on a gap and removes only after missToRemove periods without a beat', () => {
    const d = new FailureDetector({ periodMs: P, missToRemove: 10, goodToAdd: 1 });
    let { now } = beatAll(d, [['a', 1], ['b', 2]], 0, 2);
    const lastA = now;
    const health: string[] = [];
    const steered: number[] = [];
    for (let i = 1; i <= 11; i++) {
      now += P;
      const r = d.step(now, [obs('a', 1, lastA), obs('b', 2, now)]);
      health.push(d.health('a') as string);
      steered.push(r.steer.size);
    }
    // 1 missed period: still up; 2..9: suspected but steered; 10: removed
    expect(health.slice(0, 1)).to.deep.equal(['up']);
    expect(health.slice(1, 9).every((h) => h === 'suspected')).to.equal(true);
    expect(health[9]).to.equal('removed');
    expect(steered.slice(0, 9).every((n) => n === 2)).to.equal(true);
    expect(steered[9]).to.equal(1);
  });

  it('re-adds a removed instance only after goodToAdd fresh beats in a row', () => {
    const d = new FailureDetector({ periodMs: P, missToRemove: 4, goodToAdd: 3 });
    let { now } = beatAll(d, [['a', 1], ['b', 2]], 0, 3);
    const lastA = now;
    for (let i = 0; i < 4; i++) {
      now += P;
      d.step(now, [obs('a', 1, lastA), obs('b', 2, now)]);
    }
    expect(d.health('a')).to.equal('removed');
    const back: number[] = [];
    for (let i = 0; i < 3; i++) {
      now += P;
      back.push(d.step(now, [obs('a', 1, now), obs('b', 2, now)]).steer.size);
    }
    expect(back).to.deep.equal([1, 1, 2]);
  });

  it('a confirmed death removes at once, without waiting for heartbeats', () => {
    const d = new FailureDetector({ periodMs: P, missToRemove: 100, goodToAdd: 1 });
    const { now } = beatAll(d, [['a', 1], ['b', 2]], 0, 2);
    const r = d.step(now + 1, [obs('a', 1, now, true), obs('b', 2, now)]);
    expect([...r.steer.keys()]).to.deep.equal(['b']);
    expect(r.removed).to.deep.equal([{ id: 'a', reason: 'dead' }]);
  });

  it('never removes the last steered instance for missed heartbeats', () => {
    const d = new FailureDetector({ periodMs: P, missToRemove: 3, goodToAdd: 1 });
    let { now } = beatAll(d, [['a', 1]], 0, 2);
    const last = now;
    for (let i = 0; i < 50; i++) {
      now += P;
      const r = d.step(now, [obs('a', 1, last)]);
      expect([...r.steer.keys()], `after ${i + 1} missed periods`).to.deep.equal(['a']);
      expect(r.removed).to.deep.equal([]);
    }
    expect(d.health('a')).to.equal('suspected');
  });

  it('keeps the last ones when every instance misses at once (a machine-wide stall)', () => {
    const d = new FailureDetector({ periodMs: P, missToRemove: 3, goodToAdd: 1 });
    const { now } = beatAll(d, [['a', 1], ['b', 2], ['c', 3]], 0, 2);
    const r = d.step(now + 10 * P, [obs('a', 1, now), obs('b', 2, now), obs('c', 3, now)]);
    expect([...r.steer.keys()].sort()).to.deep.equal(['a', 'b', 'c']);
    expect(r.keptLast.sort()).to.deep.equal(['a', 'b', 'c']);
  });

  it('a confirmed death may empty the set (a dead process forwards nothing either way)', () => {
    const d = new FailureDetector({ periodMs: P, goodToAdd: 1 });
    const { now } = beatAll(d, [['a', 1]], 0, 2);
    expect(d.step(now + 1, [obs('a', 1, now, true)]).steer.size).to.equal(0);
  });

  it('a late heartbeat (older than one already seen) removes nothing and moves nothing back', () => {
    const d = new FailureDetector({ periodMs: P, missToRemove: 5, goodToAdd: 1 });
    let { now } = beatAll(d, [['a', 1], ['b', 2]], 0, 3);
    // a's heartbeat written long ago arrives now (its ZADD score is its own, older, clock)
    const r1 = d.step(now + 1, [obs('a', 1, now - 20 * P), obs('b', 2, now)]);
    expect([...r1.steer.keys()].sort()).to.deep.equal(['a', 'b']);
    expect(r1.removed).to.deep.equal([]);
    expect(d.health('a')).to.equal('up');
    // and a record that vanished for a moment (TTL expired, then the late beat re-created it)
    now += P;
    const r2 = d.step(now, [obs('a', 1, undefined), obs('b', 2, now)]);
    expect(r2.removed).to.deep.equal([]);
    now += P;
    const r3 = d.step(now, [obs('a', 1, now), obs('b', 2, now)]);
    expect([...r3.steer.keys()].sort()).to.deep.equal(['a', 'b']);
  });

  it('adopts the steering of a previous controller without re-proving it', () => {
    const d = new FailureDetector({ periodMs: P, goodToAdd: 3 });
    const r = d.step(1000, [obs('a', 1, 990), obs('b', 2, undefined)], new Set(['a', 'b']));
    expect([...r.steer.keys()].sort()).to.deep.equal(['a', 'b']);
  });

  it('forgets an instance the VIM no longer lists (scale in) and reports it gone', () => {
    const d = new FailureDetector({ periodMs: P, goodToAdd: 1 });
    const { now } = beatAll(d, [['a', 1], ['b', 2]], 0, 2);
    const r = d.step(now + 1, [obs('b', 2, now)]);
    expect([...r.steer.keys()]).to.deep.equal(['b']);
    expect(r.removed).to.deep.equal([{ id: 'a', reason: 'gone' }]);
    expect(d.health('a')).to.equal(undefined);
  });

  it('refuses bad thresholds with the field named', () => {
    expect(() => new FailureDetector({ periodMs: 0 })).to.throw(/detector\.periodMs/);
    expect(() => new FailureDetector({ periodMs: P, missToRemove: 0 })).to.throw(/detector\.missToRemove/);
    expect(() => new FailureDetector({ periodMs: P, goodToAdd: 1.5 })).to.throw(/detector\.goodToAdd/);
  });
});
