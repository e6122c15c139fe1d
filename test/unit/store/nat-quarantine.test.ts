// The quarantine computes the ports the native allocator would hand out next; its shard
// arithmetic must be native/nf/nat.cpp queue_alloc's (shard k owns p % shards == k in range).
import { expect } from 'chai';
import { quarantineMs, shardPorts } from '../../../src/store/nat-quarantine.js';

describe('NAT quarantine arithmetic', () => {
  it('every port of a shard is in range and in that shard, and together the shards cover the range once', () => {
    const nat = { insidePrefixes: ['10.0.0.0/8'], pool: ['198.51.100.1'], portRange: [20001, 20300] as [number, number], shards: 7 };
    const seen: number[] = [];
    for (let k = 0; k < 7; k++) {
      const { first, count, step } = shardPorts(nat, k);
      for (let i = 0; i < count; i++) {
        const p = first + i * step;
        expect(p % 7, `port ${p} in shard ${k}`).to.equal(k);
        expect(p).to.be.within(20001, 20300);
        seen.push(p);
      }
    }
    expect(seen.sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 300 }, (_, i) => 20001 + i));
  });

  it('defaults: ports 1024-65535 in 64 shards; quarantine lasts the longest NAT timeout', () => {
    expect(shardPorts(undefined, 0)).to.deep.equal({ first: 1024, count: 1008, step: 64 });
    expect(quarantineMs({})).to.equal(7_200_000);
    expect(quarantineMs({ timeouts: { tcpEstablishedMs: 60_000, udpMs: 300_000 } })).to.equal(300_000);
  });
});
