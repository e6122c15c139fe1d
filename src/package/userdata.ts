// Cloud-init user data for NF and store VDUs, from heat/cloud-init/*.yaml. Build-time values are
// filled here; deploy-time values (__VNF_NAME__, __STORE_NODES__, __VES_COLLECTOR__) stay as
// tokens the HOT templates replace with str_replace.
import type { Flavour, VnfDescriptor } from '../descriptor/types.js';
import { aclFileLine, aclRules, aclUser, type StoreRole } from '../store/acl.js';
import { assetText } from './assets.js';
import { backupSegmentFrames } from '../descriptor/semantic.js';
import { ramcloudModel, type RamcloudModel } from './model.js';
import { RAMCLOUD_ENV } from '../model/ramcloud-env.js';

function fill(text: string, values: Record<string, string>): string {
  return text.replace(/__[A-Z_]+__/g, (tok) => values[tok] ?? tok);
}

/** Hugepages reserved in the guest: half its memory, the rest for the OS and the control plane. */
function hugepages(f: Flavour): { count: number; kb: number } {
  const v = f.vdus.nf;
  const kb = v.hugepages === '1GB' ? 1048576 : 2048;
  return { count: Math.max(1, Math.floor((v.memoryMb * 1024) / 2 / kb)), kb };
}

/**
 * Role of each NIC in the order Nova attaches them: the HOT lists the NF VDU's connection points
 * by `order` (src/package/model.ts), then the store link when the store is a VDU of the VNF.
 * Data NICs are named by side, so the instance in the VM knows which NIC is inside and outside.
 */
function nicRoles(f: Flavour): string {
  const roles = Object.values(f.vdus.nf.connectionPoints)
    .sort((a, b) => a.order - b.order)
    .map((cp): string => (cp.role === 'data' ? (cp.side ?? 'data') : cp.role));
  if ((f.store.kind === 'vdu' && f.vdus.store !== undefined) || f.store.kind === 'ramcloud') roles.push('store');
  return roles.join(',');
}

/** SR-IOV VFs (vnicType direct) go to vfio-pci; virtio ports stay with the kernel under DPDK's AF_XDP driver. */
function dpdkDriver(f: Flavour): string {
  return Object.values(f.vdus.nf.connectionPoints).some((cp) => cp.role === 'data' && cp.vnicType === 'direct') ? 'vfio-pci' : 'af_xdp';
}

/** Whether the Redis the NFs reach is a Redis Cluster (a RAMCloud flavour's control Redis is one node). */
export function redisCluster(f: Flavour): boolean {
  return f.store.kind !== 'ramcloud' && f.store.cluster;
}

export function nfUserData(d: VnfDescriptor, f: Flavour): string {
  const hp = hugepages(f);
  const rc = ramcloudModel(f);
  // Only the ramcloud flavour has these lines (the flow store moves to RAMCloud, SNF_STORE_NODES
  // stays the control-plane Redis); the other flavours' user data stays byte for byte as it was.
  const text = assetText('heat/cloud-init/nf-user-data.yaml').replace(/^__RAMCLOUD_ENV__\n/m, () => (rc ? indentBlock(nfRamcloudEnv(rc)) + '\n' : ''));
  return fill(text, {
    __NF_KIND__: d.nf,
    __STORE_CLUSTER__: String(redisCluster(f)),
    __DATAPLANE__: f.vdus.nf.dataplane,
    __METRICS_PORT__: String(d.monitoring.prometheus.port),
    __METRICS_PATH__: d.monitoring.prometheus.path,
    __VES_INTERVAL_S__: String(d.monitoring.ves.reportingIntervalS),
    __HUGEPAGES_COUNT__: String(hp.count),
    __HUGEPAGES_KB__: String(hp.kb),
    __NICS__: nicRoles(f),
    __DPDK_DRIVER__: dpdkDriver(f),
  });
}

/** Heat tokens of the ramcloud flavour's user data (deploy-time values). */
export const RC_COORDINATOR_TOKEN = '__RC_COORDINATOR__';
export const RC_CLUSTER_NAME_TOKEN = '__RC_CLUSTER_NAME__';

/**
 * The NF's RAMCloud settings (nf.env): the engine's StoreConfig kind 'ramcloud' (src/model/tables.ts)
 * as environment lines, read back by ramcloudStoreFromEnv (src/model/ramcloud-env.ts). The table spans every master, so each holds a share of the flows.
 */
export function nfRamcloudEnv(rc: RamcloudModel): string[] {
  return [
    `${RAMCLOUD_ENV.kind}=ramcloud`,
    `${RAMCLOUD_ENV.coordinator}=${RC_COORDINATOR_TOKEN}`,
    `${RAMCLOUD_ENV.clusterName}=${RC_CLUSTER_NAME_TOKEN}`,
    `${RAMCLOUD_ENV.table}=${rc.table}`,
    `${RAMCLOUD_ENV.span}=${rc.masters.instances}`,
  ];
}

/** The RAMCloud locator of a host (the fork's TCP transport). */
export function rcLocator(host: string, port: number): string {
  return `tcp:host=${host},port=${port}`;
}

/**
 * snf-ramcloud.sh and its systemd units as cloud-init write_files entries (the image has neither:
 * it needs only /opt/snf/ramcloud); the coordinator VDU also gets the sweeper's unit.
 */
function ramcloudFiles(sweeper = false): string {
  const entry = (path: string, permissions: string, body: string) =>
    [`  - path: ${path}`, `    permissions: '${permissions}'`, '    content: |', indentBlock(body.trimEnd().split('\n'))].join('\n');
  return [
    entry('/etc/statelessnf/snf-ramcloud.sh', '0700', assetText('heat/scripts/snf-ramcloud.sh')),
    entry('/etc/systemd/system/statelessnf-ramcloud.service', '0644', assetText('heat/scripts/statelessnf-ramcloud.service')),
    ...(sweeper ? [entry('/etc/systemd/system/statelessnf-ramcloud-sweeper.service', '0644', assetText('heat/scripts/statelessnf-ramcloud-sweeper.service'))] : []),
  ].join('\n');
}

/** The coordinator VDU: rc-coordinator and the control-plane Redis (snf-redis, one node). */
export function rcCoordinatorUserData(rc: RamcloudModel): string {
  return fill(assetText('heat/cloud-init/ramcloud-coordinator-user-data.yaml'), {
    __CONTROL_PORT__: String(rc.coordinator.controlPort),
    __RC_PORT__: String(rc.coordinator.port),
  })
    .replace('__STORE_ACL_USERS__', () => indentBlock(storeAclLines()))
    .replace('__RAMCLOUD_FILES__', () => ramcloudFiles(true));
}

/** A masters VDU member: rc-server, master + backup (replicas > 0) or master only. */
export function rcMasterUserData(rc: RamcloudModel): string {
  const volumeGb = rc.masters.volumeGb;
  return fill(assetText('heat/cloud-init/ramcloud-master-user-data.yaml'), {
    __RC_PORT__: String(rc.masters.port),
    __RC_REPLICAS__: String(rc.replicas),
    __RC_MASTER_MEMORY_MB__: String(rc.masters.masterMemoryMb),
    __RC_SEGMENT_FRAMES__: String(volumeGb === undefined ? 0 : backupSegmentFrames(volumeGb)),
  }).replace('__RAMCLOUD_FILES__', () => ramcloudFiles());
}

/**
 * Replicas per master of the store VDU's cluster: as many as leave at least 3 masters (redis-cli
 * --cluster create refuses fewer), so 6 nodes are 3 masters + 3 replicas.
 */
export function storeReplicas(instances: number): number {
  return Math.max(0, Math.floor(instances / 3) - 1);
}

/** Where the NF's user data writes the store's CA (the `?ca=` of its rediss:// store URLs). */
export const NF_STORE_CA_FILE = '/etc/statelessnf/store-ca.pem';

/**
 * The name the store's TLS certificate carries and the NFs verify (`?servername=`): the store
 * nodes' addresses come from DHCP, so the certificate cannot name them.
 */
export const STORE_TLS_NAME = 'store.statelessnf.internal';

/** Heat tokens of the per-role ACL users' passwords, generated per deployment. */
export const STORE_ROLE_PASSWORD_TOKEN: Record<StoreRole, string> = {
  dataplane: '__STORE_DATAPLANE_PASSWORD__',
  control: '__STORE_CONTROL_PASSWORD__',
};

// A stand-in VNF name that aclRules accepts (the Heat token does not: it starts with `_`),
// swapped for the token afterwards; nothing else in the rules can contain it.
const VNF_STAND_IN = 'vnfnamestandin0q7z';

/**
 * The store VDU's ACL file lines for the VNF's roles (src/store/acl.ts, the same rules
 * `applyAclUser` sets), with the VNF name and the passwords left as Heat tokens.
 */
export function storeAclLines(): string[] {
  return (['dataplane', 'control'] as const).map((role) =>
    aclFileLine(aclUser(VNF_STAND_IN, role), aclRules(VNF_STAND_IN, role), STORE_ROLE_PASSWORD_TOKEN[role]).split(VNF_STAND_IN).join('__VNF_NAME__'),
  );
}

/** Lines into a YAML block scalar under `content: |` (six spaces). */
function indentBlock(lines: string[]): string {
  return lines.map((l) => (l === '' ? '' : `      ${l}`)).join('\n');
}

export function storeUserData(f: Flavour): string {
  const instances = f.vdus.store?.instances ?? 1;
  // The script goes into a YAML block scalar: every line indented under `content: |`.
  const script = indentBlock(assetText('heat/scripts/snf-redis-cluster-form.sh').trimEnd().split('\n'));
  const acl = indentBlock(storeAclLines());
  return fill(assetText('heat/cloud-init/store-user-data.yaml'), {
    __STORE_PORT__: String(f.vdus.store?.port ?? 6379),
    __STORE_CLUSTER__: String(redisCluster(f)),
    __STORE_INSTANCES__: String(instances),
    __STORE_REPLICAS__: String(storeReplicas(instances)),
  })
    .replace('__CLUSTER_FORM_SCRIPT__', () => script)
    .replace('__STORE_ACL_USERS__', () => acl);
}
