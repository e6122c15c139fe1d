// VES 7.2 reporting of a StatelessNF VNF: events built from a real store (registry heartbeats,
// PING latency, an outage), posted to a VES collector stand-in on loopback, and every one of
// them valid against ONAP's CommonEventFormat 30.2.1 (the shared copy when present).
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeStore, connectStore, deregister, heartbeat, type StoreClient } from '../../../src/store/index.js';
import { VesClient } from '../../../src/onap/collector.js';
import { VesReporter } from '../../../src/onap/reporter.js';
import { vesValidator, VES_SCHEMA_FILE } from '../../../src/onap/ves.js';
import { startRedis, type RedisServer } from '../../support/redis.js';
import { startHarness } from '../../support/vnfm-harness.js';
import { Sol003Client, opIdOf } from '../../support/vnfm.js';

type Json = Record<string, unknown>;
const SHARED = '/work/shared/specs/onap-ves/ves-CommonEventFormat_30.2.1_ONAP.json';

describe('VES events to a collector stand-in', function () {
  this.timeout(30_000);
  let redis: RedisServer;
  let store: StoreClient;
  let collector: Server;
  let url: string;
  const posts: Array<{ path: string; body: Json; auth?: string }> = [];
  const validate = vesValidator(existsSync(SHARED) ? SHARED : VES_SCHEMA_FILE);

  before(async () => {
    redis = await startRedis();
    store = await connectStore(redis.node);
    store.on('error', () => {});
    collector = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        posts.push({ path: req.url ?? '', body: JSON.parse(body) as Json, auth: req.headers.authorization });
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  });
  after(async () => {
    collector.closeAllConnections();
    await new Promise<void>((r) => collector.close(() => r()));
    await closeStore(store);
    await redis.stop();
  });

  it('reports packets and flows per instance and store latency, then faults for a lost instance and an unreachable store', async () => {
    const client = new VesClient({ url, username: 'ves', password: 'pw' });
    const counters: Record<string, number> = { a: 1200, b: 800 };
    const reporter = new VesReporter({
      vnf: 'vfw',
      store,
      client,
      intervalMs: 10_000,
      sample: async (ids) => Object.fromEntries(ids.map((id) => [id, { rxPacketsDelta: counters[id] ?? 0, txPacketsDelta: (counters[id] ?? 0) - 10, flows: 7 }])),
    });
    await heartbeat(store, 'vfw', { id: 'a', pid: 1, addr: 'ns-a', startedAt: Date.now() }, 60_000);
    await heartbeat(store, 'vfw', { id: 'b', pid: 2, addr: 'ns-b', startedAt: Date.now() }, 60_000);

    const first = await reporter.tick();
    expect(first).to.have.length(1);
    expect(posts.at(-1)!.path).to.equal('/eventListener/v7');
    expect(posts.at(-1)!.auth).to.equal(`Basic ${Buffer.from('ves:pw').toString('base64')}`);
    const m = (posts.at(-1)!.body.event as Json).measurementFields as Json;
    expect((m.nicPerformanceArray as Json[]).map((n) => [n.nicIdentifier, n.receivedTotalPacketsDelta])).to.deep.equal([['a', 1200], ['b', 800]]);
    const extra = m.additionalMeasurements as Array<{ name: string; hashMap: Record<string, string> }>;
    expect(extra.find((x) => x.name === 'snf-flows')!.hashMap).to.deep.equal({ a: '7', b: '7' });
    expect(Number(extra.find((x) => x.name === 'snf-store')!.hashMap.latencyMs)).to.be.greaterThan(0);

    await deregister(store, 'vfw', 'b'); // instance b stops heartbeating
    const second = await reporter.tick();
    expect(second.map((e) => e.commonEventHeader.domain)).to.deep.equal(['fault', 'measurement']);
    expect(posts.at(-1)!.path).to.equal('/eventListener/v7/eventBatch');
    const fault = ((posts.at(-1)!.body.eventList as Json[])[0].faultFields) as Json;
    expect(fault).to.include({ alarmCondition: 'instanceLost', eventSeverity: 'MAJOR' });
    expect(fault.alarmAdditionalInformation).to.deep.include({ instanceId: 'b' });

    await redis.kill();
    const down = await reporter.tick();
    expect(down.map((e) => (e.faultFields as Json | undefined)?.alarmCondition)).to.deep.equal(['storeUnreachable']);
    expect((down[0].faultFields as Json).eventSeverity).to.equal('CRITICAL');
    await redis.restart();
    const deadline = Date.now() + 10_000;
    let up = await reporter.tick().catch(() => []);
    while (!up.some((e) => (e.faultFields as Json | undefined)?.eventSeverity === 'NORMAL') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      up = await reporter.tick().catch(() => []);
    }
    expect((up[0].faultFields as Json)).to.include({ alarmCondition: 'storeUnreachable', eventSeverity: 'NORMAL' });

    for (const p of posts) expect(validate(p.body), JSON.stringify(p.body)).to.deep.equal([]);
  });

  it('is reported by the VNFM for every instantiated VNF when a collector is configured', async () => {
    const h = await startHarness({ ves: { url, intervalMs: 200 } });
    try {
      const api = new Sol003Client(h.vnfm.url);
      const id = ((await api.call('POST', '/vnf_instances', { vnfdId: 'snf-firewall-vnfd', vnfInstanceName: 'ves-fw' })).body as Json).id as string;
      await api.waitOp(opIdOf(await api.call('POST', `/vnf_instances/${id}/instantiate`, { flavourId: 'simple' })), ['COMPLETED']);
      const deadline = Date.now() + 10_000;
      const mine = () => posts.filter((p) => ((p.body.event as Json | undefined)?.commonEventHeader as Json | undefined)?.reportingEntityName === 'ves-fw');
      while (mine().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const ev = mine()[0].body.event as Json;
      expect((ev.commonEventHeader as Json).domain).to.equal('measurement');
      expect(ev.measurementFields).to.not.have.property('nicPerformanceArray'); // no sampler: no made-up counters
      expect(validate(mine()[0].body)).to.deep.equal([]);
    } finally {
      await h.vnfm.lcm.idle();
      await h.stop();
    }
  });

  it('refuses to send an event the schema rejects', async () => {
    const before = posts.length;
    const err = await new VesClient({ url }).send([{ commonEventHeader: { domain: 'nonsense' } }]).catch((e: unknown) => e as Error);
    expect((err as Error).message).to.match(/not valid against CommonEventFormat/);
    expect(posts.length).to.equal(before);
  });
});
