// Tacker BaseHOT per deployment flavour: BaseHOT/<flavour>/<stem>_<flavour>.yaml plus nested/
// templates. Each VDU is an OS::Heat::AutoScalingGroup over a nested template whose server
// resource is named after the VDU, which is how Tacker finds and scales it; `nfv` carries what
// Tacker's grant decided (images, flavors, networks, desired capacity). The group members take
// `flavor` and `image-<VDU>` because Tacker v2 rewrites exactly those two properties on
// change-current-package and reads them back into each VNFC's metadata.
import yaml from 'js-yaml';
import type { VnfDescriptor } from '../descriptor/types.js';
import { ASPECT, NF_VDU, RC_MASTER_VDU, STORE_NET_CIDR, STORE_VDU, STORE_VL, flavourModel, nfFlavorName, stem, storeFlavorName, type FlavourModel } from './model.js';
import { aclUser, type StoreRole } from '../store/acl.js';
import { NF_STORE_CA_FILE, STORE_ROLE_PASSWORD_TOKEN, STORE_TLS_NAME, nfUserData, storeUserData } from './userdata.js';
import {
  RC_NF_PARAMETERS, rcClusterName, rcControlEndpoints, rcCoordinatorLocator, rcCoordinatorNested, rcMasterNested, rcNestedFileNames, rcNfUserDataParams, rcTopResources,
} from './heat-ramcloud.js';

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
  // A ramcloud flavour's control Redis is created by the template as a store VDU's Redis is: same TLS parameters.
  const createsRedis = m.hasStoreVdu || m.ramcloud !== undefined;
  Object.assign(parameters, storeTlsParameters(createsRedis, true));
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
      : storeUrls(m.ramcloud ? rcControlEndpoints() : { get_attr: [`${STORE_VDU}_scale_group`, 'outputs_list', 'endpoint'] }, 'dataplane', { get_param: 'OS::stack_name' }),
    store_tls_ca: { get_param: 'store_tls_ca' },
  };
  if (m.ramcloud) {
    nfProps.ramcloud_coordinator = rcCoordinatorLocator();
    nfProps.ramcloud_cluster_name = rcClusterName(m.ramcloud, { get_param: 'OS::stack_name' });
  }
  for (const cp of nfCps) {
    nfProps[`net_${cp.name}`] = cp.external ? nfv('CP', cp.id, 'network') : { get_resource: STORE_VL };
  }

  const resources: Record<string, object> = {
    [`${NF_VDU}_flavor`]: nfFlavorResource(d, m),
    [`${NF_VDU}_anti_affinity`]: antiAffinityGroup(NF_VDU),
    [`${NF_VDU}_scale_group`]: {
      type: 'OS::Heat::AutoScalingGroup',
      ...(m.hasStoreVdu ? { depends_on: [`${STORE_VDU}_scale_group`] } : {}),
      ...(m.ramcloud ? { depends_on: [`${RC_MASTER_VDU}_scale_group`] } : {}),
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
  if (m.hasStoreVl) {
    Object.assign(resources, storePasswordResources());
    resources[STORE_VL] = { type: 'OS::Neutron::Net' };
    resources[`${STORE_VL}_subnet`] = {
      type: 'OS::Neutron::Subnet',
      properties: { ip_version: 4, network: { get_resource: STORE_VL }, cidr: STORE_NET_CIDR },
    };
  }
  if (m.ramcloud) {
    Object.assign(resources, rcTopResources(d, m, CREATE_FLAVORS, `${STORE_VL}_subnet`, {
      flavorOf,
      imageOf: (vdu) => nfv('VDU', vdu, 'vcImageId'),
      net: { get_resource: STORE_VL },
      vnfName: { get_param: 'OS::stack_name' },
      access: storeAccessProperties(),
      antiAffinity: antiAffinityGroup,
    }));
    const endpoints = rcControlEndpoints();
    outputs.ramcloud_coordinator = { description: "RAMCloud coordinator's locator the NF instances were started with", value: rcCoordinatorLocator() };
    outputs.ramcloud_masters = { description: 'RAMCloud locators of the masters', value: { get_attr: [`${RC_MASTER_VDU}_scale_group`, 'outputs_list', 'locator'] } };
    outputs.store_nodes = { description: 'The control-plane Redis the NF instances were started with (flow state is in RAMCloud)', value: endpoints };
    outputs[STORE_CONTROL_OUTPUT] = storeControlOutput(endpoints, { get_param: 'OS::stack_name' });
    outputs.store_tls_ca = { description: "The control Redis's CA certificate (store_tls_ca), empty without TLS", value: { get_param: 'store_tls_ca' } };
  }
  if (m.hasStoreVdu) {
    const s = f.vdus.store!;
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
            vnf_name: { get_param: 'OS::stack_name' },
            ...storeAccessProperties(),
          },
        },
      },
    };
    const endpoints = { get_attr: [`${STORE_VDU}_scale_group`, 'outputs_list', 'endpoint'] };
    outputs.store_nodes = { description: 'Redis Cluster endpoints the NF instances were started with', value: endpoints };
    outputs[STORE_CONTROL_OUTPUT] = storeControlOutput(endpoints, { get_param: 'OS::stack_name' });
    outputs.store_tls_ca = { description: "The store's CA certificate (store_tls_ca), empty without TLS: with store_control_nodes, what a table writer needs", value: { get_param: 'store_tls_ca' } };
  }
  outputs.nf_instances = { description: 'Current number of NF instances', value: { get_attr: [`${NF_VDU}_scale_group`, 'current_size'] } };

  return {
    heat_template_version: HOT_VERSION,
    description: `${d.productName} ${d.softwareVersion} BaseHOT for deployment flavour ${m.id}`,
    parameters,
    conditions: { [CREATE_FLAVORS]: { get_param: CREATE_FLAVORS }, ...(createsRedis ? storeTlsCondition() : {}) },
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
    store_tls_ca: { type: 'string', description: `PEM CA certificate of a TLS store (written to ${NF_STORE_CA_FILE}); empty: none` },
    ...(m.ramcloud ? RC_NF_PARAMETERS : {}),
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
            __STORE_TLS_CA__: pemBlock({ get_param: 'store_tls_ca' }),
            ...(m.ramcloud ? rcNfUserDataParams() : {}),
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
      vnf_name: { type: 'string', description: 'VNF name: the per-role ACL users are snf-<role>-<vnf_name>' },
      store_password: { type: 'string', hidden: true, description: "The default (admin) user's password, generated per deployment" },
      store_dataplane_password: { type: 'string', hidden: true, description: 'Password of the data-plane ACL user, generated per deployment' },
      store_control_password: { type: 'string', hidden: true, description: 'Password of the control-plane ACL user, generated per deployment' },
      ...storeTlsParameters(true, false),
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
          user_data: { str_replace: { template: storeUserData(m.flavour), params: storeUserDataParams((name) => ({ get_param: name })) } },
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

/** The store VDU's admin (default user) password, made by Heat at deploy time: never in the package, never a parameter to leak. */
export const STORE_PASSWORD = 'store_password';

/** Resource (and store-VDU parameter) of each role's generated ACL password. */
export const STORE_ROLE_PASSWORD: Record<StoreRole, string> = { dataplane: 'store_dataplane_password', control: 'store_control_password' };

/** Stack output with the control-plane user's store URLs: for whoever writes the VNF's tables. */
export const STORE_CONTROL_OUTPUT = 'store_control_nodes';

/** Condition: the store_tls_* parameters were given, so the store VDU serves TLS only. */
export const STORE_TLS = 'store_tls';

export const STORE_TLS_PARAMS = ['store_tls_ca', 'store_tls_cert', 'store_tls_key'] as const;

export function storePasswordResource(): object {
  return { type: 'OS::Heat::RandomString', properties: { length: 32, character_classes: [{ class: 'lettersdigits' }] } };
}

/** The admin and per-role passwords of a store VDU, one OS::Heat::RandomString each. */
export function storePasswordResources(): Record<string, object> {
  return {
    [STORE_PASSWORD]: storePasswordResource(),
    [STORE_ROLE_PASSWORD.dataplane]: storePasswordResource(),
    [STORE_ROLE_PASSWORD.control]: storePasswordResource(),
  };
}

/**
 * The store TLS parameters (PEM, hidden: the key is a secret, and a CA in every event list helps
 * nobody). With `withDefaults` they default to empty = plain TCP; ONAP modules take no defaults
 * and get them from the env file instead. Without a store VDU only the CA is used (an external
 * store's rediss:// URLs can name the NF's CA file).
 */
export function storeTlsParameters(hasStoreVdu: boolean, withDefaults: boolean): Record<string, object> {
  const d = withDefaults ? { default: '' } : {};
  const ca = { store_tls_ca: { type: 'string', hidden: true, ...d, description: `PEM CA certificate of the store (NFs verify the store against it, written to ${NF_STORE_CA_FILE}); empty: no TLS` } };
  if (!hasStoreVdu) return ca;
  return {
    ...ca,
    store_tls_cert: { type: 'string', hidden: true, ...d, description: `PEM certificate of the store nodes, issued by store_tls_ca for the name ${STORE_TLS_NAME}; empty: plain TCP with passwords` },
    store_tls_key: { type: 'string', hidden: true, ...d, description: 'PEM private key of store_tls_cert' },
  };
}

export function storeTlsCondition(): Record<string, object> {
  return { [STORE_TLS]: { not: { equals: [{ get_param: 'store_tls_cert' }, ''] } } };
}

/**
 * A PEM parameter as the lines of a YAML block scalar in the user data (the token sits after six
 * spaces under `content: |`): Heat cannot base64-encode, but it can split and re-join lines.
 */
export function pemBlock(value: object): object {
  return { list_join: ['\n      ', { str_split: ['\n', value] }] };
}

/** Values of the store user data's Heat tokens, each from `from(<parameter name>)`. */
export function storeUserDataParams(from: (name: string) => object): Record<string, object> {
  return {
    __VNF_NAME__: from('vnf_name'),
    __STORE_PASSWORD__: from(STORE_PASSWORD),
    [STORE_ROLE_PASSWORD_TOKEN.dataplane]: from(STORE_ROLE_PASSWORD.dataplane),
    [STORE_ROLE_PASSWORD_TOKEN.control]: from(STORE_ROLE_PASSWORD.control),
    __STORE_TLS_CA__: pemBlock(from('store_tls_ca')),
    __STORE_TLS_CERT__: pemBlock(from('store_tls_cert')),
    __STORE_TLS_KEY__: pemBlock(from('store_tls_key')),
  };
}

/** Properties the top template gives the store VDU's nested template: generated passwords, TLS parameters. */
function storeAccessProperties(): Record<string, object> {
  return {
    [STORE_PASSWORD]: { get_attr: [STORE_PASSWORD, 'value'] },
    [STORE_ROLE_PASSWORD.dataplane]: { get_attr: [STORE_ROLE_PASSWORD.dataplane, 'value'] },
    [STORE_ROLE_PASSWORD.control]: { get_attr: [STORE_ROLE_PASSWORD.control, 'value'] },
    ...Object.fromEntries(STORE_TLS_PARAMS.map((p) => [p, { get_param: p }])),
  };
}

/**
 * One role's store URLs for a store VDU, one per node: `redis://snf-<role>-<vnf>:<pw>@host:port`,
 * or with TLS (condition STORE_TLS) `rediss://...` + `tlsQuery`. The NF's user data keeps its one
 * store parameter, and the password reaches nf.env (0600).
 */
export function storeUrls(endpoints: object, role: StoreRole, vnf: object, tlsQuery = NF_TLS_QUERY): object {
  return {
    str_replace: {
      template: { list_join: [',', { repeat: { for_each: { '<%endpoint%>': endpoints }, template: 'STORE_SCHEME://STORE_USER:STORE_PASSWORD@<%endpoint%>STORE_QUERY' } }] },
      params: {
        STORE_SCHEME: { if: [STORE_TLS, 'rediss', 'redis'] },
        STORE_USER: { str_replace: { template: aclUser('VNFNAME', role), params: { VNFNAME: vnf } } },
        STORE_PASSWORD: { get_attr: [STORE_ROLE_PASSWORD[role], 'value'] },
        STORE_QUERY: { if: [STORE_TLS, tlsQuery, ''] },
      },
    },
  };
}

/** What an NF's TLS store URL adds: the CA its user data wrote, and the certificate's fixed name. */
const NF_TLS_QUERY = `?ca=${NF_STORE_CA_FILE}&servername=${STORE_TLS_NAME}`;

/**
 * The control-plane user's URLs as a stack output: the store network is internal to the VNF, so
 * whoever writes the tables (an operator or a tool on that network) reads them from the stack;
 * with TLS they add `&ca=<their copy of store_tls_ca>`.
 */
export function storeControlOutput(endpoints: object, vnf: object): object {
  return {
    description: "Store URLs of the control-plane ACL user (tables, registry, inspection), for the tool that writes the VNF's tables; with TLS add &ca=<the store_tls_ca file> to each",
    value: storeUrls(endpoints, 'control', vnf, `?servername=${STORE_TLS_NAME}`),
  };
}

/** All BaseHOT files of one flavour, path -> YAML text. */
export function baseHot(d: VnfDescriptor, flavourId: string): Map<string, string> {
  const m = flavourModel(d, flavourId);
  const files = new Map<string, string>();
  files.set(hotFileNames.top(d, flavourId), dump(topTemplate(d, m)));
  files.set(hotFileNames.nfNested(flavourId), dump(nfNested(d, m)));
  if (m.hasStoreVdu) files.set(hotFileNames.storeNested(flavourId), dump(storeNested(d, m)));
  if (m.ramcloud) {
    const userDataParams = storeUserDataParams((name) => ({ get_param: name }));
    files.set(rcNestedFileNames.coordinator(flavourId), dump(rcCoordinatorNested(d, m, HOT_VERSION, storeTlsParameters(true, false), userDataParams)));
    files.set(rcNestedFileNames.master(flavourId), dump(rcMasterNested(d, m, HOT_VERSION)));
  }
  return files;
}
