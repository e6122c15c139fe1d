// Names derived once from a descriptor and shared by every generator and validator, so the
// TOSCA VNFD, the Tacker BaseHOT and the ONAP modules cannot disagree about what exists.
import type { Flavour, RamcloudCoordinatorVdu, RamcloudMastersVdu, VnfDescriptor } from '../descriptor/types.js';
import { RAMCLOUD_COORDINATOR_PORT, RAMCLOUD_MASTER_PORT } from '../descriptor/semantic.js';

export const NF_VDU = 'nf';
export const STORE_VDU = 'store';
export const STORE_VL = 'store_vl';
/** The ramcloud flavour's VDUs: rc-coordinator (+ the control-plane Redis) and the rc-server masters. */
export const RC_COORDINATOR_VDU = 'rc_coordinator';
export const RC_MASTER_VDU = 'rc_master';
export const ASPECT = 'nf_instances';
export const HOOK_ARTIFACT = 'snf-lcm-hook';
export const HOOK_SCRIPT = 'Scripts/snf_lcm_hook.py';
/** Tacker v2 LCM operation user data: the default's work plus the store VDU's TLS parameters (tosca/userdata/). */
export const USERDATA_SCRIPT = 'UserData/statelessnf_userdata.py';
export const USERDATA_CLASS = 'StatelessNfUserData';
/** Subnet of the VNF-internal link between NF instances and a store VDU. */
export const STORE_NET_CIDR = '172.31.255.0/24';

export const LCM_HOOKS = [
  'instantiate_start', 'instantiate_end',
  'terminate_start', 'terminate_end',
  'scale_start', 'scale_end',
  'scale_to_level_start', 'scale_to_level_end',
  'heal_start', 'heal_end',
  'change_external_connectivity_start', 'change_external_connectivity_end',
  'modify_information_start', 'modify_information_end',
  // Change Current VNF Package (rolling image update): the SOL001 name and Tacker 8.0.0's name.
  'change_current_package_start', 'change_current_package_end',
  'change_vnfpkg_start', 'change_vnfpkg_end',
] as const;

export interface CpModel {
  /** TOSCA node template name and Tacker `nfv.CP.<id>` key. */
  id: string;
  vdu: typeof NF_VDU | typeof STORE_VDU | typeof RC_COORDINATOR_VDU | typeof RC_MASTER_VDU;
  /** Short name used in HOT parameters and ONAP network roles. */
  name: string;
  role: 'management' | 'data' | 'store';
  side?: 'inside' | 'outside';
  vnicType: 'normal' | 'direct';
  order: number;
  /** External CPs are exposed by the VNF; internal ones attach to STORE_VL. */
  external: boolean;
}

export interface FlavourModel {
  id: string;
  flavour: Flavour;
  cps: CpModel[];
  hasStoreVdu: boolean;
  /** store.kind ramcloud: the coordinator and masters VDUs (RamcloudModel). */
  ramcloud?: RamcloudModel;
  /** The VNF-internal store link exists: a Redis store VDU or the RAMCloud VDUs are deployed with the VNF. */
  hasStoreVl: boolean;
  maxScaleLevel: number;
}

export function flavourModel(d: VnfDescriptor, id: string): FlavourModel {
  const flavour = d.flavours[id];
  if (!flavour) throw new Error(`unknown flavour '${id}' (known: ${Object.keys(d.flavours).join(', ')})`);
  const nf = flavour.vdus.nf;
  const cps: CpModel[] = Object.entries(nf.connectionPoints)
    .sort(([, a], [, b]) => a.order - b.order)
    .map(([name, cp]) => ({
      id: `${NF_VDU}_${name}_cp`,
      vdu: NF_VDU,
      name,
      role: cp.role,
      ...(cp.side ? { side: cp.side } : {}),
      vnicType: cp.vnicType,
      order: cp.order,
      external: true,
    }));
  const hasStoreVdu = flavour.store.kind === 'vdu' && flavour.vdus.store !== undefined;
  const ramcloud = ramcloudModel(flavour);
  const hasStoreVl = hasStoreVdu || ramcloud !== undefined;
  if (hasStoreVl) {
    // The NF reaches a store deployed with the VNF over a VNF-internal link of its own.
    const order = Math.max(...cps.map((c) => c.order)) + 1;
    cps.push({ id: `${NF_VDU}_store_cp`, vdu: NF_VDU, name: 'store', role: 'store', vnicType: 'normal', order, external: false });
  }
  if (hasStoreVdu) cps.push({ id: `${STORE_VDU}_cp`, vdu: STORE_VDU, name: 'store', role: 'store', vnicType: 'normal', order: 0, external: false });
  if (ramcloud) {
    for (const vdu of [RC_COORDINATOR_VDU, RC_MASTER_VDU] as const) {
      cps.push({ id: `${vdu}_cp`, vdu, name: 'store', role: 'store', vnicType: 'normal', order: 0, external: false });
    }
  }
  const a = flavour.scaling.nf_instances;
  return { id, flavour, cps, hasStoreVdu, ...(ramcloud ? { ramcloud } : {}), hasStoreVl, maxScaleLevel: (a.max - a.min) / a.delta };
}

/** Everything the generators need of a ramcloud flavour, defaults filled. */
export interface RamcloudModel {
  coordinator: RamcloudCoordinatorVdu & { port: number; controlPort: number };
  masters: RamcloudMastersVdu & { port: number };
  replicas: number;
  /** --clusterName; undefined: the VNF's name at deploy time (the stack name / vnf_name). */
  clusterName?: string;
  table: string;
}

export function ramcloudModel(f: Flavour): RamcloudModel | undefined {
  const { coordinator, masters } = f.vdus;
  if (f.store.kind !== 'ramcloud' || !coordinator || !masters) return undefined;
  return {
    coordinator: { ...coordinator, port: coordinator.port ?? RAMCLOUD_COORDINATOR_PORT, controlPort: coordinator.controlPort ?? 6379 },
    masters: { ...masters, port: masters.port ?? RAMCLOUD_MASTER_PORT },
    replicas: f.store.replicas,
    ...(f.store.clusterName ? { clusterName: f.store.clusterName } : {}),
    table: f.store.table ?? 'snf',
  };
}

export function flavourIds(d: VnfDescriptor): string[] {
  return Object.keys(d.flavours);
}

/** File-name stem of everything generated for this VNF, e.g. `snf_nat`. */
export function stem(d: VnfDescriptor): string {
  return d.name;
}

export function scaleLevel(f: Flavour, instances: number): number {
  const a = f.scaling.nf_instances;
  return (instances - a.min) / a.delta;
}

/**
 * Nova flavor names the templates take (by name: a grant's computeResourceFlavours or the
 * operator's flavor, no admin rights needed to instantiate). The descriptor may name them.
 */
export function nfFlavorName(d: VnfDescriptor, flavourId: string): string {
  return d.flavours[flavourId]?.vdus.nf.flavorName ?? `${stem(d)}-${flavourId}-${NF_VDU}`;
}

export function storeFlavorName(d: VnfDescriptor, flavourId: string): string {
  return d.flavours[flavourId]?.vdus.store?.flavorName ?? `${stem(d)}-${flavourId}-${STORE_VDU}`;
}

/** Nova flavor names of the RAMCloud VDUs (the descriptor may name them). */
export function rcFlavorName(d: VnfDescriptor, flavourId: string, vdu: typeof RC_COORDINATOR_VDU | typeof RC_MASTER_VDU): string {
  const f = d.flavours[flavourId]?.vdus;
  const named = vdu === RC_COORDINATOR_VDU ? f?.coordinator?.flavorName : f?.masters?.flavorName;
  return named ?? `${stem(d)}-${flavourId}-${vdu.replace('_', '-')}`;
}
