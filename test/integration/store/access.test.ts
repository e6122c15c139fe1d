// Store access control against real redis-servers: a password on the default user, ACL users per
// role (src/store/acl.ts), and TLS with certificates made by the product's generator.
import { expect } from 'chai';
import { connectStore, closeStore, writeTables, readTablesSnapshot, heartbeat, liveInstances, ctlKeys, type StoreClient } from '../../../src/store/index.js';
import { aclRules, aclUser, applyAclUser } from '../../../src/store/acl.js';
import { rawCommand, startRedis, startTlsRedis, type RedisServer, type TlsRedis } from '../../support/redis.js';
import { rejects } from '../../support/rejects.js';

const VNF = 'acl1';
const ADMIN = 'admin-password-0123456789';
const DP = 'dataplane-password-0123456789';
const CP = 'control-password-0123456789';
const TABLES = { firewall: { rules: [{ id: 'out', action: 'allow' as const, direction: 'out' as const }], defaultAction: 'deny' as const } };

describe('store access: password and ACL roles', function () {
  this.timeout(30_000);
  let r: RedisServer;
  let admin: StoreClient;

  before(async () => {
    r = await startRedis({ args: ['--requirepass', ADMIN] });
    admin = await connectStore(`redis://:${ADMIN}@${r.node}`);
    await applyAclUser(admin, VNF, 'dataplane', DP);
    await applyAclUser(admin, VNF, 'control', CP);
  });
  after(async () => {
    if (admin) await closeStore(admin);
    await r?.stop();
  });

  it('refuses an unauthenticated client', async () => {
    const reply = await rawCommand(r.port, ['GET', `snf:${VNF}:x`]);
    expect(reply).to.be.instanceOf(Error);
    expect((reply as Error).message).to.match(/^NOAUTH/);
    const e = await rejects(connectStore(r.node, { connectTimeoutMs: 800 }));
    expect(e.message).to.match(/store: cannot connect .*NOAUTH/);
    // and a wrong password for a role user
    const e2 = await rejects(connectStore(`redis://${aclUser(VNF, 'dataplane')}:wrong-password-xxxxxxxx@${r.node}`, { connectTimeoutMs: 800 }));
    expect(e2.message).to.match(/WRONGPASS/);
    expect(e2.message).to.not.include('wrong-password');
  });

  it('control role writes tables; data-plane role reads them, writes flows and heartbeats, and cannot write a table key', async () => {
    const cp = await connectStore(`redis://${aclUser(VNF, 'control')}:${CP}@${r.node}`);
    const dp = await connectStore(`redis://${aclUser(VNF, 'dataplane')}:${DP}@${r.node}`);
    try {
      const gen = await writeTables(cp, VNF, TABLES);
      const snap = await readTablesSnapshot(dp, VNF);
      expect(snap.generation).to.equal(gen);
      expect(snap.tables.firewall?.defaultAction).to.equal('deny');

      // flows: read/write, also from a script (the engine's path)
      expect(await dp.set(`snf:${VNF}:fw:{${VNF}|tcp|a|1|b|2}`, 'x', 'PX', 10_000)).to.equal('OK');
      expect(await dp.eval("return redis.call('SET', KEYS[1], ARGV[1])", 1, `snf:${VNF}:nat:c:{${VNF}|X|1}:tcp`, '7')).to.equal('OK');
      // registry: heartbeats
      await heartbeat(dp, VNF, { id: 'i1', pid: 1, addr: 'ns1', startedAt: Date.now() }, 5000);
      expect((await liveInstances(cp, VNF)).map((i) => i.id)).to.deep.equal(['i1']);

      // tables: read-only, directly or through a script, and no fake "tables changed" announcement
      const k = ctlKeys(VNF);
      expect((await rejects(dp.hset(k.fw, 'defaultAction', 'allow'))).message).to.match(/^NOPERM/);
      expect((await rejects(dp.del(k.fwRules))).message).to.match(/^NOPERM/);
      expect((await rejects(dp.eval("return redis.call('HSET', KEYS[1], 'defaultAction', 'allow')", 1, k.fw))).message).to.match(/NOPERM|No permissions/);
      expect((await rejects(dp.publish(k.channel, '999'))).message).to.match(/^NOPERM/);
      // another VNF's keys and server administration are out of reach
      expect((await rejects(dp.set('snf:other:x', '1'))).message).to.match(/^NOPERM/);
      expect((await rejects(dp.call('FLUSHALL'))).message).to.match(/^NOPERM/);
      expect((await rejects(dp.call('CONFIG', 'SET', 'requirepass', ''))).message).to.match(/^NOPERM/);
      expect((await rejects(cp.call('FLUSHALL'))).message).to.match(/^NOPERM/);
      // nothing the refused calls tried changed the table
      expect((await readTablesSnapshot(cp, VNF)).tables.firewall?.defaultAction).to.equal('deny');
    } finally {
      await closeStore(cp);
      await closeStore(dp);
    }
  });

  it('names a VNF that cannot be a key prefix', () => {
    expect(() => aclRules('a*b', 'dataplane')).to.throw(/vnf: must be/);
  });
});

describe('store access: TLS', function () {
  this.timeout(30_000);
  let t: TlsRedis;

  before(async () => {
    t = await startTlsRedis({ args: ['--requirepass', ADMIN] });
  });
  after(async () => {
    await t?.stop();
  });

  it('connects over TLS, verifying the server against the deployment CA', async () => {
    const c = await connectStore(`rediss://:${ADMIN}@127.0.0.1:${t.tlsPort}?ca=${t.caFile}`);
    try {
      await c.set('k', 'v');
      expect(await c.get('k')).to.equal('v');
      const clients = String(await c.call('CLIENT', 'INFO'));
      // the connection really is the TLS listener's
      expect(clients).to.match(/laddr=127\.0\.0\.1:(\d+)/);
      expect(Number(/laddr=127\.0\.0\.1:(\d+)/.exec(clients)?.[1])).to.equal(t.tlsPort);
    } finally {
      await closeStore(c);
    }
  });

  it('fails a plain client on the TLS port and a TLS client that does not trust the CA', async () => {
    const plain = await rejects(connectStore(`redis://:${ADMIN}@127.0.0.1:${t.tlsPort}`, { connectTimeoutMs: 800 }));
    expect(plain.message).to.match(/store: cannot connect/);
    const untrusted = await rejects(connectStore(`rediss://:${ADMIN}@127.0.0.1:${t.tlsPort}`, { connectTimeoutMs: 800 }));
    expect(untrusted.message).to.match(/self[- ]signed|unable to verify|certificate/i);
    const wrongName = await rejects(connectStore(`rediss://:${ADMIN}@127.0.0.1:${t.tlsPort}?ca=${t.caFile}&servername=store.example`, { connectTimeoutMs: 800 }));
    expect(wrongName.message).to.match(/altnames|does not match|Hostname/i);
    const noCa = await rejects(connectStore(`rediss://127.0.0.1:${t.tlsPort}?ca=/nonexistent/ca.pem`));
    expect(noCa.message).to.match(/TLS CA file \/nonexistent\/ca\.pem: ENOENT/);
  });
});
