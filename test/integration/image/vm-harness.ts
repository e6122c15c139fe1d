// VMs of the StatelessNF image under QEMU (TCG: there is no /dev/kvm here) inside the local
// deployment's topology (src/vim/local/topology.ts): instance slot k's namespace holds the VM's
// QEMU, and bridges join its taps to the namespace's `inside` / `outside` legs, so steering sees
// the VM exactly where the local VIM would put an NF process. A management namespace `<p>-mg`
// holds a bridge (10.10.0.1/24) every VM's first NIC joins and the Redis the instances register
// in. Everything is created under the test's prefix and deleted by name and pid
// (test/support/netns.ts forceCleanup covers the namespaces and every process inside them).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { NfKind } from '../../../src/dataplane/types.js';
import { buildImage, findBuiltImage, type BuiltImage } from '../../../src/image/index.js';
import { createInstanceNet, leg, names } from '../../../src/vim/local/topology.js';
import { ipBatch, run } from '../../../src/vim/local/sh.js';

export const MGMT = { ns: (p: string) => `${p}-mg`, gw: '10.10.0.1', redisPort: 6379 };

export function mgmtIp(slot: number): string {
  return `10.10.0.${10 + slot}`;
}

const hex = (n: number) => n.toString(16).padStart(2, '0');

export interface Vm {
  name: string;
  slot: number;
  ns: string;
  pid: number;
  dir: string;
  serial: string;
  startedAt: number;
}

/** Management namespace with its bridge and a Redis on 10.10.0.1 (TCP for the VMs, UNIX socket for the test). */
export async function createMgmt(prefix: string, dir: string): Promise<{ pid: number; socket: string }> {
  const ns = MGMT.ns(prefix);
  await run(['ip', 'netns', 'add', ns]);
  await ipBatch(ns, ['link set lo up', 'link add name br0 type bridge', 'link set br0 up', `addr add ${MGMT.gw}/24 dev br0`]);
  const socket = join(dir, 'redis.sock');
  const fd = openSync(join(dir, 'redis.log'), 'a');
  const child = spawn(
    'ip',
    ['netns', 'exec', ns, 'redis-server', '--bind', MGMT.gw, '--port', String(MGMT.redisPort), '--unixsocket', socket, '--unixsocketperm', '700',
      '--protected-mode', 'no', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: ['ignore', fd, fd], detached: true },
  );
  closeSync(fd);
  child.unref();
  const end = Date.now() + 10_000;
  while (!existsSync(socket)) {
    if (Date.now() > end) throw new Error(`redis-server did not start: ${readFileSync(join(dir, 'redis.log'), 'utf8').slice(-500)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { pid: child.pid!, socket };
}

/** Joins namespace `ns`'s interface `mgmt` (a veth into the mgmt bridge) to a tap through a bridge. */
async function mgmtLink(prefix: string, ns: string, slot: number): Promise<void> {
  const mg = MGMT.ns(prefix);
  await run(['ip', 'link', 'add', 'mgmt', 'netns', ns, 'type', 'veth', 'peer', 'name', `v${slot}`, 'netns', mg]);
  await ipBatch(mg, [`link set v${slot} master br0`, `link set v${slot} up`]);
}

export interface NicPlan {
  mac: string;
  /** cloud-init network-config address (CIDR) */
  addr: string;
}

export interface VmNet {
  ns: string;
  nics: NicPlan[];
}

/**
 * An NF VM's network: the local deployment's instance namespace and legs, the legs' MACs moved
 * to the guest's NICs (steering has permanent neighbour entries for those MACs), the veths
 * bridged to taps. NIC order = the HOT's port order for the descriptor: management, inside, outside.
 */
export async function nfVmNet(prefix: string, chain: NfKind[], slot: number): Promise<VmNet> {
  const net = await createInstanceNet(prefix, chain, slot, false);
  const lin = leg(chain, slot, 'in');
  const lout = leg(chain, slot, 'out');
  const [inside, outside] = lin.instIf === 'inside' ? [lin, lout] : [lout, lin];
  await mgmtLink(prefix, net.ns, slot);
  await ipBatch(net.ns, [
    // the veth ends give their MACs to the guest's NICs
    `link set inside address 02:55:11:00:00:${hex(slot)}`,
    `link set outside address 02:55:21:00:00:${hex(slot)}`,
    ...['m', 'i', 'o'].flatMap((x) => [`tuntap add dev t${x} mode tap`, `link add name b${x} type bridge`, `link set b${x} up`, `link set t${x} master b${x}`, `link set t${x} up`]),
    'link set mgmt master bm', 'link set mgmt up',
    'link set inside master bi', 'link set outside master bo',
  ]);
  // Tap offloads off like every veth of the local deployment: the NF reads frames as on a wire.
  for (const t of ['ti', 'to']) spawnSync('ip', ['netns', 'exec', net.ns, 'ethtool', '-K', t, 'tso', 'off', 'gso', 'off', 'gro', 'off', 'tx', 'off'], { stdio: 'ignore' });
  return {
    ns: net.ns,
    nics: [
      { mac: `52:54:00:5e:00:${hex(slot)}`, addr: `${mgmtIp(slot)}/24` },
      { mac: inside.instMac, addr: `${inside.instIp}/24` },
      { mac: outside.instMac, addr: `${outside.instIp}/24` },
    ],
  };
}

/** The store VM's network: one NIC on the management bridge. */
export async function storeVmNet(prefix: string, slot: number): Promise<VmNet> {
  const ns = `${prefix}-st${slot}`;
  await run(['ip', 'netns', 'add', ns]);
  await mgmtLink(prefix, ns, slot);
  await ipBatch(ns, ['link set lo up', 'tuntap add dev tm mode tap', 'link add name bm type bridge', 'link set bm up', 'link set tm master bm', 'link set tm up', 'link set mgmt master bm', 'link set mgmt up']);
  return { ns, nics: [{ mac: `52:54:00:5e:00:${hex(slot)}`, addr: `${mgmtIp(slot)}/24` }] };
}

/** NoCloud seed (cidata ISO): the user data as given, meta-data, and a v2 network-config (what Neutron's metadata would give). */
export function seedIso(dir: string, name: string, userData: string, nics: NicPlan[]): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'user-data'), userData);
  writeFileSync(join(dir, 'meta-data'), `instance-id: ${name}\nlocal-hostname: ${name}\n`);
  const ethernets: Record<string, object> = {};
  nics.forEach((n, i) => (ethernets[`nic${i}`] = { match: { macaddress: n.mac }, 'set-name': `nic${i}`, addresses: [n.addr] }));
  writeFileSync(join(dir, 'network-config'), yaml.dump({ version: 2, ethernets }));
  const iso = join(dir, 'seed.iso');
  const r = spawnSync('cloud-localds', ['-N', join(dir, 'network-config'), iso, join(dir, 'user-data'), join(dir, 'meta-data')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cloud-localds: ${r.stderr}`);
  return iso;
}

/**
 * Boots `image` (through SeaBIOS and SYSLINUX, as Nova would) on a thin overlay, with the seed
 * and optional extra disks, NICs on the namespace's taps tm, ti, to in that order.
 */
export function startVm(o: { name: string; slot: number; ns: string; dir: string; image: string; seed: string; nics: NicPlan[]; extraDisks?: string[]; memMb?: number }): Vm {
  mkdirSync(o.dir, { recursive: true });
  const overlay = join(o.dir, 'disk.qcow2');
  const r = spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', o.image, overlay], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`qemu-img create: ${r.stderr}`);
  const taps = ['tm', 'ti', 'to'];
  const serial = join(o.dir, 'serial.log');
  const args = [
    'netns', 'exec', o.ns, 'qemu-system-x86_64', '-accel', 'tcg', '-machine', 'q35', '-cpu', 'max', '-smp', '1', '-m', String(o.memMb ?? 1024),
    '-display', 'none',
    '-drive', `file=${overlay},if=virtio,format=qcow2`,
    ...(o.extraDisks ?? []).flatMap((d) => ['-drive', `file=${d},if=virtio,format=qcow2`]),
    '-drive', `file=${o.seed},if=virtio,format=raw,readonly=on`,
    ...o.nics.flatMap((n, i) => ['-netdev', `tap,id=n${i},ifname=${taps[i]},script=no,downscript=no`, '-device', `virtio-net-pci,netdev=n${i},mac=${n.mac}`]),
    '-serial', `file:${serial}`,
    '-monitor', `unix:${join(o.dir, 'mon.sock')},server,nowait`,
  ];
  const fd = openSync(join(o.dir, 'qemu.out'), 'a');
  const child = spawn('ip', args, { stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  child.unref();
  return { name: o.name, slot: o.slot, ns: o.ns, pid: child.pid!, dir: o.dir, serial, startedAt: Date.now() };
}

export function serialTail(vm: Vm, lines = 15): string {
  try {
    return readFileSync(vm.serial, 'utf8').replace(/\r/g, '').split('\n').filter((l) => l.trim()).slice(-lines).join('\n');
  } catch {
    return '(no serial log)';
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export { names };

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Why the VM tests cannot run here, or undefined: they fail (never skip) with this reason. */
export function missingTools(): string | undefined {
  if (process.getuid?.() !== 0) return 'must run as root (namespaces, taps, image build)';
  for (const t of ['qemu-system-x86_64', 'qemu-img', 'cloud-localds', 'redis-server', 'redis-cli', 'ip', 'ethtool']) {
    if (spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0) return `${t} missing: install scripts/deps/image.txt (bash scripts/setup.sh)`;
  }
  return undefined;
}

/** Heat's str_replace: every param key replaced by its value, longest keys first. */
export function strReplace(template: string, params: Record<string, string>): string {
  let out = template;
  for (const k of Object.keys(params).sort((a, b) => b.length - a.length)) out = out.split(k).join(params[k]);
  return out;
}

const isRec = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * The HOT functions the user data's str_replace params use, evaluated as Heat does (HOT
 * 2018-08-31: get_param, list_join, str_split). Anything else, or a parameter the test did not
 * give, is refused by name: a new param must be added to the test's contract, not slip through.
 */
export function heatValue(node: unknown, values: Record<string, string>, where: string): string {
  if (typeof node === 'string') return node;
  if (isRec(node) && 'get_param' in node) {
    const p = node.get_param;
    if (typeof p !== 'string' || !(p in values)) throw new Error(`${where}: get_param ${JSON.stringify(p)}, which the test does not provide`);
    return values[p];
  }
  if (isRec(node) && Array.isArray(node.list_join) && typeof node.list_join[0] === 'string') {
    return heatList(node.list_join[1], values, where).join(node.list_join[0]);
  }
  throw new Error(`${where}: Heat function ${JSON.stringify(node)} is not one the test evaluates`);
}

function heatList(node: unknown, values: Record<string, string>, where: string): string[] {
  if (Array.isArray(node)) return node.map((x) => heatValue(x, values, where));
  if (isRec(node) && Array.isArray(node.str_split) && typeof node.str_split[0] === 'string') return heatValue(node.str_split[1], values, where).split(node.str_split[0]);
  throw new Error(`${where}: ${JSON.stringify(node)} is not a list the test evaluates`);
}

type HotDoc = { resources?: Record<string, { type: string; properties?: Record<string, unknown> }> };

/**
 * The user data of the OS::Nova::Server named `server` exactly as the generated HOT files embed
 * it, its str_replace params evaluated from `values` (template parameter -> value) as Heat would.
 */
export function hotUserData(files: Map<string, string>, server: string, values: Record<string, string>): string {
  for (const [file, text] of files) {
    const r = (yaml.load(text) as HotDoc).resources?.[server];
    if (r?.type !== 'OS::Nova::Server') continue;
    const ud = r.properties?.user_data as { str_replace?: { template: string; params: Record<string, unknown> } } | undefined;
    if (!ud?.str_replace) throw new Error(`${file}: ${server} has no str_replace user data`);
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(ud.str_replace.params)) params[k] = heatValue(v, values, `${file}: user data param ${k}`);
    return strReplace(ud.str_replace.template, params);
  }
  throw new Error(`no OS::Nova::Server ${server} in the HOT files`);
}

/**
 * Polls `fn` until it returns a value. Its errors count as "not yet" (a VM is still booting),
 * except those starting with `fatal:`, which end the wait at once.
 */
export async function waitFor<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>, diag: () => string, pollMs = 1000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch((e: unknown) => {
      if (e instanceof Error && e.message.startsWith('fatal:')) throw e;
      return undefined;
    });
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${Math.round(timeoutMs / 1000)} s\n${diag()}`);
    await sleep(pollMs);
  }
}

/** The image for this checkout: the cached build, or a build now (progress every minute). */
export async function theImage(): Promise<BuiltImage> {
  const found = await findBuiltImage();
  if (found) {
    console.log(`      image cached: ${found.path} (${(found.facts.sizeBytes / 2 ** 20).toFixed(0)} MiB, built in ${found.facts.buildSeconds} s)`);
    return found;
  }
  const t0 = Date.now();
  let last = 0;
  const image = await buildImage({ progress: (l) => { if (l.includes('image: [') || Date.now() - last > 60_000) { last = Date.now(); console.log(`      ${l}`); } } });
  console.log(`      image built in ${Math.round((Date.now() - t0) / 1000)} s: ${image.path} (${(image.facts.sizeBytes / 2 ** 20).toFixed(0)} MiB)`);
  return image;
}

/**
 * A VM instance's Prometheus text, fetched from inside the management namespace (the test host
 * has no route to it) with this Node, so no HTTP client package is needed. Throws when unreachable.
 */
export function vmMetrics(prefix: string, slot: number, port = 9100, path = '/metrics'): string {
  const js = `fetch('http://${mgmtIp(slot)}:${port}${path}',{signal:AbortSignal.timeout(10000)}).then(r=>r.text()).then(t=>process.stdout.write(t)).catch(e=>{process.stderr.write(String(e));process.exit(1)})`;
  const r = spawnSync('ip', ['netns', 'exec', MGMT.ns(prefix), process.execPath, '-e', js], { encoding: 'utf8', timeout: 15_000 });
  if (r.status !== 0) throw new Error(`metrics of the VM in slot ${slot}: ${r.stderr || r.error?.message || `exit ${r.status}`}`);
  return r.stdout;
}
