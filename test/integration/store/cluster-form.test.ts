// The store VDU's cluster-forming script (heat/scripts/snf-redis-cluster-form.sh, shipped in the
// store user data) against six real cluster-enabled redis-servers on 127.0.0.10-15, one port, as
// six store VMs on one subnet would be: only the lowest address acts, the result is 3 masters +
// 3 replicas with every slot served, and a second run changes nothing.
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { freePort } from '../../support/redis.js';
import { storeReplicas, storeUserData } from '../../../src/package/userdata.js';
import { loadDescriptor } from '../../../src/descriptor/validate.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const SCRIPT = join(ROOT, 'heat/scripts/snf-redis-cluster-form.sh');
const ADDRS = [10, 11, 12, 13, 14, 15].map((i) => `127.0.0.${i}`);

function cli(host: string, port: number, ...args: string[]): string {
  const r = spawnSync('redis-cli', ['-h', host, '-p', String(port), ...args], { encoding: 'utf8', timeout: 5000 });
  return (r.stdout ?? '').trim();
}

function runScript(env: Record<string, string>): { code: number | null; out: string } {
  const r = spawnSync('sh', [SCRIPT], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('store VDU: the nodes form their Redis Cluster', function () {
  this.timeout(90_000);
  let port = 0;
  let dir = '';
  const procs: ChildProcess[] = [];
  const killAll = () => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
  };

  before(async () => {
    port = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'snf-cluster-form-'));
    process.once('exit', killAll);
    for (const a of ADDRS) {
      const d = join(dir, a);
      spawnSync('mkdir', ['-p', d]);
      const p = spawn(
        'redis-server',
        ['--port', String(port), '--bind', a, '--dir', d, '--save', '', '--appendonly', 'no', '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000', '--cluster-require-full-coverage', 'no', '--logfile', join(d, 'log'),
          // one host standing in for six VMs: outgoing bus connections and announcements must carry each node's own loopback address
          '--bind-source-addr', a, '--cluster-announce-ip', a],
        { stdio: 'ignore' },
      );
      procs.push(p);
    }
    const end = Date.now() + 10_000;
    while (!ADDRS.every((a) => cli(a, port, 'PING') === 'PONG')) {
      if (Date.now() > end) throw new Error('cluster nodes did not answer within 10 s');
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  after(() => {
    killAll();
    process.removeListener('exit', killAll);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const envFile = (instances: number) => {
    const f = join(dir, `redis-${instances}.env`);
    writeFileSync(f, `SNF_REDIS_PORT=${port}\nSNF_REDIS_CLUSTER=true\nSNF_REDIS_INSTANCES=${instances}\nSNF_REDIS_REPLICAS=${storeReplicas(instances)}\n`);
    return f;
  };

  it('says why it cannot form a cluster when fewer nodes answer than expected', () => {
    const r = runScript({ SNF_REDIS_ENV: envFile(7), SNF_REDIS_SELF: ADDRS[0], SNF_REDIS_SCAN: '127.0.0', SNF_REDIS_SCAN_FIRST: '2', SNF_REDIS_SCAN_LAST: '40', SNF_REDIS_FORM_WAIT_S: '0' });
    expect(r.code).to.equal(1);
    expect(r.out).to.match(/only 6 of 7 nodes answered/);
    expect(cli(ADDRS[0], port, 'CLUSTER', 'INFO')).to.match(/cluster_slots_assigned:0/);
  });

  it('leaves the forming to the lowest address, which creates 3 masters + 3 replicas; a re-run changes nothing', async () => {
    const env = envFile(6);
    const other = runScript({ SNF_REDIS_ENV: env, SNF_REDIS_SELF: ADDRS[3], SNF_REDIS_SCAN: '127.0.0', SNF_REDIS_SCAN_FIRST: '2', SNF_REDIS_SCAN_LAST: '40' });
    expect(other.code, other.out).to.equal(0);
    expect(other.out).to.include(`${ADDRS[0]} forms the cluster`);
    expect(cli(ADDRS[0], port, 'CLUSTER', 'INFO')).to.match(/cluster_slots_assigned:0/);

    const leader = runScript({ SNF_REDIS_ENV: env, SNF_REDIS_SELF: ADDRS[0], SNF_REDIS_SCAN: '127.0.0', SNF_REDIS_SCAN_FIRST: '2', SNF_REDIS_SCAN_LAST: '40' });
    expect(leader.code, leader.out).to.equal(0);
    expect(leader.out).to.include('with 1 replica(s) per master');
    // A replica shows as a slot-less master until its REPLICATE has gossiped round: wait for the roles too.
    const roles = () => {
      const nodes = cli(ADDRS[0], port, 'CLUSTER', 'NODES').split('\n').filter(Boolean);
      const masters = nodes.filter((l) => l.split(' ')[2].split(',').includes('master') && / connected \d/.test(l));
      const replicas = nodes.filter((l) => l.split(' ')[2].split(',').includes('slave'));
      return { masters: masters.length, replicas: replicas.length, nodes };
    };
    const end = Date.now() + 20_000;
    for (;;) {
      const infos = ADDRS.map((a) => cli(a, port, 'CLUSTER', 'INFO'));
      const r = roles();
      if (infos.every((i) => /cluster_state:ok/.test(i) && /cluster_known_nodes:6/.test(i) && /cluster_slots_assigned:16384/.test(i)) && r.masters === 3 && r.replicas === 3) break;
      if (Date.now() > end) throw new Error(`cluster not 3 masters + 3 replicas within 20 s:\n${r.nodes.join('\n')}`);
      await new Promise((res) => setTimeout(res, 200));
    }
    expect(cli(ADDRS[0], port, 'CONFIG', 'GET', 'cluster-require-full-coverage')).to.match(/no$/);

    const ids = cli(ADDRS[0], port, 'CLUSTER', 'MYID');
    const again = runScript({ SNF_REDIS_ENV: env, SNF_REDIS_SELF: ADDRS[0], SNF_REDIS_SCAN: '127.0.0', SNF_REDIS_SCAN_FIRST: '2', SNF_REDIS_SCAN_LAST: '40' });
    expect(again.code, again.out).to.equal(0);
    expect(again.out).to.match(/already holds \d+ slots: the cluster exists, nothing to do/);
    expect(cli(ADDRS[0], port, 'CLUSTER', 'MYID')).to.equal(ids);
  });

  it('ships the same script in the store user data, with 6 nodes = 1 replica per master', async () => {
    const d = await loadDescriptor(join(ROOT, 'vnf-descriptors', 'nat.yaml'));
    const f = d.flavours['dpdk-sriov'];
    const ud = yaml.load(storeUserData(f)) as { write_files: { path: string; content: string }[]; runcmd: unknown[] };
    const script = ud.write_files.find((w) => w.path === '/etc/statelessnf/snf-redis-cluster-form.sh');
    expect(script?.content.trim()).to.equal(spawnSync('cat', [SCRIPT], { encoding: 'utf8' }).stdout.trim());
    const env = ud.write_files.find((w) => w.path === '/etc/statelessnf/redis.env')?.content ?? '';
    expect(env).to.include(`SNF_REDIS_INSTANCES=${f.vdus.store!.instances}`);
    expect(env).to.include(`SNF_REDIS_REPLICAS=${storeReplicas(f.vdus.store!.instances)}`);
    expect(storeReplicas(6)).to.equal(1);
    expect(storeReplicas(3)).to.equal(0);
    expect(JSON.stringify(ud.runcmd)).to.include('snf-redis-cluster-form');
  });
});
