// Cuts the corpus into batches of about `size` packets, so that no packet of a flow's responder
// shares a batch with the flow's first packet. In a real network the reply cannot exist before
// the first packet left the NF (and the replay cannot address a reply to a NAT mapping it has
// not seen yet). The cut depends on the capture only, so every store gets the same batches.
import type { Corpus } from './corpus.js';

/** [start, end) packet index ranges. */
export type Batch = [number, number];

export function planBatches(corpus: Corpus, size: number): Batch[] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`batch size: expected an integer >= 1, got ${size}`);
  const batches: Batch[] = [];
  const firstInBatch = new Set<number>();
  let start = 0;
  corpus.packets.forEach((p, i) => {
    const mustCut = i - start >= size || (p.from === 'responder' && firstInBatch.has(p.flow));
    if (mustCut && i > start) {
      batches.push([start, i]);
      start = i;
      firstInBatch.clear();
    }
    if (p.first) firstInBatch.add(p.flow);
  });
  if (start < corpus.packets.length) batches.push([start, corpus.packets.length]);
  return batches;
}
