// One NF instance in a VM, configured from the environment file the HOT's user data writes
// (/etc/statelessnf/nf.env, heat/cloud-init/nf-user-data.yaml):
//   node snf-instance.mjs /etc/statelessnf/nf.env      (statelessnf-nf.service in the image)
//
// What the VM itself must find out, because Heat only passes the VNF name, the store nodes and
// the VES collector:
// - which NIC is which: Nova attaches the ports in the order of the HOT's `networks` list, and the
//   guest enumerates them in PCI order, so SNF_NICS lists the role of each NIC by position
//   (`management,inside,outside[,store]`); kernel names (ens3, enp0s4...) are never relied upon.
// - the next hop on each data side: the engine writes the peer's MAC into every forwarded frame.
//   By default it is the gateway of the NIC's subnet (its first host address, Neutron's default
//   gateway_ip), resolved by ARP through the guest kernel; SNF_PEER_<SIDE> (an IPv4 address or a
//   MAC) overrides it.
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, realpathSync, existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { InstanceConfig } from './instance.js';
import { runInstance, stopOnSignals } from './instance.js';
import type { NfKind, Side } from './types.js';
import { parseStoreUrl } from '../store/url.js';
import { ramcloudStoreFromEnv } from '../model/ramcloud-env.js';
import type { StoreConfig } from '../model/tables.js';

type RamcloudStore = Extract<StoreConfig, { kind: 'ramcloud' }>;

const run = promisify(execFile);

export interface NfEnv {
  vnf: string;
  chain: NfKind[];
  storeNodes: string[];
  storeCluster: boolean;
  dataplane: 'afpacket' | 'af_xdp' | 'dpdk';
  metricsPort: number;
  nics: string[];
  heartbeatPeriodMs: number;
  heartbeatTtlMs: number;
  storeTimeoutMs: number;
  instanceId: string;
  peers: Partial<Record<Side, string>>;
  /** dpdk only: how DPDK reaches the data NICs (see bindForDpdk). */
  dpdkDriver: 'af_xdp' | 'vfio-pci' | 'uio_pci_generic';
  /** The ramcloud flavour: flow state in RAMCloud (SNF_STORE_NODES stays the control Redis). */
  ramcloud?: RamcloudStore;
}

/** KEY=VALUE lines (no quoting, no expansion: cloud-init writes them as they are). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 1) throw new Error(`not KEY=VALUE: ${JSON.stringify(line)}`);
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

function int(env: Record<string, string>, key: string, dflt: number, min: number, max: number): number {
  const v = env[key];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${key}: must be an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
  return n;
}

/** Validates the environment; every error names the variable. */
export function nfEnv(env: Record<string, string>, host = hostname()): NfEnv {
  const need = (k: string): string => {
    const v = env[k];
    if (!v || /^__[A-Z_]+__$/.test(v)) throw new Error(`${k}: missing${v ? ` (the template token ${v} was never replaced)` : ''}`);
    return v;
  };
  const chain = need('SNF_NF').split(',').map((s) => s.trim());
  for (const k of chain) if (!['nat', 'firewall', 'lb'].includes(k)) throw new Error(`SNF_NF: unknown NF '${k}' (nat, firewall, lb)`);
  const storeNodes = need('SNF_STORE_NODES').split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of storeNodes) {
    // A URL carries the store's password (and TLS settings) from the HOT: redis://:<pw>@host:port.
    if (/^rediss?:\/\//i.test(n)) {
      try {
        parseStoreUrl(n);
      } catch (e) {
        throw new Error(`SNF_STORE_NODES: ${(e as Error).message}`);
      }
    } else if (!/^[^\s:]+:\d{1,5}$/.test(n)) throw new Error(`SNF_STORE_NODES: '${n}' is not host:port or redis[s]://[user:password@]host:port`);
  }
  const dataplane = env.SNF_DATAPLANE || 'afpacket';
  if (dataplane !== 'afpacket' && dataplane !== 'af_xdp' && dataplane !== 'dpdk') throw new Error(`SNF_DATAPLANE: must be afpacket, af_xdp or dpdk, got '${dataplane}'`);
  const nics = (env.SNF_NICS || 'management,inside,outside').split(',').map((s) => s.trim());
  for (const side of ['inside', 'outside'] as const) if (!nics.includes(side)) throw new Error(`SNF_NICS: no '${side}' NIC in '${nics.join(',')}'`);
  const instanceId = (env.SNF_INSTANCE_ID || host).replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 128);
  const ttl = int(env, 'SNF_HEARTBEAT_TTL_MS', 1000, 50, 60_000);
  const period = int(env, 'SNF_HEARTBEAT_PERIOD_MS', 100, 10, 60_000);
  if (period >= ttl) throw new Error(`SNF_HEARTBEAT_PERIOD_MS (${period}) must be below SNF_HEARTBEAT_TTL_MS (${ttl})`);
  const peers: Partial<Record<Side, string>> = {};
  if (env.SNF_PEER_INSIDE) peers.inside = env.SNF_PEER_INSIDE;
  if (env.SNF_PEER_OUTSIDE) peers.outside = env.SNF_PEER_OUTSIDE;
  const dpdkDriver = env.SNF_DPDK_DRIVER || 'af_xdp';
  if (dpdkDriver !== 'af_xdp' && dpdkDriver !== 'vfio-pci' && dpdkDriver !== 'uio_pci_generic') throw new Error(`SNF_DPDK_DRIVER: must be af_xdp, vfio-pci or uio_pci_generic, got '${dpdkDriver}'`);
  const ramcloud = ramcloudStoreFromEnv(env);
  return {
    dpdkDriver,
    ...(ramcloud ? { ramcloud } : {}),
    vnf: need('SNF_VNF'),
    chain: chain as NfKind[],
    storeNodes,
    storeCluster: env.SNF_STORE_CLUSTER === 'true',
    dataplane,
    metricsPort: int(env, 'SNF_METRICS_PORT', 9100, 1, 65535),
    nics,
    heartbeatPeriodMs: period,
    heartbeatTtlMs: ttl,
    storeTimeoutMs: int(env, 'SNF_STORE_TIMEOUT_MS', 250, 1, 60_000),
    instanceId,
    peers,
  };
}

/** The guest's physical NICs in PCI order (= the order Nova attached the ports). */
export function nicsInPciOrder(sys = '/sys/class/net'): string[] {
  const devs: { name: string; path: string }[] = [];
  for (const name of readdirSync(sys)) {
    if (!existsSync(`${sys}/${name}/device`)) continue; // lo, bridges, tunnels
    devs.push({ name, path: realpathSync(`${sys}/${name}/device`) });
  }
  return devs.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map((d) => d.name);
}

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

function firstHost(cidr: string): string {
  const [addr, lenS] = cidr.split('/');
  const len = Number(lenS);
  const n = addr.split('.').reduce((a, o) => (a << 8) + Number(o), 0) >>> 0;
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  const gw = ((n & mask) >>> 0) + 1;
  return [24, 16, 8, 0].map((s) => (gw >>> s) & 0xff).join('.');
}

async function ipv4Of(nic: string): Promise<string | undefined> {
  const { stdout } = await run('ip', ['-4', '-o', 'addr', 'show', 'dev', nic]);
  return /inet (\d+\.\d+\.\d+\.\d+\/\d+)/.exec(stdout)?.[1];
}

/** MAC of `ip` on `nic` by ARP through the guest kernel (ping once, read the neighbour table). */
async function resolveMac(nic: string, ip: string, timeoutMs: number): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    await run('ping', ['-c', '1', '-W', '1', '-I', nic, ip]).catch(() => undefined);
    const { stdout } = await run('ip', ['neigh', 'show', ip, 'dev', nic]);
    const mac = /lladdr ([0-9a-f:]{17})/i.exec(stdout)?.[1];
    if (mac) return mac.toLowerCase();
    if (Date.now() > end) throw new Error(`cannot resolve the next hop ${ip} on ${nic} by ARP within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * The data NICs as the data plane sees them: offloads off (the NF must read frames as they are on
 * the wire, not GRO-merged 64 KB super-frames) and the peer MACs.
 */
export async function prepareDataNics(e: NfEnv, log: (s: string) => void): Promise<Record<Side, { iface: string; peerMac: string }>> {
  const found = nicsInPciOrder();
  const out: Partial<Record<Side, { iface: string; peerMac: string }>> = {};
  for (const side of ['inside', 'outside'] as const) {
    const pos = e.nics.indexOf(side);
    const iface = found[pos];
    if (!iface) throw new Error(`SNF_NICS says NIC #${pos + 1} is '${side}', but the VM has ${found.length} NICs (${found.join(', ')})`);
    await run('ip', ['link', 'set', iface, 'up']);
    await run('ethtool', ['-K', iface, 'gro', 'off', 'lro', 'off', 'tso', 'off', 'gso', 'off', 'tx', 'off', 'rx', 'off']).catch((err: Error) =>
      log(`${iface}: ethtool -K: ${err.message.split('\n')[0]} (continuing)`),
    );
    let peer = e.peers[side];
    if (!peer) {
      const cidr = await ipv4Of(iface);
      if (!cidr) throw new Error(`${side} NIC ${iface} has no IPv4 address to find its gateway from; set SNF_PEER_${side.toUpperCase()} to an address or MAC`);
      peer = firstHost(cidr);
    }
    const peerMac = MAC_RE.test(peer) ? peer.toLowerCase() : await resolveMac(iface, peer, 60_000);
    log(`${side}: ${iface} (NIC #${pos + 1}), next hop ${peer} ${peerMac}`);
    out[side] = { iface, peerMac };
  }
  return out as Record<Side, { iface: string; peerMac: string }>;
}

/**
 * The DPDK flavour in a VM. Hugepages were reserved by the user data (bootcmd). Then either
 * - `af_xdp` (virtio NICs, no SR-IOV): the NICs stay with the kernel's virtio driver and DPDK
 *   opens them through its net_af_xdp vdev (hot-plugged by native/io/dpdk.cpp); or
 * - `vfio-pci` (SR-IOV VFs behind the host's IOMMU, or an emulated vIOMMU) / `uio_pci_generic`
 *   (no IOMMU: Debian's kernels have no vfio no-IOMMU mode): the NICs are unbound from the kernel
 *   with dpdk-devbind.py and DPDK drives them by PCI address (virtio or VF PMD).
 * The peer MACs were resolved through the kernel before, since a bound NIC has no ARP.
 */
async function bindForDpdk(e: NfEnv, ports: Record<Side, { iface: string; peerMac: string }>, log: (s: string) => void): Promise<Record<Side, { iface: string; peerMac: string }>> {
  const eal = ['--file-prefix', 'snf', '--log-level=3', '--no-telemetry', '-l', '0', '--huge-unlink'];
  if (e.dpdkDriver === 'af_xdp') {
    process.env.SNF_DPDK_VDEV = 'net_af_xdp';
    process.env.SNF_DPDK_EAL_ARGS ??= [...eal, '--no-pci'].join(' ');
    return ports;
  }
  const out = { ...ports };
  const pcis: string[] = [];
  await run('modprobe', [e.dpdkDriver]);
  for (const side of ['inside', 'outside'] as const) {
    const pci = realpathSync(`/sys/class/net/${ports[side].iface}/device`).split('/').pop()!;
    await run('ip', ['link', 'set', ports[side].iface, 'down']);
    await run('dpdk-devbind.py', ['-b', e.dpdkDriver, pci]);
    log(`${side}: ${ports[side].iface} (${pci}) bound to ${e.dpdkDriver}`);
    out[side] = { iface: pci, peerMac: ports[side].peerMac };
    pcis.push('-a', pci);
  }
  process.env.SNF_DPDK_EAL_ARGS ??= [...eal, ...pcis].join(' ');
  return out;
}

export async function vmInstanceConfig(e: NfEnv, log: (s: string) => void): Promise<InstanceConfig> {
  let ports = await prepareDataNics(e, log);
  if (e.dataplane === 'dpdk') ports = await bindForDpdk(e, ports, log);
  const found = nicsInPciOrder();
  const mgmt = found[e.nics.indexOf('management')];
  const addr = (mgmt ? (await ipv4Of(mgmt))?.split('/')[0] : undefined) ?? e.instanceId;
  return {
    vnf: e.vnf,
    instanceId: e.instanceId,
    chain: e.chain,
    control: e.storeNodes[0],
    store: e.ramcloud ? { ...e.ramcloud, timeoutMs: e.storeTimeoutMs } : { kind: 'redis', nodes: e.storeNodes, cluster: e.storeCluster, timeoutMs: e.storeTimeoutMs },
    io: { kind: e.dataplane, inside: ports.inside, outside: ports.outside },
    heartbeat: { periodMs: e.heartbeatPeriodMs, ttlMs: e.heartbeatTtlMs },
    metrics: { port: e.metricsPort, host: '0.0.0.0' },
    addr,
  };
}

/** Runs the instance until SIGTERM / SIGINT (the image's start.mjs calls this). */
export async function vmMain(file: string): Promise<void> {
  const e = nfEnv(parseEnvFile(readFileSync(file, 'utf8')));
  const log = (s: string) => console.log(`${e.instanceId}: ${s}`);
  const cfg = await vmInstanceConfig(e, log);
  stopOnSignals(await runInstance(cfg, log), log);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  vmMain(process.argv[2] ?? '/etc/statelessnf/nf.env').catch((err: unknown) => {
    console.error(`snf-instance: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
