// The contract between the HOT's user data and the instance in the image: every nf.env the
// descriptors produce parses into an instance configuration, and bad or unrendered values are
// refused with the variable's name (no VM needed: this runs in the general mocha step too).
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { nfEnv, parseEnvFile } from '../../../src/dataplane/vm-env.js';
import { ramcloudStoreFromEnv } from '../../../src/model/ramcloud-env.js';
import { NF_STORE_CA_FILE, STORE_TLS_NAME, nfUserData, storeUserData } from '../../../src/package/userdata.js';
import { baseHot } from '../../../src/package/heat-tacker.js';
import { loadDescriptor } from '../../../src/descriptor/validate.js';
import { aclUser } from '../../../src/store/acl.js';
import { closeStore, connectStore, ctlKeys, type StoreClient } from '../../../src/store/index.js';
import { makeStoreCerts } from '../../../src/store/tls-certs.js';
import { ROOT } from '../../support/netns.js';
import { freePort, rawCommand } from '../../support/redis.js';
import { rejects } from '../../support/rejects.js';
import { hotUserData } from './vm-harness.js';
import { REDIS_MODULE_COMMANDS } from '../../../src/store/redis-module.js';
import { redisModulePath } from '../../../src/dataplane/redis-module.js';

type WriteFile = { path: string; content: string; permissions: string };

function fileOf(userData: string, path: string): WriteFile {
  const cc = yaml.load(userData) as { write_files: WriteFile[] };
  const f = cc.write_files.find((w) => w.path === path);
  if (!f) throw new Error(`no ${path} in the user data`);
  return f;
}

function envOf(userData: string, path: string): Record<string, string> {
  return parseEnvFile(fileOf(userData, path).content);
}

const heat = (s: string) =>
  s
    .replace('__VNF_NAME__', 'vnf1')
    .replace('__STORE_NODES__', '10.0.0.5:6379,10.0.0.6:6379')
    .replace('__VES_COLLECTOR__', 'http://ves:8443')
    .replace('__RC_COORDINATOR__', 'tcp:host=10.0.0.7,port=11100')
    .replace('__RC_CLUSTER_NAME__', 'vnf1');

describe('image: the instance environment written by the HOT user data', () => {
  for (const nf of ['nat', 'firewall', 'lb']) {
    it(`${nf}: every flavour's nf.env, rendered as Heat does, configures an instance`, async () => {
      const d = await loadDescriptor(join(ROOT, 'vnf-descriptors', `${nf}.yaml`));
      for (const [id, f] of Object.entries(d.flavours)) {
        const e = nfEnv(envOf(heat(nfUserData(d, f)), '/etc/statelessnf/nf.env'), 'host-1');
        expect(e.vnf, id).to.equal('vnf1');
        expect(e.chain).to.deep.equal([d.nf]);
        expect(e.storeNodes).to.deep.equal(['10.0.0.5:6379', '10.0.0.6:6379']);
        expect(e.dataplane).to.equal(f.vdus.nf.dataplane);
        expect(e.nics.slice(0, 3), `${id}: NIC roles in port order`).to.deep.equal(['management', 'inside', 'outside']);
        // A Redis store VDU or the RAMCloud VDUs sit on the VNF-internal store link, the NF's fourth NIC.
        if (f.store.kind !== 'external') expect(e.nics[3], id).to.equal('store');
        else expect(e.nics, id).to.have.length(3);
        expect(e.heartbeatTtlMs).to.be.greaterThan(e.heartbeatPeriodMs);
        expect(e.instanceId).to.equal('host-1');
        const direct = Object.values(f.vdus.nf.connectionPoints).some((c) => c.role === 'data' && c.vnicType === 'direct');
        expect(e.dpdkDriver).to.equal(direct ? 'vfio-pci' : 'af_xdp');
        // flow state in RAMCloud for the ramcloud flavour only; the control plane on SNF_STORE_NODES either way
        if (f.store.kind === 'ramcloud') expect(e.ramcloud?.coordinator, id).to.equal('tcp:host=10.0.0.7,port=11100');
        else expect(e.ramcloud, id).to.equal(undefined);
      }
    });
  }

  it("ramcloud: the NF's nf.env, rendered as Heat does, names the control Redis and the RAMCloud flow store (ramcloudStoreFromEnv)", async () => {
    for (const nf of ['nat', 'firewall', 'lb']) {
      const d = await loadDescriptor(join(ROOT, 'vnf-descriptors', `${nf}.yaml`));
      const values = { vnf_name: 'vnf1', store_nodes: 'redis://snf-dataplane-vnf1:pw@172.31.255.10:6379', ves_collector_url: 'http://ves:8443', store_tls_ca: '', ramcloud_coordinator: 'tcp:host=172.31.255.10,port=11100', ramcloud_cluster_name: 'vnf1' };
      const env = envOf(hotUserData(baseHot(d, 'ramcloud'), 'nf', values), '/etc/statelessnf/nf.env');
      // The control plane (what the instance's `control` is made of) stays the Redis next to the coordinator.
      expect(nfEnv(env, 'host-1').storeNodes, nf).to.deep.equal(['redis://snf-dataplane-vnf1:pw@172.31.255.10:6379']);
      const want = { kind: 'ramcloud', coordinator: 'tcp:host=172.31.255.10,port=11100', clusterName: 'vnf1', table: 'snf', span: d.flavours.ramcloud.vdus.masters!.instances };
      expect(ramcloudStoreFromEnv(env), nf).to.deep.equal(want);
      // and nfEnv carries it to the instance config (vmInstanceConfig: the flow store)
      expect(nfEnv(env, 'host-1').ramcloud, nf).to.deep.equal(want);
    }
    const d = await loadDescriptor(join(ROOT, 'vnf-descriptors', 'nat.yaml'));
    expect(ramcloudStoreFromEnv(envOf(heat(nfUserData(d, d.flavours['dpdk-sriov'])), '/etc/statelessnf/nf.env')), 'a Redis flavour').to.equal(undefined);
  });

  it('ramcloud: a bad or unrendered RAMCloud setting names its variable', async () => {
    const ok = { SNF_STORE_KIND: 'ramcloud', SNF_RAMCLOUD_COORDINATOR: 'tcp:host=10.0.0.1,port=11100', SNF_RAMCLOUD_CLUSTER_NAME: 'vnf1' };
    expect(ramcloudStoreFromEnv(ok)).to.deep.equal({ kind: 'ramcloud', coordinator: 'tcp:host=10.0.0.1,port=11100', clusterName: 'vnf1' });
    expect(() => ramcloudStoreFromEnv({ ...ok, SNF_STORE_KIND: 'etcd' })).to.throw(/^SNF_STORE_KIND: must be redis or ramcloud/);
    expect(() => ramcloudStoreFromEnv({ ...ok, SNF_RAMCLOUD_COORDINATOR: '__RC_COORDINATOR__' })).to.throw(/^SNF_RAMCLOUD_COORDINATOR: missing \(the template token __RC_COORDINATOR__ was never replaced\)/);
    expect(() => ramcloudStoreFromEnv({ ...ok, SNF_RAMCLOUD_COORDINATOR: 'basic+udp:host=10.0.0.1,port=11100' })).to.throw(/^SNF_RAMCLOUD_COORDINATOR: .* is not tcp:host=/);
    expect(() => ramcloudStoreFromEnv({ ...ok, SNF_RAMCLOUD_COORDINATOR: 'tcp:host=10.0.0.1,port=99999' })).to.throw(/^SNF_RAMCLOUD_COORDINATOR: port 99999 is outside/);
    expect(() => ramcloudStoreFromEnv({ ...ok, SNF_RAMCLOUD_CLUSTER_NAME: '' })).to.throw(/^SNF_RAMCLOUD_CLUSTER_NAME: missing/);
    expect(() => ramcloudStoreFromEnv({ ...ok, SNF_RAMCLOUD_SPAN: '0' })).to.throw(/^SNF_RAMCLOUD_SPAN: must be an integer in 1\.\.64/);
    expect(() => ramcloudStoreFromEnv({ ...ok, SNF_RAMCLOUD_TABLE: 'a b' })).to.throw(/^SNF_RAMCLOUD_TABLE: /);
  });

  it('refuses an nf.env whose Heat parameters were never substituted, naming the variable', async () => {
    const d = await loadDescriptor(join(ROOT, 'vnf-descriptors', 'nat.yaml'));
    const raw = envOf(nfUserData(d, d.flavours.small), '/etc/statelessnf/nf.env');
    expect(() => nfEnv(raw)).to.throw(/SNF_[A-Z_]+: missing \(the template token __[A-Z_]+__ was never replaced\)/);
  });

  it('names the variable of each bad value', () => {
    const ok = { SNF_VNF: 'v', SNF_NF: 'nat', SNF_STORE_NODES: '10.0.0.1:6379' };
    expect(() => nfEnv({ ...ok, SNF_NF: 'router' })).to.throw(/SNF_NF: unknown NF 'router'/);
    expect(() => nfEnv({ ...ok, SNF_STORE_NODES: '10.0.0.1' })).to.throw(/SNF_STORE_NODES: '10.0.0.1' is not host:port/);
    expect(() => nfEnv({ ...ok, SNF_DATAPLANE: 'netmap' })).to.throw(/SNF_DATAPLANE/);
    expect(() => nfEnv({ ...ok, SNF_NICS: 'management,inside' })).to.throw(/SNF_NICS: no 'outside'/);
    expect(() => nfEnv({ ...ok, SNF_HEARTBEAT_PERIOD_MS: '500', SNF_HEARTBEAT_TTL_MS: '400' })).to.throw(/SNF_HEARTBEAT_PERIOD_MS \(500\) must be below/);
    expect(() => nfEnv({ ...ok, SNF_DPDK_DRIVER: 'igb_uio' })).to.throw(/SNF_DPDK_DRIVER/);
    expect(() => parseEnvFile('SNF_VNF')).to.throw(/not KEY=VALUE/);
  });

  it('takes store URLs with the password the HOT generated, and names a bad one without echoing the password', () => {
    const ok = { SNF_VNF: 'v', SNF_NF: 'nat' };
    const e = nfEnv({ ...ok, SNF_STORE_NODES: 'redis://:Pw0123456789abcdef@10.0.0.1:6379,redis://:Pw0123456789abcdef@10.0.0.2:6379' });
    expect(e.storeNodes).to.deep.equal(['redis://:Pw0123456789abcdef@10.0.0.1:6379', 'redis://:Pw0123456789abcdef@10.0.0.2:6379']);
    let err: Error | undefined;
    try {
      nfEnv({ ...ok, SNF_STORE_NODES: 'redis://:Pw0123456789abcdef@10.0.0.1:99999' });
    } catch (x) {
      err = x as Error;
    }
    expect(err?.message).to.match(/^SNF_STORE_NODES: store URL .*port must be 1\.\.65535/);
    expect(err?.message).to.not.include('Pw0123456789abcdef');
  });

  it('the store user data configures statelessnf-redis.service', async () => {
    const d = await loadDescriptor(join(ROOT, 'vnf-descriptors', 'nat.yaml'));
    const f = d.flavours['dpdk-sriov'];
    const ud = storeUserData(f);
    const env = envOf(ud, '/etc/statelessnf/redis.env');
    expect(env).to.deep.include({ SNF_REDIS_PORT: String(f.vdus.store!.port), SNF_REDIS_CLUSTER: 'true', SNF_REDIS_DATA_DEVICE: '/dev/vdb', SNF_REDIS_PASSWORD: '__STORE_PASSWORD__' });
    expect((yaml.load(ud) as { runcmd: string[][] }).runcmd).to.deep.include(['systemctl', 'enable', '--now', 'statelessnf-redis.service']);
  });

  it("the NF's store CA, rendered as Heat does (str_split + list_join into the block), is the PEM byte for byte; empty without TLS", async () => {
    const d = await loadDescriptor(join(ROOT, 'vnf-descriptors', 'nat.yaml'));
    const dir = mkdtempSync(join(tmpdir(), 'snf-envtest-ca-'));
    try {
      const pem = readFileSync(makeStoreCerts(dir, [STORE_TLS_NAME]).caFile, 'utf8');
      const values = { vnf_name: 'vnf1', store_nodes: '10.0.0.5:6379', ves_collector_url: 'http://ves:8443', store_tls_ca: pem };
      const ca = fileOf(hotUserData(baseHot(d, 'dpdk-sriov'), 'nf', values), NF_STORE_CA_FILE);
      expect(ca.permissions).to.equal('0600');
      expect(ca.content.trim()).to.equal(pem.trim());
      expect(fileOf(hotUserData(baseHot(d, 'dpdk-sriov'), 'nf', { ...values, store_tls_ca: '' }), NF_STORE_CA_FILE).content.trim()).to.equal('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// The image's snf-redis run on this host (loopback, files in a temporary directory) from the store
// VDU's user data as Heat renders it: what the VM test shows on the VDU, in a second.
describe("image: snf-redis from the store VDU's rendered user data (per-role ACL users, TLS)", function () {
  this.timeout(30_000);
  const VNF = 'vnf1';
  const PW = { store_password: 'Admin0123456789abcdefABCDEF012345', store_dataplane_password: 'Dplane0123456789abcdefABCDEF01234', store_control_password: 'Ctl0123456789abcdefABCDEF0123456' };
  let dir = '';
  let child: ChildProcess | undefined;
  let log = '';
  const clients: StoreClient[] = [];

  afterEach(async () => {
    for (const c of clients.splice(0)) await closeStore(c).catch(() => undefined);
    // snf-redis execs runuser, whose child is redis-server: the whole process group goes.
    if (child?.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    child = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Writes the user data's files under `dir` and starts snf-redis on `port`; resolves when it answers. */
  async function startStore(tls: { ca: string; cert: string; key: string } | undefined): Promise<number> {
    if (process.getuid?.() !== 0) throw new Error('must run as root: snf-redis runs redis-server as the redis user (runuser)');
    if (spawnSync('id', ['redis']).status !== 0) throw new Error("no 'redis' user: install redis-server (scripts/deps/base.txt)");
    const d = await loadDescriptor(join(ROOT, 'vnf-descriptors', 'nat.yaml'));
    const ud = hotUserData(baseHot(d, 'dpdk-sriov'), 'store', { vnf_name: VNF, ...PW, store_tls_ca: tls?.ca ?? '', store_tls_cert: tls?.cert ?? '', store_tls_key: tls?.key ?? '' });
    log = '';
    dir = mkdtempSync(join(tmpdir(), 'snf-envtest-redis-'));
    chmodSync(dir, 0o755); // redis-server (user redis) reaches its data and run directories
    const port = await freePort();
    const files: Record<string, string> = {};
    for (const path of ['/etc/statelessnf/redis.env', '/etc/statelessnf/redis-users.acl', '/etc/statelessnf/redis-tls/ca.crt', '/etc/statelessnf/redis-tls/server.crt', '/etc/statelessnf/redis-tls/server.key']) {
      const f = fileOf(ud, path);
      expect(f.permissions, path).to.equal('0600');
      const local = join(dir, 'etc', path.slice('/etc/statelessnf/'.length));
      mkdirSync(join(local, '..'), { recursive: true });
      // One node, no cluster, no data volume: a cluster node alone would answer CLUSTERDOWN.
      const content = path.endsWith('redis.env') ? f.content.replace(/^SNF_REDIS_PORT=.*$/m, `SNF_REDIS_PORT=${port}`).replace(/^SNF_REDIS_CLUSTER=.*$/m, 'SNF_REDIS_CLUSTER=false').replace(/^SNF_REDIS_DATA_DEVICE=.*$/m, 'SNF_REDIS_DATA_DEVICE=') : f.content;
      writeFileSync(local, content, { mode: 0o600 });
      files[path] = local;
    }
    child = spawn('sh', [join(ROOT, 'scripts/image/rootfs/usr/lib/statelessnf/snf-redis')], {
      env: {
        ...process.env, SNF_REDIS_ENV: files['/etc/statelessnf/redis.env'], SNF_REDIS_USERS: files['/etc/statelessnf/redis-users.acl'],
        SNF_REDIS_TLS_DIR: join(dir, 'etc', 'redis-tls'), SNF_REDIS_DIR: join(dir, 'data'), SNF_REDIS_RUN: join(dir, 'run'), SNF_REDIS_BIND: '127.0.0.1',
        // the store module where the image stages it (src/image/stage.ts)
        SNF_REDIS_MODULE_SO: redisModulePath(),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child.stdout?.on('data', (b: Buffer) => (log += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (log += b.toString()));
    const end = Date.now() + 10_000;
    while (!/Ready to accept connections/.test(log)) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`snf-redis did not start:\n${log.slice(-1500)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return port;
  }

  async function as(url: string): Promise<StoreClient> {
    const c = await connectStore(url, { cluster: false, connectTimeoutMs: 2000 });
    clients.push(c);
    return c;
  }

  it('plain TCP: no unauthenticated client; the data-plane user writes flows and cannot write tables (NOPERM); the control user writes tables', async () => {
    const port = await startStore(undefined);
    expect(log).to.include('plain TCP with passwords');
    expect(log, 'passwords on the console').to.not.match(/Admin0123|Dplane0123|Ctl0123/);
    const reply = await rawCommand(port, ['GET', `snf:${VNF}:x`]);
    expect(reply).to.be.instanceOf(Error);
    expect((reply as Error).message).to.match(/^NOAUTH/);
    const dp = await as(`redis://${aclUser(VNF, 'dataplane')}:${PW.store_dataplane_password}@127.0.0.1:${port}`);
    const cp = await as(`redis://${aclUser(VNF, 'control')}:${PW.store_control_password}@127.0.0.1:${port}`);
    const admin = await as(`redis://:${PW.store_password}@127.0.0.1:${port}`);
    const k = ctlKeys(VNF);
    expect(await cp.hset(k.fw, 'defaultAction', 'deny')).to.equal(1);
    expect(await dp.hget(k.fw, 'defaultAction')).to.equal('deny');
    expect((await rejects(dp.hset(k.fw, 'defaultAction', 'allow'))).message).to.match(/^NOPERM/);
    expect(await dp.set(`snf:${VNF}:fw:{${VNF}|tcp|a|1|b|2}`, 'x', 'PX', 10_000)).to.equal('OK');
    // another VNF's flows are not this VNF's users' business
    expect((await rejects(dp.set('snf:other:fw:x', 'x'))).message).to.match(/^NOPERM/);
    // The store module is loaded, and the data-plane user may run each of its commands on its
    // VNF's flows (src/store/redis-module.ts lists them; snf-redis grants them), nobody else's.
    expect(JSON.stringify(await admin.call('MODULE', 'LIST'))).to.include('"snf"');
    const fk = `snf:${VNF}:nat:f:{${VNF}|a|0}:x`;
    const rk = `snf:${VNF}:nat:r:{${VNF}|a|0}:1`;
    const calls: Record<(typeof REDIS_MODULE_COMMANDS)[number], string[]> = {
      'snf.claim': [fk, 'a|1|N|1', rk, 'rev|N', '10000'],
      'snf.natupd': [fk, rk, 'a|1|', 'a|1|E|2', 'rev|E', '10000'],
      'snf.cas': [`snf:${VNF}:fw:{${VNF}|tcp|a|1|b|3}`, '*', 'ES|1', '10000'],
      // an LB assignment's update (none there: nothing written, no error)
      'snf.lbupd': [`snf:${VNF}:lb:f:{${VNF}|0}:x`, `snf:${VNF}:lb:r:{${VNF}|0}:x`, `snf:${VNF}:lb:l:{${VNF}|0}:b1`, 'b1|', 'b1|E|2', 'v|b1', '10000', 'm', '1'],
      'snf.lbassign': [`snf:${VNF}:lb:f:{${VNF}|0}:y`, 'wlc', 'm', '1', '10000', '|S|1', 'v|', '0', 'b1', '1', `snf:${VNF}:lb:r:{${VNF}|0}:y`, `snf:${VNF}:lb:l:{${VNF}|0}:b1`],
    };
    // claim, update, cas: in this order (the update needs the claim's mapping)
    for (const [cmd, args] of Object.entries(calls)) expect(await dp.call(cmd, ...args), cmd).to.not.be.instanceOf(Error);
    expect(await dp.get(fk)).to.equal('a|1|E|2');
    expect((await rejects(dp.call('snf.cas', 'snf:other:fw:x', '*', 'ES|1', '10000'))).message).to.match(/^NOPERM/);
    expect((await rejects(cp.call('snf.cas', `snf:${VNF}:fw:y`, '*', 'ES|1', '10000'))).message, 'the control user').to.match(/^NOPERM/);
    // the default user is the admin: ACL users exist as rendered, nothing more
    const users = (await admin.call('ACL', 'USERS')) as string[];
    expect(users.sort()).to.deep.equal(['default', aclUser(VNF, 'control'), aclUser(VNF, 'dataplane')].sort());
  });

  it('TLS parameters given: TLS only on the store port, verified against the CA by the fixed name; a plain client gets no answer', async () => {
    const certsDir = mkdtempSync(join(tmpdir(), 'snf-envtest-certs-'));
    try {
      const c = makeStoreCerts(certsDir, [STORE_TLS_NAME]);
      const port = await startStore({ ca: readFileSync(c.caFile, 'utf8'), cert: readFileSync(c.certFile, 'utf8'), key: readFileSync(c.keyFile, 'utf8') });
      expect(log).to.include(`TLS only on port ${port}`);
      expect(log, 'the key on the console').to.not.include('PRIVATE KEY');
      const plain = await rawCommand(port, ['PING'], 1500).catch((e: unknown) => e as Error);
      expect(plain, 'a plain-TCP PING on the TLS port').to.be.instanceOf(Error);
      const dp = await as(`rediss://${aclUser(VNF, 'dataplane')}:${PW.store_dataplane_password}@127.0.0.1:${port}?ca=${c.caFile}&servername=${STORE_TLS_NAME}`);
      expect(await dp.set(`snf:${VNF}:nat:x`, '1')).to.equal('OK');
      expect((await rejects(dp.hset(ctlKeys(VNF).fw, 'defaultAction', 'allow'))).message).to.match(/^NOPERM/);
      // The certificate names the fixed name, not the address: a client checking the address is refused.
      const e = await rejects(as(`rediss://${aclUser(VNF, 'dataplane')}:${PW.store_dataplane_password}@127.0.0.1:${port}?ca=${c.caFile}`));
      expect(e.message).to.match(/IP|altnames|certificate/i);
    } finally {
      rmSync(certsDir, { recursive: true, force: true });
    }
  });
});
