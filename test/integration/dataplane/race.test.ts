// Two engines see the first packet of the same flows at the same time, on two threads.
import { expect } from 'chai';
import { Engine, engineConfig, uniqueVnf } from '../../support/engine.js';
import { buildFrame, decodeFrame } from '../../support/packets.js';
import { useRedis } from '../../support/redis.js';

describe('racing first packets', function () {
  const r = useRedis();

  it('NAT: exactly one mapping per flow, and both engines use it', async () => {
    const vnf = uniqueVnf();
    // Without the cache: the read-then-allocate path, whose race this test detects by counting
    // commands. (With the cache a new flow's script goes out in place of the read, so both
    // engines always run it: create-on-read.test.ts races that path.)
    const store = { kind: 'redis' as const, nodes: [r.server.node], cacheBytes: 0 };
    const a = new Engine(engineConfig(['nat'], store, { vnf, id: 'a' }));
    const b = new Engine(engineConfig(['nat'], store, { vnf, id: 'b' }));
    // Two worker threads usually overlap; on a loaded machine one may finish before the other
    // starts. Try fresh flows until both engines demonstrably ran the allocation script for the
    // same flows (more than 200 GETs + 200 scripts + 200 GETs), checking every attempt.
    let raced = false;
    let flows = 0;
    for (let attempt = 0; attempt < 10 && !raced; attempt++) {
      const frames = Array.from({ length: 200 }, (_, i) => ({
        side: 'inside' as const,
        data: buildFrame({ ip: { v: 4, src: `10.${9 + attempt}.${i >> 8}.${i & 255}`, dst: '203.0.113.9' }, l4: { proto: 'udp', sport: 4000 + i, dport: 53 } }),
      }));
      const before = a.counters().store.commands + b.counters().store.commands;
      const [ra, rb] = await Promise.all([a.process(frames), b.process(frames)]);
      raced = a.counters().store.commands + b.counters().store.commands - before > 600;
      flows += frames.length;
      for (let i = 0; i < frames.length; i++) {
        expect(ra[i].verdict).to.equal('forward');
        expect(rb[i].verdict).to.equal('forward');
        expect(decodeFrame(ra[i].data).l4).to.deep.equal(decodeFrame(rb[i].data).l4);
        expect(decodeFrame(ra[i].data).ip.src).to.equal(decodeFrame(rb[i].data).ip.src);
      }
    }
    expect(raced, 'the two engines raced on first packets at least once').to.equal(true);
    expect((await r.client.keys(`snf:${vnf}:nat:f:*`)).length).to.equal(flows);
    expect((await r.client.keys(`snf:${vnf}:nat:r:*`)).length).to.equal(flows);
    a.close();
    b.close();
  });

  it('LB: both engines agree on the backend of every raced flow', async () => {
    const vnf = uniqueVnf();
    const store = { kind: 'redis' as const, nodes: [r.server.node] };
    const a = new Engine(engineConfig(['lb'], store, { vnf, id: 'a' }));
    const b = new Engine(engineConfig(['lb'], store, { vnf, id: 'b' }));
    const frames = Array.from({ length: 100 }, (_, i) => ({
      side: 'outside' as const,
      data: buildFrame({ ip: { v: 4, src: `198.18.${i >> 8}.${i & 255}`, dst: '192.0.2.10' }, l4: { proto: 'tcp', sport: 1000 + i, dport: 80, flags: 'S', seq: 1 } }),
    }));
    const [ra, rb] = await Promise.all([a.process(frames), b.process(frames)]);
    for (let i = 0; i < frames.length; i++) expect(decodeFrame(ra[i].data).ip.dst).to.equal(decodeFrame(rb[i].data).ip.dst);
    // Each flow counted once in the load sets.
    let members = 0;
    for (const k of await r.client.keys(`snf:${vnf}:lb:l:*`)) members += await r.client.zcard(k);
    expect(members).to.equal(100);
    a.close();
    b.close();
  });
});
