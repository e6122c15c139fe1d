// The batch plan on a real capture: at most N packets, every packet once and in order, and no
// reply in the batch of its flow's first packet (the replay's stand-in for causality).
import { expect } from 'chai';
import { join } from 'node:path';
import { planBatches } from '../../../src/replay/batches.js';
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

  it('rejects a batch size below 1', () => {
    expect(() => planBatches(corpus, 0)).to.throw(RangeError, /batch size/);
  });
});
