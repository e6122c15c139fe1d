// VES measurements carry each instance's packets and flows, sampled from the Prometheus
// endpoint the instance advertises in the registry.
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { heartbeat } from '../../../src/store/registry.js';
import { metricsSampler } from '../../../src/onap/sampler.js';
import { measurementEvent, vesValidator } from '../../../src/onap/ves.js';
import { startRedis, type RedisServer } from '../../support/redis.js';

describe('VES measurement sampler', function () {
  let redis: RedisServer;
  let client: Redis;
  let dir: string;
  const servers: Server[] = [];
  before(async () => {
    redis = await startRedis();
    client = new Redis(redis.port, '127.0.0.1');
    dir = mkdtempSync(join(tmpdir(), 'snf-ves-'));
  });
  after(async () => {
    for (const s of servers) s.close();
    client?.disconnect();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  // What an instance's /metrics says (src/dataplane/metrics.ts writes these families).
  function endpoint(path: string, counters: { rx: number; tx: number; flows: number }): Promise<void> {
    const s = createServer((_, res) => {
      res.end(
        `# TYPE snf_rx_packets_total counter\nsnf_rx_packets_total ${counters.rx}\n` +
          `snf_tx_packets_total ${counters.tx}\n` +
          `snf_nf_new_flows_total{nf="firewall"} ${counters.flows}\nsnf_nf_new_flows_total{nf="nat"} ${counters.flows}\n`,
      );
    });
    servers.push(s);
    return new Promise((r) => s.listen(path, r));
  }

  it('reports per-instance deltas and leaves out what it cannot read', async () => {
    const c1 = { rx: 1000, tx: 990, flows: 10 };
    await endpoint(join(dir, 'i1.sock'), c1);
    await heartbeat(client, 'vesv', { id: 'i1', pid: 1, addr: 'ns-i1', startedAt: Date.now(), metrics: `unix:${join(dir, 'i1.sock')}` }, 10_000);
    await heartbeat(client, 'vesv', { id: 'i2', pid: 2, addr: 'ns-i2', startedAt: Date.now(), metrics: `unix:${join(dir, 'missing.sock')}` }, 10_000);
    const sample = metricsSampler(client, 'vesv', 500);
    const first = await sample(['i1', 'i2']);
    expect(first).to.deep.equal({ i1: { rxPacketsDelta: 1000, txPacketsDelta: 990, flows: 20 } });
    c1.rx = 1500;
    c1.tx = 1480;
    c1.flows = 12;
    const second = await sample(['i1', 'i2']);
    expect(second.i1).to.deep.equal({ rxPacketsDelta: 500, txPacketsDelta: 490, flows: 4 });
    const ev = measurementEvent({ vnf: 'vesv', source: 'vesv', sequence: 1 }, 10, { ...second, i2: undefined }, 0.4);
    const nics = (ev as unknown as { measurementFields: { nicPerformanceArray: unknown[] } }).measurementFields.nicPerformanceArray;
    expect(vesValidator()({ event: ev }), 'valid VES 7.2').to.deep.equal([]);
    expect(nics).to.deep.equal([{ nicIdentifier: 'i1', valuesAreSuspect: 'false', receivedTotalPacketsDelta: 500, transmittedTotalPacketsDelta: 490 }]);
  });

  it('refuses a metrics address that is neither unix:/ nor http(s)://', async () => {
    try {
      await heartbeat(client, 'vesv', { id: 'i3', pid: 3, addr: 'ns', startedAt: Date.now(), metrics: 'ftp://x' }, 1000);
      expect.fail('accepted');
    } catch (e) {
      expect((e as Error).message).to.match(/instance.metrics/);
    }
  });
});
