// The ramcloud flavour's part of the Tacker BaseHOT: the coordinator VDU (rc-coordinator and the
// control-plane Redis) and the masters VDU (rc-server, a master and, with replicas > 0, a backup
// on a Cinder volume), each an OS::Heat::AutoScalingGroup of fixed size over a nested template
// whose server is named after the VDU, as Tacker finds VDUs. The NF instances get the
// coordinator's locator and the control Redis's URLs from the group outputs.
import type { VnfDescriptor } from '../descriptor/types.js';
import { RC_COORDINATOR_VDU, RC_MASTER_VDU, rcFlavorName, type FlavourModel, type RamcloudModel } from './model.js';
import { RC_CLUSTER_NAME_TOKEN, RC_COORDINATOR_TOKEN, rcCoordinatorUserData, rcMasterUserData } from './userdata.js';

/** Output of the coordinator's nested template: its RAMCloud locator, `tcp:host=<ip>,port=<port>`. */
export const RC_LOCATOR_OUTPUT = 'locator';
/** Output of the coordinator's nested template: the control Redis as `<ip>:<port>` (store URLs are built from it). */
export const RC_CONTROL_ENDPOINT_OUTPUT = 'endpoint';

export const rcNestedFileNames = {
  coordinator: (flavourId: string) => `BaseHOT/${flavourId}/nested/${RC_COORDINATOR_VDU}.yaml`,
  master: (flavourId: string) => `BaseHOT/${flavourId}/nested/${RC_MASTER_VDU}.yaml`,
};

type Value = object | string;

/** What the top template gives the RAMCloud groups (all Heat intrinsic functions of the top template). */
export interface RcTopInputs {
  flavorOf: (vdu: string) => object;
  imageOf: (vdu: string) => object;
  net: object;
  vnfName: object;
  /** The store VDU's access properties (generated passwords, store_tls_*), for the control Redis. */
  access: Record<string, object>;
  antiAffinity: (vdu: string) => object;
}

/** The RAMCloud cluster name: the descriptor's, else the VNF's name at deploy time. */
export function rcClusterName(rc: RamcloudModel, vnfName: object): Value {
  return rc.clusterName ?? vnfName;
}

/**
 * The coordinator's locator as the top template reads it: the group has exactly one member, so
 * joining its one-entry outputs list gives the string (a path index after the output name would
 * apply to each member's value, not to the list).
 */
export function rcCoordinatorLocator(): object {
  return { list_join: [',', { get_attr: [`${RC_COORDINATOR_VDU}_scale_group`, 'outputs_list', RC_LOCATOR_OUTPUT] }] };
}

/** The control Redis endpoint(s), a list (one entry), the shape storeUrls takes. */
export function rcControlEndpoints(): object {
  return { get_attr: [`${RC_COORDINATOR_VDU}_scale_group`, 'outputs_list', RC_CONTROL_ENDPOINT_OUTPUT] };
}

function fixedGroup(size: number, nested: string, properties: Record<string, unknown>, dependsOn: string[]): object {
  return {
    type: 'OS::Heat::AutoScalingGroup',
    depends_on: dependsOn,
    properties: { min_size: size, max_size: size, desired_capacity: size, resource: { type: nested, properties } },
  };
}

/** The top template's RAMCloud resources: flavors, the masters' anti-affinity group, the two groups. */
export function rcTopResources(d: VnfDescriptor, m: FlavourModel, createFlavors: string, storeSubnet: string, inp: RcTopInputs): Record<string, object> {
  const rc = m.ramcloud!;
  const cluster = rcClusterName(rc, inp.vnfName);
  const flavor = (vdu: typeof RC_COORDINATOR_VDU | typeof RC_MASTER_VDU, v: { vcpu: number; memoryMb: number; diskGb: number }) => ({
    type: 'OS::Nova::Flavor',
    condition: createFlavors,
    properties: { name: rcFlavorName(d, m.id, vdu), vcpus: v.vcpu, ram: v.memoryMb, disk: v.diskGb },
  });
  return {
    [`${RC_COORDINATOR_VDU}_flavor`]: flavor(RC_COORDINATOR_VDU, rc.coordinator),
    [`${RC_MASTER_VDU}_flavor`]: flavor(RC_MASTER_VDU, rc.masters),
    [`${RC_COORDINATOR_VDU}_anti_affinity`]: inp.antiAffinity(RC_COORDINATOR_VDU),
    [`${RC_MASTER_VDU}_anti_affinity`]: inp.antiAffinity(RC_MASTER_VDU),
    [`${RC_COORDINATOR_VDU}_scale_group`]: fixedGroup(1, `${RC_COORDINATOR_VDU}.yaml`, {
      flavor: inp.flavorOf(RC_COORDINATOR_VDU),
      [`image-${RC_COORDINATOR_VDU}`]: inp.imageOf(RC_COORDINATOR_VDU),
      server_group: { get_resource: `${RC_COORDINATOR_VDU}_anti_affinity` },
      net_store: inp.net,
      vnf_name: inp.vnfName,
      cluster_name: cluster,
      ...inp.access,
    }, [storeSubnet]),
    // The masters enlist with the coordinator, so they come after it (rc-server would retry anyway).
    [`${RC_MASTER_VDU}_scale_group`]: fixedGroup(rc.masters.instances, `${RC_MASTER_VDU}.yaml`, {
      flavor: inp.flavorOf(RC_MASTER_VDU),
      [`image-${RC_MASTER_VDU}`]: inp.imageOf(RC_MASTER_VDU),
      server_group: { get_resource: `${RC_MASTER_VDU}_anti_affinity` },
      net_store: inp.net,
      vnf_name: inp.vnfName,
      cluster_name: cluster,
      coordinator: rcCoordinatorLocator(),
      ...(rc.masters.volumeGb !== undefined ? { volume_size: rc.masters.volumeGb } : {}),
    }, [`${RC_COORDINATOR_VDU}_scale_group`]),
  };
}

/** The NF nested template's user data values for RAMCloud, from its own parameters. */
export function rcNfUserDataParams(): Record<string, object> {
  return { [RC_COORDINATOR_TOKEN]: { get_param: 'ramcloud_coordinator' }, [RC_CLUSTER_NAME_TOKEN]: { get_param: 'ramcloud_cluster_name' } };
}

export const RC_NF_PARAMETERS: Record<string, object> = {
  ramcloud_coordinator: { type: 'string', description: "RAMCloud coordinator's locator (tcp:host=<ip>,port=<port>)" },
  ramcloud_cluster_name: { type: 'string', description: 'RAMCloud cluster name the coordinator and masters run under' },
};

const locatorOf = (cp: string, port: number) => ({
  str_replace: { template: `tcp:host=HOST,port=${port}`, params: { HOST: { get_attr: [cp, 'fixed_ips', 0, 'ip_address'] } } },
});

export function rcCoordinatorNested(d: VnfDescriptor, m: FlavourModel, hotVersion: string, storeTlsParameters: Record<string, object>, userDataParams: Record<string, object>): object {
  const rc = m.ramcloud!;
  const cp = `${RC_COORDINATOR_VDU}_cp`;
  return {
    heat_template_version: hotVersion,
    description: `${d.productName} RAMCloud coordinator (VDU ${RC_COORDINATOR_VDU}): rc-coordinator and the control-plane Redis`,
    parameters: {
      flavor: { type: 'string', description: 'Nova flavor of the coordinator' },
      [`image-${RC_COORDINATOR_VDU}`]: { type: 'string', description: 'Glance image of the coordinator (Tacker v2 rewrites it on change-current-package)' },
      server_group: { type: 'string', description: "Anti-affinity server group of the coordinator (the VNFD's AntiAffinityRule for every VDU)" },
      net_store: { type: 'string', description: 'VNF-internal store network' },
      vnf_name: { type: 'string', description: 'VNF name: the per-role ACL users of the control Redis are snf-<role>-<vnf_name>' },
      cluster_name: { type: 'string', description: 'RAMCloud cluster name (rc-coordinator --clusterName)' },
      store_password: { type: 'string', hidden: true, description: "The control Redis's default (admin) user's password, generated per deployment" },
      store_dataplane_password: { type: 'string', hidden: true, description: 'Password of the data-plane ACL user, generated per deployment' },
      store_control_password: { type: 'string', hidden: true, description: 'Password of the control-plane ACL user, generated per deployment' },
      ...storeTlsParameters,
    },
    resources: {
      [cp]: { type: 'OS::Neutron::Port', properties: { network: { get_param: 'net_store' } } },
      [RC_COORDINATOR_VDU]: {
        type: 'OS::Nova::Server',
        properties: {
          name: { list_join: ['-', [{ get_param: 'vnf_name' }, 'rc-coordinator', { get_param: 'OS::stack_id' }]] },
          flavor: { get_param: 'flavor' },
          image: { get_param: `image-${RC_COORDINATOR_VDU}` },
          scheduler_hints: { group: { get_param: 'server_group' } },
          networks: [{ port: { get_resource: cp } }],
          metadata: { snf_vnf: { get_param: 'vnf_name' }, snf_role: RC_COORDINATOR_VDU },
          user_data_format: 'RAW',
          user_data: { str_replace: { template: rcCoordinatorUserData(rc), params: { ...userDataParams, [RC_CLUSTER_NAME_TOKEN]: { get_param: 'cluster_name' } } } },
        },
      },
    },
    outputs: {
      [RC_LOCATOR_OUTPUT]: { description: 'RAMCloud locator of the coordinator', value: locatorOf(cp, rc.coordinator.port) },
      [RC_CONTROL_ENDPOINT_OUTPUT]: {
        description: 'host:port of the control-plane Redis',
        value: { list_join: [':', [{ get_attr: [cp, 'fixed_ips', 0, 'ip_address'] }, String(rc.coordinator.controlPort)]] },
      },
    },
  };
}

export function rcMasterNested(d: VnfDescriptor, m: FlavourModel, hotVersion: string): object {
  const rc = m.ramcloud!;
  const cp = `${RC_MASTER_VDU}_cp`;
  const volume = `${RC_MASTER_VDU}_volume`;
  const withVolume = rc.masters.volumeGb !== undefined;
  return {
    heat_template_version: hotVersion,
    description: `${d.productName} RAMCloud server (VDU ${RC_MASTER_VDU}): rc-server, master${rc.replicas > 0 ? ' and backup' : ' only'}`,
    parameters: {
      flavor: { type: 'string', description: 'Nova flavor of the RAMCloud server' },
      [`image-${RC_MASTER_VDU}`]: { type: 'string', description: 'Glance image of the RAMCloud server (Tacker v2 rewrites it on change-current-package)' },
      server_group: { type: 'string', description: 'Anti-affinity server group of the RAMCloud servers' },
      net_store: { type: 'string', description: 'VNF-internal store network' },
      vnf_name: { type: 'string', description: 'VNF name' },
      cluster_name: { type: 'string', description: 'RAMCloud cluster name (rc-server --clusterName)' },
      coordinator: { type: 'string', description: "The coordinator's RAMCloud locator" },
      ...(withVolume ? { volume_size: { type: 'number', description: "Backup volume size in GB (the backup's segment frames)" } } : {}),
    },
    resources: {
      [cp]: { type: 'OS::Neutron::Port', properties: { network: { get_param: 'net_store' } } },
      ...(withVolume ? { [volume]: { type: 'OS::Cinder::Volume', properties: { size: { get_param: 'volume_size' } } } } : {}),
      [RC_MASTER_VDU]: {
        type: 'OS::Nova::Server',
        properties: {
          name: { list_join: ['-', [{ get_param: 'vnf_name' }, 'rc-master', { get_param: 'OS::stack_id' }]] },
          flavor: { get_param: 'flavor' },
          image: { get_param: `image-${RC_MASTER_VDU}` },
          scheduler_hints: { group: { get_param: 'server_group' } },
          networks: [{ port: { get_resource: cp } }],
          // As the store VDU: through the server, so Tacker links the volume into the VNFC's storageResourceIds.
          ...(withVolume ? { block_device_mapping_v2: [{ volume_id: { get_resource: volume }, boot_index: -1, delete_on_termination: false }] } : {}),
          metadata: { snf_vnf: { get_param: 'vnf_name' }, snf_role: RC_MASTER_VDU },
          user_data_format: 'RAW',
          user_data: {
            str_replace: {
              template: rcMasterUserData(rc),
              params: { [RC_COORDINATOR_TOKEN]: { get_param: 'coordinator' }, [RC_CLUSTER_NAME_TOKEN]: { get_param: 'cluster_name' } },
            },
          },
        },
      },
    },
    outputs: { [RC_LOCATOR_OUTPUT]: { description: 'RAMCloud locator of this server', value: locatorOf(cp, rc.masters.port) } },
  };
}
