// Total state loss and NAT ports: after a wipe (FLUSHALL) under traffic, new flows must not be
// given an external port an orphaned connection may still hold at a server. A real Redis, the
// real engine (NAT), the steering controller's real epoch watch; a small port range (64 ports
// per shard) so that reuse is what happens without the quarantine, which the control run shows.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, engineConfig, send, tcpPorts, uniqueVnf } from '../../support/engine.js';
import { useRedis } from '../../support/redis.js';
import { writeTables } from '../../../src/store/index.js';
import { EpochWatch, initStoreEpoch } from '../../../src/vim/local/steering/epoch-watch.js';
import { QUARANTINE_VALUE, shardPorts } from '../../../src/store/nat-quarantine.js';
import type { NfTables } from '../../../src/model/tables.js';

const TABLES: NfTables = { nat: { insidePrefixes: ['10.0.0.0/8'], pool: ['198.51.100.1'], portRange: [20000, 20255], shards: 4 } };

describe('NAT port quarantine after a store epoch change', function () {
  this.timeout(30_000);
  const r = useRedis();
  const dirs: string[] = [];
  const engines: Engine[] = [];

  after(() => {
    for (const e of engines) e.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  function engine(vnf: string): Engine {
    const e = new Engine(engineConfig(['nat'], { kind: 'redis', nodes: [r.server.node], cacheBytes: 0 }, { vnf, tables: TABLES }));
    engines.push(e);
    return e;
  }

  /** `n` new TCP flows from inside host 10.0.0.<host>; the external ports they were given. */
  async function open(e: Engine, host: number, firstPort: number, n: number): Promise<number[]> {
    const ports: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = await send(e, 'inside', { ip: { v: 4, src: `10.0.0.${host}`, dst: '203.0.113.10' }, l4: { proto: 'tcp', sport: firstPort + i, dport: 7000, flags: 'S', seq: 1 } });
      expect(s.out.verdict, `flow ${host}:${firstPort + i}: ${s.out.verdict === 'drop' ? s.out.reason : ''}`).to.equal('forward');
      ports.push(tcpPorts(s.pkt).sport);
    }
    return ports;
  }

  it('control: without the quarantine, flows after a wipe are given the orphans\' ports again', async () => {
    const vnf = uniqueVnf('nq');
    await writeTables(r.client, vnf, TABLES);
    const e = engine(vnf);
    const before = await open(e, 5, 40000, 30);
    await r.client.flushall();
    const after = await open(e, 6, 41000, 30);
    expect(after.filter((p) => before.includes(p)).length, 'ports reissued').to.be.greaterThan(0);
  });

  it('with it: no new mapping reuses a port in use before the wipe, and new flows still open', async () => {
    const vnf = uniqueVnf('nq');
    const runDir = mkdtempSync(join(tmpdir(), 'snf-nq-'));
    dirs.push(runDir);
    const gen = await writeTables(r.client, vnf, TABLES);
    await initStoreEpoch(r.client, vnf, runDir, TABLES, gen);
    const log: Record<string, unknown>[] = [];
    const watch = new EpochWatch({ store: r.client, vnf, runDir, log: (o) => log.push(o) });
    const e = engine(vnf);

    const recorded = await open(e, 5, 40000, 30);
    expect(await watch.check(), 'nothing lost yet').to.equal(undefined); // records the ports in use
    // allocated after the record, before the wipe: covered by the fence ahead of the cursors
    const unrecorded = await open(e, 7, 42000, 8);
    const orphans = [...recorded, ...unrecorded];

    await r.client.flushall();
    const loss = await watch.check();
    expect(loss?.reason).to.equal('epoch vanished');
    expect(loss?.restoredGeneration, 'tables restored').to.be.a('number');
    expect(loss?.natQuarantine?.quarantined, 'ports quarantined').to.be.at.least(recorded.length);
    expect(loss?.natQuarantine?.ttlMs, 'for the longest NAT timeout (TCP established, 2 h)').to.equal(7_200_000);

    const fresh = await open(e, 6, 41000, 60);
    const reused = fresh.filter((p) => orphans.includes(p));
    expect(reused, 'external ports reissued to new flows').to.deep.equal([]);
    expect(new Set(fresh).size, 'one port per new flow').to.equal(fresh.length);

    // an inbound packet for a quarantined port is dropped as unknown, never sent inside
    const back = await send(e, 'outside', { ip: { v: 4, src: '203.0.113.10', dst: '198.51.100.1' }, l4: { proto: 'tcp', sport: 7000, dport: recorded[0], flags: 'A', seq: 5, ack: 2 } });
    expect(back.out.verdict === 'drop' && back.out.reason).to.equal('nat_no_mapping');
    // the placeholder is what the allocator skipped
    const shard = recorded[0] % 4;
    const keys = await r.client.keys(`snf:${vnf}:nat:r:*|${shard}}:6:${recorded[0]}`);
    expect(keys.length).to.equal(1);
    expect(await r.client.get(keys[0])).to.equal(QUARANTINE_VALUE);
    expect(shardPorts(TABLES.nat, shard).count).to.equal(64);
  });
});
