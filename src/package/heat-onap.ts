// ONAP Heat modules (VNFRQTS chapter 5): a base module with what all NF instances share and an
// incremental module holding exactly one NF instance, so ONAP SO scales out by creating another
// incremental VF module. Templates carry no parameter defaults: values live in the env files,
// except the ones ONAP supplies itself (vnf_id, vf_module_id, vnf_name, vf_module_index) and the
// base module outputs ONAP passes to incremental modules by name.
import yaml from 'js-yaml';
import type { VnfDescriptor } from '../descriptor/types.js';
import { HOT_VERSION, nfFlavorResource } from './heat-tacker.js';
import { STORE_NET_CIDR, flavourModel, stem, type CpModel, type FlavourModel } from './model.js';
import { nfUserData, storeUserData } from './userdata.js';

/** Parameters ONAP fills in at instantiation; they must never appear in an env file. */
export const ONAP_SUPPLIED = ['vnf_id', 'vf_module_id', 'vnf_name', 'vf_module_index', 'vf_module_name', 'workload_context', 'environment_context'];
const NF_VM = 'nf';
const STORE_VM = 'redis';
const INT_NET = 'int_store';

export const onapFileNames = {
  base: (d: VnfDescriptor) => `base_${stem(d)}.yaml`,
  baseEnv: (d: VnfDescriptor) => `base_${stem(d)}.env`,
  incr: (d: VnfDescriptor) => `${stem(d)}_nf.yaml`,
  incrEnv: (d: VnfDescriptor) => `${stem(d)}_nf.env`,
};

interface Module {
  template: object;
  env: Record<string, unknown>;
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

function baseModule(d: VnfDescriptor, m: FlavourModel): Module {
  const parameters: Record<string, object> = {};
  const env: Record<string, unknown> = {};
  const resources: Record<string, object> = { [`${NF_VM}_flavor`]: nfFlavorResource(m) };
  const outputs: Record<string, object> = {
    [`${NF_VM}_flavor_name`]: { description: 'Flavor of the NF instances (passed to incremental modules)', value: { get_resource: `${NF_VM}_flavor` } },
  };

  if (m.hasStoreVdu) {
    const s = m.flavour.vdus.store!;
    const img = d.images[s.image];
    Object.assign(parameters, {
      ...onapIdentity,
      [`${STORE_VM}_names`]: p('comma_delimited_list', 'Names of the Redis nodes'),
      [`${STORE_VM}_image_name`]: p('string', 'Glance image of the Redis nodes'),
      [`${INT_NET}_cidr`]: p('string', 'CIDR of the VNF-internal store network'),
      [`${STORE_VM}_${INT_NET}_ips`]: p('comma_delimited_list', 'Fixed IPs of the Redis nodes on the store network'),
      availability_zone_0: p('string', 'Availability zone of the Redis nodes'),
    });
    const hostBits = STORE_NET_CIDR.replace(/\.0\/24$/, '');
    Object.assign(env, {
      [`${STORE_VM}_names`]: Array.from({ length: s.instances }, (_, i) => `${stem(d)}-redis-${i}`).join(','),
      [`${STORE_VM}_image_name`]: img.name,
      [`${INT_NET}_cidr`]: STORE_NET_CIDR,
      [`${STORE_VM}_${INT_NET}_ips`]: Array.from({ length: s.instances }, (_, i) => `${hostBits}.${10 + i}`).join(','),
      availability_zone_0: 'nova',
    });
    resources[`${INT_NET}_network`] = { type: 'OS::Neutron::Net', properties: { name: { list_join: ['_', [{ get_param: 'vnf_name' }, INT_NET]] } } };
    resources[`${INT_NET}_subnet`] = {
      type: 'OS::Neutron::Subnet',
      properties: { network: { get_resource: `${INT_NET}_network` }, cidr: { get_param: `${INT_NET}_cidr` }, ip_version: 4 },
    };
    resources[`${STORE_VM}_flavor`] = { type: 'OS::Nova::Flavor', properties: { vcpus: s.vcpu, ram: s.memoryMb, disk: s.diskGb } };
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
          flavor: { get_resource: `${STORE_VM}_flavor` },
          availability_zone: { get_param: 'availability_zone_0' },
          networks: [{ port: { get_resource: port } }],
          metadata: { vnf_id: { get_param: 'vnf_id' }, vf_module_id: { get_param: 'vf_module_id' }, vnf_name: { get_param: 'vnf_name' } },
          user_data_format: 'RAW',
          user_data: storeUserData(m.flavour),
        },
      };
      resources[`${STORE_VM}_volume_${i}`] = { type: 'OS::Cinder::Volume', properties: { size: s.volumeGb } };
      resources[`${STORE_VM}_volume_attachment_${i}`] = {
        type: 'OS::Cinder::VolumeAttachment',
        properties: { instance_uuid: { get_resource: `${STORE_VM}_server_${i}` }, volume_id: { get_resource: `${STORE_VM}_volume_${i}` } },
      };
      endpoints.push({ list_join: [':', [{ get_param: [`${STORE_VM}_${INT_NET}_ips`, i] }, String(s.port)]] });
    }
    outputs[`${INT_NET}_net_id`] = { description: 'Store network (passed to incremental modules)', value: { get_resource: `${INT_NET}_network` } };
    outputs.store_nodes = { description: 'Redis endpoints (passed to incremental modules)', value: { list_join: [',', endpoints] } };
  }

  return {
    template: {
      heat_template_version: HOT_VERSION,
      description: `${d.productName} ${d.softwareVersion} base module: shared flavor${m.hasStoreVdu ? ', store network and Redis Cluster' : ''}`,
      parameters,
      resources,
      outputs,
    },
    env,
  };
}

function incrementalModule(d: VnfDescriptor, m: FlavourModel): Module {
  const f = m.flavour;
  const nfCps = m.cps.filter((c) => c.vdu === 'nf');
  const img = d.images[f.vdus.nf.image];
  const collector = new URL(d.monitoring.ves.collectorUrl);
  const parameters: Record<string, object> = {
    ...onapIdentity,
    vf_module_index: p('number', 'Index of this incremental VF module (ONAP supplied)'),
    [`${NF_VM}_names`]: p('comma_delimited_list', 'Names of the NF instances, indexed by vf_module_index'),
    [`${NF_VM}_image_name`]: p('string', 'Glance image of the NF instances'),
    [`${NF_VM}_flavor_name`]: p('string', 'Flavor of the NF instances (base module output)'),
    store_nodes: p('string', 'Comma-separated host:port Redis endpoints'),
    dcae_collector_ip: p('string', 'DCAE VES collector address'),
    dcae_collector_port: p('number', 'DCAE VES collector port'),
    availability_zone_0: p('string', 'Availability zone of the NF instance'),
  };
  const a = f.scaling.nf_instances;
  const env: Record<string, unknown> = {
    [`${NF_VM}_names`]: Array.from({ length: a.max }, (_, i) => `${stem(d)}-nf-${i}`).join(','),
    [`${NF_VM}_image_name`]: img.name,
    dcae_collector_ip: collector.hostname,
    dcae_collector_port: Number(collector.port || (collector.protocol === 'https:' ? 443 : 80)),
    availability_zone_0: 'nova',
  };
  if (f.store.kind === 'external') env.store_nodes = f.store.nodes.join(',');

  const resources: Record<string, object> = {};
  const ports: string[] = [];
  for (const cp of nfCps) {
    const role = networkRole(cp);
    const port = `${NF_VM}_0_${role}_port_0`;
    ports.push(port);
    const props: Record<string, unknown> = {};
    if (cp.external) {
      parameters[`${role}_net_id`] = p('string', `Neutron network of the ${role} network role`);
      env[`${role}_net_id`] = `${role}_net`;
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
      name: { get_param: [`${NF_VM}_names`, { get_param: 'vf_module_index' }] },
      image: { get_param: `${NF_VM}_image_name` },
      flavor: { get_param: `${NF_VM}_flavor_name` },
      availability_zone: { get_param: 'availability_zone_0' },
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
  };
}

function dumpEnv(env: Record<string, unknown>): string {
  return yaml.dump({ parameters: env }, { lineWidth: -1, noRefs: true });
}

/** The ONAP modules for one flavour, file name -> text, plus MANIFEST.json entries. */
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
