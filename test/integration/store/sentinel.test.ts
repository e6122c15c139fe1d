// A Sentinel-watched primary + replica (real redis-server processes, three real Sentinels):
// kill -9 of the primary, and both the control plane's connection (redis+sentinel:// URL) and
// the data plane's seam (watchPrimary: the address to hand the engine) follow the promotion,
// with the flows written before the kill still there.
import { expect } from 'chai';
import { closeStore, connectStore, type StoreClient } from '../../../src/store/index.js';
import { parseStoreUrl } from '../../../src/store/url.js';
import { engineStoreConfig, resolvePrimary, watchPrimary, type PrimaryWatch } from '../../../src/store/sentinel.js';
import { startSentinelGroup, type SentinelGroup } from '../../support/redis.js';

describe('store: Sentinel failover', function () {
  this.timeout(60_000);
  let g: SentinelGroup;
  let c: StoreClient | undefined;
  let w: PrimaryWatch | undefined;

  before(async () => {
    g = await startSentinelGroup({ downAfterMs: 500 });
  });
  after(async () => {
    await w?.stop();
    if (c) await closeStore(c);
    await g?.stop();
  });

  it('names the primary, and refuses a name the Sentinels do not know', async () => {
    expect(await resolvePrimary(parseStoreUrl(g.url))).to.deep.equal({ host: '127.0.0.1', port: g.primary.port });
    const bad = parseStoreUrl(g.url.replace(`/${g.name}`, '/nobody'));
    let err: Error | undefined;
    await resolvePrimary(bad).catch((e: Error) => (err = e));
    expect(err?.message).to.match(/no Sentinel named the primary "nobody": .*does not know a primary named "nobody"/);
  });

  it("gives the native engine the primary's host:port in place of a Sentinel URL", async () => {
    const { config, sentinel } = await engineStoreConfig({ kind: 'redis', nodes: [g.url.replace('redis+sentinel://', 'redis+sentinel://:pw@')], timeoutMs: 100 });
    expect(config).to.deep.equal({ kind: 'redis', nodes: [`127.0.0.1:${g.primary.port}`], timeoutMs: 100, cluster: false, password: 'pw' });
    expect(sentinel?.sentinel?.name).to.equal(g.name);
    const plain = { kind: 'redis' as const, nodes: ['10.0.0.1:6379'] };
    expect((await engineStoreConfig(plain)).config).to.equal(plain);
    let err: Error | undefined;
    await engineStoreConfig({ kind: 'redis', nodes: [g.url.replace('redis+', 'rediss+')] }).catch((e: Error) => (err = e));
    expect(err?.message).to.match(/store\.nodes\[0\]: rediss\+sentinel:\/\/ needs \?ca=/);
  });

  it('kill -9 of the primary: the replica is promoted, both clients follow it, no acknowledged flow is lost', async () => {
    c = await connectStore(g.url, { connectionName: 'sentinel-test' });
    c.on('error', () => undefined);
    const changes: number[] = [];
    w = await watchPrimary(parseStoreUrl(g.url), (p) => changes.push(p.port), 200);
    expect(w.current.port).to.equal(g.primary.port);

    for (let i = 0; i < 200; i++) await c.set(`snf:s1:fw:{s1|${i}}`, `flow-${i}`, 'PX', 60_000);
    // Replication is asynchronous: what the data plane relies on surviving is what a replica has.
    expect(await c.call('WAIT', '1', '2000')).to.equal(1);

    const t0 = Date.now();
    await g.primary.kill();
    let backAfterMs = -1;
    const deadline = t0 + 20_000;
    while (Date.now() < deadline) {
      try {
        await c.set('snf:s1:probe', String(Date.now()));
        backAfterMs = Date.now() - t0;
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    expect(backAfterMs, 'writes never resumed').to.be.greaterThan(0);
    expect(changes).to.deep.equal([g.replica.port]);
    expect(w.current.port).to.equal(g.replica.port);
    const values = await c.mget(...Array.from({ length: 200 }, (_, i) => `snf:s1:fw:{s1|${i}}`));
    expect(values.filter((v, i) => v === `flow-${i}`)).to.have.length(200);
    // For the record (the figure that counts is bench's): how long writes were refused.
    console.log(`      writes back ${backAfterMs} ms after kill -9 of the primary (down-after 500 ms)`);
  });
});
