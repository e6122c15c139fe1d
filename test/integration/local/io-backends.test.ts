// Every packet I/O backend built into the data plane carries the failover scenario: live TCP
// connections through firewall + NAT on three instances, one killed with SIGKILL, none broken.
import { expect } from 'chai';
import { LocalDeployment } from '../../../src/vim/local/deployment.js';
import { names, NET } from '../../../src/vim/local/topology.js';
import { closeShells } from '../../../src/vim/local/sh.js';
import type { ClientSummary } from '../../../src/demo/traffic/client.js';
import { forceCleanup, namespacesOf, RUN_ROOT, startTool, uniqueName } from '../../support/netns.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const io of ['af_xdp', 'dpdk'] as const) {
  describe(`local deployment on the ${io} backend`, function () {
    this.timeout(180_000);
    after(() => closeShells());

    it('kill -9 one of three instances: every connection intact', async () => {
      const name = uniqueName();
      let d: LocalDeployment | undefined;
      try {
        // Instances register only once their data plane is open: a backend that is not built in
        // (the setup installs libxdp / libdpdk from scripts/deps) fails right here.
        d = await LocalDeployment.up({ name, chain: ['firewall', 'nat'], instances: 3, io, runRoot: RUN_ROOT, echoServer: true });
        expect(d.state.io).to.equal(io);
        const c = startTool(names(name).client, 'client', ['--target', `${NET.server.host}:7000`, '--connections', '60', '--interval', '100']);
        const ready = await c.waitFor((l) => l.event === 'connected', 60_000);
        expect(ready.connected, `connections opened: ${JSON.stringify(ready.errors)}`).to.equal(60);
        await sleep(1500);
        c.child.stdin?.write('mark\n');
        await c.waitFor((l) => l.event === 'marked', 5000);
        const victim = d.state.instances[1].id;
        d.kill(victim);
        await d.waitSteered((ids) => !ids.has(victim), 5000);
        await sleep(3000);
        c.child.stdin?.write('stop\n');
        const s = (await c.waitFor((l) => l.event === 'summary', 20_000)) as unknown as ClientSummary;
        expect(s.resets).to.equal(0);
        expect(s.stalledOver1s).to.equal(0);
        expect(s.perConnection.every((p) => p.responses > 10)).to.equal(true);
      } finally {
        await d?.close().catch(() => undefined);
        await d?.down().catch(() => undefined);
        forceCleanup(name);
      }
      expect(namespacesOf(name)).to.deep.equal([]);
    });
  });
}
