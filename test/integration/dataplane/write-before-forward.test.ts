// Write before forward (DESIGN.md invariant 1), on a real Redis whose writes are held back with
// CLIENT PAUSE ... WRITE (reads are still served): a packet whose verdict, or its flow's next
// packets, depend on a store write (a new flow, a TCP opening: SS -> SR) never leaves until Redis
// acknowledged that write, while a packet of the same batch that needs only reads does leave.
// A closing (FIN, RST: it only narrows what is admitted and shortens the TTL), a NAT state
// change (the mapping is in the store already; the state only picks the TTL) and the LB's
// S -> E on the backend's SYN-ACK (the backend stays; E only lengthens the TTL) are posted: they
// leave at once, and the store holds the change once writes go through.
// Each case fails if the NF forwarded without the write's reply, or lost the posted change.
import { expect } from 'chai';
import { Engine, TABLES, engineConfig, send, tcpPorts, verdicts } from '../../support/engine.js';
import { buildFrame, type FrameSpec } from '../../support/packets.js';
import { useRedis } from '../../support/redis.js';
import type { NfKind, Side } from '../../../src/dataplane/types.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Step {
  side: Side;
  spec: FrameSpec;
}

describe('write before forward', function () {
  this.timeout(30000);
  const r = useRedis();

  // Runs `batch` while Redis holds every write: returns the verdicts, then lets writes through
  // and runs `after` (which sees what the held writes did).
  async function withWritesPaused(e: Engine, batch: Step[], after?: () => Promise<void>): Promise<string[]> {
    await r.client.call('CLIENT', 'PAUSE', '10000', 'WRITE');
    let out: string[];
    try {
      out = verdicts(await e.process(batch.map((s) => ({ side: s.side, data: buildFrame(s.spec) }))));
    } finally {
      await r.client.call('CLIENT', 'UNPAUSE');
    }
    if (after) await after();
    return out;
  }

  // Runs each step as a batch of its own while Redis holds every write: the verdicts, and the
  // round trips they cost (a read queued behind a held write would wait, and time out).
  async function oneByOneWritesHeld(e: Engine, steps: Step[]): Promise<{ got: string[]; trips: number }> {
    await r.client.call('CLIENT', 'PAUSE', '10000', 'WRITE');
    try {
      const c0 = e.counters().store.roundTrips;
      const got: string[] = [];
      for (const s of steps) got.push(...verdicts(await e.process([{ side: s.side, data: buildFrame(s.spec) }])));
      return { got, trips: e.counters().store.roundTrips - c0 };
    } finally {
      await r.client.call('CLIENT', 'UNPAUSE');
    }
  }

  // After the pause the engine reconnects (the timed-out connection was dropped) with backoff.
  async function eventuallyForwarded(e: Engine, s: Step): Promise<void> {
    for (let i = 0; i < 50; i++) {
      if ((await send(e, s.side, s.spec)).out.verdict === 'forward') return;
      await sleep(100);
    }
    expect.fail('never forwarded after the store came back');
  }

  // Polls the store until some key matching `pattern` has a value matching `value`.
  async function eventuallyStored(pattern: string, value: RegExp): Promise<void> {
    for (let i = 0; i < 50; i++) {
      const keys = (await r.client.keys(pattern)) as string[];
      for (const k of keys) {
        const v = await r.client.get(k);
        if (v !== null && value.test(v)) return;
      }
      await sleep(50);
    }
    const seen = await Promise.all(((await r.client.keys(pattern)) as string[]).map(async (k) => `${k} = ${await r.client.get(k)}`));
    expect.fail(`no ${pattern} holding ${value} after writes resumed: ${seen.join(", ") || "no such key"}`);
  }

  const tcp = (src: string, dst: string, sport: number, dport: number, flags: string, seq: number, ack = 0, payload?: Buffer): FrameSpec => ({
    ip: { v: 4, src, dst },
    l4: { proto: 'tcp', sport, dport, flags, seq, ack },
    ...(payload ? { payload } : {}),
  });

  // Opens a firewall connection from 10.0.0.5:sport to 203.0.113.9:80 (ISNs 1 and 1): SYN and
  // SYN-ACK leave it SR, the handshake's ACK ES. Each must be forwarded.
  async function openFw(e: Engine, sport: number, upTo: 'SR' | 'ES'): Promise<void> {
    const steps: Step[] = [
      { side: 'inside', spec: tcp('10.0.0.5', '203.0.113.9', sport, 80, 'S', 1) },
      { side: 'outside', spec: tcp('203.0.113.9', '10.0.0.5', 80, sport, 'SA', 1, 2) },
    ];
    if (upTo === 'ES') steps.push({ side: 'inside', spec: tcp('10.0.0.5', '203.0.113.9', sport, 80, 'A', 2, 2) });
    for (const s of steps) expect((await send(e, s.side, s.spec)).out.verdict, JSON.stringify(s.spec)).to.equal('forward');
  }

  interface Case {
    nf: NfKind;
    open: Step[];
    readOnly: Step;
    // Packets that must wait for their writes: dropped while Redis holds writes.
    dependent: Step[];
    // A packet whose state change is posted: it leaves while Redis holds writes, and the store
    // then shows the change (key pattern, value).
    posted: Step;
    stored: [string, RegExp];
  }

  const cases: Case[] = [
    {
      nf: 'nat',
      open: [], // filled in the test: the reply needs the allocated port
      readOnly: { side: 'inside', spec: tcp('10.0.0.5', '203.0.113.9', 41000, 80, 'PA', 2, 2, Buffer.from('hi')) },
      dependent: [{ side: 'inside', spec: { ip: { v: 4, src: '10.0.0.6', dst: '203.0.113.9' }, l4: { proto: 'udp', sport: 41001, dport: 53 } } }],
      posted: { side: 'inside', spec: tcp('10.0.0.5', '203.0.113.9', 41000, 80, 'FA', 4, 2) },
      stored: ['snf:*:nat:f:*:6:10.0.0.5:41000', /^[^|]+\|\d+\|F\|/],
    },
    {
      nf: 'firewall',
      open: [
        { side: 'inside', spec: tcp('10.0.0.5', '203.0.113.9', 42000, 80, 'S', 1) },
        { side: 'outside', spec: tcp('203.0.113.9', '10.0.0.5', 80, 42000, 'SA', 1, 2) },
        { side: 'inside', spec: tcp('10.0.0.5', '203.0.113.9', 42000, 80, 'A', 2, 2) },
        // A second connection left half open (SS): its SYN-ACK is an opening.
        { side: 'inside', spec: tcp('10.0.0.5', '203.0.113.9', 42002, 80, 'S', 7) },
      ],
      readOnly: { side: 'inside', spec: tcp('10.0.0.5', '203.0.113.9', 42000, 80, 'PA', 2, 2, Buffer.from('hi')) },
      dependent: [
        { side: 'outside', spec: tcp('203.0.113.9', '10.0.0.5', 80, 42002, 'SA', 9, 8) },
        { side: 'inside', spec: { ip: { v: 4, src: '10.0.0.6', dst: '203.0.113.9' }, l4: { proto: 'udp', sport: 42001, dport: 53 } } },
      ],
      posted: { side: 'inside', spec: tcp('10.0.0.5', '203.0.113.9', 42000, 80, 'FA', 4, 2) },
      stored: ['snf:*:fw:*|42000|*', /^FO\|/],
    },
    {
      nf: 'lb',
      open: [{ side: 'outside', spec: tcp('198.18.0.1', '192.0.2.10', 43000, 80, 'S', 1) }], // its backend's SYN-ACK is added in the test
      readOnly: { side: 'outside', spec: tcp('198.18.0.1', '192.0.2.10', 43000, 80, 'PA', 2, 2, Buffer.from('hi')) },
      dependent: [{ side: 'outside', spec: tcp('198.18.0.2', '192.0.2.10', 43001, 80, 'S', 1) }],
      posted: { side: 'outside', spec: tcp('198.18.0.1', '192.0.2.10', 43000, 80, 'FA', 4, 2) },
      stored: ['snf:*:lb:f:*198.18.0.1*43000*', /^[^|]+\|F\|/],
    },
  ];

  for (const c of cases) {
    it(`${c.nf}: new flows and openings wait for their writes; a read-only packet and a closing leave`, async () => {
      // No cache, short deadline: every read goes to the (paused-for-writes) Redis itself.
      const e = new Engine(engineConfig([c.nf], { kind: 'redis', nodes: [r.server.node], timeoutMs: 300, cacheBytes: 0 }));
      try {
        if (c.nf === 'nat') {
          const syn = await send(e, 'inside', tcp('10.0.0.5', '203.0.113.9', 41000, 80, 'S', 1));
          expect(syn.out.verdict).to.equal('forward');
          const ext = syn.pkt?.ip.src ?? '';
          const port = tcpPorts(syn.pkt).sport;
          // The server's SYN-ACK establishes the mapping, then the inside's ACK.
          c.open.push({ side: 'outside', spec: tcp('203.0.113.9', ext, 80, port, 'SA', 1, 2) });
          c.open.push({ side: 'inside', spec: tcp('10.0.0.5', '203.0.113.9', 41000, 80, 'A', 2, 2) });
        }
        for (const s of c.open) {
          const o = await send(e, s.side, s.spec);
          expect(o.out.verdict, JSON.stringify(s.spec)).to.equal('forward');
          if (c.nf === 'lb') {
            // The backend's SYN-ACK comes from the backend the LB chose.
            const sa = tcp(o.pkt?.ip.dst ?? '', s.spec.ip.src, tcpPorts(o.pkt).dport, tcpPorts(o.pkt).sport, 'SA', 1, 2);
            expect((await send(e, 'inside', sa)).out.verdict, 'backend SYN-ACK').to.equal('forward');
          }
        }

        const before = e.counters().store.commands;
        expect(await withWritesPaused(e, [c.readOnly, c.posted], () => eventuallyStored(...c.stored)), 'a closing leaves at once').to.deep.equal(['forward', 'forward']);

        const got = await withWritesPaused(e, [c.readOnly, ...c.dependent]);
        expect(got).to.deep.equal(['forward', ...c.dependent.map(() => 'drop:store_unavailable')]);
        expect(e.counters().store.commands, 'the reads were answered').to.be.greaterThan(before);
        // Once writes go through again, the same packets leave.
        for (const s of c.dependent) await eventuallyForwarded(e, s);
      } finally {
        e.close();
      }
    });
  }

  // The LB's S -> E changes nothing a packet is judged on: the SYN-ACK leaves while Redis holds
  // the write, and the cache answers for the flow with the values written (Cmd::through) instead
  // of dropping its keys, so the client's next packet costs no read: with the write held, a read on that
  // connection would wait behind it and time out. E reaches the store once writes go through.
  it('lb: the backend\'s SYN-ACK leaves at once, and the flow stays cached until E is stored', async () => {
    const e = new Engine(engineConfig(['lb'], { kind: 'redis', nodes: [r.server.node], timeoutMs: 300 }));
    try {
      const syn = await send(e, 'outside', tcp('198.18.0.7', '192.0.2.10', 43007, 80, 'S', 1));
      expect(syn.out.verdict).to.equal('forward');
      const be = syn.pkt?.ip.dst ?? '';
      const sa: Step = { side: 'inside', spec: tcp(be, '198.18.0.7', tcpPorts(syn.pkt).dport, 43007, 'SA', 1, 2) };
      const ack: Step = { side: 'outside', spec: tcp('198.18.0.7', '192.0.2.10', 43007, 80, 'A', 2, 2) };
      await sleep(50); // the reverse key's warming GET (posted behind the assignment) lands
      const { got, trips } = await oneByOneWritesHeld(e, [sa, ack]);
      expect(got, 'SYN-ACK, then the client\'s ACK').to.deep.equal(['forward', 'forward']);
      expect(trips, 'round trips while the write was held').to.equal(0);
      await eventuallyStored('snf:*:lb:f:*198.18.0.7*43007*', /^[^|]+\|E\|/);
    } finally {
      e.close();
    }
  });

  // The NAT's state changes keep the mapping cached too, in their new state (Cmd::through: the
  // cache takes the values written until the refills confirm them): in a firewall + NAT chain the
  // outbound packets of a batch read the mapping after the inbound ones have posted their state
  // changes, and the next batches may read before the refills are back; a mapping dropped from
  // the cache would cost each of them a read.
  it('nat: an opening leaves the mapping cached, and the inside\'s next packet costs no read', async () => {
    const e = new Engine(engineConfig(['nat'], { kind: 'redis', nodes: [r.server.node], timeoutMs: 300 }));
    try {
      const syn = await send(e, 'inside', tcp('10.0.0.7', '203.0.113.9', 41007, 80, 'S', 1));
      expect(syn.out.verdict).to.equal('forward');
      const ext = syn.pkt?.ip.src ?? '';
      const port = tcpPorts(syn.pkt).sport;
      const sa: Step = { side: 'outside', spec: tcp('203.0.113.9', ext, 80, port, 'SA', 1, 2) };
      const ack: Step = { side: 'inside', spec: tcp('10.0.0.7', '203.0.113.9', 41007, 80, 'A', 2, 2) };
      await sleep(50); // the reverse key's warming GET (if the mapping came from nat_alloc) lands
      const { got, trips } = await oneByOneWritesHeld(e, [sa, ack]);
      expect(got, 'SYN-ACK, then the inside\'s ACK').to.deep.equal(['forward', 'forward']);
      expect(trips, 'round trips while the write was held').to.equal(0);
      await eventuallyStored('snf:*:nat:f:*:6:10.0.0.7:41007', /^[^|]+\|\d+\|E\|/);
    } finally {
      e.close();
    }
  });

  it('nat: a closing leaves the mapping cached as F: the packets behind the FIN cost no read, and nothing writes E back', async () => {
    const e = new Engine(engineConfig(['nat'], { kind: 'redis', nodes: [r.server.node], timeoutMs: 300 }));
    try {
      const syn = await send(e, 'inside', tcp('10.0.0.8', '203.0.113.9', 41008, 80, 'S', 1));
      const ext = syn.pkt?.ip.src ?? '';
      const port = tcpPorts(syn.pkt).sport;
      expect((await send(e, 'outside', tcp('203.0.113.9', ext, 80, port, 'SA', 1, 2))).out.verdict).to.equal('forward');
      await eventuallyStored('snf:*:nat:f:*:6:10.0.0.8:41008', /^[^|]+\|\d+\|E\|/);
      await sleep(50); // the opening's refills land
      const fin: Step = { side: 'inside', spec: tcp('10.0.0.8', '203.0.113.9', 41008, 80, 'FA', 2, 2) };
      const finAck: Step = { side: 'outside', spec: tcp('203.0.113.9', ext, 80, port, 'FA', 2, 3) };
      const ack: Step = { side: 'inside', spec: tcp('10.0.0.8', '203.0.113.9', 41008, 80, 'A', 3, 3) };
      const { got, trips } = await oneByOneWritesHeld(e, [fin, finAck, ack]);
      expect(got, 'FIN, FIN-ACK, ACK').to.deep.equal(['forward', 'forward', 'forward']);
      // Each read the mapping from the cache: F, so the FIN-ACK wrote nothing more (F -> F).
      expect(trips, 'round trips while the write was held').to.equal(0);
      await eventuallyStored('snf:*:nat:f:*:6:10.0.0.8:41008', /^[^|]+\|\d+\|F\|/);
      await eventuallyStored(`snf:*:nat:r:*:6:${port}`, /^10\.0\.0\.8\|41008\|F\|/);
    } finally {
      e.close();
    }
  });

  // The firewall's closings are posted the same way, its value known: the packets behind a FIN
  // are judged by the new state with no read while Redis holds the write.
  it('firewall: a closing leaves the connection cached as FO: the packets behind the FIN cost no read', async () => {
    const e = new Engine(engineConfig(['firewall'], { kind: 'redis', nodes: [r.server.node], timeoutMs: 300 }));
    try {
      await openFw(e, 42010, 'ES');
      await sleep(50); // the opening's refill lands
      const fin: Step = { side: 'inside', spec: tcp('10.0.0.5', '203.0.113.9', 42010, 80, 'FA', 2, 2) };
      const data: Step = { side: 'outside', spec: tcp('203.0.113.9', '10.0.0.5', 80, 42010, 'PA', 2, 3, Buffer.from('bye')) };
      const finAck: Step = { side: 'outside', spec: tcp('203.0.113.9', '10.0.0.5', 80, 42010, 'FA', 5, 3) };
      const { got, trips } = await oneByOneWritesHeld(e, [fin, data, finAck]);
      expect(got, 'FIN, the responder\'s data, its FIN').to.deep.equal(['forward', 'forward', 'forward']);
      expect(trips, 'round trips while the writes were held').to.equal(0);
      // The responder's FIN was judged in FO (cached), not ES: the connection is closed.
      await eventuallyStored('snf:*:fw:*|42010|*', /^CL\|/);
    } finally {
      e.close();
    }
  });

  // SR admits what ES admits but the responder's FIN (conntrack's SYN_RECV), so the handshake's
  // ACK does not wait for SR -> ES: it leaves while Redis holds the write, and the connection's
  // next packets are judged by ES from the cache (Cmd::through).
  it('firewall: the handshake\'s ACK leaves at once, and the connection stays cached as ES', async () => {
    const e = new Engine(engineConfig(['firewall'], { kind: 'redis', nodes: [r.server.node], timeoutMs: 300 }));
    try {
      await openFw(e, 42020, 'SR');
      await sleep(50); // the SYN-ACK's refill lands
      const ack: Step = { side: 'inside', spec: tcp('10.0.0.5', '203.0.113.9', 42020, 80, 'A', 2, 2) };
      const data: Step = { side: 'outside', spec: tcp('203.0.113.9', '10.0.0.5', 80, 42020, 'PA', 2, 2, Buffer.from('hi')) };
      const fin: Step = { side: 'outside', spec: tcp('203.0.113.9', '10.0.0.5', 80, 42020, 'FA', 4, 2) };
      const { got, trips } = await oneByOneWritesHeld(e, [ack, data, fin]);
      // The responder's FIN passes only in ES: it was judged by the state the ACK wrote.
      expect(got, 'ACK, the responder\'s data, its FIN').to.deep.equal(['forward', 'forward', 'forward']);
      expect(trips, 'round trips while the writes were held').to.equal(0);
      await eventuallyStored('snf:*:fw:*|42020|*', /^FR\|/);
    } finally {
      e.close();
    }
  });

  // Lost with a dying instance, the ACK's ES leaves the connection SR: another instance lets the
  // responder's data through in SR, and the initiator's next segment (acknowledging that data, so
  // past the responder's ISN + 1) establishes it again.
  it('firewall: a connection left SR by a lost write passes both sides\' data and is established by the initiator\'s next segment', async () => {
    const e = new Engine(engineConfig(['firewall'], { kind: 'redis', nodes: [r.server.node], cacheBytes: 0 }));
    try {
      await openFw(e, 42021, 'SR');
      const key = ((await r.client.keys('snf:*:fw:*|42021|*')) as string[])[0];
      expect(await r.client.get(key)).to.match(/^SR\|/);
      // The handshake's ACK left through an instance that died before its write.
      const data = await send(e, 'outside', tcp('203.0.113.9', '10.0.0.5', 80, 42021, 'PA', 2, 2, Buffer.from('hi')));
      expect(data.out.verdict, 'the responder\'s data in SR').to.equal('forward');
      expect(await r.client.get(key), 'the responder changes nothing').to.match(/^SR\|/);
      const next = await send(e, 'inside', tcp('10.0.0.5', '203.0.113.9', 42021, 80, 'PA', 2, 4, Buffer.from('ok')));
      expect(next.out.verdict, 'the initiator\'s data, acknowledging the responder\'s').to.equal('forward');
      await eventuallyStored(key, /^ES\|/);
    } finally {
      e.close();
    }
  });

  // Lost with a dying instance, the SYN-ACK's E would leave the flow S (its TTL the transitory
  // one): a client packet that finds S a refresh interval after the SYN writes E again.
  it('lb: a flow still S a refresh interval after its SYN is made E by the client\'s next packet', async () => {
    const tables = { ...TABLES, timeouts: { refreshIntervalMs: 50 } };
    const e = new Engine(engineConfig(['lb'], { kind: 'redis', nodes: [r.server.node], cacheBytes: 0 }, { tables }));
    try {
      expect((await send(e, 'outside', tcp('198.18.0.8', '192.0.2.10', 43008, 80, 'S', 1))).out.verdict).to.equal('forward');
      const key = ((await r.client.keys('snf:*:lb:f:*198.18.0.8*43008*')) as string[])[0];
      expect(await r.client.get(key)).to.match(/^[^|]+\|S\|/);
      expect((await send(e, 'outside', tcp('198.18.0.8', '192.0.2.10', 43008, 80, 'A', 2, 2))).out.verdict).to.equal('forward');
      expect(await r.client.get(key), 'within the interval: still S').to.match(/^[^|]+\|S\|/);
      await sleep(80);
      expect((await send(e, 'outside', tcp('198.18.0.8', '192.0.2.10', 43008, 80, 'PA', 2, 2, Buffer.from('x')))).out.verdict).to.equal('forward');
      await eventuallyStored(key, /^[^|]+\|E\|/);
    } finally {
      e.close();
    }
  });

  // The split-phase calls hold posted writes for the next round trip (store.postHoldUs, here
  // 10 ms) instead of writing them at the end of each batch: the last batch's closing still
  // reaches the store once the engine idles (its idle flush), or when it is closed right away.
  it('firewall, split phase: the last batch\'s posted closing reaches the store when the engine idles, and when it closes', async () => {
    for (const how of ['idle', 'close'] as const) {
      const sport = how === 'idle' ? 42100 : 42101;
      const e = new Engine(engineConfig(['firewall'], { kind: 'redis', nodes: [r.server.node], timeoutMs: 300, postHoldUs: 10000 }));
      try {
        await openFw(e, sport, 'ES');
        e.setInflight(2);
        e.submitSync([{ side: 'inside', data: buildFrame(tcp('10.0.0.5', '203.0.113.9', sport, 80, 'FA', 2, 2)) }]);
        expect(e.reapSync(true)?.frames[0].verdict, how).to.equal('forward');
        if (how === 'close') e.close();
        await eventuallyStored(`snf:*:fw:*|${sport}|*`, /^FO\|/);
      } finally {
        e.close();
      }
    }
  });
});
