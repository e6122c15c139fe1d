// Starts a VNFM on loopback over a real redis-server and a FAKE Vim (see vnfm-fake-vim.ts),
// with response validation enforced, fast notification retries, and a recorded log.
import { startVnfm, type Vnfm, type VnfmOptions } from '../../src/vnfm/app.js';
import { FakeVim } from './vnfm-fake-vim.js';
import { startRedis, type RedisServer } from './redis.js';
import { testVnfd } from './vnfm.js';

export interface Harness {
  redis: RedisServer;
  vim: FakeVim;
  vnfm: Vnfm;
  logs: string[];
  /** a VNFM process over the same Redis and VIM (a restart) */
  restart(over?: Partial<VnfmOptions>): Promise<Vnfm>;
  stop(): Promise<void>;
}

let counter = 0;

export async function startHarness(over: Partial<VnfmOptions> = {}, redis?: RedisServer): Promise<Harness> {
  const r = redis ?? (await startRedis());
  const vim = new FakeVim();
  const logs: string[] = [];
  const stateName = `vnfm-test-${process.pid}-${++counter}`;
  const opts = (o: Partial<VnfmOptions>): VnfmOptions => ({
    redis: r.node,
    stateName,
    catalog: [testVnfd()],
    vims: { openstack: vim },
    responseValidation: 'enforce',
    notifications: { attempts: 4, baseDelayMs: 20, maxDelayMs: 100, timeoutMs: 2000 },
    log: (m) => logs.push(m),
    ...over,
    ...o,
  });
  const h: Harness = {
    redis: r,
    vim,
    logs,
    vnfm: await startVnfm(opts({})),
    async restart(o = {}) {
      h.vnfm = await startVnfm(opts(o));
      return h.vnfm;
    },
    async stop() {
      await h.vnfm.close();
      if (!redis) await r.stop();
    },
  };
  return h;
}
