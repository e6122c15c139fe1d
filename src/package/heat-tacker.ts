// Tacker BaseHOT per deployment flavour: BaseHOT/<flavour>/<stem>_<flavour>.yaml plus nested/
// templates. Each VDU is an OS::Heat::AutoScalingGroup over a nested template whose server
// resource is named after the VDU, which is how Tacker finds and scales it; `nfv` carries what
// Tacker's grant decided (images, flavors, networks, desired capacity). The group members take
// `flavor` and `image-<VDU>` because Tacker v2 rewrites exactly those two properties on
// change-current-package and reads them back into each VNFC's metadata.
import yaml from 'js-yaml';
import type { VnfDescriptor } from '../descriptor/types.js';
import { ASPECT, NF_VDU, STORE_NET_CIDR, STORE_VDU, STORE_VL, flavourModel, nfFlavorName, stem, storeFlavorName, type FlavourModel } from './model.js';
import { nfUserData, storeUserData } from './userdata.js';

export const HOT_VERSION = '2018-08-31';

export const hotFileNames = {
  top: (d: VnfDescriptor, flavourId: string) => `BaseHOT/${flavourId}/${stem(d)}_${flavourId}.yaml`,
  nfNested: (flavourId: string) => `BaseHOT/${flavourId}/nested/${NF_VDU}.yaml`,
  storeNested: (flavourId: string) => `BaseHOT/${flavourId}/nested/${STORE_VDU}.yaml`,
};

function dump(doc: object): string {
  return yaml.dump(doc, { lineWidth: -1, noRefs: true });
}

const nfv = (...path: (string | number)[]) => ({ get_param: ['nfv', ...path] });

/** Nova flavor extra specs that give the VDU what its data plane needs. */
export function flavorExtraSpecs(m: FlavourModel): Record<string, string> {
  const v = m.flavour.vdus.nf;
  const specs: Record<string, string> = {};
  if (v.cpuPolicy === 'dedicated') {
    specs['hw:cpu_policy'] = 'dedicated';
    specs['hw:cpu_thread_policy'] = 'isolate';
  }
  if (v.hugepages) specs['hw:mem_page_size'] = v.hugepages === '1GB' ? '1GB' : '2MB';
  return specs;
}

/** The NF's Nova flavor, created only when the stack is asked to (CREATE_FLAVORS). */
export function nfFlavorResource(d: VnfDescriptor, m: FlavourModel): object {
  const v = m.flavour.vdus.nf;
  const specs = flavorExtraSpecs(m);
  return {
    type: 'OS::Nova::Flavor',
    condition: CREATE_FLAVORS,
    properties: {
      name: nfFlavorName(d, m.id), vcpus: v.vcpu, ram: v.memoryMb, disk: v.diskGb, ...(Object.keys(specs).length ? { extra_specs: specs } : {}),
    },
  };
}

/**
 * Flavors are taken by name: the grant's computeResourceFlavours, else the VNFD's
 * requested_additional_capability_name, both of which Tacker puts in nfv.VDU.<vdu>.computeFlavourId;
 * no tenant needs the admin right to create flavors. `create_flavors: true` makes the stack
 * create them itself, under the same names (a lab without an operator-managed catalogue).
 */
export const CREATE_FLAVORS = 'create_flavors';

function flavorOf(vdu: string): object {
  return { if: [CREATE_FLAVORS, { get_resource: `${vdu}_flavor` }, nfv('VDU', vdu, 'computeFlavourId')] };
}

/** One OS::Nova::ServerGroup per AntiAffinityRule of the VNFD (scope nfvi_node: never two members on one host). */
export function antiAffinityGroup(vdu: string): object {
  return {
    type: 'OS::Nova::ServerGroup',
    properties: { name: { list_join: ['-', [{ get_param: 'OS::stack_name' }, `${vdu}_anti_affinity`]] }, policies: ['anti-affinity'] },
  };
}

function topTemplate(d: VnfDescriptor, m: FlavourModel): object {
  const f = m.flavour;
  const a = f.scaling.nf_instances;
  const nfCps = m.cps.filter((c) => c.vdu === NF_VDU);
  const parameters: Record<string, object> = {
    nfv: { type: 'json', description: 'Tacker-supplied VDU / CP / VL parameters' },
    [CREATE_FLAVORS]: {
      type: 'boolean',
      default: false,
      description: 'Create the Nova flavors in this stack (needs the admin right); default: take the flavors named in nfv.VDU.<vdu>.computeFlavourId',
    },
    ves_collector_url: {
      type: 'string',
      description: 'ONAP VES collector the NF instances report events to',
      default: d.monitoring.ves.collectorUrl,
    },
  };
  if (f.store.kind === 'external') {
    parameters.store_nodes = {
      type: 'comma_delimited_list',
      description: 'Redis / Redis Cluster seed endpoints (host:port) of the external store',
      default: f.store.nodes,
    };
  }

  const nfProps: Record<string, unknown> = {
    flavor: flavorOf(NF_VDU),
    [`image-${NF_VDU}`]: nfv('VDU', NF_VDU, 'vcImageId'),
    server_group: { get_resource: `${NF_VDU}_anti_affinity` },
    vnf_name: { get_param: 'OS::stack_name' },
    ves_collector_url: { get_param: 'ves_collector_url' },
    store_nodes: f.store.kind === 'external'
      ? { list_join: [',', { get_param: 'store_nodes' }] }
      : storeUrls({ get_attr: [`${STORE_VDU}_scale_group`, 'outputs_list', 'endpoint'] }, { get_attr: [STORE_PASSWORD, 'value'] }),
  };
  for (const cp of nfCps) {
    nfProps[`net_${cp.name}`] = cp.external ? nfv('CP', cp.id, 'network') : { get_resource: STORE_VL };
  }

  const resources: Record<string, object> = {
    [`${NF_VDU}_flavor`]: nfFlavorResource(d, m),
    [`${NF_VDU}_anti_affinity`]: antiAffinityGroup(NF_VDU),
    [`${NF_VDU}_scale_group`]: {
      type: 'OS::Heat::AutoScalingGroup',
      ...(m.hasStoreVdu ? { depends_on: [`${STORE_VDU}_scale_group`] } : {}),
      properties: {
        min_size: a.min,
        max_size: a.max,
        desired_capacity: nfv('VDU', NF_VDU, 'desired_capacity'),
        resource: { type: `${NF_VDU}.yaml`, properties: nfProps },
      },
    },
    // Tacker v1 scales by signalling <aspect>_scale_out / _scale_in; v2 changes desired_capacity.
    [`${ASPECT}_scale_out`]: {
      type: 'OS::Heat::ScalingPolicy',
      properties: { adjustment_type: 'change_in_capacity', auto_scaling_group_id: { get_resource: `${NF_VDU}_scale_group` }, scaling_adjustment: a.delta },
    },
    [`${ASPECT}_scale_in`]: {
      type: 'OS::Heat::ScalingPolicy',
      properties: { adjustment_type: 'change_in_capacity', auto_scaling_group_id: { get_resource: `${NF_VDU}_scale_group` }, scaling_adjustment: -a.delta },
    },
  };

  const outputs: Record<string, object> = {};
  if (m.hasStoreVdu) {
    const s = f.vdus.store!;
    resources[STORE_PASSWORD] = storePasswordResource();
    resources[STORE_VL] = { type: 'OS::Neutron::Net' };
    resources[`${STORE_VL}_subnet`] = {
      type: 'OS::Neutron::Subnet',
      properties: { ip_version: 4, network: { get_resource: STORE_VL }, cidr: STORE_NET_CIDR },
    };
    resources[`${STORE_VDU}_flavor`] = {
      type: 'OS::Nova::Flavor',
      condition: CREATE_FLAVORS,
      properties: { name: storeFlavorName(d, m.id), vcpus: s.vcpu, ram: s.memoryMb, disk: s.diskGb },
    };
    resources[`${STORE_VDU}_anti_affinity`] = antiAffinityGroup(STORE_VDU);
    resources[`${STORE_VDU}_scale_group`] = {
      type: 'OS::Heat::AutoScalingGroup',
      depends_on: [`${STORE_VL}_subnet`],
      properties: {
        min_size: s.instances,
        max_size: s.instances,
        desired_capacity: s.instances,
        resource: {
          type: `${STORE_VDU}.yaml`,
          properties: {
            flavor: flavorOf(STORE_VDU),
            [`image-${STORE_VDU}`]: nfv('VDU', STORE_VDU, 'vcImageId'),
            server_group: { get_resource: `${STORE_VDU}_anti_affinity` },
            net_store: { get_resource: STORE_VL },
            volume_size: s.volumeGb,
            store_password: { get_attr: [STORE_PASSWORD, 'value'] },
          },
        },
      },
    };
    outputs.store_nodes = {
      description: 'Redis Cluster endpoints the NF instances were started with',
      value: { get_attr: [`${STORE_VDU}_scale_group`, 'outputs_list', 'endpoint'] },
    };
  }
  outputs.nf_instances = { description: 'Current number of NF instances', value: { get_attr: [`${NF_VDU}_scale_group`, 'current_size'] } };

  return {
    heat_template_version: HOT_VERSION,
    description: `${d.productName} ${d.softwareVersion} BaseHOT for deployment flavour ${m.id}`,
    parameters,
    conditions: { [CREATE_FLAVORS]: { get_param: CREATE_FLAVORS } },
    resources,
    outputs,
  };
}

function nfNested(d: VnfDescriptor, m: FlavourModel): object {
  const nfCps = m.cps.filter((c) => c.vdu === NF_VDU);
  const parameters: Record<string, object> = {
    flavor: { type: 'string', description: 'Nova flavor of the NF instance' },
    [`image-${NF_VDU}`]: { type: 'string', description: 'Glance image of the NF instance (Tacker v2 rewrites it on change-current-package)' },
    server_group: { type: 'string', description: 'Anti-affinity server group of the NF instances' },
    vnf_name: { type: 'string', description: 'VNF name: namespaces the instance state in the store' },
    store_nodes: { type: 'string', description: 'Comma-separated host:port store endpoints' },
    ves_collector_url: { type: 'string', description: 'VES collector URL' },
  };
  const resources: Record<string, object> = {};
  for (const cp of nfCps) {
    parameters[`net_${cp.name}`] = { type: 'string', description: `Network of connection point ${cp.id}` };
    const props: Record<string, unknown> = { network: { get_param: `net_${cp.name}` } };
    if (cp.vnicType === 'direct') props['binding:vnic_type'] = 'direct';
    // Data ports forward traffic for other addresses (NAT, LB, firewall): anti-spoofing must be off.
    if (cp.role === 'data') props.port_security_enabled = false;
    resources[cp.id] = { type: 'OS::Neutron::Port', properties: props };
  }
  resources[NF_VDU] = {
    type: 'OS::Nova::Server',
    properties: {
      name: { list_join: ['-', [{ get_param: 'vnf_name' }, NF_VDU, { get_param: 'OS::stack_id' }]] },
      flavor: { get_param: 'flavor' },
      image: { get_param: `image-${NF_VDU}` },
      scheduler_hints: { group: { get_param: 'server_group' } },
      networks: nfCps.map((cp) => ({ port: { get_resource: cp.id } })),
      metadata: { snf_vnf: { get_param: 'vnf_name' }, snf_nf: d.nf, snf_role: NF_VDU },
      user_data_format: 'RAW',
      user_data: {
        str_replace: {
          template: nfUserData(d, m.flavour),
          params: {
            __VNF_NAME__: { get_param: 'vnf_name' },
            __STORE_NODES__: { get_param: 'store_nodes' },
            __VES_COLLECTOR__: { get_param: 'ves_collector_url' },
          },
        },
      },
    },
  };
  return {
    heat_template_version: HOT_VERSION,
    description: `${d.productName} NF instance (VDU ${NF_VDU}), one per scaling step member`,
    parameters,
    resources,
    outputs: { name: { value: { get_attr: [NF_VDU, 'name'] } } },
  };
}

function storeNested(d: VnfDescriptor, m: FlavourModel): object {
  const s = m.flavour.vdus.store!;
  return {
    heat_template_version: HOT_VERSION,
    description: `${d.productName} Redis node (VDU ${STORE_VDU}) with its data volume`,
    parameters: {
      flavor: { type: 'string', description: 'Nova flavor of the Redis node' },
      [`image-${STORE_VDU}`]: { type: 'string', description: 'Glance image of the Redis node (Tacker v2 rewrites it on change-current-package)' },
      server_group: { type: 'string', description: 'Anti-affinity server group of the Redis nodes' },
      net_store: { type: 'string', description: 'VNF-internal store network' },
      volume_size: { type: 'number', description: 'Data volume size in GB' },
      store_password: { type: 'string', hidden: true, description: "The store's password (requirepass), generated per deployment" },
    },
    resources: {
      [`${STORE_VDU}_cp`]: { type: 'OS::Neutron::Port', properties: { network: { get_param: 'net_store' } } },
      [`${STORE_VDU}_volume`]: { type: 'OS::Cinder::Volume', properties: { size: { get_param: 'volume_size' } } },
      [STORE_VDU]: {
        type: 'OS::Nova::Server',
        properties: {
          flavor: { get_param: 'flavor' },
          image: { get_param: `image-${STORE_VDU}` },
          scheduler_hints: { group: { get_param: 'server_group' } },
          networks: [{ port: { get_resource: `${STORE_VDU}_cp` } }],
          // Attached through the server (not an OS::Cinder::VolumeAttachment) so that the volume is
          // required_by the server: that is how Tacker links it into the VNFC's storageResourceIds.
          block_device_mapping_v2: [{ volume_id: { get_resource: `${STORE_VDU}_volume` }, boot_index: -1, delete_on_termination: false }],
          user_data_format: 'RAW',
          user_data: { str_replace: { template: storeUserData(m.flavour), params: { __STORE_PASSWORD__: { get_param: 'store_password' } } } },
        },
      },
    },
    outputs: {
      endpoint: {
        description: 'host:port of this Redis node',
        value: { list_join: [':', [{ get_attr: [`${STORE_VDU}_cp`, 'fixed_ips', 0, 'ip_address'] }, String(s.port)]] },
      },
    },
  };
}

/** The store VDU's password, made by Heat at deploy time: never in the package, never a parameter to leak. */
export const STORE_PASSWORD = 'store_password';

export function storePasswordResource(): object {
  return { type: 'OS::Heat::RandomString', properties: { length: 32, character_classes: [{ class: 'lettersdigits' }] } };
}

/**
 * The NFs' store nodes as URLs carrying the password (redis://:<pw>@host:port, one per node):
 * the NF's user data keeps its one store parameter, and the password reaches nf.env (0600)
 * without appearing in a stack output.
 */
export function storeUrls(endpoints: object, password: object): object {
  return {
    str_replace: {
      template: { list_join: [',', { repeat: { for_each: { '<%endpoint%>': endpoints }, template: 'redis://:STORE_PASSWORD@<%endpoint%>' } }] },
      params: { STORE_PASSWORD: password },
    },
  };
}

/** All BaseHOT files of one flavour, path -> YAML text. */
export function baseHot(d: VnfDescriptor, flavourId: string): Map<string, string> {
  const m = flavourModel(d, flavourId);
  const files = new Map<string, string>();
  files.set(hotFileNames.top(d, flavourId), dump(topTemplate(d, m)));
  files.set(hotFileNames.nfNested(flavourId), dump(nfNested(d, m)));
  if (m.hasStoreVdu) files.set(hotFileNames.storeNested(flavourId), dump(storeNested(d, m)));
  return files;
}
