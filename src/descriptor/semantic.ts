// Cross-field rules of a descriptor that JSON Schema cannot state: references between sections,
// numeric relations, prefix syntax, uniqueness. Runs only on schema-valid input.
import type { FirewallConfig, LbConfig, NatConfig, PortRange } from '../dataplane/types.js';
import type { DescriptorIssue, Flavour, NfVdu, RamcloudMastersVdu, VnfDescriptor } from './types.js';
import { endpointError, ipFamily, isPrime, prefixError } from './net.js';

type Report = (path: string, message: string) => void;

export function semanticIssues(d: VnfDescriptor): DescriptorIssue[] {
  const issues: DescriptorIssue[] = [];
  const report: Report = (path, message) => issues.push({ path, message });

  checkConfigKinds(d, report);
  if (d.config.nat) checkNat(d.config.nat, 'config.nat', report);
  if (d.config.firewall) checkFirewall(d.config.firewall, 'config.firewall', report);
  if (d.config.lb) checkLb(d.config.lb, 'config.lb', report);

  for (const [id, f] of Object.entries(d.flavours)) checkFlavour(d, id, f, report);
  return issues;
}

function checkConfigKinds(d: VnfDescriptor, report: Report): void {
  if (!d.config[d.nf]) report(`config.${d.nf}`, `is required for a ${d.nf} VNF`);
  for (const kind of ['nat', 'firewall', 'lb'] as const) {
    if (kind !== d.nf && d.config[kind]) report(`config.${kind}`, `is not used by a ${d.nf} VNF`);
  }
}

function checkPrefixes(list: string[] | undefined, path: string, report: Report): void {
  (list ?? []).forEach((p, i) => {
    const err = prefixError(p);
    if (err) report(`${path}.${i}`, err);
  });
}

function checkRange(r: PortRange, path: string, report: Report): void {
  if (r[0] > r[1]) report(path, `range start ${r[0]} is greater than its end ${r[1]}`);
}

function checkNat(c: NatConfig, path: string, report: Report): void {
  checkPrefixes(c.insidePrefixes, `${path}.insidePrefixes`, report);
  const seen = new Set<string>();
  c.pool.forEach((a, i) => {
    if (seen.has(a)) report(`${path}.pool.${i}`, `duplicate pool address ${a}`);
    seen.add(a);
  });
  if (c.portRange) checkRange(c.portRange, `${path}.portRange`, report);
}

function checkFirewall(c: FirewallConfig, path: string, report: Report): void {
  const ids = new Set<string>();
  c.rules.forEach((r, i) => {
    const rp = `${path}.rules.${i}`;
    if (r.id !== undefined) {
      if (ids.has(r.id)) report(`${rp}.id`, `duplicate rule id '${r.id}'`);
      ids.add(r.id);
    }
    checkPrefixes(r.src, `${rp}.src`, report);
    checkPrefixes(r.dst, `${rp}.dst`, report);
    (r.srcPorts ?? []).forEach((pr, j) => checkRange(pr, `${rp}.srcPorts.${j}`, report));
    (r.dstPorts ?? []).forEach((pr, j) => checkRange(pr, `${rp}.dstPorts.${j}`, report));
    const hasPorts = (r.srcPorts?.length ?? 0) + (r.dstPorts?.length ?? 0) > 0;
    if (hasPorts && r.proto !== 'tcp' && r.proto !== 'udp') {
      report(`${rp}.proto`, 'must be tcp or udp when the rule matches ports');
    }
  });
}

function checkLb(c: LbConfig, path: string, report: Report): void {
  const vipIds = new Set<string>();
  const listeners = new Set<string>();
  c.vips.forEach((v, i) => {
    const vp = `${path}.vips.${i}`;
    if (vipIds.has(v.id)) report(`${vp}.id`, `duplicate VIP id '${v.id}'`);
    vipIds.add(v.id);
    const key = `${v.address}|${v.port}|${v.protocol}`;
    if (listeners.has(key)) report(vp, `another VIP already listens on ${v.address}:${v.port}/${v.protocol}`);
    listeners.add(key);
    const backendIds = new Set<string>();
    v.backends.forEach((b, j) => {
      const bp = `${vp}.backends.${j}`;
      if (backendIds.has(b.id)) report(`${bp}.id`, `duplicate backend id '${b.id}' in VIP '${v.id}'`);
      backendIds.add(b.id);
      if (ipFamily(b.address) !== ipFamily(v.address)) {
        report(`${bp}.address`, `must be the same address family as the VIP ${v.address}`);
      }
    });
  });
  if (c.maglevTableSize !== undefined && !isPrime(c.maglevTableSize)) {
    report(`${path}.maglevTableSize`, `${c.maglevTableSize} is not a prime`);
  }
}

function checkFlavour(d: VnfDescriptor, id: string, f: Flavour, report: Report): void {
  const fp = `flavours.${id}`;
  checkNfVdu(d, f.vdus.nf, `${fp}.vdus.nf`, report);

  const store = f.vdus.store;
  if (store && !d.images[store.image]) report(`${fp}.vdus.store.image`, `unknown image '${store.image}'`);
  if (f.store.kind === 'vdu' && !store) report(`${fp}.vdus.store`, 'is required when store.kind is vdu');
  if (f.store.kind !== 'vdu' && store) report(`${fp}.vdus.store`, `is not allowed when store.kind is ${f.store.kind}`);
  checkRamcloud(d, f, fp, report);
  if (f.store.kind === 'vdu' && f.store.cluster && store && store.instances < 3) {
    report(`${fp}.vdus.store.instances`, 'a Redis Cluster needs at least 3 nodes');
  }
  if (f.store.kind === 'external') {
    f.store.nodes.forEach((n, i) => {
      const err = endpointError(n);
      if (err) report(`${fp}.store.nodes.${i}`, err);
    });
  }

  const a = f.scaling.nf_instances;
  const ap = `${fp}.scaling.nf_instances`;
  const boundsOk = a.min <= a.max;
  if (!boundsOk) report(`${ap}.min`, `min ${a.min} is greater than max ${a.max}`);
  else if ((a.max - a.min) % a.delta !== 0) {
    report(`${ap}.delta`, `max - min (${a.max - a.min}) must be a multiple of delta ${a.delta}`);
  }
  const levels = f.instantiationLevels;
  if (!levels.levels[levels.default]) {
    report(`${fp}.instantiationLevels.default`, `unknown instantiation level '${levels.default}'`);
  }
  for (const [lid, l] of Object.entries(levels.levels)) {
    const lp = `${fp}.instantiationLevels.levels.${lid}.nf_instances`;
    if (!boundsOk) continue;
    if (l.nf_instances < a.min || l.nf_instances > a.max) {
      report(lp, `${l.nf_instances} is outside the nf_instances aspect bounds ${a.min}..${a.max}`);
    } else if ((l.nf_instances - a.min) % a.delta !== 0) {
      report(lp, `${l.nf_instances} is not reachable from min ${a.min} in steps of ${a.delta}`);
    }
  }
}

/** Memory a master VM keeps for the OS, the backup's segment buffers and the RPC buffers. */
export const RAMCLOUD_OS_RESERVE_MB = 512;

function checkRamcloud(d: VnfDescriptor, f: Flavour, fp: string, report: Report): void {
  const { coordinator, masters } = f.vdus;
  if (f.store.kind !== 'ramcloud') {
    if (coordinator) report(`${fp}.vdus.coordinator`, `is only for store.kind ramcloud (this flavour's is ${f.store.kind})`);
    if (masters) report(`${fp}.vdus.masters`, `is only for store.kind ramcloud (this flavour's is ${f.store.kind})`);
    return;
  }
  if (!coordinator) report(`${fp}.vdus.coordinator`, 'is required when store.kind is ramcloud (rc-coordinator and the control-plane Redis)');
  if (!masters) report(`${fp}.vdus.masters`, 'is required when store.kind is ramcloud (the rc-server masters holding flow state)');
  if (coordinator) {
    checkImage(d, coordinator, `${fp}.vdus.coordinator`, report);
    const cp = coordinator.port ?? RAMCLOUD_COORDINATOR_PORT;
    if (cp === (coordinator.controlPort ?? 6379)) report(`${fp}.vdus.coordinator.controlPort`, `${cp} is the coordinator's port too`);
  }
  if (!masters) return;
  const mp = `${fp}.vdus.masters`;
  checkImage(d, masters, mp, report);
  checkMasters(masters, f.store.replicas, mp, report);
}

/** RAMCloud's segment size: a backup's storage is counted in frames of one segment. */
const SEGMENT_MB = 8;

/**
 * rc-server --segmentFrames for a backup volume: its size in 8 MB frames, less 5% for the
 * per-frame metadata and superblocks RAMCloud keeps on the same device (MultiFileStorage).
 */
export function backupSegmentFrames(volumeGb: number): number {
  return Math.floor((volumeGb * 1024 * 0.95) / SEGMENT_MB);
}

/** rc-coordinator's and rc-server's ports when the descriptor names none. */
export const RAMCLOUD_COORDINATOR_PORT = 11100;
export const RAMCLOUD_MASTER_PORT = 11101;

function checkMasters(m: RamcloudMastersVdu, replicas: number, mp: string, report: Report): void {
  if (m.masterMemoryMb > m.memoryMb - RAMCLOUD_OS_RESERVE_MB) {
    report(`${mp}.masterMemoryMb`, `${m.masterMemoryMb} MB leaves less than ${RAMCLOUD_OS_RESERVE_MB} MB of the VM's ${m.memoryMb} MB for the OS and the backup's buffers`);
  }
  if (replicas === 0) {
    if (m.volumeGb !== undefined) report(`${mp}.volumeGb`, 'is not used when store.replicas is 0 (the masters run without backups: --masterOnly)');
    return;
  }
  // A master never keeps a replica of its own segments (rc-server without --allowLocalBackup),
  // so every segment needs `replicas` other servers running a backup.
  if (m.instances < replicas + 1) {
    report(`${mp}.instances`, `${m.instances} server(s) cannot hold ${replicas} backup copies of each segment on servers other than its master: needs at least ${replicas + 1} (store.replicas + 1)`);
  }
  if (m.volumeGb === undefined) {
    report(`${mp}.volumeGb`, `is required when store.replicas is ${replicas}: each server's backup keeps other masters' segments on it`);
    return;
  }
  // rc-server --segmentFrames: "should be at least 2NR/8M" for N bytes of master memory and R replicas.
  const needMb = 2 * m.masterMemoryMb * replicas;
  if (backupSegmentFrames(m.volumeGb) * SEGMENT_MB < needMb) {
    let gb = m.volumeGb;
    while (backupSegmentFrames(gb) * SEGMENT_MB < needMb) gb++;
    report(`${mp}.volumeGb`, `${m.volumeGb} GB is below the ${gb} GB a backup needs (2 x masterMemoryMb x replicas in 8 MB segment frames, rc-server --segmentFrames)`);
  }
}

function checkImage(d: VnfDescriptor, v: { image: string; memoryMb: number; diskGb: number }, vp: string, report: Report): void {
  const img = d.images[v.image];
  if (!img) return report(`${vp}.image`, `unknown image '${v.image}'`);
  if (img.minRamMb > v.memoryMb) report(`${vp}.memoryMb`, `is below the image's minRamMb ${img.minRamMb}`);
  if (img.minDiskGb > v.diskGb) report(`${vp}.diskGb`, `is below the image's minDiskGb ${img.minDiskGb}`);
}

function checkNfVdu(d: VnfDescriptor, v: NfVdu, vp: string, report: Report): void {
  const img = d.images[v.image];
  if (!img) report(`${vp}.image`, `unknown image '${v.image}'`);
  else {
    if (img.minRamMb > v.memoryMb) report(`${vp}.memoryMb`, `is below the image's minRamMb ${img.minRamMb}`);
    if (img.minDiskGb > v.diskGb) report(`${vp}.diskGb`, `is below the image's minDiskGb ${img.minDiskGb}`);
  }
  if (v.dataplane === 'dpdk') {
    if (!v.hugepages) report(`${vp}.hugepages`, 'is required by the dpdk data plane');
    if (v.cpuPolicy !== 'dedicated') report(`${vp}.cpuPolicy`, 'must be dedicated for the dpdk data plane');
  }
  const cps = Object.entries(v.connectionPoints);
  const mgmt = cps.filter(([, c]) => c.role === 'management');
  if (mgmt.length !== 1) report(`${vp}.connectionPoints`, `must have exactly one management CP (found ${mgmt.length})`);
  const sides = new Map<string, string>();
  const orders = new Map<number, string>();
  for (const [name, c] of cps) {
    const cp = `${vp}.connectionPoints.${name}`;
    // The generators name the NF's link to a store VDU 'store'; a CP of that name would collide.
    if (name === 'store') report(cp, "the name 'store' is reserved for the NF's link to a store VDU");
    const prev = orders.get(c.order);
    if (prev) report(`${cp}.order`, `order ${c.order} is already used by '${prev}'`);
    orders.set(c.order, name);
    if (c.role === 'management') {
      if (c.side) report(`${cp}.side`, 'is only for data CPs');
      if (c.vnicType !== 'normal') report(`${cp}.vnicType`, 'must be normal for the management CP');
      continue;
    }
    if (!c.side) {
      report(`${cp}.side`, 'is required for a data CP');
      continue;
    }
    const other = sides.get(c.side);
    if (other) report(`${cp}.side`, `side ${c.side} is already served by '${other}'`);
    sides.set(c.side, name);
  }
  for (const side of ['inside', 'outside']) {
    if (!sides.has(side)) report(`${vp}.connectionPoints`, `needs a data CP for the ${side} side`);
  }
}
