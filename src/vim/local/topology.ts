// The local deployment's network: names, addresses and MACs (pure functions of the deployment
// prefix and an instance's slot), and the iproute2 / sysctl / ethtool steps that build it.
//
//   client ns ──ext── steer-in ──i<k>/leg── instance k ──leg/i<k>── steer-out ──ext── server ns
//
// Every veth is created directly inside its namespaces (`ip link add ... netns A peer ... netns
// B`), so no name ever exists in the root namespace and two deployments cannot collide there;
// deleting the namespaces deletes every veth. Only documentation and private prefixes are used,
// and only inside these namespaces.
import type { NfKind, Side } from '../../model/tables.js';
import { ipBatch, inNs, run, tryRun } from './sh.js';

export const NET = {
  client: { prefix: '10.1.0.0/24', host: '10.1.0.2', gw: '10.1.0.1' },
  server: { prefix: '203.0.113.0/24', host: '203.0.113.10', gw: '203.0.113.1' },
  /** LB backends: extra addresses of the server namespace. */
  backends: ['203.0.113.11', '203.0.113.12', '203.0.113.13', '203.0.113.14'],
  natPool: { prefix: '198.51.100.0/24', addresses: ['198.51.100.1'] },
  vip: { prefix: '192.0.2.0/24', address: '192.0.2.100' },
} as const;

/** Destinations steer-in spreads over the instances (towards the server side). */
export const STEER_IN_PREFIXES = [NET.server.prefix, NET.vip.prefix];
/** Destinations steer-out spreads over the instances (towards the client side). */
export const STEER_OUT_PREFIXES = [NET.natPool.prefix, NET.client.prefix];

export const MAX_SLOT = 250;

export interface Names {
  client: string;
  server: string;
  steerIn: string;
  steerOut: string;
  instance(slot: number): string;
}

export function names(prefix: string): Names {
  return {
    client: `${prefix}-cl`,
    server: `${prefix}-sv`,
    steerIn: `${prefix}-si`,
    steerOut: `${prefix}-so`,
    instance: (slot) => `${prefix}-i${slot}`,
  };
}

export type SteerSide = 'in' | 'out';

function checkSlot(slot: number): void {
  if (!Number.isInteger(slot) || slot < 1 || slot > MAX_SLOT) throw new Error(`instance slot must be 1..${MAX_SLOT}, got ${slot}`);
}

function mac(role: number, slot: number): string {
  const h = (n: number) => n.toString(16).padStart(2, '0');
  return `02:53:${h(role)}:00:${h(slot >> 8)}:${h(slot & 0xff)}`;
}

/** One instance's attachment to one steering namespace. */
export interface Leg {
  /** Interface in the steering namespace. */
  steerIf: string;
  steerMac: string;
  steerIp: string;
  /** Interface in the instance namespace (its NF side name). */
  instIf: Side;
  instMac: string;
  /** Next-hop address the steering namespace routes to (a permanent neighbour, no ARP). */
  instIp: string;
}

/** For NAT and firewall the client side is the NF's inside; for the LB the clients are outside. */
export function clientSideOf(nf: NfKind[]): Side {
  return nf.includes('lb') ? 'outside' : 'inside';
}

export function leg(chain: NfKind[], slot: number, side: SteerSide): Leg {
  checkSlot(slot);
  const clientSide = clientSideOf(chain);
  const instIf: Side = side === 'in' ? clientSide : clientSide === 'inside' ? 'outside' : 'inside';
  const net = side === 'in' ? 200 : 201;
  return {
    steerIf: `i${slot}`,
    steerMac: mac(side === 'in' ? 0x10 : 0x20, slot),
    steerIp: `10.${net}.${slot}.1`,
    instIf,
    instMac: mac(side === 'in' ? 0x11 : 0x21, slot),
    instIp: `10.${net}.${slot}.2`,
  };
}

const OFFLOADS = ['tso', 'off', 'gso', 'off', 'gro', 'off', 'tx', 'off', 'rx', 'off'];

async function offloadsOff(ns: string, ifs: string[]): Promise<void> {
  // Offloads off so frames on the wire carry real checksums and real sizes: the NF reads and
  // rewrites them as they are, the way a NIC would hand them over.
  for (const i of ifs) await inNs(ns, ['ethtool', '-K', i, ...OFFLOADS]);
}

async function sysctl(ns: string, kv: Record<string, string | number>): Promise<void> {
  await inNs(ns, ['sysctl', '-q', '-w', ...Object.entries(kv).map(([k, v]) => `${k}=${v}`)]);
}

const QUIET_IPV6 = { 'net.ipv6.conf.all.disable_ipv6': 1, 'net.ipv6.conf.default.disable_ipv6': 1 };
const NO_RPF = { 'net.ipv4.conf.all.rp_filter': 0, 'net.ipv4.conf.default.rp_filter': 0 };

export async function nsExists(ns: string): Promise<boolean> {
  const out = await run(['ip', 'netns', 'list']);
  return out.split('\n').some((l) => l.split(' ')[0] === ns);
}

async function addNs(ns: string): Promise<void> {
  await run(['ip', 'netns', 'add', ns]);
  await ipBatch(ns, ['link set lo up']);
  await sysctl(ns, { ...QUIET_IPV6, ...NO_RPF });
}

/** veth pair whose ends are born in their namespaces with fixed MACs. */
async function veth(a: { ns: string; name: string; mac: string }, b: { ns: string; name: string; mac: string }): Promise<void> {
  await run(['ip', 'link', 'add', a.name, 'netns', a.ns, 'address', a.mac, 'type', 'veth', 'peer', 'name', b.name, 'netns', b.ns, 'address', b.mac]);
}

/**
 * Client, server and both steering namespaces with their uplinks. The steering namespaces route
 * with L4 hashing over multipath next hops (fib_multipath_hash_policy=1).
 */
export async function createBase(prefix: string, onStep: (s: string) => void = () => undefined): Promise<void> {
  const n = names(prefix);
  for (const ns of [n.client, n.server, n.steerIn, n.steerOut]) {
    onStep(`namespace ${ns}`);
    await addNs(ns);
  }
  for (const ns of [n.steerIn, n.steerOut]) {
    await sysctl(ns, {
      'net.ipv4.ip_forward': 1,
      'net.ipv4.fib_multipath_hash_policy': 1,
      'net.ipv4.conf.all.send_redirects': 0,
      'net.ipv4.conf.default.send_redirects': 0,
      // A next hop whose veth lost carrier (its instance died and the supervisor took the link
      // down) leaves the multipath set at once, with or without a steering controller.
      'net.ipv4.conf.all.ignore_routes_with_linkdown': 1,
      'net.ipv4.conf.default.ignore_routes_with_linkdown': 1,
    });
  }
  onStep('links client <-> steer-in, steer-out <-> server');
  await veth({ ns: n.client, name: 'ext', mac: '02:53:01:00:00:02' }, { ns: n.steerIn, name: 'ext', mac: '02:53:01:00:00:01' });
  await veth({ ns: n.server, name: 'ext', mac: '02:53:02:00:00:02' }, { ns: n.steerOut, name: 'ext', mac: '02:53:02:00:00:01' });
  await ipBatch(n.client, ['link set ext up', `addr add ${NET.client.host}/24 dev ext`, `route add default via ${NET.client.gw}`]);
  await ipBatch(n.server, [
    'link set ext up',
    `addr add ${NET.server.host}/24 dev ext`,
    ...NET.backends.map((b) => `addr add ${b}/32 dev ext`),
    `route add default via ${NET.server.gw}`,
  ]);
  await ipBatch(n.steerIn, ['link set ext up', `addr add ${NET.client.gw}/24 dev ext`]);
  await ipBatch(n.steerOut, ['link set ext up', `addr add ${NET.server.gw}/24 dev ext`]);
  for (const ns of [n.client, n.server, n.steerIn, n.steerOut]) await offloadsOff(ns, ['ext']);
}

export interface InstanceNet {
  ns: string;
  in: Leg;
  out: Leg;
}

/**
 * Instance `slot`'s namespace and its two legs. `kernelForwarding`: the test-only stand-in where
 * the instance's kernel routes instead of an NF process (legs get addresses and routes). Otherwise
 * the legs carry no address and ip_forward stays 0: the NF process forwards, not the kernel.
 */
export async function createInstanceNet(prefix: string, chain: NfKind[], slot: number, kernelForwarding: boolean): Promise<InstanceNet> {
  const n = names(prefix);
  const ns = n.instance(slot);
  const lin = leg(chain, slot, 'in');
  const lout = leg(chain, slot, 'out');
  await addNs(ns);
  await sysctl(ns, { 'net.ipv4.ip_forward': kernelForwarding ? 1 : 0 });
  for (const [steerNs, l] of [
    [n.steerIn, lin],
    [n.steerOut, lout],
  ] as const) {
    await veth({ ns, name: l.instIf, mac: l.instMac }, { ns: steerNs, name: l.steerIf, mac: l.steerMac });
    await ipBatch(steerNs, [
      `link set ${l.steerIf} up`,
      `addr add ${l.steerIp}/24 dev ${l.steerIf}`,
      `neigh replace ${l.instIp} lladdr ${l.instMac} dev ${l.steerIf} nud permanent`,
    ]);
    await sysctl(steerNs, { [`net.ipv4.conf.${l.steerIf}.rp_filter`]: 0 });
    await offloadsOff(steerNs, [l.steerIf]);
  }
  const lines = [`link set ${lin.instIf} up`, `link set ${lout.instIf} up`];
  if (kernelForwarding) {
    lines.push(
      `addr add ${lin.instIp}/24 dev ${lin.instIf}`,
      `addr add ${lout.instIp}/24 dev ${lout.instIf}`,
      `neigh replace ${lin.steerIp} lladdr ${lin.steerMac} dev ${lin.instIf} nud permanent`,
      `neigh replace ${lout.steerIp} lladdr ${lout.steerMac} dev ${lout.instIf} nud permanent`,
      ...STEER_IN_PREFIXES.map((p) => `route add ${p} via ${lout.steerIp}`),
      ...STEER_OUT_PREFIXES.map((p) => `route add ${p} via ${lin.steerIp}`),
    );
  }
  await ipBatch(ns, lines);
  await offloadsOff(ns, [lin.instIf, lout.instIf]);
  return { ns, in: lin, out: lout };
}

/** Brings an instance's two legs up (again): a dead instance's links were taken down (supervisor.ts). */
export async function instanceLinksUp(prefix: string, chain: NfKind[], slot: number): Promise<void> {
  const ns = names(prefix).instance(slot);
  await ipBatch(ns, [`link set ${leg(chain, slot, 'in').instIf} up`, `link set ${leg(chain, slot, 'out').instIf} up`]);
}

/** Deleting the namespace deletes both veths (a veth dies with either end). */
export async function deleteInstanceNet(prefix: string, slot: number): Promise<void> {
  await tryRun(['ip', 'netns', 'del', names(prefix).instance(slot)]);
}

/** Every namespace whose name starts with `<prefix>-`. */
export async function listNamespaces(prefix: string): Promise<string[]> {
  const out = await run(['ip', 'netns', 'list']);
  return out
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((s) => s.startsWith(`${prefix}-`));
}

/** pids of processes living in `ns` (they keep it alive after `ip netns del`). */
export async function nsPids(ns: string): Promise<number[]> {
  const out = await tryRun(['ip', 'netns', 'pids', ns]);
  return (out ?? '')
    .split('\n')
    .filter((s) => /^\d+$/.test(s))
    .map(Number);
}
