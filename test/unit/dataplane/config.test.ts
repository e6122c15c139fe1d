// Bad configuration is refused with the path of the field, and nothing changes.
import { expect } from 'chai';
import { Engine, TABLES, engineConfig } from '../../support/engine.js';
import type { EngineConfig } from '../../../src/dataplane/types.js';

function rejects(cfg: unknown, path: string): void {
  expect(() => new Engine(cfg as EngineConfig)).to.throw(TypeError, path);
}

describe('engine configuration', () => {
  const base = engineConfig(['nat', 'firewall', 'lb'], { kind: 'local' });
  it('accepts the full tables', () => {
    new Engine(base).close();
  });
  it('names the offending field', () => {
    rejects({ ...base, vnf: 'a:b' }, 'vnf:');
    rejects({ ...base, chain: ['nat', 'dpi'] }, 'chain[1]:');
    rejects({ ...base, chain: ['nat', 'nat'] }, 'chain[1]: appears twice');
    rejects({ ...base, store: { kind: 'redis', nodes: ['nohost'] } }, 'store.nodes[0]:');
    rejects({ ...base, store: { kind: 'memcached' } }, 'store.kind:');
    rejects({ ...base, store: { kind: 'redis', nodes: ['127.0.0.1:6379'], cacheRecheckUs: -1 } }, 'store.cacheRecheckUs:');
    rejects({ ...base, store: { kind: 'redis', nodes: ['127.0.0.1:6379'], spinUs: -1 } }, 'store.spinUs:');
    rejects({ ...base, store: { kind: 'redis', nodes: ['127.0.0.1:6379'], spinUs: 20000 } }, 'store.spinUs:');
    rejects({ ...base, store: { kind: 'redis', nodes: ['127.0.0.1:6379'], postHoldUs: -1 } }, 'store.postHoldUs:');
    rejects({ ...base, store: { kind: 'redis', nodes: ['127.0.0.1:6379'], postHoldUs: 1.5 } }, 'store.postHoldUs:');
    rejects({ ...base, nat: { ...TABLES.nat, pool: ['198.51.100.1', 'x'] } }, 'nat.pool[1]:');
    rejects({ ...base, nat: { ...TABLES.nat, insidePrefixes: ['10.0.0.0/33'] } }, 'nat.insidePrefixes[0]:');
    rejects({ ...base, nat: { ...TABLES.nat, portRange: [2000, 1000] } }, 'nat.portRange');
    rejects({ ...base, firewall: { rules: [{ action: 'maybe' }] } }, 'firewall.rules[0].action:');
    rejects({ ...base, firewall: { rules: [{ action: 'allow', dstPorts: [[1, 70000]] }] } }, 'firewall.rules[0].dstPorts[0]:');
    const lb = structuredClone(TABLES.lb!);
    lb.vips[0].backends[1].weight = 0;
    rejects({ ...base, lb }, 'lb.vips[0].backends[1].weight:');
    const dup = structuredClone(TABLES.lb!);
    dup.vips[0].backends[1].id = 'b1';
    rejects({ ...base, lb: dup }, 'lb.vips[0].backends[1].id: duplicates');
    rejects({ ...base, timeouts: { udpMs: -1 } }, 'timeouts.udpMs:');
  });
  it('configure() refuses bad tables and keeps the old ones', async () => {
    const e = new Engine(engineConfig(['nat'], { kind: 'local' }));
    expect(() => e.configure({ nat: { insidePrefixes: ['10.0.0.0/8'], pool: [] } })).to.throw(TypeError, 'nat.pool');
    expect(() => e.configure({ firewall: { rules: [] } })).to.throw(TypeError, 'nat: is required');
    const { buildFrame } = await import('../../support/packets.js');
    const [out] = await e.process([{ side: 'inside', data: buildFrame({ ip: { v: 4, src: '10.0.0.5', dst: '203.0.113.9' }, l4: { proto: 'udp', sport: 1, dport: 2 } }) }]);
    expect(out.verdict).to.equal('forward');
    e.close();
    expect(() => e.counters()).to.throw('closed');
  });
  it('rejects bad frames arguments', () => {
    const e = new Engine(base);
    expect(() => e.process([{ side: 'up' as 'inside', data: Buffer.alloc(60) }])).to.throw(TypeError, 'frames[0].side');
    expect(() => e.process([{ side: 'inside', data: 'x' as unknown as Buffer }])).to.throw(TypeError, 'frames[0].data');
    e.close();
  });
});
