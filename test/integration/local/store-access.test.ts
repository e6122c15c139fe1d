// The local deployment's store access (`snf up --store-tls`): a real deployment (firewall -> NAT,
// 2 instances in network namespaces, real packets) whose store serves TLS only and knows only
// the role users of src/store/acl.ts. Asserted: traffic flows with the instances on TLS as the
// data-plane user; a plain client, an unauthenticated client, a wrong password and the default
// user are refused; the data-plane user cannot write the tables; no password is on a command
// line or in a file others can read; `snf status` says what the access is; bad flag combinations
// are refused before anything is built.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LocalDeployment } from '../../../src/vim/local/deployment.js';
import { names, NET, nsPids } from '../../../src/vim/local/topology.js';
import { loadAccess, type StoreAccess } from '../../../src/vim/local/store-access.js';
import { closeStore, connectStore, ctlKeys, readTablesSnapshot, writeTables } from '../../../src/store/index.js';
import { countFlows } from '../../../src/store/flows.js';
import type { ClientSummary } from '../../../src/demo/traffic/client.js';
import { tearDownDeployment } from '../../support/teardown.js';
import { namespacesOf, ROOT, RUN_ROOT, startTool, uniqueName, type Proc } from '../../support/netns.js';
import { rejects } from '../../support/rejects.js';
import { redisModuleWanted } from '../../../src/dataplane/redis-module.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function snf(args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/snf.js'), ...args], { encoding: 'utf8', env: { ...process.env, SNF_RUN_DIR: RUN_ROOT }, timeout: 60_000 });
  return { code: r.status, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

describe('local deployment: store with ACL users, TLS only (snf up --store-tls)', function () {
  this.timeout(120_000);
  let d: LocalDeployment | undefined;
  let name = '';
  let server: Proc | undefined;
  let client: Proc | undefined;
  let pids: number[] = [];
  let a: StoreAccess;
  let port = 0;

  before(async function () {
    if (process.getuid?.() !== 0) throw new Error('needs root (network namespaces)');
    name = uniqueName();
    d = await LocalDeployment.up({ name, chain: ['firewall', 'nat'], instances: 2, runRoot: RUN_ROOT, storeTls: true });
    const node = d.state.store.nodes?.[0];
    expect(node, 'the TLS store node').to.not.equal(undefined);
    port = node!.port;
    a = loadAccess(d.state.runDir)!;
    pids = [node!.pid, node!.relayPid ?? 0, ...d.state.instances.map((i) => i.pid)].filter((p) => p > 0);
    server = startTool(names(name).server, 'server', ['--tcp', `${NET.server.host}:7000`]);
    await server.waitFor((l) => l.event === 'listening');
  });

  after(() => tearDownDeployment({ name, d, procs: [client, server], pids }));

  it('forwards traffic; the store listens on its TLS port only and holds the flows', async () => {
    client = startTool(names(name).client, 'client', ['--target', `${NET.server.host}:7000`, '--connections', '5', '--duration', '3', '--interval', '100']);
    const sum = (await client.waitFor((l) => l.event === 'summary', 60_000)) as unknown as ClientSummary;
    expect(sum.connected).to.equal(5);
    expect(sum.resets).to.equal(0);
    expect(sum.responses).to.be.greaterThan(50);
    const flows = await countFlows(await d!.store(), d!.state.vnf);
    expect(flows.fw ?? 0, 'firewall flows written over TLS').to.be.at.least(5);
    expect(flows.nat ?? 0, 'NAT flows written over TLS').to.be.at.least(5);
    // The deployment's Redis loads the store module and lets the data plane run it: the
    // connections' firewall transitions went as SNF.CAS, not refused back to the scripts.
    if (redisModuleWanted()) {
      const stats = String(await (await d!.store()).info('commandstats'));
      expect(stats, 'SNF.CAS calls').to.match(/cmdstat_snf\.cas:calls=[1-9]/);
      expect(stats, 'no refused module call').to.not.match(/cmdstat_snf\.[a-z]+:.*rejected_calls=[1-9]/);
    }
    // what the redis-server process listens on: its TLS port, nothing plain, no UNIX socket
    const pid = d!.state.store.nodes![0].pid;
    const tcp = spawnSync('ss', ['-Hltnp'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes(`pid=${pid},`));
    expect(tcp.map((l) => l.split(/\s+/)[3])).to.deep.equal([`127.0.0.1:${port}`]);
    const unix = spawnSync('ss', ['-Hlxp'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes(`pid=${pid},`));
    expect(unix, 'UNIX sockets of the redis-server').to.deep.equal([]);
  });

  it('refuses a plain client, an unauthenticated client, a wrong password and the default user', async () => {
    const ca = a.tls!.caFile;
    const plain = await rejects(connectStore(`redis://${a.control.user}:${a.control.password}@127.0.0.1:${port}`, { connectTimeoutMs: 800 }));
    expect(plain.message).to.match(/store: cannot connect/);
    const anon = await rejects(connectStore(`rediss://127.0.0.1:${port}?ca=${ca}`, { connectTimeoutMs: 800 }));
    expect(anon.message).to.match(/NOAUTH/);
    const wrong = await rejects(connectStore(`rediss://${a.dataplane.user}:not-the-password-0123456789@127.0.0.1:${port}?ca=${ca}`, { connectTimeoutMs: 800 }));
    expect(wrong.message).to.match(/WRONGPASS/);
    // no admin on a single node: the default user is off, whatever the password
    const dflt = await rejects(connectStore(`rediss://default:${a.control.password}@127.0.0.1:${port}?ca=${ca}`, { connectTimeoutMs: 800 }));
    expect(dflt.message).to.match(/WRONGPASS/);
    // a TLS client that does not trust the deployment's CA
    const untrusted = await rejects(connectStore(`rediss://${a.control.user}:${a.control.password}@127.0.0.1:${port}`, { connectTimeoutMs: 800 }));
    expect(untrusted.message).to.match(/self[- ]signed|unable to verify|certificate/i);
  });

  it('the data-plane user reads the tables and cannot write them; the control user writes them', async () => {
    const dp = await connectStore(`rediss://${a.dataplane.user}:${a.dataplane.password}@127.0.0.1:${port}?ca=${a.tls!.caFile}`);
    try {
      const before = await readTablesSnapshot(dp, d!.state.vnf);
      expect(before.tables.firewall?.defaultAction).to.equal('deny');
      const k = ctlKeys(d!.state.vnf);
      expect((await rejects(dp.hset(k.fw, 'defaultAction', 'allow'))).message).to.match(/^NOPERM/);
      expect((await rejects(dp.publish(k.channel, '999'))).message).to.match(/^NOPERM/);
      expect((await rejects(dp.call('FLUSHALL'))).message).to.match(/^NOPERM/);
      expect((await readTablesSnapshot(dp, d!.state.vnf)).tables.firewall?.defaultAction, 'the refused write changed nothing').to.equal('deny');
      // the control plane's connection (the VIM's, as the control user) writes a new generation
      const gen = await writeTables(await d!.store(), d!.state.vnf, before.tables);
      expect(gen).to.equal(before.generation + 1);
      expect((await readTablesSnapshot(dp, d!.state.vnf)).generation).to.equal(gen);
    } finally {
      await closeStore(dp);
    }
  });

  it('keeps the passwords off command lines and in root-only files; snf status shows the access', async () => {
    const secrets = [a.dataplane.password, a.control.password];
    const procs = new Set([...pids, d!.state.controllerPid ?? 0, ...(await Promise.all(d!.state.instances.map((i) => nsPids(i.ns)))).flat()]);
    let seen = 0;
    for (const pid of procs) {
      let cmd: string;
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      seen++;
      for (const s of secrets) expect(cmd.includes(s), `password on the command line of pid ${pid}: ${cmd.replace(/\0/g, ' ').slice(0, 200)}`).to.equal(false);
    }
    expect(seen, 'processes looked at (store, relays, instances, controller)').to.be.at.least(6);
    const run = d!.state.runDir;
    expect(readFileSync(join(run, 'state.json'), 'utf8')).to.not.include(a.control.password);
    expect(mode(join(run, 'store-access.json'))).to.equal(0o600);
    for (const i of d!.state.instances) {
      expect(mode(i.configFile), i.configFile).to.equal(0o600);
      expect(readFileSync(i.configFile, 'utf8')).to.not.include(a.control.password);
    }
    expect(mode(join(run, 'store'))).to.equal(0o700);
    expect(mode(join(run, 'tls'))).to.equal(0o700);
    const nodeDir = join(run, 'store', readdirSync(join(run, 'store')).find((f) => f.startsWith('primary-'))!);
    expect(mode(join(nodeDir, 'redis.conf'))).to.equal(0o600);
    expect(mode(a.tls!.keyFile)).to.equal(0o600);

    const st = snf(['status', '--name', name, '--interval', '100']);
    expect(st.code, st.out).to.equal(0);
    expect(st.out).to.match(new RegExp(`^store access: ACL users snf-dataplane-${name} \\(instances\\), snf-control-${name} \\(control plane\\), default user off; TLS only, CA ${run}/tls/ca\\.crt$`, 'm'));
    expect(st.out).to.match(new RegExp(`^store: single node 127\\.0\\.0\\.1:${port}, pid \\d+ running$`, 'm'));
  });

  // last: it cuts the instances off the store
  it('snf status names a dead relay onto the TLS node as a problem', async () => {
    const node = d!.state.store.nodes![0];
    process.kill(node.relayPid!, 'SIGKILL');
    await sleep(100);
    const st = snf(['status', '--name', name, '--interval', '100']);
    expect(st.code, st.out).to.equal(1);
    expect(st.out).to.include(`the relay onto store primary 127.0.0.1:${port} (pid ${node.relayPid}) is not running: the instances cannot reach that node`);
  });

  it('refuses --store-tls with --baseline or with --store before anything is built', () => {
    const other = uniqueName();
    const base = snf(['up', '--name', other, '--store-tls', '--baseline']);
    expect(base.code, base.out).to.equal(2);
    expect(base.out).to.match(/--store-tls: --baseline keeps flow state inside the instances/);
    const ext = snf(['up', '--name', other, '--store-tls', '--store', '10.9.9.9:6379']);
    expect(ext.code, ext.out).to.equal(2);
    expect(ext.out).to.match(/--store-tls: certificates are made only for the store the deployment starts/);
    expect(existsSync(join(RUN_ROOT, other)), 'a run directory was made').to.equal(false);
    expect(namespacesOf(other)).to.deep.equal([]);
  });
});
