// `snf up --store host:port`: a store the instances cannot reach is refused before anything is
// created, saying why (it used to end as "steering controller not ready within 15 s:" with an
// empty reason); a bad store URL is refused naming its part.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LocalDeployment } from '../../../src/vim/local/deployment.js';
import { namespacesOf, RUN_ROOT, uniqueName } from '../../support/netns.js';
import { startRedisCluster, type RedisClusterHandle } from '../../support/redis.js';

describe('local deployment: --store of an operator Redis', function () {
  this.timeout(60_000);
  let cluster: RedisClusterHandle | undefined;
  after(async () => {
    await cluster?.stop();
  });

  it('refuses a loopback store (unreachable from the instance namespaces) with the reason, creating nothing', async () => {
    cluster = await startRedisCluster(3);
    const name = uniqueName();
    let err: Error | undefined;
    await LocalDeployment.up({ name, runRoot: RUN_ROOT, chain: ['firewall'], instances: 1, store: `redis://:secret-pw@${cluster.nodes[0]}` }).catch((e: Error) => (err = e));
    expect(err?.message).to.match(/--store "redis:\/\/:\*\*\*@127\.0\.0\.1:\d+": 127\.0\.0\.1 is the loopback of each network namespace, so the instances cannot reach it/);
    expect(err?.message).to.not.include('secret-pw');
    expect(existsSync(join(RUN_ROOT, name))).to.equal(false);
    expect(namespacesOf(name)).to.deep.equal([]);
  });

  it('refuses a malformed store URL naming the part', async () => {
    let err: Error | undefined;
    await LocalDeployment.up({ name: uniqueName(), runRoot: RUN_ROOT, chain: ['nat'], instances: 1, store: 'redis://h:1?cluster=maybe' }).catch((e: Error) => (err = e));
    expect(err?.message).to.match(/\?cluster: must be yes, no or auto/);
  });
});
