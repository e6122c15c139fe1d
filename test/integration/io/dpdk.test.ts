// The `dpdk` packet I/O backend on real traffic: client -- [in0 NF out0] -- server, three
// network namespaces joined by veth pairs, the NF a Dataplane with io.kind 'dpdk' (EAL with
// --no-huge --no-pci, one net_af_packet vdev hot-plugged per interface) running in its own
// process inside the NF namespace (dpdk-nf.ts). Firewall + NAT with the local store: ping, a TCP
// request/response and a UDP exchange must pass both ways, and the server must see the NAT
// pool address. Not skippable: without libdpdk (scripts/deps/dpdk.txt) it fails and says why.
import { expect } from 'chai';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const P = `snfdk${process.pid}`;
const NS = { c: `${P}c`, n: `${P}n`, s: `${P}s` };
const MAC = { client: '02:00:00:00:00:0a', in0: '02:00:00:00:00:0b', out0: '02:00:00:00:00:0c', server: '02:00:00:00:00:0d' };
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

// Kills what runs in our namespaces (by pid, from `ip netns pids`) and deletes them; also sweeps
// namespaces left by an earlier run of this test whose process is gone.
function cleanup(): void {
  let names: string[] = [];
  try {
    names = sh('ip netns list').split('\n').map((l) => l.split(' ')[0]);
  } catch {
    /* no namespaces */
  }
  for (const ns of names) {
    const m = /^snfdk(\d+)[cns]$/.exec(ns);
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

// Reads one JSON line from a child's stdout (the next one after the call).
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

// The server: TCP and UDP on port 7000, each answering with the peer address it saw.
const serverJs = `
const net = require('net'), dgram = require('dgram');
net.createServer((c) => c.on('data', (d) => c.end(JSON.stringify({ from: c.remoteAddress, got: d.toString() }))))
  .listen(7000, '${SERVER}', () => {
    const u = dgram.createSocket('udp4');
    u.on('message', (m, r) => u.send(JSON.stringify({ from: r.address, got: m.toString() }), r.port, r.address));
    u.bind(7000, '${SERVER}', () => console.log('listening'));
  });
setTimeout(() => process.exit(0), 50000);`;

const tcpClientJs = `
const s = require('net').connect(7000, '${SERVER}', () => s.write('hello tcp'));
let b = ''; s.on('data', (d) => (b += d)); s.on('end', () => { console.log(b); process.exit(0); });
s.on('error', (e) => { console.error(e.message); process.exit(1); });
setTimeout(() => { console.error('tcp timeout'); process.exit(1); }, 8000);`;

const udpClientJs = `
const u = require('dgram').createSocket('udp4');
u.on('message', (m) => { console.log(m.toString()); process.exit(0); });
let n = 0; const send = () => { if (n++ === 5) { console.error('udp timeout'); process.exit(1); } u.send('hello udp', 7000, '${SERVER}'); };
send(); setInterval(send, 1000);`;

describe('dpdk packet I/O (net_af_packet vdevs in namespaces)', function () {
  this.timeout(60_000);
  let nf: ChildProcess | undefined;
  let server: ChildProcess | undefined;
  let nfLine: ReturnType<typeof lineReader>;
  let nfErr = '';

  before(async function () {
    this.timeout(45_000);
    try {
      sh('pkg-config --exists libdpdk');
    } catch {
      throw new Error(
        'libdpdk is not installed: the dpdk backend cannot be built or tested. Install what ' +
          'scripts/deps/dpdk.txt lists (apt-get install libdpdk-dev), then rebuild the addon (npm run build:native).',
      );
    }
    cleanup();
    topology();
    server = spawn('ip', ['netns', 'exec', NS.s, 'node', '-e', serverJs], { stdio: ['ignore', 'pipe', 'inherit'] });
    const serverLine = lineReader(server);
    const arg = {
      engine: {
        vnf: 'dpdktest',
        instanceId: 'n1',
        chain: ['firewall', 'nat'],
        store: { kind: 'local' },
        nat: { insidePrefixes: ['10.0.0.0/24'], pool: [POOL] },
        firewall: { rules: [{ action: 'allow', direction: 'out' }] },
      },
      io: {
        kind: 'dpdk',
        inside: { iface: 'in0', peerMac: MAC.client },
        outside: { iface: 'out0', peerMac: MAC.server },
      },
      lifetimeMs: 55_000,
    };
    nf = spawn('ip', ['netns', 'exec', NS.n, 'node', '--import', 'tsx', path.join(here, 'dpdk-nf.ts'), JSON.stringify(arg)], {
      cwd: repo,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    nf.stderr!.on('data', (d) => (nfErr += d.toString()));
    nfLine = lineReader(nf);
    const first = JSON.parse(await nfLine('the NF process', 30_000).catch((e) => {
      throw new Error(`${e.message}; its stderr: ${nfErr}`);
    }));
    if (first.error) {
      const hint = /not built into/.test(first.error)
        ? ' (libdpdk is installed but the addon was built without it: npm run build:native)'
        : '';
      throw new Error(`the Dataplane with io.kind 'dpdk' did not open: ${first.error}${hint}; stderr: ${nfErr}`);
    }
    expect(first.ready).to.equal(true);
    expect(await serverLine('the server', 15_000)).to.equal('listening');
  });

  after(function () {
    this.timeout(15_000);
    if (nf && nf.exitCode === null) {
      nf.stdin!.end('stop\n');
      try {
        sh(`for i in $(seq 50); do kill -0 ${nf.pid} 2>/dev/null || exit 0; sleep 0.1; done; kill -9 ${nf.pid}`);
      } catch {
        /* gone */
      }
    }
    if (server && server.exitCode === null) server.kill('SIGKILL');
    cleanup();
  });

  it('forwards ping both ways through the NAT', function () {
    const out = sh(`ip netns exec ${NS.c} ping -c 3 -i 0.2 -W 2 ${SERVER}`, 15_000);
    expect(out).to.match(/3 packets transmitted, 3 received/);
  });

  it('carries a TCP request and its response; the server sees the pool address', function () {
    const out = sh(`ip netns exec ${NS.c} node -e "${tcpClientJs.replace(/"/g, '\\"')}"`, 15_000);
    const r = JSON.parse(out.trim());
    expect(r.got).to.equal('hello tcp');
    expect(r.from).to.equal(POOL);
  });

  it('carries UDP both ways; the server sees the pool address', function () {
    const out = sh(`ip netns exec ${NS.c} node -e "${udpClientJs.replace(/"/g, '\\"')}"`, 15_000);
    const r = JSON.parse(out.trim());
    expect(r.got).to.equal('hello udp');
    expect(r.from).to.equal(POOL);
  });

  it('counts what the DPDK ports moved', async function () {
    nf!.stdin!.write('counters\n');
    const { counters: c } = JSON.parse(await nfLine('the NF process', 5_000));
    expect(c.io.inside.rx).to.be.greaterThan(0);
    expect(c.io.outside.rx).to.be.greaterThan(0);
    expect(c.io.inside.tx).to.be.greaterThan(0);
    expect(c.io.outside.tx).to.be.greaterThan(0);
    expect(c.io.inside.txErrors + c.io.outside.txErrors).to.equal(0);
    // ping, TCP, UDP: at least three flows were translated.
    expect(c.nf.nat.newFlows).to.be.at.least(3);
  });

  it('forwards again after the Dataplane is replaced in the same process (EAL kept, vdevs re-plugged)', async function () {
    nf!.stdin!.write('restart\n');
    const r = JSON.parse(await nfLine('the NF process', 15_000));
    expect(r.error, r.error).to.equal(undefined);
    expect(r.restarted).to.equal(true);
    const out = sh(`ip netns exec ${NS.c} ping -c 3 -i 0.2 -W 2 ${SERVER}`, 15_000);
    expect(out).to.match(/3 packets transmitted, 3 received/);
  });
});
