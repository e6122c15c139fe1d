// The README's main job: the in-process demo must show what it claims.
import { expect } from 'chai';
import { runFailoverDemo } from '../../src/demo/failover.js';
import { startRedis, type RedisServer } from '../support/redis.js';

describe('snf demo (in process)', function () {
  this.timeout(30000);
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  it('stateless: every connection opened across two instances survives losing one', async () => {
    const lines: string[] = [];
    const r = await runFailoverDemo({ storeNode: redis.node, connections: 20 }, (l) => lines.push(l));
    expect(r.openedAsymmetric).to.equal(20);
    expect(r.carriedAfterFailover).to.equal(20);
    expect(r.unsolicitedBlocked).to.equal(true);
    expect(lines.join('\n')).to.match(/carried 20\/20/);
  });

  it('coupled baseline: the surviving instance knows none of them', async () => {
    const r = await runFailoverDemo({ connections: 20 }, () => undefined);
    expect(r.openedAsymmetric).to.equal(0);
    expect(r.carriedAfterFailover).to.equal(0);
    expect(r.dropsAfterFailover.fw_no_connection).to.equal(20);
  });
});
