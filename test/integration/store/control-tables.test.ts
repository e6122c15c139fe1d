import { expect } from 'chai';
import type { NfTables } from '../../../src/dataplane/types.js';
import {
  writeTables,
  readTables,
  readTablesSnapshot,
  readGeneration,
  setBackendState,
  watchTables,
  normalizeTables,
  ctlKeys,
  TableValidationError,
  isCluster,
  type StoreClient,
  type TablesSnapshot,
} from '../../../src/store/index.js';
import { targets, tablesA, tablesB, eventually, sleep } from './fixtures.js';
import { rejects } from '../../support/rejects.js';

const VNF = 'vnf1';

function withWeight(w: number): NfTables {
  const t = structuredClone(tablesA);
  t.lb!.vips[1].backends[0].weight = w;
  return t;
}

for (const target of targets) {
  describe(`store control tables on ${target.name}`, function () {
    this.timeout(30_000);
    let client: StoreClient;
    let teardown: () => Promise<void>;
    before(async () => {
      ({ client, teardown } = await target.setup());
    });
    after(async () => {
      await teardown?.();
    });

    it('connects with the right client kind', () => {
      expect(isCluster(client)).to.equal(target.name.includes('cluster'));
    });

    it('reads empty tables (with default timeouts) and generation 0 before any write', async () => {
      const s = await readTablesSnapshot(client, 'never-written');
      expect(s.generation).to.equal(0);
      expect(s.tables).to.deep.equal({ timeouts: normalizeTables({}).timeouts });
    });

    it('round-trips tables, defaults filled and unordered collections sorted', async () => {
      const g = await writeTables(client, VNF, tablesA);
      const back = await readTables(client, VNF);
      expect(back).to.deep.equal(normalizeTables(tablesA));
      expect(back.nat!.pool).to.deep.equal(['198.51.100.1', '198.51.100.2']);
      expect(back.lb!.vips.map((v) => v.id)).to.deep.equal(['dns', 'web']);
      expect(back.lb!.vips[1].backends[1]).to.deep.equal({ id: 'b2', address: '10.1.0.2', weight: 3, state: 'active' });
      expect(back.firewall!.rules).to.deep.equal(tablesA.firewall!.rules);
      expect(back.timeouts).to.include({ udpMs: 5000, tcpEstablishedMs: 7_200_000 });
      expect(await readGeneration(client, VNF)).to.equal(g);
    });

    it('stores the documented layout', async () => {
      await writeTables(client, VNF, tablesA);
      const k = ctlKeys(VNF);
      expect(k.nat).to.equal('snf:{vnf1:ctl}:nat');
      expect(await client.hgetall(k.nat)).to.deep.equal({ insidePrefixes: '["10.0.0.0/8","fd00::/8"]', portRange: '2000-60000', shards: '16' });
      expect((await client.smembers(k.natPool)).sort()).to.deep.equal(['198.51.100.1', '198.51.100.2']);
      expect(await client.hgetall(k.fw)).to.deep.equal({ defaultAction: 'deny' });
      expect((await client.lrange(k.fwRules, 0, -1)).map((s) => JSON.parse(s).id)).to.deep.equal(['out-all', undefined, 'no-telnet']);
      expect(await client.hgetall(k.lb)).to.deep.equal({ algorithm: 'maglev', maglevTableSize: '251' });
      expect(JSON.parse((await client.hget(k.lbVips, 'web'))!)).to.deep.equal({ address: '203.0.113.10', port: 80, protocol: 'tcp' });
      expect(JSON.parse((await client.hget('snf:{vnf1:ctl}:lb:backends:web', 'b1'))!)).to.deep.equal({ address: '10.1.0.1', port: 8080, weight: 1, state: 'active' });
      expect(await client.hget(k.timeouts, 'udpMs')).to.equal('5000');
    });

    it('replaces all tables: nothing of the previous ones survives', async () => {
      await writeTables(client, VNF, tablesA);
      const g = await writeTables(client, VNF, tablesB);
      expect(await readTables(client, VNF)).to.deep.equal(normalizeTables(tablesB));
      const k = ctlKeys(VNF);
      expect(await client.exists(k.nat, k.natPool, k.fw, k.fwRules, k.lbBackends('web'), k.lbBackends('dns'))).to.equal(0);
      expect(await readGeneration(client, VNF)).to.equal(g);
    });

    it('concurrent readers only ever see one whole version', async () => {
      const a = normalizeTables(tablesA);
      const b = normalizeTables(tablesB);
      let stop = false;
      const seen: string[] = [];
      const reader = (async () => {
        while (!stop) {
          const t = await readTables(client, VNF);
          seen.push(JSON.stringify(t) === JSON.stringify(a) ? 'A' : JSON.stringify(t) === JSON.stringify(b) ? 'B' : 'torn');
        }
      })();
      for (let i = 0; i < 15; i++) await writeTables(client, VNF, i % 2 ? tablesA : tablesB);
      stop = true;
      await reader;
      expect(seen).to.not.include('torn');
      expect(seen.length).to.be.greaterThan(0);
    });

    it('rejects invalid tables naming the field, and changes nothing', async () => {
      await writeTables(client, VNF, tablesA);
      const before = await readTablesSnapshot(client, VNF);
      const cases: [unknown, RegExp][] = [
        [withWeight(0), /^lb\.vips\[1\]\.backends\[0\]\.weight: must be an integer 1\.\.1000/],
        [withWeight(1001), /^lb\.vips\[1\]\.backends\[0\]\.weight:/],
        [{ nat: { insidePrefixes: ['10.0.0.1/8'], pool: ['1.2.3.4'] } }, /^nat\.insidePrefixes\[0\]: host bits set/],
        [{ nat: { insidePrefixes: ['10.0.0.0/33'], pool: ['1.2.3.4'] } }, /^nat\.insidePrefixes\[0\]: prefix length 33/],
        [{ nat: { insidePrefixes: [], pool: ['1.2.3.400'] } }, /^nat\.pool\[0\]: must be an IPv4 or IPv6 address/],
        [{ nat: { insidePrefixes: [], pool: [] } }, /^nat\.pool: must hold at least one/],
        [{ nat: { insidePrefixes: [], pool: ['1.1.1.1'], portRange: [5000, 4000] } }, /^nat\.portRange: low 5000 is above high 4000/],
        [{ nat: { insidePrefixes: [], pool: ['1.1.1.1'], portRange: [0, 4000] } }, /^nat\.portRange\[0\]: must be an integer 1\.\.65535/],
        [{ firewall: { rules: [{ action: 'allow', dstPorts: [[1, 70000]] }] } }, /^firewall\.rules\[0\]\.dstPorts\[0\]\[1\]:/],
        [{ firewall: { rules: [{ id: 'a', action: 'allow' }, { id: 'a', action: 'deny' }] } }, /^firewall\.rules\[1\]\.id: duplicate id "a"/],
        [{ firewall: { rules: [{ action: 'permit' }] } }, /^firewall\.rules\[0\]\.action: must be one of allow, deny/],
        [{ firewall: { rules: [], defualtAction: 'allow' } }, /^firewall\.defualtAction: unknown field/],
        [{ lb: { vips: [tablesB.lb!.vips[0], tablesB.lb!.vips[0]] } }, /^lb\.vips\[1\]\.id: duplicate id "api"/],
        [{ lb: { vips: [{ ...tablesB.lb!.vips[0], backends: [{ id: 'x', address: '10.0.0.1' }, { id: 'x', address: '10.0.0.2' }] }] } }, /^lb\.vips\[0\]\.backends\[1\]\.id: duplicate/],
        [{ lb: { vips: [{ ...tablesB.lb!.vips[0], id: 'a:b' }] } }, /^lb\.vips\[0\]\.id: must be/],
        [{ lb: { vips: [{ ...tablesB.lb!.vips[0], port: 0 }] } }, /^lb\.vips\[0\]\.port:/],
        [{ lb: { vips: [], maglevTableSize: 65536 } }, /^lb\.maglevTableSize: must be a prime/],
        [{ timeouts: { udpMs: -1 } }, /^timeouts\.udpMs:/],
        [{ bogus: {} }, /^bogus: unknown field/],
      ];
      for (const [t, re] of cases) {
        const e = await rejects(writeTables(client, VNF, t as NfTables));
        expect(e, re.source).to.be.instanceOf(TableValidationError);
        expect(e.message).to.match(re);
      }
      expect(await readTablesSnapshot(client, VNF)).to.deep.equal(before);
    });

    it('rejects a bad VNF name before touching the store', async () => {
      const e = await rejects(writeTables(client, 'a}b', tablesB));
      expect(e.message).to.match(/^vnf: must be/);
    });

    it('setBackendState drains and re-activates one backend, bumping the generation', async () => {
      await writeTables(client, VNF, tablesA);
      const g0 = await readGeneration(client, VNF);
      const g1 = await setBackendState(client, VNF, 'web', 'b1', 'drained');
      expect(g1).to.equal(g0 + 1);
      let t = await readTables(client, VNF);
      expect(t.lb!.vips[1].backends[0]).to.deep.equal({ id: 'b1', address: '10.1.0.1', port: 8080, weight: 1, state: 'drained' });
      expect(await setBackendState(client, VNF, 'web', 'b1', 'drained')).to.equal(g1); // no-op
      await setBackendState(client, VNF, 'web', 'b1', 'active');
      t = await readTables(client, VNF);
      expect(t).to.deep.equal(normalizeTables(tablesA));
      expect((await rejects(setBackendState(client, VNF, 'nope', 'b1', 'drained'))).message).to.match(/^lb\.vips\[id=nope\]: no such VIP/);
      expect((await rejects(setBackendState(client, VNF, 'web', 'zz', 'drained'))).message).to.match(/backends\[id=zz\]: no such backend/);
    });

    it('publishes the new generation on every change and watchTables delivers snapshots', async () => {
      const k = ctlKeys(VNF);
      const sub = client.duplicate();
      const msgs: string[] = [];
      sub.on('message', (_c: string, m: string) => msgs.push(m));
      await sub.subscribe(k.channel);
      const snaps: TablesSnapshot[] = [];
      const unwatch = await watchTables(client, VNF, (s) => snaps.push(s));
      try {
        const g1 = await writeTables(client, VNF, tablesB);
        await eventually('first snapshot', () => snaps.length >= 1);
        expect(snaps[snaps.length - 1].generation).to.equal(g1);
        expect(snaps[snaps.length - 1].tables).to.deep.equal(normalizeTables(tablesB));
        const g2 = await setBackendState(client, VNF, 'api', 'x', 'drained');
        await eventually('drain snapshot', () => snaps[snaps.length - 1].generation === g2);
        expect(snaps[snaps.length - 1].tables.lb!.vips[0].backends[0].state).to.equal('drained');
        await eventually('raw messages', () => msgs.includes(String(g2)));
        expect(msgs).to.include(String(g1));
        const gens = snaps.map((s) => s.generation);
        expect(gens).to.deep.equal([...gens].sort((a, b) => a - b));
      } finally {
        await unwatch();
        await sub.quit();
      }
      const n = snaps.length;
      await writeTables(client, VNF, tablesA);
      await sleep(200);
      expect(snaps.length).to.equal(n);
    });

    it('coalesces a burst of changes and ends on the latest generation', async () => {
      const snaps: TablesSnapshot[] = [];
      const unwatch = await watchTables(client, VNF, (s) => snaps.push(s));
      try {
        let last = 0;
        for (let i = 0; i < 20; i++) last = await writeTables(client, VNF, i % 2 ? tablesA : tablesB);
        await eventually('latest snapshot', () => snaps.length > 0 && snaps[snaps.length - 1].generation === last);
        expect(snaps.length).to.be.at.most(20);
      } finally {
        await unwatch();
      }
    });
  });
}
