// What TLS and an ACL user cost the data plane: one redis-server with a plain and a TLS listener,
// and two firewall + NAT engines on it, plain (password) and TLS (ACL data-plane user), driven
// alternately in one run with the same batches. New flows cost one script round trip per batch;
// established flows one GET round trip (cache off, so every batch goes to Redis). UDP flows, so
// a flow's second batch is established without a handshake.
//   node --import tsx bench/store/tls.ts [--batches N] [--batch B]
import { Engine } from '../../src/dataplane/engine.js';
import type { EngineConfig, FrameIn } from '../../src/dataplane/types.js';
import { applyAclUser, aclUser } from '../../src/store/acl.js';
import { closeStore, connectStore } from '../../src/store/index.js';
import { buildFrame } from '../../test/support/packets.js';
import { TABLES } from '../../test/support/engine.js';
import { startTlsRedis } from '../../test/support/redis.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const batches = arg('batches', 150); // 4,800 flows per engine: within the NAT pool of TABLES
const batch = arg('batch', 32);
const ADMIN = 'admin-password-0123456789';
const DP = 'dataplane-password-0123456789';
const VNF = 'tlsbench';

const t = await startTlsRedis({ args: ['--requirepass', ADMIN] });
try {
  const admin = await connectStore(`redis://:${ADMIN}@${t.server.node}`);
  await applyAclUser(admin, VNF, 'dataplane', DP);
  await closeStore(admin);
  const cfg = (nodes: string[], extra: object, id: string): EngineConfig => ({
    vnf: VNF, instanceId: id, chain: ['firewall', 'nat'], ...TABLES,
    store: { kind: 'redis', nodes, cacheBytes: 0, timeoutMs: 1000, ...extra },
  });
  const engines = {
    plain: new Engine(cfg([t.server.node], { password: ADMIN }, 'plain')),
    tls: new Engine(cfg([`rediss://${aclUser(VNF, 'dataplane')}:${DP}@127.0.0.1:${t.tlsPort}?ca=${t.caFile}`], {}, 'tls')),
  };
  type Kind = keyof typeof engines;
  const frames = (kind: Kind, b: number): FrameIn[] =>
    Array.from({ length: batch }, (_, i) => {
      const n = b * batch + i;
      return { side: 'inside' as const, data: buildFrame({ ip: { v: 4, src: `10.${kind === 'tls' ? 2 : 1}.${(n >> 8) & 255}.${n & 255}`, dst: '203.0.113.9' }, l4: { proto: 'udp', sport: 20000 + (n % 40000), dport: 53 } }) };
    });
  const lat: Record<Kind, Record<'new' | 'est', number[]>> = { plain: { new: [], est: [] }, tls: { new: [], est: [] } };
  let forwarded: Record<Kind, number> = { plain: 0, tls: 0 };
  const run = (kind: Kind, b: number, phase: 'new' | 'est') => {
    const f = frames(kind, b); // UDP: the same flow's second packet is established
    const t0 = process.hrtime.bigint();
    const out = engines[kind].processSync(f);
    lat[kind][phase].push(Number(process.hrtime.bigint() - t0) / 1000);
    forwarded[kind] += out.filter((o) => o.verdict === 'forward').length;
  };
  for (let b = 0; b < 20; b++) for (const k of ['plain', 'tls'] as const) run(k, 100_000 + b, 'new'); // warm-up: connections, scripts loaded
  lat.plain.new.length = lat.tls.new.length = 0;
  forwarded = { plain: 0, tls: 0 };
  for (const phase of ['new', 'est'] as const)
    for (let b = 0; b < batches; b++) for (const k of (b % 2 ? ['plain', 'tls'] : ['tls', 'plain']) as Kind[]) run(k, b, phase);
  const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
  console.log(`firewall + NAT, ${batches} batches of ${batch} packets per phase, cache off, plain and TLS alternating; forwarded ${forwarded.plain} / ${forwarded.tls} of ${2 * batches * batch}`);
  console.log('| store connection | phase | batch p50 µs | batch p99 µs | packets/s (1 engine, serial) |\n| --- | --- | ---: | ---: | ---: |');
  for (const phase of ['new', 'est'] as const)
    for (const k of ['plain', 'tls'] as const) {
      const xs = lat[k][phase];
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      console.log(`| ${k === 'plain' ? 'plain TCP, password' : 'TLS 1.3, ACL user'} | ${phase === 'new' ? 'new flows (script)' : 'established (GET)'} | ${pct(xs, 50).toFixed(0)} | ${pct(xs, 99).toFixed(0)} | ${Math.round((batch * 1e6) / mean).toLocaleString('en-US')} |`);
    }
  engines.plain.close();
  engines.tls.close();
} finally {
  await t.stop();
}
