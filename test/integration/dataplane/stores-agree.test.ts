// Every NF scenario through the coupled baseline (local store), through Redis with and without
// the coherent cache (with the store module, native/redis_module, and without it: the scripts), and through RAMCloud (the store plugin: conditional writes instead of
// Lua, expiry stamps instead of TTLs): the same verdicts and byte-identical rewritten frames;
// checksums checked by the independent toolkit. RAMCloud must be built
// (scripts/setup.sh --ramcloud; CI does): without it this fails, it is not skipped.
import { expect } from 'chai';
import { Engine, engineConfig, send } from '../../support/engine.js';
import { startRedis, type RedisServer } from '../../support/redis.js';
import { startRamcloudCluster, type RamcloudCluster } from '../../../src/ramcloud/cluster.js';
import type { NfKind, StoreConfig } from '../../../src/dataplane/types.js';
import { fwScenarios, lbScenarios, natScenarios, type Driver } from './scenarios.js';

describe('NFs give the same verdicts and rewrites on the local, the Redis and the RAMCloud store', function () {
  let redis: RedisServer;
  let plain: RedisServer;
  let ramcloud: RamcloudCluster | undefined;
  before(async function () {
    this.timeout(60_000);
    redis = await startRedis();
    plain = await startRedis({ module: false });
    ramcloud = await startRamcloudCluster();
  });
  after(async () => {
    await redis?.stop();
    await plain?.stop();
    await ramcloud?.stop();
  });

  async function transcript(chain: NfKind[], store: StoreConfig, run: (d: Driver) => Promise<void>): Promise<string[]> {
    const e = new Engine(engineConfig(chain, store));
    const lines: string[] = [];
    const d: Driver = {
      async send(side, spec) {
        const r = await send(e, side, spec);
        lines.push(`${side} ${r.out.verdict} ${r.out.reason ?? ''} ${r.out.data.toString('hex')}`);
        return r;
      },
      configure: (t) => e.configure(t),
    };
    try {
      await run(d);
    } finally {
      e.close();
    }
    return lines;
  }

  const groups: [string, NfKind[], Record<string, (d: Driver) => Promise<void>>][] = [
    ['nat', ['nat'], natScenarios],
    ['firewall', ['firewall'], fwScenarios],
    ['lb', ['lb'], lbScenarios],
  ];
  for (const [name, chain, scenarios] of groups) {
    describe(name, () => {
      for (const [title, run] of Object.entries(scenarios)) {
        it(title, async () => {
          const local = await transcript(chain, { kind: 'local' }, run);
          const cached = await transcript(chain, { kind: 'redis', nodes: [redis.node] }, run);
          const uncached = await transcript(chain, { kind: 'redis', nodes: [redis.node], cacheBytes: 0 }, run);
          const rc = await transcript(chain, { kind: 'ramcloud', coordinator: ramcloud!.coordinator, clusterName: ramcloud!.clusterName }, run);
          expect(local.length).to.be.greaterThan(0);
          expect(cached, 'redis with the coherent cache').to.deep.equal(local);
          expect(uncached, 'redis without a cache').to.deep.equal(local);
          const scripts = await transcript(chain, { kind: 'redis', nodes: [plain.node] }, run);
          const scriptsUncached = await transcript(chain, { kind: 'redis', nodes: [plain.node], cacheBytes: 0 }, run);
          expect(scripts, 'redis without the store module, with the cache').to.deep.equal(local);
          expect(scriptsUncached, 'redis without the store module or a cache').to.deep.equal(local);
          expect(rc, 'ramcloud').to.deep.equal(local);
        });
      }
    });
  }
});
