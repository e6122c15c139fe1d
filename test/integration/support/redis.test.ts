import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { startRedis, startRedisCluster, rawCommand, type RedisServer, type RedisClusterHandle, type RespValue } from '../../support/redis.js';

/** Running, not merely a zombie: orphaned servers are reparented and may wait a while to be reaped. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/.test(stat);
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

describe('test/support/redis: cleanup when the test process dies', function () {
  this.timeout(30_000);
  const harness = new URL('../../support/redis.ts', import.meta.url).pathname;

  async function runChild(body: string): Promise<{ pids: number[]; code: number | null; signal: NodeJS.Signals | null }> {
    const { spawn } = await import('node:child_process');
    const script = `import { startRedis, startRedisCluster } from ${JSON.stringify(harness)};\n${body}`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', () => {});
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((res) => child.on('exit', (c, s) => res([c, s])));
    const pids = (/PIDS (.*)/.exec(out)?.[1] ?? '').split(',').filter(Boolean).map(Number);
    return { pids, code, signal };
  }

  it('kills servers left running when the process throws', async () => {
    const r = await runChild(`const a = await startRedis(); const c = await startRedisCluster(2);
      console.log('PIDS ' + [a.pid, ...c.servers.map((s) => s.pid)].join(','));
      throw new Error('test blew up');`);
    expect(r.code).to.not.equal(0);
    expect(r.pids).to.have.length(3);
    for (const p of r.pids) expect(alive(p), `pid ${p}`).to.equal(false);
  });

  it('kills servers when the process is terminated by SIGTERM', async () => {
    const r = await runChild(`const a = await startRedis(); console.log('PIDS ' + a.pid); process.kill(process.pid, 'SIGTERM'); await new Promise((r) => setTimeout(r, 5000));`);
    expect(r.signal).to.equal('SIGTERM');
    expect(r.pids).to.have.length(1);
    expect(alive(r.pids[0])).to.equal(false);
  });

  it('does not keep the process alive when a test forgets stop()', async () => {
    const t0 = Date.now();
    const r = await runChild(`const a = await startRedis(); console.log('PIDS ' + a.pid);`);
    expect(r.code).to.equal(0);
    expect(Date.now() - t0).to.be.lessThan(10_000);
    expect(alive(r.pids[0])).to.equal(false);
  });
});

describe('test/support/redis: cluster node outage', function () {
  this.timeout(40_000);
  it('a killed master rejoins with its slots after restart()', async () => {
    const c = await startRedisCluster(3);
    try {
      const victim = c.servers[1];
      await victim.kill();
      await victim.restart();
      const deadline = Date.now() + 15_000;
      for (;;) {
        const info = String(await rawCommand(victim.port, ['CLUSTER', 'INFO']));
        if (/cluster_state:ok/.test(info) && /cluster_known_nodes:3\b/.test(info)) break;
        if (Date.now() > deadline) throw new Error(`victim did not rejoin: ${info}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const slots = (await rawCommand(c.servers[0].port, ['CLUSTER', 'SLOTS'])) as RespValue[][];
      expect(slots.some((s) => (s[2] as RespValue[])[1] === victim.port)).to.equal(true);
    } finally {
      await c.stop();
    }
  });
});
