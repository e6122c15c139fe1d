import { Engine, engineConfig, send } from '../support/engine.js';
import { startRamcloudCluster } from '../../src/store/ramcloud/cluster.js';
describe('rc try', function () {
  this.timeout(60000);
  it('nat', async () => {
    const rc = await startRamcloudCluster();
    try {
      const e = new Engine(engineConfig(['nat'], { kind: 'ramcloud', coordinator: rc.coordinator, clusterName: rc.clusterName }));
      const r = await send(e, 'inside', { ip: { v: 4, src: '10.0.0.5', dst: '203.0.113.53' }, l4: { proto: 'udp', sport: 4000, dport: 53 }, payload: Buffer.from('q') } as never);
      console.log(r.out.verdict, r.out.reason, JSON.stringify(e.counters().store));
      e.close();
    } finally { await rc.stop({ keepLogs: true }); console.log(rc.logDir); }
  });
});
