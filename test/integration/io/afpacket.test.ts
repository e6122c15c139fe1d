// The default `afpacket` packet I/O backend on real traffic, on both of its rings: client --
// [in0 NF out0] -- server, three network namespaces joined by veth pairs, the NF a Dataplane
// (firewall + NAT, local store) in its own process inside the NF namespace (dpdk-nf.ts serves
// any io.kind). TPACKET_V2 is the default ring; SNF_AFPACKET_RING=v3 selects the block ring.
// Bad values of the backend's environment variables stop the Dataplane from opening, naming the
// variable. How fast each ring is belongs to bench/io, not here.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { DataplaneCounters } from '../../../src/dataplane/dataplane.js';
import { lineReader, POOL, SERVER, sh, threeNs } from './three-ns.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const lab = threeNs('snfap', 1);
const NS = lab.ns;
const MAC = lab.mac;
const cleanup = lab.cleanup;
const topology = lab.create;

// UDP echo on port 7000 answering with the peer address it saw.
const serverJs = `
const u = require('dgram').createSocket('udp4');
u.on('message', (m, r) => u.send(JSON.stringify({ from: r.address, got: m.toString() }), r.port, r.address));
u.bind(7000, '${SERVER}', () => console.log('listening'));
setTimeout(() => process.exit(0), 110000);`;

// 50 request/answer rounds, one at a time, each on a fresh source port (a new NAT flow); prints
// how many came back and the addresses the server saw.
const udpClientJs = `
const dgram = require('dgram');
let ok = 0, froms = new Set(), i = 0;
const round = () => {
  if (i++ === 50) { console.log(JSON.stringify({ ok, froms: [...froms] })); process.exit(0); }
  const u = dgram.createSocket('udp4');
  const t = setTimeout(() => { u.close(); round(); }, 1000);
  u.on('message', (m) => { const r = JSON.parse(m.toString()); if (r.got === 'p' + i) { ok++; froms.add(r.from); } clearTimeout(t); u.close(); round(); });
  // A port of its own per round: two random ephemeral ports alike would make one flow of two.
  u.bind(41000 + i, () => u.send('p' + i, 7000, '${SERVER}'));
};
round();`;

function startNf(env: Record<string, string>, store: object = { kind: 'local' }): { child: ChildProcess; line: ReturnType<typeof lineReader>; err: () => string } {
  const arg = {
    engine: {
      vnf: 'aptest',
      instanceId: 'n1',
      chain: ['firewall', 'nat'],
      store,
      nat: { insidePrefixes: ['10.0.0.0/24'], pool: [POOL] },
      firewall: { rules: [{ action: 'allow', direction: 'out' }] },
    },
    io: { kind: 'afpacket', inside: { iface: 'in0', peerMac: MAC.client }, outside: { iface: 'out0', peerMac: MAC.server } },
    lifetimeMs: 50_000,
  };
  const child = spawn('ip', ['netns', 'exec', NS.n, 'node', '--import', 'tsx', path.join(here, 'dpdk-nf.ts'), JSON.stringify(arg)], {
    cwd: repo,
    env: { ...process.env, SNF_AFPACKET_RING: '', SNF_IO_SPIN_US: '50', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += d.toString()));
  return { child, line: lineReader(child), err: () => err };
}

// Waits for the NF, runs the 50 UDP rounds through it (each must come back from the pool
// address, each a new NAT flow) and returns its counters.
async function fiftyRounds(nf: ReturnType<typeof startNf>): Promise<DataplaneCounters> {
  const first = JSON.parse(await nf.line('the NF process', 30_000).catch((e: Error) => {
    throw new Error(`${e.message}; its stderr: ${nf.err()}`);
  }));
  expect(first.error, first.error).to.equal(undefined);
  expect(first.ready).to.equal(true);
  const out = JSON.parse(sh(`ip netns exec ${NS.c} node -e "${udpClientJs.replace(/"/g, '\\"')}"`, 40_000).trim());
  expect(out.ok).to.equal(50);
  expect(out.froms).to.deep.equal([POOL]);
  nf.child.stdin!.write('counters\n');
  const { counters: c } = JSON.parse(await nf.line('the NF process', 5_000)) as { counters: DataplaneCounters };
  expect(c.nf.nat?.newFlows).to.be.at.least(50);
  return c;
}

async function stopNf(nf: ReturnType<typeof startNf>): Promise<void> {
  if (nf.child.exitCode !== null) return;
  const gone = new Promise((r) => nf.child.once('exit', r));
  nf.child.stdin!.end('stop\n');
  await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
  if (nf.child.exitCode === null) nf.child.kill('SIGKILL');
}

describe('afpacket packet I/O: TPACKET_V2 (default) and V3 rings in namespaces', function () {
  this.timeout(60_000);
  let server: ChildProcess | undefined;

  before(async function () {
    this.timeout(30_000);
    cleanup();
    topology();
    server = spawn('ip', ['netns', 'exec', NS.s, 'node', '-e', serverJs], { stdio: ['ignore', 'pipe', 'inherit'] });
    expect(await lineReader(server)('the server', 15_000)).to.equal('listening');
  });

  after(function () {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    cleanup();
  });

  for (const [name, env] of [
    ['v2 (default: variable unset)', {}],
    ['v3 (SNF_AFPACKET_RING=v3)', { SNF_AFPACKET_RING: 'v3' }],
    ['v2 without the idle spin (SNF_IO_SPIN_US=0)', { SNF_IO_SPIN_US: '0' }],
  ] as const) {
    it(`${name}: 50 UDP rounds on fresh flows all come back through firewall + NAT`, async () => {
      const nf = startNf(env);
      try {
        const c = await fiftyRounds(nf);
        expect(c.io.inside.rx).to.be.at.least(50);
        expect(c.io.outside.rx).to.be.at.least(50);
        expect(c.io.inside.txErrors + c.io.outside.txErrors).to.equal(0);
      } finally {
        await stopNf(nf);
      }
    });
  }

  // Bursts in flight (the engine's split phase) need a store that makes them wait: a
  // redis-server inside the NF's namespace, the coherent cache on (the product default).
  it('v2 with 4 bursts in flight (SNF_IO_INFLIGHT=4) on Redis: 50 UDP rounds all come back', async () => {
    const port = 16379;
    const redis = spawn('ip', ['netns', 'exec', NS.n, 'redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const line = lineReader(redis);
      for (let i = 0; i < 40 && !(await line('redis-server', 15_000)).includes('Ready to accept connections'); i++);
      const nf = startNf({ SNF_IO_INFLIGHT: '4' }, { kind: 'redis', nodes: [`127.0.0.1:${port}`] });
      try {
        const c = await fiftyRounds(nf);
        expect(c.store.roundTrips, 'the bursts went to the store').to.be.greaterThan(0);
        expect(c.io.inside.txErrors + c.io.outside.txErrors).to.equal(0);
      } finally {
        await stopNf(nf);
      }
    } finally {
      redis.kill('SIGKILL');
    }
  });

  for (const [variable, value] of [
    ['SNF_IO_INFLIGHT', '0'],
    ['SNF_IO_INFLIGHT', '17'],
    ['SNF_AFPACKET_RING', 'v4'],
    ['SNF_IO_SPIN_US', '-1'],
    ['SNF_IO_SPIN_US', '5ms'],
  ] as const) {
    it(`${variable}=${value}: the Dataplane does not open, and says which variable is wrong`, async () => {
      const nf = startNf({ [variable]: value });
      try {
        const first = JSON.parse(await nf.line('the NF process', 30_000));
        expect(first.ready).to.equal(undefined);
        expect(first.error).to.be.a('string');
        expect(first.error).to.contain(`${variable}:`);
        expect(first.error).to.contain(`'${value}'`);
      } finally {
        await stopNf(nf);
      }
    });
  }
});
