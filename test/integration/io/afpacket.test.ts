// The default `afpacket` packet I/O backend on real traffic, on both of its rings: client --
// [in0 NF out0] -- server, three network namespaces joined by veth pairs, the NF a Dataplane
// (firewall + NAT, local store) in its own process inside the NF namespace (dpdk-nf.ts serves
// any io.kind). TPACKET_V2 is the default ring; SNF_AFPACKET_RING=v3 selects the block ring.
// Bad values of the backend's environment variables stop the Dataplane from opening, naming the
// variable. How fast each ring is belongs to bench/io, not here.
import { expect } from 'chai';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const P = `snfap${process.pid}`;
const NS = { c: `${P}c`, n: `${P}n`, s: `${P}s` };
const MAC = { client: '02:00:00:00:00:1a', in0: '02:00:00:00:00:1b', out0: '02:00:00:00:00:1c', server: '02:00:00:00:00:1d' };
const SERVER = '203.0.113.10';
const POOL = '198.51.100.1';

function sh(cmd: string, timeoutMs = 10_000): string {
  return execFileSync('bash', ['-c', cmd], { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
}
function shQuiet(cmd: string): void {
  try {
    sh(cmd);
  } catch {
    /* cleanup: best effort */
  }
}

// Kills what runs in our namespaces (pids from `ip netns pids`) and deletes them; also sweeps
// namespaces of an earlier run of this test whose process is gone.
function cleanup(): void {
  let names: string[] = [];
  try {
    names = sh('ip netns list').split('\n').map((l) => l.split(' ')[0]);
  } catch {
    /* none */
  }
  for (const ns of names) {
    const m = /^snfap(\d+)[cns]$/.exec(ns);
    if (!m) continue;
    const owner = Number(m[1]);
    let alive = false;
    try {
      process.kill(owner, 0);
      alive = true;
    } catch {
      alive = false;
    }
    if (owner !== process.pid && alive) continue;
    let pids: string[] = [];
    try {
      pids = sh(`ip netns pids ${ns}`).split(/\s+/).filter(Boolean);
    } catch {
      /* none */
    }
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    shQuiet(`ip netns del ${ns}`);
  }
}

function topology(): void {
  for (const ns of Object.values(NS)) sh(`ip netns add ${ns} && ip -n ${ns} link set lo up`);
  sh(`ip link add ${P}a type veth peer name ${P}b && ip link set ${P}a netns ${NS.c} && ip link set ${P}b netns ${NS.n}`);
  sh(`ip link add ${P}x type veth peer name ${P}y && ip link set ${P}x netns ${NS.n} && ip link set ${P}y netns ${NS.s}`);
  sh(`ip -n ${NS.c} link set ${P}a address ${MAC.client} name eth0`);
  sh(`ip -n ${NS.n} link set ${P}b address ${MAC.in0} name in0`);
  sh(`ip -n ${NS.n} link set ${P}x address ${MAC.out0} name out0`);
  sh(`ip -n ${NS.s} link set ${P}y address ${MAC.server} name eth0`);
  for (const [ns, ifs] of [
    [NS.c, ['eth0']],
    [NS.n, ['in0', 'out0']],
    [NS.s, ['eth0']],
  ] as const) {
    for (const i of ifs) {
      sh(`ip -n ${ns} link set ${i} up`);
      // The NF sees frames as they are on the wire: no offloads that leave checksums undone.
      shQuiet(`ip netns exec ${ns} ethtool -K ${i} tso off gso off gro off tx off rx off`);
    }
  }
  sh(`ip -n ${NS.c} addr add 10.0.0.2/24 dev eth0 && ip -n ${NS.c} route add default via 10.0.0.1`);
  sh(`ip -n ${NS.c} neigh add 10.0.0.1 lladdr ${MAC.in0} dev eth0`);
  sh(`ip -n ${NS.s} addr add ${SERVER}/24 dev eth0 && ip -n ${NS.s} route add 198.51.100.0/24 via 203.0.113.1`);
  sh(`ip -n ${NS.s} neigh add 203.0.113.1 lladdr ${MAC.out0} dev eth0`);
}

function lineReader(child: ChildProcess) {
  const rl = createInterface({ input: child.stdout! });
  const waiting: Array<(l: string) => void> = [];
  const queued: string[] = [];
  rl.on('line', (l) => {
    const w = waiting.shift();
    if (w) w(l);
    else queued.push(l);
  });
  return (what: string, ms: number): Promise<string> =>
    new Promise((resolve, reject) => {
      const q = queued.shift();
      if (q !== undefined) return resolve(q);
      const t = setTimeout(() => reject(new Error(`no answer from ${what} within ${ms} ms`)), ms);
      waiting.push((l) => {
        clearTimeout(t);
        resolve(l);
      });
    });
}

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

function startNf(env: Record<string, string>): { child: ChildProcess; line: ReturnType<typeof lineReader>; err: () => string } {
  const arg = {
    engine: {
      vnf: 'aptest',
      instanceId: 'n1',
      chain: ['firewall', 'nat'],
      store: { kind: 'local' },
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
        const first = JSON.parse(await nf.line('the NF process', 30_000).catch((e: Error) => {
          throw new Error(`${e.message}; its stderr: ${nf.err()}`);
        }));
        expect(first.error, first.error).to.equal(undefined);
        expect(first.ready).to.equal(true);
        const out = JSON.parse(sh(`ip netns exec ${NS.c} node -e "${udpClientJs.replace(/"/g, '\\"')}"`, 40_000).trim());
        expect(out.ok).to.equal(50);
        expect(out.froms).to.deep.equal([POOL]);
        nf.child.stdin!.write('counters\n');
        const { counters: c } = JSON.parse(await nf.line('the NF process', 5_000));
        expect(c.nf.nat.newFlows).to.be.at.least(50);
        expect(c.io.inside.rx).to.be.at.least(50);
        expect(c.io.outside.rx).to.be.at.least(50);
        expect(c.io.inside.txErrors + c.io.outside.txErrors).to.equal(0);
      } finally {
        await stopNf(nf);
      }
    });
  }

  for (const [variable, value] of [
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
