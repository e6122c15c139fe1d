// Write before forward (DESIGN.md invariant 1), on a real Redis whose writes are held back with
// CLIENT PAUSE ... WRITE (reads are still served): a packet whose verdict depends on a store
// write never leaves until Redis acknowledged that write, while a packet of the same batch that
// needs only reads does leave. Each case fails if the NF forwarded without the write's reply.
import { expect } from 'chai';
import { Engine, engineConfig, send, tcpPorts, verdicts } from '../../support/engine.js';
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

  // Runs `batch` while Redis holds every write: returns the verdicts, then lets writes through.
  async function withWritesPaused(e: Engine, batch: Step[]): Promise<string[]> {
    await r.client.call('CLIENT', 'PAUSE', '10000', 'WRITE');
    try {
      return verdicts(await e.process(batch.map((s) => ({ side: s.side, data: buildFrame(s.spec) }))));
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

  const cases: { nf: NfKind; open: Step[]; readOnly: Step; change: Step; fresh: Step }[] = [
    {
      nf: 'nat',
      open: [], // filled in the test: the reply needs the allocated port
      readOnly: { side: 'inside', spec: { ip: { v: 4, src: '10.0.0.5', dst: '203.0.113.9' }, l4: { proto: 'tcp', sport: 41000, dport: 80, flags: 'PA', seq: 2, ack: 2 }, payload: Buffer.from('hi') } },
      change: { side: 'inside', spec: { ip: { v: 4, src: '10.0.0.5', dst: '203.0.113.9' }, l4: { proto: 'tcp', sport: 41000, dport: 80, flags: 'FA', seq: 4, ack: 2 } } },
      fresh: { side: 'inside', spec: { ip: { v: 4, src: '10.0.0.6', dst: '203.0.113.9' }, l4: { proto: 'udp', sport: 41001, dport: 53 } } },
    },
    {
      nf: 'firewall',
      open: [
        { side: 'inside', spec: { ip: { v: 4, src: '10.0.0.5', dst: '203.0.113.9' }, l4: { proto: 'tcp', sport: 42000, dport: 80, flags: 'S', seq: 1 } } },
        { side: 'outside', spec: { ip: { v: 4, src: '203.0.113.9', dst: '10.0.0.5' }, l4: { proto: 'tcp', sport: 80, dport: 42000, flags: 'SA', seq: 1, ack: 2 } } },
        { side: 'inside', spec: { ip: { v: 4, src: '10.0.0.5', dst: '203.0.113.9' }, l4: { proto: 'tcp', sport: 42000, dport: 80, flags: 'A', seq: 2, ack: 2 } } },
      ],
      readOnly: { side: 'inside', spec: { ip: { v: 4, src: '10.0.0.5', dst: '203.0.113.9' }, l4: { proto: 'tcp', sport: 42000, dport: 80, flags: 'PA', seq: 2, ack: 2 }, payload: Buffer.from('hi') } },
      change: { side: 'inside', spec: { ip: { v: 4, src: '10.0.0.5', dst: '203.0.113.9' }, l4: { proto: 'tcp', sport: 42000, dport: 80, flags: 'FA', seq: 4, ack: 2 } } },
      fresh: { side: 'inside', spec: { ip: { v: 4, src: '10.0.0.6', dst: '203.0.113.9' }, l4: { proto: 'udp', sport: 42001, dport: 53 } } },
    },
    {
      nf: 'lb',
      open: [
        { side: 'outside', spec: { ip: { v: 4, src: '198.18.0.1', dst: '192.0.2.10' }, l4: { proto: 'tcp', sport: 43000, dport: 80, flags: 'S', seq: 1 } } },
      ], // the backend's SYN-ACK is added in the test: it comes from the chosen backend
      readOnly: { side: 'outside', spec: { ip: { v: 4, src: '198.18.0.1', dst: '192.0.2.10' }, l4: { proto: 'tcp', sport: 43000, dport: 80, flags: 'PA', seq: 2, ack: 2 }, payload: Buffer.from('hi') } },
      change: { side: 'outside', spec: { ip: { v: 4, src: '198.18.0.1', dst: '192.0.2.10' }, l4: { proto: 'tcp', sport: 43000, dport: 80, flags: 'FA', seq: 4, ack: 2 } } },
      fresh: { side: 'outside', spec: { ip: { v: 4, src: '198.18.0.2', dst: '192.0.2.10' }, l4: { proto: 'tcp', sport: 43001, dport: 80, flags: 'S', seq: 1 } } },
    },
  ];

  for (const c of cases) {
    it(`${c.nf}: a state change and a new flow wait for their writes; a read-only packet leaves`, async () => {
      // No cache, short deadline: every read goes to the (paused-for-writes) Redis itself.
      const e = new Engine(engineConfig([c.nf], { kind: 'redis', nodes: [r.server.node], timeoutMs: 300, cacheBytes: 0 }));
      try {
        if (c.nf === 'nat') {
          const syn = await send(e, 'inside', { ip: { v: 4, src: '10.0.0.5', dst: '203.0.113.9' }, l4: { proto: 'tcp', sport: 41000, dport: 80, flags: 'S', seq: 1 } });
          expect(syn.out.verdict).to.equal('forward');
          const ext = syn.pkt?.ip.src ?? '';
          const port = tcpPorts(syn.pkt).sport;
          // The server's SYN-ACK establishes the mapping (a write), then the inside's ACK.
          c.open.push({ side: 'outside', spec: { ip: { v: 4, src: '203.0.113.9', dst: ext }, l4: { proto: 'tcp', sport: 80, dport: port, flags: 'SA', seq: 1, ack: 2 } } });
          c.open.push({ side: 'inside', spec: { ip: { v: 4, src: '10.0.0.5', dst: '203.0.113.9' }, l4: { proto: 'tcp', sport: 41000, dport: 80, flags: 'A', seq: 2, ack: 2 } } });
        }
        for (const s of c.open) {
          const o = await send(e, s.side, s.spec);
          expect(o.out.verdict, JSON.stringify(s.spec)).to.equal('forward');
          if (c.nf === 'lb' && s.side === 'outside' && c.open.length === 1) {
            const be = o.pkt?.ip.dst ?? '';
            const sa: Step = { side: 'inside', spec: { ip: { v: 4, src: be, dst: '198.18.0.1' }, l4: { proto: 'tcp', sport: tcpPorts(o.pkt).dport, dport: 43000, flags: 'SA', seq: 1, ack: 2 } } };
            expect((await send(e, sa.side, sa.spec)).out.verdict, 'backend SYN-ACK').to.equal('forward');
          }
        }
        const writesBefore = e.counters().store.commands;
        const got = await withWritesPaused(e, [c.readOnly, c.change, c.fresh]);
        expect(got).to.deep.equal(['forward', 'drop:store_unavailable', 'drop:store_unavailable']);
        expect(e.counters().store.commands, 'the reads were answered').to.be.greaterThan(writesBefore);
        // Once writes go through again, the same packets leave.
        await eventuallyForwarded(e, c.change);
        await eventuallyForwarded(e, c.fresh);
      } finally {
        e.close();
      }
    });
  }
});
