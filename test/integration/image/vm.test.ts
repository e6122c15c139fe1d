// The StatelessNF VM image as MANO would boot it: built (or taken from the cache), booted under
// QEMU with a NoCloud seed whose user data is the HOT's own (the str_replace template of the
// Tacker BaseHOT's NF server with its params substituted as Heat does), forwarding real TCP
// connections behind the product's steering, and surviving kill -9 of a VM's QEMU.
//
// Budget (2 cores, TCG, no KVM): a cold image build ~7 min, 3 VMs booting at once ~3-4 min, the
// scale-out VM ~2 min. Run as root (namespaces, taps, mmdebstrap).
//
// Its own step of scripts/test.sh ("vm image"): it registers only when named on mocha's command
// line or with SNF_IMAGE_VM=1, and registers nothing inside the general mocha step, which would
// otherwise run it a second time.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage, type BuiltImage } from '../../../src/image/index.js';
import { baseHot } from '../../../src/package/heat-tacker.js';
import { STORE_TLS_NAME } from '../../../src/package/userdata.js';
import { aclUser } from '../../../src/store/acl.js';
import { makeStoreCerts, type StoreCerts } from '../../../src/store/tls-certs.js';
import { loadDescriptor } from '../../../src/descriptor/validate.js';
import type { VnfDescriptor } from '../../../src/descriptor/types.js';
import { closeStore, ctlKeys, liveInstances, regKeys, writeTables, type StoreClient } from '../../../src/store/index.js';
import { connectControl } from '../../../src/store/control-client.js';
import { createBase, names } from '../../../src/vim/local/topology.js';
import { defaultTables } from '../../../src/vim/local/deployment.js';
import { SteeringController } from '../../../src/vim/local/steering/controller.js';
import { closeShells } from '../../../src/vim/local/sh.js';
import type { ClientSummary } from '../../../src/demo/traffic/client.js';
import { forceCleanup, namespacesOf, RUN_ROOT, startTool, uniqueName, type Proc } from '../../support/netns.js';
import { ROOT } from '../../support/netns.js';
import { alive, createMgmt, MGMT, mgmtIp, missingTools, nfVmNet, seedIso, serialTail, sleep, startVm, storeVmNet, theImage, hotUserData, vmMetrics, waitFor, type Vm } from './vm-harness.js';

const CONNS = 50;
const STORE_SLOT = 50;

/** The NF server's user data exactly as the generated Tacker BaseHOT embeds it, params filled as Heat would. */
function hotNfUserData(d: VnfDescriptor, flavour: string, values: Record<string, string>): string {
  return hotUserData(baseHot(d, flavour), 'nf', values);
}

const selected = process.env.SNF_IMAGE_VM === '1' || process.argv.some((a) => a.includes('integration/image'));

(selected ? describe : () => undefined)('VM image: boots from the HOT user data, registers, forwards, survives kill -9 of a VM', function () {
  this.timeout(40 * 60_000);
  const why = missingTools();
  let image: BuiltImage;
  let d: VnfDescriptor;
  let prefix = '';
  let dir = '';
  let redis: StoreClient | undefined;
  let ctl: SteeringController | undefined;
  let server: Proc | undefined;
  let client: Proc | undefined;
  const vms = new Map<string, Vm>();
  const steer = new Set<string>();
  const vnf = 'vmnat';
  const chain = ['nat'] as const;
  // What the HOT's OS::Heat::RandomString resources would generate: 32 letters and digits.
  const storePw = { store_password: randomBytes(16).toString('hex'), store_dataplane_password: randomBytes(16).toString('hex'), store_control_password: randomBytes(16).toString('hex') };
  let certs: StoreCerts;

  const diag = (names: string[]) => () => names.map((n) => { const v = vms.get(n); return v ? `--- ${n} (pid ${v.pid}, ${alive(v.pid) ? 'running' : 'exited'}) serial:\n${serialTail(v)}` : ''; }).join('\n');

  /** The NF VM's packet and drop counters, for a failure message. */
  function counters(slot: number): string {
    try {
      return vmMetrics(prefix, slot).split('\n').filter((l) => /^snf_(rx|tx|dropped|io_packets|registry_heartbeat)/.test(l)).join('\n');
    } catch (err) {
      return (err as Error).message;
    }
  }

  async function bootNf(slot: number): Promise<Vm> {
    const name = `vm${slot}`;
    const net = await nfVmNet(prefix, [...chain], slot);
    // The host-side Redis is the small flavour's external store, plain TCP: no CA for the NF.
    const ud = hotNfUserData(d, 'small', { vnf_name: vnf, store_nodes: `${MGMT.gw}:${MGMT.redisPort}`, ves_collector_url: `http://${MGMT.gw}:30417/eventListener/v7`, store_tls_ca: '' });
    const seed = seedIso(join(dir, name, 'seed'), name, ud, net.nics);
    const vm = startVm({ name, slot, ns: net.ns, dir: join(dir, name), image: image.path, seed, nics: net.nics });
    vms.set(name, vm);
    return vm;
  }

  async function waitRegistered(ids: string[], timeoutMs: number): Promise<void> {
    const t0 = Date.now();
    await waitFor(`${ids.join(', ')} registered`, timeoutMs, async () => {
      const live = new Set((await liveInstances(redis!, vnf)).map((i) => i.id));
      for (const id of ids) if (!alive(vms.get(id)!.pid)) throw new Error(`${id}'s QEMU exited`);
      return ids.every((i) => live.has(i)) ? true : undefined;
    }, diag(ids));
    for (const id of ids) console.log(`      ${id}: registered ${Math.round((Date.now() - vms.get(id)!.startedAt) / 1000)} s after QEMU started (waited ${Math.round((Date.now() - t0) / 1000)} s)`);
  }

  async function waitSteered(pred: (ids: string[]) => boolean, what: string, timeoutMs = 20_000): Promise<number> {
    const t0 = Date.now();
    await waitFor(`steering: ${what}`, timeoutMs, async () => (pred(ctl!.current().ids) ? true : undefined), () => `steered: ${ctl!.current().ids.join(', ')}; detector: ${[...vms.keys()].map((n) => `${n} ${ctl!.health(n) ?? 'unseen'}`).join(', ')}`, 20);
    return Date.now() - t0;
  }

  before(async function () {
    if (why) throw new Error(why);
    d = await loadDescriptor(join(ROOT, 'vnf-descriptors', 'nat.yaml'));
    image = await theImage();
    prefix = uniqueName();
    dir = join(RUN_ROOT, prefix);
    // Interrupted (Ctrl-C, a CI timeout): the QEMUs, Redis and namespaces still go, by name.
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { forceCleanup(prefix); process.exit(130); });
    mkdirSync(dir, { recursive: true });
    await createBase(prefix);
    const mg = await createMgmt(prefix, dir);
    redis = await connectControl(`unix:${mg.socket}`, 'vm-test');
    await writeTables(redis, vnf, defaultTables([...chain]));
    server = startTool(names(prefix).server, 'server', ['--tcp', '203.0.113.10:7000']);
    await server.waitFor((l) => l.event === 'listening');
    // Three VMs boot at once: the two NF instances and the store VDU.
    await bootNf(1);
    await bootNf(2);
    const sn = await storeVmNet(prefix, STORE_SLOT);
    const f = d.flavours['dpdk-sriov'];
    const vol = join(dir, 'store', 'volume.qcow2');
    mkdirSync(join(dir, 'store'), { recursive: true });
    spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', vol, '1G']);
    // The store VDU's user data as the dpdk-sriov BaseHOT renders it, with the TLS parameters the
    // VNF manager would pass (certificates for the fixed name, made by the product's generator).
    certs = makeStoreCerts(join(dir, 'certs'), [STORE_TLS_NAME]);
    const pem = (file: string) => readFileSync(file, 'utf8');
    const storeUd = hotUserData(baseHot(d, 'dpdk-sriov'), 'store', {
      vnf_name: vnf, ...storePw, store_tls_ca: pem(certs.caFile), store_tls_cert: pem(certs.certFile), store_tls_key: pem(certs.keyFile),
    });
    const seed = seedIso(join(dir, 'store', 'seed'), 'store', storeUd, sn.nics);
    vms.set('store', startVm({ name: 'store', slot: STORE_SLOT, ns: sn.ns, dir: join(dir, 'store'), image: image.path, seed, nics: sn.nics, extraDisks: [vol] }));
  });

  after(async function () {
    ctl?.stop();
    client?.stop();
    server?.stop();
    if (redis) await closeStore(redis).catch(() => undefined);
    closeShells();
    const pids = [...vms.values()].map((v) => v.pid);
    if (prefix) {
      forceCleanup(prefix);
      await sleep(300);
      expect(namespacesOf(prefix), 'namespaces left behind').to.deep.equal([]);
      expect(pids.filter(alive), 'QEMU processes left behind').to.deep.equal([]);
    }
  });

  it('registers each NF VM in the store from the HOT user data (nf.env -> statelessnf-nf.service)', async function () {
    await waitRegistered(['vm1', 'vm2'], 12 * 60_000);
    const live = await liveInstances(redis!, vnf);
    for (const id of ['vm1', 'vm2']) {
      const rec = live.find((i) => i.id === id);
      expect(rec?.addr, `${id}'s registry record (${regKeys(vnf).inst(id)})`).to.equal(mgmtIp(Number(id.slice(2))));
      expect(await redis!.pttl(regKeys(vnf).inst(id)), 'heartbeat TTL (SNF_HEARTBEAT_TTL_MS)').to.be.within(1, 1000);
    }
  });

  it('brings up Redis in the store VDU as the store user data says (append-only, cluster mode, data volume, ACL users, TLS only)', async function () {
    const store = vms.get('store')!;
    type Auth = { user?: string; pass: string };
    const admin: Auth = { pass: storePw.store_password };
    const dp: Auth = { user: aclUser(vnf, 'dataplane'), pass: storePw.store_dataplane_password };
    const cp: Auth = { user: aclUser(vnf, 'control'), pass: storePw.store_control_password };
    // redis-cli from the management namespace, over TLS verified against the deployment's CA by the
    // certificate's fixed name (as the NFs' rediss:// URLs do) unless `plain`; the password in
    // REDISCLI_AUTH, not on the command line.
    const cli = (auth: Auth | undefined, a: string[], plain = false): string => {
      const r = spawnSync('ip', ['netns', 'exec', MGMT.ns(prefix), 'redis-cli', '-h', mgmtIp(STORE_SLOT), '-p', '6379',
        ...(plain ? [] : ['--tls', '--cacert', certs.caFile, '--sni', STORE_TLS_NAME]), ...(auth?.user ? ['--user', auth.user] : []), ...a],
      { encoding: 'utf8', timeout: 10_000, env: { ...process.env, ...(auth ? { REDISCLI_AUTH: auth.pass } : {}) } });
      return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
    };
    await waitFor('store VM Redis answers PING over TLS', 10 * 60_000, async () => (cli(admin, ['ping']) === 'PONG' ? true : undefined), diag(['store']));
    console.log(`      store: Redis answered ${Math.round((Date.now() - store.startedAt) / 1000)} s after QEMU started`);
    expect(cli(admin, ['config', 'get', 'appendonly'])).to.match(/appendonly\s+yes/);
    expect(cli(admin, ['config', 'get', 'dir'])).to.include('/var/lib/statelessnf/redis');
    expect(cli(admin, ['info', 'cluster'])).to.include('cluster_enabled:1');
    expect(serialTail(store, 400)).to.include('formatting blank data volume /dev/vdb');

    // TLS only: the store port speaks nothing else, and there is no plain port.
    expect(cli(admin, ['config', 'get', 'port'])).to.match(/^port\s+0$/m);
    expect(cli(admin, ['config', 'get', 'tls-port'])).to.match(/tls-port\s+6379/);
    const plain = cli(admin, ['ping'], true);
    expect(plain, 'a plain-TCP client on the TLS port').to.not.include('PONG');
    expect(plain, 'a plain-TCP client on the TLS port').to.match(/Error|closed|reset/i);
    // No password, no access; a wrong one neither.
    expect(cli(undefined, ['get', `snf:${vnf}:x`])).to.match(/^NOAUTH/);
    expect(cli({ user: dp.user, pass: 'wrong0123456789wrong0123456789' }, ['ping'])).to.match(/WRONGPASS|AUTH failed/);
    expect(cli(admin, ['acl', 'users']).split('\n').sort()).to.deep.equal(['default', aclUser(vnf, 'control'), aclUser(vnf, 'dataplane')].sort());

    // A lone cluster node serves no slots until the cluster forms: give it all of them so that the
    // roles' reads and writes really run.
    expect(cli(admin, ['cluster', 'addslotsrange', '0', '16383'])).to.equal('OK');
    await waitFor('lone node serves every slot', 30_000, async () => (cli(admin, ['cluster', 'info']).includes('cluster_state:ok') ? true : undefined), diag(['store']), 200);
    const k = ctlKeys(vnf);
    expect(cli(cp, ['hset', k.fw, 'defaultAction', 'deny'])).to.equal('1');
    expect(cli(dp, ['hget', k.fw, 'defaultAction'])).to.equal('deny');
    expect(cli(dp, ['hset', k.fw, 'defaultAction', 'allow']), 'data-plane user writing a table').to.match(/^NOPERM/);
    expect(cli(dp, ['set', `snf:${vnf}:fw:{${vnf}|tcp|a|1|b|2}`, 'x', 'px', '10000']), 'data-plane user writing a flow').to.equal('OK');
    expect(cli(dp, ['set', 'snf:othervnf:fw:x', 'x']), "another VNF's flows").to.match(/^NOPERM/);
    // The image's store module is loaded and the data-plane user may run it (snf-redis).
    expect(cli(admin, ['module', 'list'])).to.match(/^snf$/m);
    expect(cli(dp, ['snf.cas', `snf:${vnf}:fw:{${vnf}|tcp|a|1|b|2}`, 'x', 'ES|1', '10000']), 'SNF.CAS as the data-plane user').to.equal('ES|1');
    // Its CPU is needed by the NF VMs now.
    process.kill(store.pid, 'SIGKILL');
  });

  it(`carries ${CONNS} TCP connections through the VMs; kill -9 of a VM's QEMU breaks none; a fresh VM scaled out takes over`, async function () {
    steer.add('vm1').add('vm2');
    ctl = new SteeringController({
      store: redis!,
      vnf,
      prefix,
      chain: [...chain],
      mode: 'hash',
      // As the local VIM's daemon does: a VM whose QEMU is gone is dropped at once (Nova would report it), heartbeats catch the rest.
      candidates: () => new Map([...vms.values()].filter((v) => steer.has(v.name)).map((v) => [v.name, { slot: v.slot, dead: !alive(v.pid) }] as const)),
      onError: (e) => console.log(`      steering: ${e.message}`),
    });
    await ctl.start();
    await waitSteered((ids) => ids.includes('vm1') && ids.includes('vm2'), 'vm1 and vm2');
    client = startTool(names(prefix).client, 'client', ['--target', '203.0.113.10:7000', '--connections', String(CONNS), '--interval', '200']);
    const ready = await client.waitFor((l) => l.event === 'connected', 120_000);
    expect(ready.connected, `connections opened through the VMs: ${JSON.stringify(ready.errors)}`).to.equal(CONNS);
    await sleep(5000);

    const t1 = Date.now();
    process.kill(vms.get('vm1')!.pid, 'SIGKILL');
    const gone1 = await waitSteered((ids) => !ids.includes('vm1') && ids.includes('vm2'), 'vm1 unsteered');
    console.log(`      kill -9 vm1's QEMU -> unsteered in ${gone1} ms`);
    await sleep(5000);

    // Scale out: a fresh VM boots from the image while the connections run on vm2.
    const vm3 = await bootNf(3);
    await waitRegistered(['vm3'], 10 * 60_000);
    steer.add('vm3');
    await waitSteered((ids) => ids.includes('vm3'), 'vm3 steered');
    console.log(`      scale out: vm3 booted, registered and steered ${Math.round((Date.now() - vm3.startedAt) / 1000)} s after QEMU started`);
    await sleep(5000);

    // vm3 alone from here on: every connection still answering proves the fresh VM carries them.
    const marked = client.lines.filter((l) => l.event === 'marked').length;
    client.child.stdin?.write('mark\n');
    await client.waitFor((l) => l.event === 'marked' && client!.lines.filter((x) => x.event === 'marked').length > marked, 10_000);
    process.kill(vms.get('vm2')!.pid, 'SIGKILL');
    const gone2 = await waitSteered((ids) => ids.length === 1 && ids[0] === 'vm3', 'only vm3 steered');
    console.log(`      kill -9 vm2's QEMU -> unsteered in ${gone2} ms; vm3 carries everything`);
    await sleep(15_000);

    client.child.stdin?.write('stop\n');
    const sum = (await client.waitFor((l) => l.event === 'summary', 30_000)) as unknown as ClientSummary;
    const broken = sum.perConnection.filter((c) => c.reset || c.error || c.maxStallMs > 8000);
    console.log(`      ${sum.connections} connections, ${sum.responses} responses over ${Math.round((Date.now() - t1) / 1000)} s, ${sum.resets} resets, longest stall after the last kill ${Math.round(sum.maxStallMs)} ms`);
    expect(sum.resets, 'connections reset').to.equal(0);
    // On failure: what vm3 says about itself (console and packet counters), for the one reading the CI log.
    const why = broken.length ? `\n${diag(['vm3'])()}\n--- vm3 counters:\n${counters(3)}` : '';
    expect(broken.map((c) => ({ id: c.id, reset: c.reset, error: c.error, stall: Math.round(c.maxStallMs) })), `connections broken (reset, error, or no answer for 8 s after vm2 died: only vm3 could carry them)${why}`).to.deep.equal([]);
  });
});

(selected ? describe : () => undefined)('OCI image: the same root filesystem for a CNF', function () {
  this.timeout(20 * 60_000);

  it('builds with buildah from the image build and runs under podman (node 20 and the data plane load)', async function () {
    for (const t of ['buildah', 'podman', 'runc']) {
      if (spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0) throw new Error(`${t} missing: install scripts/deps/image.txt`);
    }
    const t0 = Date.now();
    const r = await buildImage({ oci: true });
    console.log(`      OCI archive ${r.oci} in ${Math.round((Date.now() - t0) / 1000)} s`);
    expect(r.oci).to.be.a('string');
    const store = mkdtempSync(join(tmpdir(), 'snf-oci-'));
    try {
      // podman here: crun cannot use this host's mixed cgroups, and root lacks CAP_SYS_RESOURCE to raise rlimits.
      const p = spawnSync(
        'podman',
        ['--root', join(store, 'storage'), '--runroot', join(store, 'run'), '--storage-driver', 'vfs', '--events-backend', 'none', '--runtime', 'runc',
          'run', '--rm', '--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024',
          '--entrypoint', '/opt/statelessnf/bin/node', `oci-archive:${r.oci!}`,
          '-e', "const a = require(process.env.SNF_ADDON); console.log(process.version, typeof a.Dataplane)"],
        { encoding: 'utf8', timeout: 10 * 60_000, env: { ...process.env, TMPDIR: store } },
      );
      expect(p.status, `podman run: ${p.stderr}`).to.equal(0);
      expect(p.stdout.trim()).to.match(/^v2\d+\.\d+\.\d+ function$/);
    } finally {
      spawnSync('rm', ['-rf', store]);
    }
  });
});
