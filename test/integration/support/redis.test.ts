import { expect } from 'chai';
import { startRedis, startRedisCluster, rawCommand, type RedisServer, type RedisClusterHandle, type RespValue } from '../../support/redis.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('test/support/redis: single server', function () {
  let r: RedisServer;
  before(async () => {
    r = await startRedis();
  });
  after(async () => {
    await r?.stop();
  });

  it('answers on loopback at the advertised address', async () => {
    expect(r.host).to.equal('127.0.0.1');
    expect(r.node).to.equal(`127.0.0.1:${r.port}`);
    expect(r.url).to.equal(`redis://127.0.0.1:${r.port}`);
    expect(await rawCommand(r.port, ['PING'])).to.equal('PONG');
    expect(alive(r.pid)).to.equal(true);
  });

  it('has no persistence configured', async () => {
    expect(await rawCommand(r.port, ['CONFIG', 'GET', 'save'])).to.deep.equal(['save', '']);
    expect(await rawCommand(r.port, ['CONFIG', 'GET', 'appendonly'])).to.deep.equal(['appendonly', 'no']);
  });

  it('kill() makes it unreachable and restart() brings it back empty on the same port', async () => {
    await rawCommand(r.port, ['SET', 'k', 'v']);
    const oldPid = r.pid;
    await r.kill();
    expect(alive(oldPid)).to.equal(false);
    let err: unknown;
    try {
      await rawCommand(r.port, ['PING'], 300);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(Error);
    await r.restart();
    expect(r.pid).to.not.equal(oldPid);
    expect(await rawCommand(r.port, ['PING'])).to.equal('PONG');
    expect(await rawCommand(r.port, ['GET', 'k'])).to.equal(null);
  });

  it('two servers get different ports; stop() ends the process', async () => {
    const b = await startRedis({ args: ['--maxmemory', '10mb'] });
    try {
      expect(b.port).to.not.equal(r.port);
      expect(await rawCommand(b.port, ['CONFIG', 'GET', 'maxmemory'])).to.deep.equal(['maxmemory', String(10 * 1024 * 1024)]);
    } finally {
      const pid = b.pid;
      await b.stop();
      expect(alive(pid)).to.equal(false);
    }
  });

  it('a bad argument gives a clear start error', async () => {
    let err: unknown;
    try {
      await startRedis({ args: ['--no-such-option', 'x'] });
    } catch (e) {
      err = e;
    }
    expect(String(err)).to.match(/redis-server on port \d+ exited: [\s\S]*no-such-option/i);
  });
});

describe('test/support/redis: cluster', function () {
  this.timeout(40_000);
  let c: RedisClusterHandle;
  before(async () => {
    c = await startRedisCluster(3);
  });
  after(async () => {
    await c?.stop();
  });

  it('covers all 16384 slots across 3 masters', async () => {
    expect(c.nodes).to.have.length(3);
    const slots = (await rawCommand(c.servers[0].port, ['CLUSTER', 'SLOTS'])) as RespValue[][];
    let covered = 0;
    const owners = new Set<number>();
    for (const range of slots) {
      covered += (range[1] as number) - (range[0] as number) + 1;
      owners.add((range[2] as RespValue[])[1] as number);
    }
    expect(covered).to.equal(16384);
    expect([...owners].sort()).to.deep.equal(c.servers.map((s) => s.port).sort());
    for (const s of c.servers) {
      expect(String(await rawCommand(s.port, ['CLUSTER', 'INFO']))).to.match(/cluster_state:ok/);
    }
  });

  it('keys land on different nodes and wrong nodes redirect', async () => {
    const slots = (await rawCommand(c.servers[0].port, ['CLUSTER', 'SLOTS'])) as RespValue[][];
    const ownerOf = (slot: number) => {
      const r = slots.find((x) => slot >= (x[0] as number) && slot <= (x[1] as number))!;
      return (r[2] as RespValue[])[1] as number;
    };
    const used = new Set<number>();
    for (let i = 0; i < 30; i++) {
      const key = `key:${i}`;
      const slot = (await rawCommand(c.servers[0].port, ['CLUSTER', 'KEYSLOT', key])) as number;
      const port = ownerOf(slot);
      used.add(port);
      expect(await rawCommand(port, ['SET', key, 'v'])).to.equal('OK');
      const other = c.servers.find((s) => s.port !== port)!;
      const moved = await rawCommand(other.port, ['GET', key]);
      expect(moved).to.be.instanceOf(Error);
      expect((moved as Error).message).to.match(/^MOVED \d+ 127\.0\.0\.1:\d+/);
    }
    expect(used.size).to.equal(3);
  });

  it('stop() kills every node and removes their dirs', async () => {
    const c2 = await startRedisCluster(1);
    const pids = c2.servers.map((s) => s.pid);
    await c2.stop();
    for (const p of pids) expect(alive(p)).to.equal(false);
  });
});
