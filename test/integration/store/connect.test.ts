import { expect } from 'chai';
import { connectStore, closeStore, parseSeed, isCluster } from '../../../src/store/index.js';
import { startRedis, freePort } from '../../support/redis.js';
import { rejects } from '../../support/rejects.js';

describe('store connect', function () {
  this.timeout(20_000);

  it('parses seeds', () => {
    expect(parseSeed('127.0.0.1:6379')).to.deep.equal({ host: '127.0.0.1', port: 6379 });
    expect(parseSeed('[::1]:7000')).to.deep.equal({ host: '::1', port: 7000 });
    expect(parseSeed('redis://:s3cret@localhost:7001')).to.deep.equal({ host: 'localhost', port: 7001, password: 's3cret' });
    expect(parseSeed('redis://db')).to.deep.equal({ host: 'db', port: 6379 });
    expect(() => parseSeed('localhost')).to.throw(/a port is required/);
    expect(() => parseSeed('h:70000')).to.throw(/port must be 1\.\.65535/);
    expect(parseSeed('rediss://u:pw@h:1')).to.deep.equal({ host: 'h', port: 1, password: 'pw' });
    expect(() => parseSeed('unix:/x')).to.throw(/expected one host:port/);
  });

  it('fails clearly and in bounded time when nothing listens', async () => {
    const port = await freePort();
    const t0 = Date.now();
    const e = await rejects(connectStore(`127.0.0.1:${port}`, { connectTimeoutMs: 500 }));
    expect(e.message).to.match(new RegExp(`store: cannot connect to 127\\.0\\.0\\.1:${port} within 500 ms: .*ECONNREFUSED`));
    expect(Date.now() - t0).to.be.lessThan(2000);
    const e2 = await rejects(connectStore(`127.0.0.1:${port}`, { cluster: true, connectTimeoutMs: 500 }));
    expect(e2.message).to.match(/store: cannot connect/);
    expect((await rejects(connectStore([]))).message).to.match(/no seed nodes/);
  });

  it('connects by URL to a password-protected single node, and rejects a wrong password', async () => {
    const r = await startRedis({ args: ['--requirepass', 'pw'] });
    try {
      const c = await connectStore(`redis://:pw@127.0.0.1:${r.port}`);
      expect(isCluster(c)).to.equal(false);
      expect(await c.ping()).to.equal('PONG');
      await closeStore(c);
      const e = await rejects(connectStore(r.node, { password: 'nope', connectTimeoutMs: 500 }));
      expect(e.message).to.match(/store: cannot connect.*(WRONGPASS|invalid)/);
    } finally {
      await r.stop();
    }
  });

  it('commands fail instead of hanging when the store dies', async () => {
    const r = await startRedis();
    const c = await connectStore(r.node, { cluster: false });
    c.on('error', () => {}); // reconnect attempts while the server is down are expected
    try {
      await r.kill();
      const e = await rejects(c.get('k'));
      expect(e).to.be.instanceOf(Error);
      await r.restart();
      let ok = false;
      for (let i = 0; i < 50 && !ok; i++) {
        ok = await c.ping().then(() => true, () => false);
        if (!ok) await new Promise((res) => setTimeout(res, 100));
      }
      expect(ok).to.equal(true);
    } finally {
      c.disconnect();
      await r.stop();
    }
  });
});

describe('store connectFromConfig', function () {
  this.timeout(20_000);
  it('uses the engine StoreConfig (nodes, cluster flag, password)', async () => {
    const { connectFromConfig } = await import('../../../src/store/index.js');
    const r = await startRedis({ args: ['--requirepass', 'pw2'] });
    try {
      const c = await connectFromConfig({ kind: 'redis', nodes: [r.node], password: 'pw2', timeoutMs: 5 });
      expect(isCluster(c)).to.equal(false);
      expect(await c.ping()).to.equal('PONG');
      await closeStore(c);
    } finally {
      await r.stop();
    }
  });
});
