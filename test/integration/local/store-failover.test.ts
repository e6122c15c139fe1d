// The store dies under traffic and the VNF does not notice: a local deployment (firewall -> NAT,
// 3 instances, real packets, 50 TCP connections doing request/response) on a production-shaped
// store, whose primary (Sentinel mode) or one master (Cluster mode) is killed with SIGKILL.
// Asserted: no connection reset, none waits more than 2 s for any response (a connection broken
// for good would wait until the end), and the failover really happened (a replica serves).
// Both stores have the ACL users `snf up` always sets up (nothing anonymous gets in); the
// Sentinel one also serves TLS only (--store-tls), so a failover over TLS is covered at no
// extra time.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalDeployment } from '../../../src/vim/local/deployment.js';
import { names, NET } from '../../../src/vim/local/topology.js';
import type { StoreMode } from '../../../src/vim/local/store-nodes.js';
import type { ClientSummary } from '../../../src/demo/traffic/client.js';
import { loadAccess } from '../../../src/vim/local/store-access.js';
import { tearDownDeployment } from '../../support/teardown.js';
import { ROOT, RUN_ROOT, startTool, uniqueName, type Proc } from '../../support/netns.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CONNECTIONS = 50;

function snf(args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/snf.js'), ...args], { encoding: 'utf8', env: { ...process.env, SNF_RUN_DIR: RUN_ROOT }, timeout: 60_000 });
  return { code: r.status, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

for (const mode of ['sentinel', 'cluster'] as const satisfies readonly StoreMode[]) {
  const tls = mode === 'sentinel';
  describe(`store kill -9 under traffic, ${mode} store${tls ? ' over TLS' : ''} (local deployment)`, function () {
    this.timeout(150_000);
    let d: LocalDeployment | undefined;
    let name = '';
    let server: Proc | undefined;
    let client: Proc | undefined;
    let pids: number[] = [];

    before(async function () {
      if (process.getuid?.() !== 0) throw new Error('needs root (network namespaces)');
      name = uniqueName();
      d = await LocalDeployment.up({ name, chain: ['firewall', 'nat'], instances: 3, runRoot: RUN_ROOT, storeMode: mode, storeTls: tls });
      pids = [...(d.state.store.nodes ?? []).flatMap((n) => [n.pid, n.relayPid ?? 0]), d.state.store.watchdogPid ?? 0, ...d.state.instances.map((i) => i.pid)].filter((p) => p > 0);
      server = startTool(names(name).server, 'server', ['--tcp', `${NET.server.host}:7000`]);
      await server.waitFor((l) => l.event === 'listening');
    });

    after(() => tearDownDeployment({ name, d, procs: [client, server], pids }));

    it(`kill -9 of ${mode === 'sentinel' ? 'the primary' : 'a master'}: 0 connections broken, traffic back within 2 s`, async () => {
      const st0 = snf(['status', '--name', name, '--interval', '100']);
      expect(st0.code, st0.out).to.equal(0);
      expect(st0.out).to.match(new RegExp(`^store access: ACL users snf-dataplane-${name} \\(instances\\), snf-control-${name} \\(control plane\\), default user admin-only \\(random password\\); ${tls ? 'TLS only' : 'no TLS'}`, 'm'));
      // nobody gets in without credentials: not on a data node, not on a Sentinel
      const a = loadAccess(d!.state.runDir)!;
      for (const n of [d!.state.store.nodes![0], d!.state.store.nodes!.at(-1)!]) {
        const r = spawnSync('redis-cli', [...(tls ? ['--tls', '--cacert', a.tls!.caFile] : []), '-p', String(n.port), 'PING'], { encoding: 'utf8', timeout: 5000 });
        expect(r.stdout + r.stderr, `unauthenticated PING on the ${n.role} 127.0.0.1:${n.port}`).to.match(/NOAUTH/);
      }
      // each role user can do its job and no more (redis-cli takes the password from its environment)
      const cli = (port: number, user: string, password: string, args: string[]) => {
        const r = spawnSync('redis-cli', [...(tls ? ['--tls', '--cacert', a.tls!.caFile] : []), '--user', user, '-p', String(port), ...args], { encoding: 'utf8', timeout: 5000, env: { ...process.env, REDISCLI_AUTH: password } });
        return (r.stdout + r.stderr).trim();
      };
      const data = d!.state.store.nodes!.find((n) => n.role === (mode === 'sentinel' ? 'primary' : 'master'))!;
      // (in cluster mode the key may live on another master: MOVED is an answer past the ACL check)
      expect(cli(data.port, a.dataplane.user, a.dataplane.password, ['SET', `snf:{${name}:ctl}:fw`, 'x'])).to.match(/^NOPERM/);
      expect(cli(data.port, a.dataplane.user, a.dataplane.password, ['GET', `snf:{${name}:ctl}:fw`])).to.not.match(/NOPERM|NOAUTH/);
      if (mode === 'sentinel') {
        const sentinel = d!.state.store.nodes!.find((n) => n.role === 'sentinel')!;
        expect(cli(sentinel.port, a.sentinel!.user, a.sentinel!.password, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'snf'])).to.equal(`127.0.0.1\n${data.port}`);
        expect(cli(sentinel.port, a.sentinel!.user, a.sentinel!.password, ['SENTINEL', 'FAILOVER', 'snf'])).to.match(/^NOPERM/);
        expect(cli(sentinel.port, a.sentinel!.user, a.sentinel!.password, ['SENTINEL', 'SET', 'snf', 'down-after-milliseconds', '1'])).to.match(/^NOPERM/);
      }
      expect(st0.out).to.match(mode === 'sentinel' ? /^store: sentinel, primary 127\.0\.0\.1:\d+, 2\/2 data nodes, 3\/3 Sentinels running$/m : /^store: cluster, state ok, 3 masters serving 16384\/16384 slots, 6\/6 nodes running$/m);

      client = startTool(names(name).client, 'client', ['--target', `${NET.server.host}:7000`, '--connections', String(CONNECTIONS), '--interval', '100']);
      const ready = await client.waitFor((l) => l.event === 'connected', 60_000);
      expect(ready.connected).to.equal(CONNECTIONS);
      await sleep(2000);
      const victim = (d!.state.store.nodes ?? []).find((n) => n.role === (mode === 'sentinel' ? 'primary' : 'master'));
      expect(victim, 'the store node to kill').to.not.equal(undefined);
      client.child.stdin?.write('mark\n'); // stalls are counted from here
      const killedAt = Date.now();
      process.kill(victim!.pid, 'SIGKILL');
      await sleep(6000);
      client.child.stdin?.write('stop\n');
      const sum = (await client.waitFor((l) => l.event === 'summary', 15_000)) as unknown as ClientSummary;
      // when the last connection that stalled across the kill got its answer
      // stalls the kill caused: begun before it (spanning it) or within one request interval after
      const back = Math.max(0, ...sum.perConnection.filter((c) => c.maxStallAt > 0 && c.maxStallAt <= killedAt + 150 && c.maxStallAt + c.maxStallMs >= killedAt).map((c) => c.maxStallAt + c.maxStallMs - killedAt));
      console.log(`      ${mode}: ${sum.connections} connections, ${sum.resets} reset, longest stall ${sum.maxStallMs} ms, traffic back ${back} ms after the kill`);
      expect(sum.connected).to.equal(CONNECTIONS);
      expect(sum.resets, 'connections reset').to.equal(0);
      expect(sum.perConnection.filter((c) => c.maxStallMs > 2000).map((c) => c.id), 'connections that waited > 2 s for a response').to.deep.equal([]);
      expect(back, 'traffic back after the kill (ms)').to.be.at.most(2000);

      // the store really failed over: a former replica serves, and status says one node is gone
      const st = snf(['status', '--name', name, '--interval', '100']);
      expect(st.out).to.match(new RegExp(`store ${mode === 'sentinel' ? 'primary' : 'master'} 127\\.0\\.0\\.1:${victim!.port} \\(pid ${victim!.pid}\\) is not running`));
      if (mode === 'sentinel') {
        const replica = d!.state.store.nodes!.find((n) => n.role === 'replica')!;
        expect(st.out).to.match(new RegExp(`^store: sentinel, primary 127\\.0\\.0\\.1:${replica.port}, 1/2 data nodes`, 'm'));
        for (const i of d!.state.instances) expect(await d!.metric(i.id, 'snf_store_primary_changes_total'), `${i.id} followed the new primary`).to.equal(1);
        const wlog = readFileSync(join(d!.state.runDir, 'store-watchdog.log'), 'utf8');
        expect(wlog, wlog).to.match(new RegExp(`primary 127\\.0\\.0\\.1:${victim!.port} \\(pid ${victim!.pid}\\) exited: Sentinel 127\\.0\\.0\\.1:\\d+ told to fail over`));
      } else {
        expect(st.out).to.match(/^store: cluster, state ok, 3 masters serving 16384\/16384 slots, 5\/6 nodes running$/m);
        expect(readFileSync(join(d!.state.runDir, 'store-watchdog.log'), 'utf8')).to.match(new RegExp(`master 127\\.0\\.0\\.1:${victim!.port} \\(pid ${victim!.pid}\\) exited: replica 127\\.0\\.0\\.1:\\d+ told to take over`));
      }
    });
  });
}
