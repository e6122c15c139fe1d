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

/**
 * For each batch, the last earlier batch it needs back before it can be built: one holding a
 * packet of a flow's initiator that a responder packet in it answers (its reply is addressed
 * to what the NF made of that packet: SideMapper). -1 for none. With several batches in
 * flight (Engine.submitSync), a batch is submitted only once that one is reaped: in a real
 * network a reply cannot exist before the packet it answers has left the NF.
 */
export function planDependencies(corpus: Corpus, batches: Batch[]): Int32Array {
  const deps = new Int32Array(batches.length).fill(-1);
  const lastInitiatorBatch = new Map<number, number>();
  batches.forEach(([start, end], k) => {
    for (let i = start; i < end; i++) {
      const p = corpus.packets[i];
      if (p.from !== 'responder') continue;
      const j = lastInitiatorBatch.get(p.flow);
      if (j !== undefined && j < k && j > deps[k]) deps[k] = j;
    }
    for (let i = start; i < end; i++) {
      const p = corpus.packets[i];
      if (p.from === 'initiator') lastInitiatorBatch.set(p.flow, k);
    }
  });
  return deps;
}
