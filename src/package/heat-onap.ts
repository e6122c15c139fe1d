// ONAP Heat modules (VNFRQTS chapter 5): a base module with what all NF instances share and an
// incremental module holding exactly one NF instance, so ONAP SO scales out by creating another
// incremental VF module. Templates carry no parameter defaults. Where a value comes from follows
// the VNFRQTS split that VVP checks (ENV_PARAMETER_SPEC of its test_environment_file_parameters):
//  - env file: what is the same for every instance: image and flavor names (R-91125, R-69431),
//    internal fixed IPs, the store and DCAE endpoints;
//  - ONAP at instantiation (SDNC preload / SO user params), never the env file: server names
//    (R-22838), availability zones (R-59568), port networks (R-29872), and what ONAP supplies
//    itself (vnf_id, vf_module_id, vnf_name, vf_module_index);
//  - base module outputs, which ONAP passes to incremental modules by name.
// Flavors are taken by name (the operator creates them, see docs/packaging.md); the VNFD's
// AntiAffinityRule (scope nfvi_node) per VDU becomes an OS::Nova::ServerGroup in the base module.
import yaml from 'js-yaml';
import type { VnfDescriptor } from '../descriptor/types.js';
import { RC_COORDINATOR_VDU, RC_MASTER_VDU, STORE_NET_CIDR, flavourModel, nfFlavorName, rcFlavorName, stem, storeFlavorName, type CpModel, type FlavourModel } from './model.js';
import { RC_CLUSTER_NAME_TOKEN, RC_COORDINATOR_TOKEN, nfUserData, rcCoordinatorUserData, rcLocator, rcMasterUserData, storeUserData } from './userdata.js';
import {
  HOT_VERSION, STORE_CONTROL_OUTPUT, STORE_PASSWORD, STORE_ROLE_PASSWORD, STORE_TLS_PARAMS, pemBlock, storeControlOutput, storePasswordResources, storeTlsCondition,
  storeTlsParameters, storeUrls, storeUserDataParams,
} from './heat-tacker.js';

/** Parameters ONAP fills in at instantiation; they must never appear in an env file. */
export const ONAP_SUPPLIED = ['vnf_id', 'vf_module_id', 'vnf_name', 'vf_module_index', 'vf_module_name', 'workload_context', 'environment_context'];
export const NF_VM = 'nf';
export const STORE_VM = 'redis';
/** ONAP vm-types of the ramcloud flavour (letters only: VNFRQTS parses {vm-type}_server_{index}). */
export const RC_COORD_VM = 'rccoordinator';
export const RC_MASTER_VM = 'rcmaster';
const INT_NET = 'int_store';

export const onapFileNames = {
  base: (d: VnfDescriptor) => `base_${stem(d)}.yaml`,
  baseEnv: (d: VnfDescriptor) => `base_${stem(d)}.env`,
  incr: (d: VnfDescriptor) => `${stem(d)}_nf.yaml`,
  incrEnv: (d: VnfDescriptor) => `${stem(d)}_nf.env`,
};

/** Resource id of the anti-affinity group of a VM type (VNFRQTS R-15189 `{vm-type}_RSG`). */
export const serverGroupId = (vmType: string) => `${vmType}_RSG`;
/** Base module output (and incremental module parameter) carrying a server group's id. */
export const serverGroupOutput = (vmType: string) => `${vmType}_server_group_id`;

interface Module {
  template: object;
  env: Record<string, unknown>;
  /** Values ONAP gives at instantiation (SDNC preload / SO user params): examples for operators and tests. */
  preload: Record<string, unknown>;
}

/** What a deployment of the modules is given besides the env files, per module. */
export interface OnapPreload {
  base: Record<string, unknown>;
  /** Incremental module values for the VF module with this index. */
  incremental: (vfModuleIndex: number) => Record<string, unknown>;
}

const p = (type: string, description: string) => ({ type, description });

/** What ONAP tells every module about itself; servers carry them as metadata. */
const onapIdentity = {
  vnf_id: p('string', 'Unique ID for this VNF instance (ONAP supplied)'),
  vf_module_id: p('string', 'Unique ID for this VF module instance (ONAP supplied)'),
  vnf_name: p('string', 'Unique name for this VNF instance (ONAP supplied)'),
};

/** ONAP network role of an NF connection point: `oam` for management, else the side. */
export function networkRole(cp: CpModel): string {
  if (cp.role === 'management') return 'oam';
  if (cp.role === 'store') return INT_NET;
  return cp.side!;
}

function collectorScheme(d: VnfDescriptor): string {
  return new URL(d.monitoring.ves.collectorUrl).protocol.replace(':', '');
}

/** A name unique per VNF instance: R-85734 wants str_replace over the ONAP-supplied vnf_name. */
function vnfScopedName(suffix: string): object {
  return { str_replace: { template: `VNF_NAME_${suffix}`, params: { VNF_NAME: { get_param: 'vnf_name' } } } };
}

/** The AntiAffinityRule (scope nfvi_node) of one VDU: instances of that VM type on distinct hosts. */
function antiAffinityGroup(vmType: string): object {
  return { type: 'OS::Nova::ServerGroup', properties: { name: vnfScopedName(`${vmType}_anti_affinity`), policies: ['anti-affinity'] } };
}

function baseModule(d: VnfDescriptor, m: FlavourModel): Module {
  const parameters: Record<string, object> = { vnf_name: onapIdentity.vnf_name };
  const env: Record<string, unknown> = {};
  const preload: Record<string, unknown> = {};
  // The NF servers live in incremental modules, one per module: the group they share is created
  // once here and handed over as a base output (VNFRQTS: base outputs are incremental inputs).
  const resources: Record<string, object> = { [serverGroupId(NF_VM)]: antiAffinityGroup(NF_VM) };
  let conditions: Record<string, object> | undefined;
  const outputs: Record<string, object> = {
    [serverGroupOutput(NF_VM)]: { description: 'Anti-affinity server group of the NF instances (passed to incremental modules)', value: { get_resource: serverGroupId(NF_VM) } },
  };

  if (m.hasStoreVdu) {
    const s = m.flavour.vdus.store!;
    const img = d.images[s.image];
    Object.assign(parameters, {
      ...onapIdentity,
      [`${STORE_VM}_names`]: p('comma_delimited_list', 'Names of the Redis nodes (ONAP preload)'),
      [`${STORE_VM}_image_name`]: p('string', 'Glance image of the Redis nodes'),
      [`${STORE_VM}_flavor_name`]: p('string', 'Nova flavor of the Redis nodes (created by the operator)'),
      [`${INT_NET}_cidr`]: p('string', 'CIDR of the VNF-internal store network'),
      [`${STORE_VM}_${INT_NET}_ips`]: p('comma_delimited_list', 'Fixed IPs of the Redis nodes on the store network'),
      availability_zone_0: p('string', 'Availability zone of the Redis nodes (ONAP preload)'),
      ...storeTlsParameters(true, false),
    });
    // No TLS unless the operator (or the VNF manager) puts the PEMs into the env (docs/openstack.md).
    for (const k of STORE_TLS_PARAMS) env[k] = '';
    conditions = storeTlsCondition();
    const hostBits = STORE_NET_CIDR.replace(/\.0\/24$/, '');
    Object.assign(env, {
      [`${STORE_VM}_image_name`]: img.name,
      [`${STORE_VM}_flavor_name`]: storeFlavorName(d, m.id),
      [`${INT_NET}_cidr`]: STORE_NET_CIDR,
      [`${STORE_VM}_${INT_NET}_ips`]: Array.from({ length: s.instances }, (_, i) => `${hostBits}.${10 + i}`).join(','),
    });
    Object.assign(preload, {
      [`${STORE_VM}_names`]: Array.from({ length: s.instances }, (_, i) => `${stem(d)}-redis-${i}`).join(','),
      availability_zone_0: 'nova',
    });
    Object.assign(resources, storeNetwork());
    resources[serverGroupId(STORE_VM)] = antiAffinityGroup(STORE_VM);
    Object.assign(resources, storePasswordResources());
    const generated = new Set<string>([STORE_PASSWORD, STORE_ROLE_PASSWORD.dataplane, STORE_ROLE_PASSWORD.control]);
    const userDataParams = storeUserDataParams((name) => (generated.has(name) ? { get_attr: [name, 'value'] } : { get_param: name }));
    const endpoints: object[] = [];
    for (let i = 0; i < s.instances; i++) {
      const port = `${STORE_VM}_${i}_${INT_NET}_port_0`;
      resources[port] = {
        type: 'OS::Neutron::Port',
        depends_on: [`${INT_NET}_subnet`],
        properties: {
          network: { get_resource: `${INT_NET}_network` },
          fixed_ips: [{ subnet: { get_resource: `${INT_NET}_subnet` }, ip_address: { get_param: [`${STORE_VM}_${INT_NET}_ips`, i] } }],
        },
      };
      resources[`${STORE_VM}_server_${i}`] = {
        type: 'OS::Nova::Server',
        properties: {
          name: { get_param: [`${STORE_VM}_names`, i] },
          image: { get_param: `${STORE_VM}_image_name` },
          flavor: { get_param: `${STORE_VM}_flavor_name` },
          availability_zone: { get_param: 'availability_zone_0' },
          scheduler_hints: { group: { get_resource: serverGroupId(STORE_VM) } },
          networks: [{ port: { get_resource: port } }],
          metadata: { vnf_id: { get_param: 'vnf_id' }, vf_module_id: { get_param: 'vf_module_id' }, vnf_name: { get_param: 'vnf_name' } },
          user_data_format: 'RAW',
          user_data: { str_replace: { template: storeUserData(m.flavour), params: userDataParams } },
        },
      };
      // Cinder volumes in the base module next to their server: VNFRQTS allows volumes in any
      // module (a volume module is a MAY); VVP accepts them here.
      resources[`${STORE_VM}_volume_${i}`] = { type: 'OS::Cinder::Volume', properties: { size: s.volumeGb } };
      resources[`${STORE_VM}_volume_attachment_${i}`] = {
        type: 'OS::Cinder::VolumeAttachment',
        properties: { instance_uuid: { get_resource: `${STORE_VM}_server_${i}` }, volume_id: { get_resource: `${STORE_VM}_volume_${i}` } },
      };
      endpoints.push({ list_join: [':', [{ get_param: [`${STORE_VM}_${INT_NET}_ips`, i] }, String(s.port)]] });
    }
    outputs[`${INT_NET}_net_id`] = { description: 'Store network (passed to incremental modules)', value: { get_resource: `${INT_NET}_network` } };
    // The data-plane user's URLs (redis[s]://snf-dataplane-<vnf>:<pw>@ip:port): the incremental
    // modules' NF user data keeps its one store parameter.
    outputs.store_nodes = { description: 'Redis endpoints with the data-plane user and its password (passed to incremental modules)', value: storeUrls(endpoints, 'dataplane', { get_param: 'vnf_name' }) };
    outputs.store_tls_ca = { description: "The store's CA certificate, empty without TLS (passed to incremental modules)", value: { get_param: 'store_tls_ca' } };
    outputs[STORE_CONTROL_OUTPUT] = storeControlOutput(endpoints, { get_param: 'vnf_name' });
  }

  if (m.ramcloud) {
    conditions = storeTlsCondition();
    ramcloudBase(d, m, { parameters, env, preload, resources, outputs });
  }

  return {
    template: {
      heat_template_version: HOT_VERSION,
      description: `${d.productName} ${d.softwareVersion} base module: NF anti-affinity group${m.hasStoreVdu ? ', store network and Redis Cluster' : ''}${m.ramcloud ? ', store network, RAMCloud coordinator (with the control-plane Redis) and masters' : ''}`,
      parameters,
      ...(conditions ? { conditions } : {}),
      resources,
      outputs,
    },
    env,
    preload,
  };
}

/** The VNF-internal store network of the base module (its CIDR from the env file). */
function storeNetwork(): Record<string, object> {
  return {
    [`${INT_NET}_network`]: { type: 'OS::Neutron::Net', properties: { name: vnfScopedName(`${INT_NET}_net`) } },
    [`${INT_NET}_subnet`]: {
      type: 'OS::Neutron::Subnet',
      properties: { network: { get_resource: `${INT_NET}_network` }, cidr: { get_param: `${INT_NET}_cidr` }, ip_version: 4 },
    },
  };
}

/** Fixed store-network addresses of a VM type's servers: `<net>.<first>`, `<net>.<first + 1>`... */
function storeIps(first: number, count: number): string {
  const hostBits = STORE_NET_CIDR.replace(/\.0\/24$/, '');
  return Array.from({ length: count }, (_, i) => `${hostBits}.${first + i}`).join(',');
}

interface ModuleParts {
  parameters: Record<string, object>;
  env: Record<string, unknown>;
  preload: Record<string, unknown>;
  resources: Record<string, object>;
  outputs: Record<string, object>;
}

/**
 * The ramcloud flavour's base module: the store network, the coordinator server (rc-coordinator
 * and the control-plane Redis) and one server per master (rc-server, with its backup volume),
 * each at a fixed store-network address from the env file, so the masters and the NFs are given
 * the coordinator's locator without waiting on an attribute.
 */
function ramcloudBase(d: VnfDescriptor, m: FlavourModel, parts: ModuleParts): void {
  const rc = m.ramcloud!;
  const { parameters, env, preload, resources, outputs } = parts;
  const coordImg = d.images[rc.coordinator.image];
  const masterImg = d.images[rc.masters.image];
  Object.assign(parameters, {
    ...onapIdentity,
    [`${RC_COORD_VM}_names`]: p('comma_delimited_list', 'Name of the RAMCloud coordinator (ONAP preload)'),
    [`${RC_COORD_VM}_image_name`]: p('string', 'Glance image of the RAMCloud coordinator'),
    [`${RC_COORD_VM}_flavor_name`]: p('string', 'Nova flavor of the RAMCloud coordinator (created by the operator)'),
    [`${RC_COORD_VM}_${INT_NET}_ips`]: p('comma_delimited_list', 'Fixed IP of the RAMCloud coordinator on the store network'),
    [`${RC_MASTER_VM}_names`]: p('comma_delimited_list', 'Names of the RAMCloud masters (ONAP preload)'),
    [`${RC_MASTER_VM}_image_name`]: p('string', 'Glance image of the RAMCloud masters'),
    [`${RC_MASTER_VM}_flavor_name`]: p('string', 'Nova flavor of the RAMCloud masters (created by the operator)'),
    [`${RC_MASTER_VM}_${INT_NET}_ips`]: p('comma_delimited_list', 'Fixed IPs of the RAMCloud masters on the store network'),
    [`${INT_NET}_cidr`]: p('string', 'CIDR of the VNF-internal store network'),
    availability_zone_0: p('string', 'Availability zone of the RAMCloud servers (ONAP preload)'),
    ...storeTlsParameters(true, false),
  });
  for (const k of STORE_TLS_PARAMS) env[k] = '';
  Object.assign(env, {
    [`${RC_COORD_VM}_image_name`]: coordImg.name,
    [`${RC_COORD_VM}_flavor_name`]: rcFlavorName(d, m.id, RC_COORDINATOR_VDU),
    [`${RC_COORD_VM}_${INT_NET}_ips`]: storeIps(10, 1),
    [`${RC_MASTER_VM}_image_name`]: masterImg.name,
    [`${RC_MASTER_VM}_flavor_name`]: rcFlavorName(d, m.id, RC_MASTER_VDU),
    [`${RC_MASTER_VM}_${INT_NET}_ips`]: storeIps(20, rc.masters.instances),
    [`${INT_NET}_cidr`]: STORE_NET_CIDR,
  });
  Object.assign(preload, {
    [`${RC_COORD_VM}_names`]: `${stem(d)}-rc-coordinator-0`,
    [`${RC_MASTER_VM}_names`]: Array.from({ length: rc.masters.instances }, (_, i) => `${stem(d)}-rc-master-${i}`).join(','),
    availability_zone_0: 'nova',
  });
  Object.assign(resources, storeNetwork(), storePasswordResources());
  // The VNFD's AntiAffinityRule per VDU; the coordinator's group has one member, kept for that agreement.
  resources[serverGroupId(RC_COORD_VM)] = antiAffinityGroup(RC_COORD_VM);
  resources[serverGroupId(RC_MASTER_VM)] = antiAffinityGroup(RC_MASTER_VM);
  const generated = new Set<string>([STORE_PASSWORD, STORE_ROLE_PASSWORD.dataplane, STORE_ROLE_PASSWORD.control]);
  const cluster = rc.clusterName ?? { get_param: 'vnf_name' };
  const coordIp = { get_param: [`${RC_COORD_VM}_${INT_NET}_ips`, 0] };
  const locator = { str_replace: { template: rcLocator('HOST', rc.coordinator.port), params: { HOST: coordIp } } };
  const port = (vm: string, i: number) => {
    const id = `${vm}_${i}_${INT_NET}_port_0`;
    resources[id] = {
      type: 'OS::Neutron::Port',
      depends_on: [`${INT_NET}_subnet`],
      properties: {
        network: { get_resource: `${INT_NET}_network` },
        fixed_ips: [{ subnet: { get_resource: `${INT_NET}_subnet` }, ip_address: { get_param: [`${vm}_${INT_NET}_ips`, i] } }],
      },
    };
    return id;
  };
  const server = (vm: string, i: number, userData: object) => ({
    type: 'OS::Nova::Server',
    properties: {
      name: { get_param: [`${vm}_names`, i] },
      image: { get_param: `${vm}_image_name` },
      flavor: { get_param: `${vm}_flavor_name` },
      availability_zone: { get_param: 'availability_zone_0' },
      networks: [{ port: { get_resource: port(vm, i) } }],
      metadata: { vnf_id: { get_param: 'vnf_id' }, vf_module_id: { get_param: 'vf_module_id' }, vnf_name: { get_param: 'vnf_name' } },
      scheduler_hints: { group: { get_resource: serverGroupId(vm) } },
      user_data_format: 'RAW',
      user_data: userData,
    },
  });
  const coordParams = {
    ...storeUserDataParams((name) => (generated.has(name) ? { get_attr: [name, 'value'] } : { get_param: name })),
    [RC_CLUSTER_NAME_TOKEN]: cluster,
  };
  resources[`${RC_COORD_VM}_server_0`] = server(RC_COORD_VM, 0, { str_replace: { template: rcCoordinatorUserData(rc), params: coordParams } });
  for (let i = 0; i < rc.masters.instances; i++) {
    resources[`${RC_MASTER_VM}_server_${i}`] = server(
      RC_MASTER_VM, i,
      { str_replace: { template: rcMasterUserData(rc), params: { [RC_COORDINATOR_TOKEN]: locator, [RC_CLUSTER_NAME_TOKEN]: cluster } } },
    );
    if (rc.masters.volumeGb !== undefined) {
      resources[`${RC_MASTER_VM}_volume_${i}`] = { type: 'OS::Cinder::Volume', properties: { size: rc.masters.volumeGb } };
      resources[`${RC_MASTER_VM}_volume_attachment_${i}`] = {
        type: 'OS::Cinder::VolumeAttachment',
        properties: { instance_uuid: { get_resource: `${RC_MASTER_VM}_server_${i}` }, volume_id: { get_resource: `${RC_MASTER_VM}_volume_${i}` } },
      };
    }
  }
  const endpoints = [{ list_join: [':', [coordIp, String(rc.coordinator.controlPort)]] }];
  outputs[`${INT_NET}_net_id`] = { description: 'Store network (passed to incremental modules)', value: { get_resource: `${INT_NET}_network` } };
  outputs.store_nodes = { description: 'The control-plane Redis with the data-plane user and its password (passed to incremental modules); flow state is in RAMCloud', value: storeUrls(endpoints, 'dataplane', { get_param: 'vnf_name' }) };
  outputs.store_tls_ca = { description: "The control Redis's CA certificate, empty without TLS (passed to incremental modules)", value: { get_param: 'store_tls_ca' } };
  outputs[STORE_CONTROL_OUTPUT] = storeControlOutput(endpoints, { get_param: 'vnf_name' });
  outputs.ramcloud_coordinator = { description: "RAMCloud coordinator's locator (passed to incremental modules)", value: locator };
  outputs.ramcloud_cluster_name = { description: 'RAMCloud cluster name (passed to incremental modules)', value: cluster };
}

function incrementalModule(d: VnfDescriptor, m: FlavourModel): Module {
  const f = m.flavour;
  const nfCps = m.cps.filter((c) => c.vdu === 'nf');
  const img = d.images[f.vdus.nf.image];
  const collector = new URL(d.monitoring.ves.collectorUrl);
  const parameters: Record<string, object> = {
    ...onapIdentity,
    vf_module_index: p('number', 'Index of this incremental VF module (ONAP supplied)'),
    // One server per module: its name is a plain string ONAP gives per VF module (preload or
    // naming policy). Indexing a name list with vf_module_index is refused (VNFRQTS R-55307).
    [`${NF_VM}_name_0`]: p('string', 'Name of the NF instance of this VF module (ONAP preload)'),
    [`${NF_VM}_image_name`]: p('string', 'Glance image of the NF instances'),
    [`${NF_VM}_flavor_name`]: p('string', 'Nova flavor of the NF instances (created by the operator)'),
    [serverGroupOutput(NF_VM)]: p('string', 'Anti-affinity server group of the NF instances (base module output)'),
    store_nodes: p('string', 'Comma-separated host:port Redis endpoints'),
    ...storeTlsParameters(false, false),
    dcae_collector_ip: p('string', 'DCAE VES collector address'),
    dcae_collector_port: p('number', 'DCAE VES collector port'),
    availability_zone_0: p('string', 'Availability zone of the NF instance (ONAP preload)'),
  };
  const env: Record<string, unknown> = {
    [`${NF_VM}_image_name`]: img.name,
    [`${NF_VM}_flavor_name`]: nfFlavorName(d, m.id),
    dcae_collector_ip: collector.hostname,
    dcae_collector_port: Number(collector.port || (collector.protocol === 'https:' ? 443 : 80)),
  };
  if (f.store.kind === 'external') {
    env.store_nodes = f.store.nodes.join(',');
    env.store_tls_ca = '';
  }
  if (m.ramcloud) {
    parameters.ramcloud_coordinator = p('string', "RAMCloud coordinator's locator (base module output)");
    parameters.ramcloud_cluster_name = p('string', 'RAMCloud cluster name (base module output)');
  }
  const preload: Record<string, unknown> = { availability_zone_0: 'nova' };

  const resources: Record<string, object> = {};
  const ports: string[] = [];
  for (const cp of nfCps) {
    const role = networkRole(cp);
    const port = `${NF_VM}_0_${role}_port_0`;
    ports.push(port);
    const props: Record<string, unknown> = {};
    if (cp.external) {
      parameters[`${role}_net_id`] = p('string', `Neutron network of the ${role} network role (ONAP preload)`);
      preload[`${role}_net_id`] = `${role}_net`;
      props.network = { get_param: `${role}_net_id` };
    } else {
      parameters[`${INT_NET}_net_id`] = p('string', 'Store network (base module output)');
      props.network = { get_param: `${INT_NET}_net_id` };
    }
    if (cp.vnicType === 'direct') props['binding:vnic_type'] = 'direct';
    if (cp.role === 'data') props.port_security_enabled = false;
    resources[port] = { type: 'OS::Neutron::Port', properties: props };
  }
  const vesUrl = {
    str_replace: {
      template: `${collectorScheme(d)}://IP:PORT${collector.pathname}`,
      params: { IP: { get_param: 'dcae_collector_ip' }, PORT: { get_param: 'dcae_collector_port' } },
    },
  };
  resources[`${NF_VM}_server_0`] = {
    type: 'OS::Nova::Server',
    properties: {
      name: { get_param: `${NF_VM}_name_0` },
      image: { get_param: `${NF_VM}_image_name` },
      flavor: { get_param: `${NF_VM}_flavor_name` },
      availability_zone: { get_param: 'availability_zone_0' },
      scheduler_hints: { group: { get_param: serverGroupOutput(NF_VM) } },
      networks: ports.map((port) => ({ port: { get_resource: port } })),
      metadata: {
        vnf_id: { get_param: 'vnf_id' },
        vf_module_id: { get_param: 'vf_module_id' },
        vnf_name: { get_param: 'vnf_name' },
        vf_module_index: { get_param: 'vf_module_index' },
      },
      user_data_format: 'RAW',
      user_data: {
        str_replace: {
          template: nfUserData(d, f),
          params: {
            __VNF_NAME__: { get_param: 'vnf_name' },
            __STORE_NODES__: { get_param: 'store_nodes' },
            __VES_COLLECTOR__: vesUrl,
            __STORE_TLS_CA__: pemBlock({ get_param: 'store_tls_ca' }),
            ...(m.ramcloud ? { [RC_COORDINATOR_TOKEN]: { get_param: 'ramcloud_coordinator' }, [RC_CLUSTER_NAME_TOKEN]: { get_param: 'ramcloud_cluster_name' } } : {}),
          },
        },
      },
    },
  };
  return {
    template: {
      heat_template_version: HOT_VERSION,
      description: `${d.productName} ${d.softwareVersion} incremental module: one NF instance (scale-out unit)`,
      parameters,
      resources,
      outputs: { [`${NF_VM}_0_name`]: { description: 'Name of this NF instance', value: { get_attr: [`${NF_VM}_server_0`, 'name'] } } },
    },
    env,
    preload,
  };
}

function dumpEnv(env: Record<string, unknown>): string {
  return yaml.dump({ parameters: env }, { lineWidth: -1, noRefs: true });
}

/** The ONAP modules for one flavour, file name -> text. */
export function onapModules(d: VnfDescriptor, flavourId: string): Map<string, string> {
  const m = flavourModel(d, flavourId);
  const base = baseModule(d, m);
  const incr = incrementalModule(d, m);
  const dump = (o: object) => yaml.dump(o, { lineWidth: -1, noRefs: true });
  return new Map([
    [onapFileNames.base(d), dump(base.template)],
    [onapFileNames.baseEnv(d), dumpEnv(base.env)],
    [onapFileNames.incr(d), dump(incr.template)],
    [onapFileNames.incrEnv(d), dumpEnv(incr.env)],
  ]);
}

/**
 * Example values for what ONAP supplies at instantiation besides vnf_id / vnf_name / ...:
 * server names, availability zones, networks (an SDNC preload would carry them). The
 * incremental module's NF name follows the VF module index, `<stem>-nf-<index>`.
 */
export function onapPreload(d: VnfDescriptor, flavourId: string): OnapPreload {
  const m = flavourModel(d, flavourId);
  const base = baseModule(d, m).preload;
  const incr = incrementalModule(d, m).preload;
  return { base, incremental: (index) => ({ ...incr, [`${NF_VM}_name_0`]: `${stem(d)}-nf-${index}` }) };
}
