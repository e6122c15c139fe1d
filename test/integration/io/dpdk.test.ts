// The `dpdk` packet I/O backend on real traffic: client -- [in0 NF out0] -- server, three
// network namespaces joined by veth pairs, the NF a Dataplane with io.kind 'dpdk' (EAL with
// --no-huge --no-pci, one net_af_packet vdev hot-plugged per interface) running in its own
// process inside the NF namespace (dpdk-nf.ts). Firewall + NAT with the local store: ping, a TCP
// request/response and a UDP exchange must pass both ways, and the server must see the NAT
// pool address. Not skippable: without libdpdk (scripts/deps/dpdk.txt) it fails and says why.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { lineReader, POOL, SERVER, sh, threeNs } from './three-ns.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const lab = threeNs('snfdk', 0);
const NS = lab.ns;
const MAC = lab.mac;
const cleanup = lab.cleanup;
const topology = lab.create;

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
