// The batch plan on a real capture: at most N packets, every packet once and in order, and no
// reply in the batch of its flow's first packet (the replay's stand-in for causality).
import { expect } from 'chai';
import { join } from 'node:path';
import { planBatches, planDependencies } from '../../../src/replay/batches.js';
import { loadCorpus } from '../../../src/replay/corpus.js';

const DIR = join(import.meta.dirname, '../../../bench/trace/captures');
const corpus = loadCorpus(['zeek/smtp.pcap', 'zeek/dns-edns-ecs.pcap', 'tcpdump/afs.pcap'].map((f) => join(DIR, f)));

describe('replay batches', () => {
  for (const size of [1, 4, 15, 64]) {
    it(`size ${size}: tiles the corpus, never puts a reply with its flow's first packet`, () => {
      const batches = planBatches(corpus, size);
      let next = 0;
      for (const [s, e] of batches) {
        expect(s).to.equal(next);
        expect(e - s).to.be.within(1, size);
        next = e;
        const firsts = new Set<number>();
        for (let i = s; i < e; i++) {
          const p = corpus.packets[i];
          if (p.from === 'responder') expect(firsts.has(p.flow), `packet ${i} shares a batch with its flow's first packet`).to.equal(false);
          if (p.first) firsts.add(p.flow);
        }
      }
      expect(next).to.equal(corpus.packets.length);
      // Cuts happen only where needed: short batches are the exception, not the rule.
      if (size > 1) expect(batches.length).to.be.lessThan(corpus.packets.length / 2);
    });
  }

  it('names, for each batch, the last earlier batch holding a packet its replies answer', () => {
    const batches = planBatches(corpus, 15);
    const deps = planDependencies(corpus, batches);
    expect(deps.length).to.equal(batches.length);
    const batchOf = (i: number) => batches.findIndex(([s, e]) => i >= s && i < e);
    let some = 0;
    batches.forEach(([s, e], k) => {
      // Recomputed the slow way: every responder packet's flow, its initiator packets before it.
      let want = -1;
      for (let i = s; i < e; i++) {
        if (corpus.packets[i].from !== 'responder') continue;
        for (let j = s - 1; j >= 0; j--) {
          const q = corpus.packets[j];
          if (q.flow === corpus.packets[i].flow && q.from === 'initiator') {
            want = Math.max(want, batchOf(j));
            break;
          }
        }
      }
      expect(deps[k], `batch ${k}`).to.equal(want);
      expect(deps[k]).to.be.lessThan(k);
      if (deps[k] === k - 1) some++;
    });
    expect(some, 'batches that wait for the one right before them').to.be.greaterThan(0);
  });

  it('rejects a batch size below 1', () => {
    expect(() => planBatches(corpus, 0)).to.throw(RangeError, /batch size/);
  });
});
