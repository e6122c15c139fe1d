// The steering controller against a real Redis registry (heartbeats written by the product's own
// heartbeat()), with the data path replaced by a recorder of what would be programmed: the
// netns side is covered by test/integration/local. The clock is stepped, and heartbeat() is
// given the same clock, so no assertion depends on timing.
import { expect } from 'chai';
import { heartbeat, type StoreClient } from '../../../src/store/index.js';
import { SteeringController, type Candidate } from '../../../src/vim/local/steering/controller.js';
import { rawCommand, startRedis, useRedis } from '../../support/redis.js';

const P = 50;
const TTL = 600_000; // records never expire during a test: the controller's clock decides

interface Rig {
  ctl: SteeringController;
  programmed: number[][];
  cands: Map<string, Candidate>;
  clock: { t: number };
  beat(id: string, at?: number): Promise<void>;
  /** one period: the listed instances beat, then one reconcile */
  period(beating: string[]): Promise<number[]>;
}

function rig(store: StoreClient, vnf: string, opts: { missToRemove?: number; goodToAdd?: number } = {}): Rig {
  const programmed: number[][] = [];
  const cands = new Map<string, Candidate>();
  const clock = { t: 1_800_000_000_000 };
  const ctl = new SteeringController({
    store,
    vnf,
    heartbeatMs: P,
    ...opts,
    candidates: () => cands,
    apply: async (slots) => {
      programmed.push([...slots].sort((a, b) => a - b));
    },
    now: () => clock.t,
  });
  const r: Rig = {
    ctl,
    programmed,
    cands,
    clock,
    beat: (id, at) => heartbeat(store, vnf, { id, pid: 4242, addr: `ns-${id}`, startedAt: 1 }, TTL, at ?? clock.t),
    async period(beating) {
      clock.t += P;
      for (const id of beating) await r.beat(id);
      await ctl.reconcile();
      return ctl.current().slots;
    },
  };
  return r;
}

describe('steering controller on a real registry', function () {
  this.timeout(30_000);
  const redis = useRedis();
  let n = 0;
  const vnf = () => `ctlreg${++n}`;

  it('steers instances once they have beaten goodToAdd times', async () => {
    const r = rig(redis.client, vnf(), { goodToAdd: 3 });
    r.cands.set('i1', { slot: 1, dead: false }).set('i2', { slot: 2, dead: false });
    const seen: number[][] = [];
    for (let i = 0; i < 4; i++) seen.push(await r.period(['i1', 'i2']));
    expect(seen).to.deep.equal([[], [], [1, 2], [1, 2]]);
  });

  it('removes a silent instance after missToRemove periods (suspected before), re-adds it after goodToAdd beats', async () => {
    const r = rig(redis.client, vnf(), { missToRemove: 6, goodToAdd: 2 });
    r.cands.set('i1', { slot: 1, dead: false }).set('i2', { slot: 2, dead: false });
    for (let i = 0; i < 3; i++) await r.period(['i1', 'i2']);
    const silent: number[][] = [];
    for (let i = 0; i < 7; i++) silent.push(await r.period(['i2']));
    // steered through 5 silent periods, removed at the 6th
    expect(silent.slice(0, 5)).to.deep.equal(Array(5).fill([1, 2]));
    expect(silent[5]).to.deep.equal([2]);
    const back: number[][] = [];
    for (let i = 0; i < 2; i++) back.push(await r.period(['i1', 'i2']));
    expect(back).to.deep.equal([[2], [1, 2]]);
  });

  it('never removes the only live instance for a heartbeat gap, and a late heartbeat removes nothing', async () => {
    const r = rig(redis.client, vnf(), { missToRemove: 3, goodToAdd: 1 });
    r.cands.set('i1', { slot: 1, dead: false });
    await r.period(['i1']);
    expect(r.ctl.current().ids).to.deep.equal(['i1']);
    const first = r.clock.t;
    for (let i = 0; i < 40; i++) expect(await r.period([]), `silent period ${i + 1}`).to.deep.equal([1]);
    // a heartbeat written long ago is delivered now: its score goes back in the ZSET
    await r.beat('i1', first - 10 * P);
    expect(await r.period([])).to.deep.equal([1]);
    // and fresh beats afterwards bring it back to healthy, still steered
    for (let i = 0; i < 3; i++) expect(await r.period(['i1'])).to.deep.equal([1]);
    expect(r.programmed.filter((s) => s.length === 0)).to.deep.equal([]);
  });

  it('removes a confirmed death at once even while the registry still shows fresh beats', async () => {
    const r = rig(redis.client, vnf(), { missToRemove: 100, goodToAdd: 1 });
    r.cands.set('i1', { slot: 1, dead: false }).set('i2', { slot: 2, dead: false });
    await r.period(['i1', 'i2']);
    r.cands.set('i1', { slot: 1, dead: true });
    expect(await r.period(['i1', 'i2'])).to.deep.equal([2]);
  });

  it('with the store unreadable, keeps the steering but still drops a confirmed death', async () => {
    const srv = await startRedis();
    const { Redis } = await import('ioredis');
    const client = new Redis(srv.port, '127.0.0.1', { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: false });
    client.on('error', () => undefined);
    try {
      const errors: string[] = [];
      const r = rig(client, vnf(), { goodToAdd: 1 });
      r.cands.set('i1', { slot: 1, dead: false }).set('i2', { slot: 2, dead: false });
      await r.period(['i1', 'i2']);
      expect(r.ctl.current().slots).to.deep.equal([1, 2]);
      await srv.stop();
      for (let i = 0; i < 5; i++) {
        r.clock.t += 100 * P;
        await r.ctl.reconcile().catch((e: Error) => errors.push(e.message));
      }
      expect(r.ctl.current().slots, 'nothing removed because the store is down').to.deep.equal([1, 2]);
      r.cands.set('i2', { slot: 2, dead: true });
      await r.ctl.reconcile();
      expect(r.ctl.current().slots).to.deep.equal([1]);
      expect(errors).to.deep.equal([]);
    } finally {
      client.disconnect();
      await srv.stop().catch(() => undefined);
    }
  });
  // The death fast path (a pidfd said the process exited): no registry read stands between the
  // exit and the removal. CLIENT PAUSE holds every registry read; ordering, not timing, shows it.
  it('confirmDeaths removes a confirmed death while the registry cannot answer', async () => {
    const r = rig(redis.client, vnf(), { goodToAdd: 1 });
    r.cands.set('i1', { slot: 1, dead: false }).set('i2', { slot: 2, dead: false });
    await r.period(['i1', 'i2']);
    expect(r.ctl.current().slots).to.deep.equal([1, 2]);
    expect(await rawCommand(redis.server.port, ['CLIENT', 'PAUSE', 1500, 'ALL'])).to.equal('OK');
    let answered = false;
    const ping = redis.client.ping().then(() => (answered = true));
    r.cands.set('i2', { slot: 2, dead: true });
    await r.ctl.confirmDeaths();
    expect(answered, 'the store was still paused').to.equal(false);
    expect(r.ctl.current().slots).to.deep.equal([1]);
    await ping;
  });

  it('a death confirmed while a tick waits on the registry is acted on right after it, not dropped', async () => {
    const r = rig(redis.client, vnf(), { goodToAdd: 1 });
    r.cands.set('i1', { slot: 1, dead: false }).set('i2', { slot: 2, dead: false });
    await r.period(['i1', 'i2']);
    expect(await rawCommand(redis.server.port, ['CLIENT', 'PAUSE', 500, 'ALL'])).to.equal('OK');
    const inFlight = r.ctl.reconcile(); // took its candidates (i2 alive), now waits on the store
    r.cands.set('i2', { slot: 2, dead: true });
    await r.ctl.confirmDeaths();
    expect(r.ctl.current().slots, 'the tick in flight still holds the controller').to.deep.equal([1, 2]);
    await inFlight;
    for (let i = 0; i < 100 && r.ctl.current().slots.length > 1; i++) await new Promise((res) => setTimeout(res, 10));
    expect(r.ctl.current().slots).to.deep.equal([1]);
    expect(r.programmed.at(-1)).to.deep.equal([1]);
  });
});
