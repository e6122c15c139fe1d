// The data plane's store connections over TLS with an ACL user, against a real redis-server with
// a TLS listener (certificates from the product's generator) and the role users of
// src/store/acl.ts: a firewall + NAT engine forwards real frames with its state written over
// TLS, an unauthenticated or wrongly authenticated engine forwards nothing and says why, and the
// data-plane user cannot touch the tables.
import { expect } from 'chai';
import { Engine, engineConfig, send, uniqueVnf } from '../../support/engine.js';
import { rawCommand, startTlsRedis, startTlsRedisCluster, type TlsRedis, type TlsRedisCluster } from '../../support/redis.js';
import { applyAclUser, aclUser } from '../../../src/store/acl.js';
import { closeStore, connectStore, ctlKeys, readTablesSnapshot, writeTables, type StoreClient } from '../../../src/store/index.js';
import type { StoreConfig } from '../../../src/dataplane/types.js';
import { rejects } from '../../support/rejects.js';
import { redisModuleWanted } from '../../../src/dataplane/redis-module.js';

const ADMIN = 'admin-password-0123456789';
const DP = 'dataplane-password-0123456789';
const CP = 'control-password-0123456789';

const C = { v: 4 as const, src: '10.0.0.5', dst: '203.0.113.9' };

describe('data plane store access: TLS and ACL users', function () {
  this.timeout(30_000);
  let t: TlsRedis;
  let admin: StoreClient;
  const vnf = uniqueVnf('tls');
  const engines: Engine[] = [];
  const open = (store: StoreConfig, id = 'i1') => {
    const e = new Engine(engineConfig(['firewall', 'nat'], store, { vnf, id }));
    engines.push(e);
    return e;
  };
  const url = (userinfo: string, query = `?ca=${t.caFile}`) => `rediss://${userinfo}@127.0.0.1:${t.tlsPort}${query}`;

  before(async () => {
    t = await startTlsRedis({ args: ['--requirepass', ADMIN] });
    // The harness's admin connection uses the plain port, so every connection on the TLS port is the engine's.
    admin = await connectStore(`redis://:${ADMIN}@${t.server.node}`);
    await applyAclUser(admin, vnf, 'dataplane', DP);
    await applyAclUser(admin, vnf, 'control', CP);
  });
  afterEach(() => {
    for (const e of engines.splice(0)) e.close();
  });
  after(async () => {
    if (admin) await closeStore(admin);
    await t?.stop();
  });

  it('a firewall + NAT engine forwards with its state written over TLS as the data-plane user', async () => {
    const e = open({ kind: 'redis', nodes: [url(`${aclUser(vnf, 'dataplane')}:${DP}`)], timeoutMs: 500 });
    const syn = await send(e, 'inside', { ip: C, l4: { proto: 'tcp', sport: 40001, dport: 443, flags: 'S', seq: 10 } });
    expect(syn.out.verdict, JSON.stringify(e.counters().store)).to.equal('forward');
    expect(syn.pkt!.ip.src).to.match(/^198\.51\.100\./);
    const mapped = syn.pkt!.l4 as { sport: number };
    const back = await send(e, 'outside', { ip: { v: 4, src: C.dst, dst: syn.pkt!.ip.src }, l4: { proto: 'tcp', sport: 443, dport: mapped.sport, flags: 'SA', seq: 70, ack: 11 } });
    expect(back.out.verdict).to.equal('forward');
    expect(back.pkt!.ip.dst).to.equal(C.src);

    // The flow's state is in the store, written through the TLS listener by the ACL user.
    const keys = (await admin.keys(`snf:${vnf}:*`)).sort();
    expect(keys.some((k) => k.includes(':fw:')), keys.join(' ')).to.equal(true);
    expect(keys.some((k) => k.includes(':nat:')), keys.join(' ')).to.equal(true);
    const clients = String(await admin.call('CLIENT', 'LIST'))
      .split('\n')
      .filter((l) => l.includes(`user=${aclUser(vnf, 'dataplane')}`));
    // the data connection and the cache's invalidation subscriber, both on the TLS port
    expect(clients.length, clients.join('\n')).to.equal(2);
    for (const l of clients) expect(Number(/laddr=127\.0\.0\.1:(\d+)/.exec(l)?.[1]), l).to.equal(t.tlsPort);
    expect(clients.some((l) => /flags=\S*t/.test(l)), 'the data connection has CLIENT TRACKING on').to.equal(true);
    expect(e.counters().store.lastError).to.equal(undefined);
    // This user was made without the store module's commands: the module's compare-and-sets were
    // refused once, and ran as scripts (the engine went on, as the verdicts above say).
    expect(e.counters().store.moduleFallbacks, 'nodes that refused the module').to.equal(redisModuleWanted() ? 1 : 0);
  });

  it('a data-plane user given the store module commands runs them; one without them falls back to the scripts', async function () {
    if (!redisModuleWanted()) this.skip();  // SNF_REDIS_MODULE=off: this Redis has no module
    const name = `${aclUser(vnf, 'dataplane')}-mod`;
    await applyAclUser(admin, vnf, 'dataplane', DP, { name, module: true });
    const calls = async () => {
      const info = String(await admin.call('INFO', 'commandstats'));
      return { module: Number(/cmdstat_snf\.cas:calls=(\d+)/.exec(info)?.[1] ?? 0), refused: Number(/cmdstat_snf\.cas:.*rejected_calls=(\d+)/.exec(info)?.[1] ?? 0) };
    };
    for (const [user, grants] of [[name, true], [aclUser(vnf, 'dataplane'), false]] as const) {
      const e = open({ kind: 'redis', nodes: [url(`${user}:${DP}`)], timeoutMs: 500 }, `i-${grants}`);
      const c0 = await calls();
      const sport = grants ? 40101 : 40102;
      const syn = await send(e, 'inside', { ip: C, l4: { proto: 'tcp', sport, dport: 443, flags: 'S', seq: 10 } });
      const mapped = syn.pkt!.l4 as { sport: number };
      // The SYN-ACK moves the connection SS -> SR: a compare-and-set (SNF.CAS, or the cas script).
      const back = await send(e, 'outside', { ip: { v: 4, src: C.dst, dst: syn.pkt!.ip.src }, l4: { proto: 'tcp', sport: 443, dport: mapped.sport, flags: 'SA', seq: 70, ack: 11 } });
      expect([syn.out.verdict, back.out.verdict], user).to.deep.equal(['forward', 'forward']);
      const c1 = await calls();
      expect(c1.module - c0.module, `${user}: SNF.CAS run`).to.equal(grants ? 1 : 0);
      expect(c1.refused - c0.refused, `${user}: SNF.CAS refused`).to.equal(grants ? 0 : 1);
      expect(e.counters().store.moduleFallbacks, user).to.equal(grants ? 0 : 1);
    }
  });

  it('an engine without credentials is refused (NOAUTH), forwards nothing and says why', async () => {
    const e = open({ kind: 'redis', nodes: [`rediss://127.0.0.1:${t.tlsPort}?ca=${t.caFile}`], timeoutMs: 200 }, 'anon');
    const r = await send(e, 'inside', { ip: C, l4: { proto: 'tcp', sport: 40002, dport: 443, flags: 'S', seq: 10 } });
    expect(r.out.verdict).to.equal('drop');
    const st = e.counters().store;
    expect(st.lastError).to.match(new RegExp(`^store 127\\.0\\.0\\.1:${t.tlsPort}: SCRIPT LOAD: NOAUTH`));
    expect(await admin.keys(`snf:${vnf}:fw:*40002*`)).to.deep.equal([]);
  });

  it('a wrong password is refused (WRONGPASS) without the password in the error', async () => {
    const e = open({ kind: 'redis', nodes: [url(`${aclUser(vnf, 'dataplane')}:not-the-password-xyz`)], timeoutMs: 200 }, 'wrong');
    const r = await send(e, 'inside', { ip: C, l4: { proto: 'tcp', sport: 40003, dport: 443, flags: 'S', seq: 10 } });
    expect(r.out.verdict).to.equal('drop');
    const err = e.counters().store.lastError ?? '';
    expect(err).to.match(new RegExp(`AUTH as ${aclUser(vnf, 'dataplane')} refused: WRONGPASS`));
    expect(err).to.not.include('not-the-password');
  });

  it('a store whose certificate does not chain to the CA, or names another host, is refused', async () => {
    const untrusted = open({ kind: 'redis', nodes: [url(`${aclUser(vnf, 'dataplane')}:${DP}`, `?ca=${t.caFile.replace(/ca\.crt$/, 'server.crt')}`)], timeoutMs: 200 }, 'u');
    expect((await send(untrusted, 'inside', { ip: C, l4: { proto: 'tcp', sport: 40004, dport: 443, flags: 'S', seq: 1 } })).out.verdict).to.equal('drop');
    expect(untrusted.counters().store.lastError).to.match(/tls: certificate of 127\.0\.0\.1:\d+ not trusted/);
    const misnamed = open({ kind: 'redis', nodes: [url(`${aclUser(vnf, 'dataplane')}:${DP}`, `?ca=${t.caFile}&servername=store.example`)], timeoutMs: 200 }, 'm');
    expect((await send(misnamed, 'inside', { ip: C, l4: { proto: 'tcp', sport: 40005, dport: 443, flags: 'S', seq: 1 } })).out.verdict).to.equal('drop');
    expect(misnamed.counters().store.lastError).to.match(/not trusted: hostname mismatch/);
    // a plain engine on the TLS port gets no reply: a timeout, not a hang or a crash
    const plain = open({ kind: 'redis', nodes: [`redis://${aclUser(vnf, 'dataplane')}:${DP}@127.0.0.1:${t.tlsPort}`], timeoutMs: 100 }, 'p');
    expect((await send(plain, 'inside', { ip: C, l4: { proto: 'tcp', sport: 40006, dport: 443, flags: 'S', seq: 1 } })).out.verdict).to.equal('drop');
    expect(plain.counters().store.lastError).to.match(/AUTH|read|reply/);
  });

  it('refuses bad TLS settings before starting, naming the field', () => {
    const base = { vnf, instanceId: 'x', chain: ['firewall' as const] };
    expect(() => new Engine({ ...base, store: { kind: 'redis', nodes: [`rediss://127.0.0.1:${t.tlsPort}`] } })).to.throw(/store\.nodes\[0\] .*needs \?ca=/);
    expect(() => new Engine({ ...base, store: { kind: 'redis', nodes: [`rediss://127.0.0.1:${t.tlsPort}?ca=/nonexistent/ca.pem`] } })).to.throw(/store\.tls\.caFile: cannot read \/nonexistent\/ca\.pem: ENOENT/);
    expect(() => new Engine({ ...base, store: { kind: 'redis', nodes: ['127.0.0.1:1'], tls: { caFile: t.caFile, certFile: t.caFile } } })).to.throw(/store\.tls\.keyFile: a client certificate needs both/);
    expect(() => new Engine({ ...base, store: { kind: 'redis', nodes: ['127.0.0.1:1'], user: 'u' } })).to.throw(/store\.user: an ACL user needs store\.password/);
    expect(() => new Engine({ ...base, store: { kind: 'redis', nodes: ['unix:/tmp/x.sock'], tls: { caFile: t.caFile } } })).to.throw(/store\.tls: a unix: node carries no TLS/);
  });

  it('over TLS, the control user writes the tables and the data-plane user cannot (NOPERM)', async () => {
    const cp = await connectStore(url(`${aclUser(vnf, 'control')}:${CP}`));
    const dp = await connectStore(url(`${aclUser(vnf, 'dataplane')}:${DP}`));
    try {
      await writeTables(cp, vnf, { firewall: { rules: [{ id: 'out', action: 'allow', direction: 'out' }], defaultAction: 'deny' } });
      expect((await readTablesSnapshot(dp, vnf)).tables.firewall?.defaultAction).to.equal('deny');
      const k = ctlKeys(vnf);
      expect((await rejects(dp.hset(k.fw, 'defaultAction', 'allow'))).message).to.match(/^NOPERM/);
      expect((await rejects(dp.publish(k.channel, '1'))).message).to.match(/^NOPERM/);
      expect((await readTablesSnapshot(cp, vnf)).tables.firewall?.defaultAction).to.equal('deny');
    } finally {
      await closeStore(cp);
      await closeStore(dp);
    }
  });
});

describe('data plane store access: a Redis Cluster over TLS', function () {
  this.timeout(60_000);
  let c: TlsRedisCluster;
  before(async () => {
    c = await startTlsRedisCluster(3);
  });
  after(async () => {
    await c?.stop();
  });

  it('reaches every master through TLS, at the TLS ports the slot map names', async () => {
    const vnf = uniqueVnf('tlsc');
    const e = new Engine(engineConfig(['firewall', 'nat'], { kind: 'redis', nodes: [`rediss://127.0.0.1:${c.tlsPorts[0]}?ca=${c.caFile}&cluster=yes`], timeoutMs: 1000 }, { vnf }));
    try {
      for (let i = 0; i < 40; i++) {
        const r = await send(e, 'inside', { ip: { v: 4, src: `10.0.1.${i + 1}`, dst: '203.0.113.9' }, l4: { proto: 'tcp', sport: 41000 + i, dport: 443, flags: 'S', seq: 1 } });
        expect(r.out.verdict, JSON.stringify(e.counters().store)).to.equal('forward');
      }
      expect(e.counters().store.lastError).to.equal(undefined);
      // the flows' keys landed on every master, each reached on its TLS port only
      for (let i = 0; i < c.servers.length; i++) {
        const keys = await rawCommand(c.servers[i].port, ['KEYS', `snf:${vnf}:*`]);
        expect(Array.isArray(keys) && keys.length > 0, `master ${i} holds flow keys`).to.equal(true);
        const conns = String(await rawCommand(c.servers[i].port, ['CLIENT', 'LIST']))
          .split('\n')
          .filter((l) => l.includes('laddr='));
        const port = (l: string) => Number(/laddr=127\.0\.0\.1:(\d+)/.exec(l)?.[1]);
        // on the plain port: only this CLIENT LIST; the engine's connections all on the TLS port
        expect(conns.filter((l) => port(l) === c.servers[i].port).map((l) => /cmd=(\S+)/.exec(l)?.[1]), `master ${i}`).to.deep.equal(['client|list']);
        expect(conns.filter((l) => port(l) === c.tlsPorts[i]).length, `engine connections on master ${i}'s TLS port`).to.be.greaterThan(0);
      }
    } finally {
      e.close();
    }
  });
});
