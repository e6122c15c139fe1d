// What the TOSCA and BaseHOT generators say about a flavour: the VDU sizing, hugepages and CPU
// pinning, SR-IOV ports, the scaling aspect and instantiation levels, and cloud-init user data
// that starts the NF with its store endpoints.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { expect } from 'chai';
import yaml from 'js-yaml';
import { baseHot, hotFileNames } from '../../../src/package/heat-tacker.js';
import { flavourTemplate, typesTemplate } from '../../../src/package/tosca.js';
import { nfUserData } from '../../../src/package/userdata.js';
import { descriptor, testImageFactsWithoutRamcloud, testImages } from './helpers.js';

type Doc = Record<string, any>;

async function flavourOf(name: string, flavour: string): Promise<string> {
  const d = await descriptor(name);
  return flavourTemplate(d, flavour, await testImages(d));
}
const load = (s: string): Doc => yaml.load(s, { schema: yaml.JSON_SCHEMA }) as Doc;

function policy(df: Doc, name: string): Doc {
  const p = (df.topology_template.policies as Doc[]).find((x) => name in x);
  if (!p) throw new Error(`no policy ${name}`);
  return p[name];
}

describe('TOSCA flavour templates', () => {
  it('dpdk-sriov: hugepages, pinned CPUs, SR-IOV data CPs, Redis Cluster VDU with block storage on an internal VL', async () => {
    const df = load(await flavourOf('nat', 'dpdk-sriov'));
    const nodes = df.topology_template.node_templates;
    const vc = nodes.nf.capabilities.virtual_compute.properties;
    expect(vc.virtual_cpu).to.deep.equal({ num_virtual_cpu: 8, virtual_cpu_pinning: { virtual_cpu_pinning_policy: 'static' } });
    expect(vc.virtual_memory).to.deep.equal({ virtual_mem_size: '16384 MB', vdu_mem_requirements: { memoryPageSize: '1GB' } });
    expect(nodes.nf_inside_cp.properties.virtual_network_interface_requirements[0].network_interface_requirements).to.include({ vnicType: 'direct' });
    expect(nodes.nf_mgmt_cp.properties.vnic_type).to.equal('normal');
    expect(nodes.store.type).to.equal('tosca.nodes.nfv.Vdu.Compute');
    expect(nodes.store.requirements).to.deep.equal([{ virtual_storage: 'store_volume' }]);
    expect(nodes.store_volume.type).to.equal('tosca.nodes.nfv.Vdu.VirtualBlockStorage');
    expect(nodes.store_cp.requirements).to.deep.include({ virtual_link: 'store_vl' });
    expect(nodes.nf_store_cp.requirements).to.deep.include({ virtual_link: 'store_vl' });
    expect(df.topology_template.substitution_mappings.requirements).to.deep.equal({
      virtual_link_mgmt: ['nf_mgmt_cp', 'virtual_link'],
      virtual_link_inside: ['nf_inside_cp', 'virtual_link'],
      virtual_link_outside: ['nf_outside_cp', 'virtual_link'],
    });
  });

  it('scaling aspect nf_instances and instantiation levels follow min, max and delta', async () => {
    const df = load(await flavourOf('lb', 'dpdk-sriov'));
    expect(policy(df, 'scaling_aspects').properties.aspects.nf_instances.max_scale_level).to.equal(7); // (16 - 2) / 2
    expect(policy(df, 'nf_initial_delta').properties.initial_delta.number_of_instances).to.equal(2);
    expect(policy(df, 'nf_scaling_aspect_deltas').properties.deltas.delta_1.number_of_instances).to.equal(2);
    const levels = policy(df, 'instantiation_levels').properties;
    expect(levels.default_level).to.equal('base');
    expect(levels.levels.large.scale_info.nf_instances.scale_level).to.equal(3); // (8 - 2) / 2
    expect(policy(df, 'nf_instantiation_levels').properties.levels.large.number_of_instances).to.equal(8);
    expect(df.topology_template.node_templates.nf.properties.vdu_profile).to.deep.equal({ min_number_of_instances: 2, max_number_of_instances: 16 });
  });

  it('small: no store VDU, virtio data CPs, no pinning', async () => {
    const nodes = load(await flavourOf('firewall', 'small')).topology_template.node_templates;
    expect(nodes).to.not.have.property('store');
    expect(nodes.nf_inside_cp.properties.vnic_type).to.equal('normal');
    expect(nodes.nf.capabilities.virtual_compute.properties.virtual_cpu).to.deep.equal({ num_virtual_cpu: 2 });
  });

  it('sw_image_data is read off the real image file: its SHA-256, its size, its virtual size as min_disk', async () => {
    const d = await descriptor('nat');
    const images = await testImages(d);
    const img = images.nf_image;
    const sha = createHash('sha256').update(readFileSync(img.path)).digest('hex');
    const nodes = load(flavourTemplate(d, 'dpdk-sriov', images)).topology_template.node_templates;
    for (const vdu of ['nf', 'store']) {
      const sw = nodes[vdu].properties.sw_image_data;
      expect(sw.checksum, vdu).to.deep.equal({ algorithm: 'sha-256', hash: sha });
      expect(sw.size).to.equal(`${statSync(img.path).size} B`);
      expect(sw.min_disk).to.equal('4 GB'); // the 2 GiB test image is below the descriptor's 4 GB floor
    }
    expect(() => flavourTemplate(d, 'small', {})).to.throw(/images\.nf_image: no image file given/);
    expect(() => flavourTemplate(d, 'small', { nf_image: { ...img, diskFormat: 'raw' } })).to.throw(/images\.nf_image\.diskFormat: the descriptor says qcow2/);
  });

  it('the product node type pins the descriptor identity and lists the flavours', async () => {
    const t = load(typesTemplate(await descriptor('nat')));
    const props = t.node_types['statelessnf.nodes.nat.VNF'].properties;
    expect(props.descriptor_id.constraints).to.deep.equal([{ valid_values: ['1e4be19d-5f38-5398-8c42-22361f1cbc8d'] }]);
    expect(props.flavour_id.constraints).to.deep.equal([{ valid_values: ['small', 'dpdk-sriov', 'ramcloud'] }]);
  });

  it('the product node type derives directly from tosca.nodes.nfv.VNF and carries the shared parts itself', async () => {
    // Tacker's loader (csar_utils._check_type) looks one derived_from level deep only.
    const t = load(typesTemplate(await descriptor('nat')));
    const type = t.node_types['statelessnf.nodes.nat.VNF'];
    expect(type.derived_from).to.equal('tosca.nodes.nfv.VNF');
    expect(type.properties.configurable_properties.type).to.equal('statelessnf.datatypes.nfv.VnfConfigurableProperties');
    expect(type.requirements.map((r: object) => Object.keys(r)[0])).to.deep.equal(['virtual_link_mgmt', 'virtual_link_inside', 'virtual_link_outside']);
    expect(type.interfaces.Vnflcm.type).to.equal('tosca.interfaces.nfv.Vnflcm');
    expect(type.interfaces.Vnflcm).to.include.keys('change_current_package_start', 'change_vnfpkg_start');
    const common = load(readFileSync(new URL('../../../tosca/statelessnf_types.yaml', import.meta.url), 'utf8'));
    expect(common).to.not.have.property('node_types');
  });
});

describe('Tacker BaseHOT', () => {
  it('dpdk-sriov: flavor extra specs, SR-IOV ports, NF group sized by the aspect, store endpoints into the NF', async () => {
    const d = await descriptor('nat');
    const files = baseHot(d, 'dpdk-sriov');
    const top = load(files.get(hotFileNames.top(d, 'dpdk-sriov'))!);
    expect(top.resources.nf_flavor.properties).to.deep.equal({
      name: 'snf_nat-dpdk-sriov-nf', vcpus: 8, ram: 16384, disk: 20,
      extra_specs: { 'hw:cpu_policy': 'dedicated', 'hw:cpu_thread_policy': 'isolate', 'hw:mem_page_size': '1GB' },
    });
    const group = top.resources.nf_scale_group;
    expect(group.type).to.equal('OS::Heat::AutoScalingGroup');
    expect(group.properties).to.include({ min_size: 2, max_size: 16 });
    expect(group.properties.desired_capacity).to.deep.equal({ get_param: ['nfv', 'VDU', 'nf', 'desired_capacity'] });
    expect(group.properties.resource.type).to.equal('nf.yaml');
    // The store's passwords are made by Heat at deploy time: the admin (default user) one for the
    // Redis nodes, one per ACL role; the NFs' store URLs carry the data-plane user
    // (redis[s]://snf-dataplane-<stack>:<pw>@host:port), rediss:// when the TLS parameters are given.
    for (const r of ['store_password', 'store_dataplane_password', 'store_control_password']) {
      expect(top.resources[r], r).to.deep.equal({ type: 'OS::Heat::RandomString', properties: { length: 32, character_classes: [{ class: 'lettersdigits' }] } });
    }
    expect(group.properties.resource.properties.store_nodes).to.deep.equal({
      str_replace: {
        template: { list_join: [',', { repeat: { for_each: { '<%endpoint%>': { get_attr: ['store_scale_group', 'outputs_list', 'endpoint'] } }, template: 'STORE_SCHEME://STORE_USER:STORE_PASSWORD@<%endpoint%>STORE_QUERY' } }] },
        params: {
          STORE_SCHEME: { if: ['store_tls', 'rediss', 'redis'] },
          STORE_USER: { str_replace: { template: 'snf-dataplane-VNFNAME', params: { VNFNAME: { get_param: 'OS::stack_name' } } } },
          STORE_PASSWORD: { get_attr: ['store_dataplane_password', 'value'] },
          STORE_QUERY: { if: ['store_tls', '?ca=/etc/statelessnf/store-ca.pem&servername=store.statelessnf.internal', ''] },
        },
      },
    });
    expect(top.conditions.store_tls).to.deep.equal({ not: { equals: [{ get_param: 'store_tls_cert' }, ''] } });
    for (const k of ['store_tls_ca', 'store_tls_cert', 'store_tls_key']) expect(top.parameters[k], k).to.include({ type: 'string', hidden: true, default: '' });
    expect(top.outputs.store_control_nodes.value.str_replace.params.STORE_PASSWORD).to.deep.equal({ get_attr: ['store_control_password', 'value'] });
    expect(top.resources.store_scale_group.properties.resource.properties.store_password).to.deep.equal({ get_attr: ['store_password', 'value'] });
    const storeNested = load(files.get(hotFileNames.storeNested('dpdk-sriov'))!);
    for (const k of ['store_password', 'store_dataplane_password', 'store_control_password', 'store_tls_key']) expect(storeNested.parameters[k], k).to.include({ type: 'string', hidden: true });
    const ud = storeNested.resources.store.properties.user_data.str_replace;
    expect(ud.params.__STORE_PASSWORD__).to.deep.equal({ get_param: 'store_password' });
    expect(ud.params.__STORE_DATAPLANE_PASSWORD__).to.deep.equal({ get_param: 'store_dataplane_password' });
    expect(ud.params.__VNF_NAME__).to.deep.equal({ get_param: 'vnf_name' });
    expect(ud.params.__STORE_TLS_KEY__).to.deep.equal({ list_join: ['\n      ', { str_split: ['\n', { get_param: 'store_tls_key' }] }] });
    expect(ud.template).to.include('SNF_REDIS_PASSWORD=__STORE_PASSWORD__');
    expect(ud.template).to.include('user snf-dataplane-__VNF_NAME__ reset on >__STORE_DATAPLANE_PASSWORD__ ');
    expect(top.resources.nf_instances_scale_out.properties.scaling_adjustment).to.equal(2);
    expect(top.resources.nf_instances_scale_in.properties.scaling_adjustment).to.equal(-2);
    const nested = load(files.get(hotFileNames.nfNested('dpdk-sriov'))!);
    expect(nested.resources.nf.type).to.equal('OS::Nova::Server');
    expect(nested.resources.nf_inside_cp.properties).to.include({ 'binding:vnic_type': 'direct', port_security_enabled: false });
    expect(nested.resources.nf_mgmt_cp.properties).to.not.have.property('binding:vnic_type');
    expect(files.has(hotFileNames.storeNested('dpdk-sriov'))).to.equal(true);
  });

  it('flavors are taken by name (nfv computeFlavourId) and created only on request', async () => {
    const d = await descriptor('nat');
    const top = load(baseHot(d, 'dpdk-sriov').get(hotFileNames.top(d, 'dpdk-sriov'))!);
    expect(top.parameters.create_flavors).to.include({ type: 'boolean', default: false });
    expect(top.conditions.create_flavors).to.deep.equal({ get_param: 'create_flavors' });
    for (const vdu of ['nf', 'store']) {
      expect(top.resources[`${vdu}_flavor`].condition, vdu).to.equal('create_flavors');
      expect(top.resources[`${vdu}_scale_group`].properties.resource.properties.flavor, vdu).to.deep.equal({
        if: ['create_flavors', { get_resource: `${vdu}_flavor` }, { get_param: ['nfv', 'VDU', vdu, 'computeFlavourId'] }],
      });
    }
    // The VNFD names the same flavor where Tacker v2 reads it when no grant names one.
    const df = load(await flavourOf('nat', 'dpdk-sriov'));
    const cap = df.topology_template.node_templates.nf.capabilities.virtual_compute.properties.requested_additional_capabilities.properties;
    expect(cap.requested_additional_capability_name).to.equal('snf_nat-dpdk-sriov-nf');
    expect(cap.target_performance_parameters).to.deep.equal({ 'hw:cpu_policy': 'dedicated', 'hw:cpu_thread_policy': 'isolate', 'hw:mem_page_size': '1GB' });
    expect(df.topology_template.node_templates.store.capabilities.virtual_compute.properties.requested_additional_capabilities.properties.requested_additional_capability_name)
      .to.equal('snf_nat-dpdk-sriov-store');
  });

  it('a descriptor may name the flavors', async () => {
    const d = await descriptor('nat');
    d.flavours.small.vdus.nf.flavorName = 'm1.nf';
    const df = load(flavourTemplate(d, 'small', await testImages(d)));
    expect(df.topology_template.node_templates.nf.capabilities.virtual_compute.properties.requested_additional_capabilities.properties.requested_additional_capability_name).to.equal('m1.nf');
    const top = load(baseHot(d, 'small').get(hotFileNames.top(d, 'small'))!);
    expect(top.resources.nf_flavor.properties.name).to.equal('m1.nf');
  });

  it('one anti-affinity server group per AntiAffinityRule, given to every member as a scheduler hint', async () => {
    const d = await descriptor('firewall');
    const files = baseHot(d, 'dpdk-sriov');
    const top = load(files.get(hotFileNames.top(d, 'dpdk-sriov'))!);
    const df = load(await flavourOf('firewall', 'dpdk-sriov'));
    const rules = df.topology_template.policies.flatMap((p: Doc) => Object.entries(p)).filter(([, v]: [string, Doc]) => v.type === 'tosca.policies.nfv.AntiAffinityRule');
    expect(rules.map(([k]: [string]) => k).sort()).to.deep.equal(['nf_anti_affinity', 'store_anti_affinity']);
    for (const [rule, def] of rules as [string, Doc][]) {
      const vdu = def.targets[0];
      expect(top.resources[rule].type).to.equal('OS::Nova::ServerGroup');
      expect(top.resources[rule].properties.policies).to.deep.equal(['anti-affinity']);
      expect(top.resources[`${vdu}_scale_group`].properties.resource.properties.server_group).to.deep.equal({ get_resource: rule });
      const nested = load(files.get(vdu === 'nf' ? hotFileNames.nfNested('dpdk-sriov') : hotFileNames.storeNested('dpdk-sriov'))!);
      expect(nested.resources[vdu].properties.scheduler_hints).to.deep.equal({ group: { get_param: 'server_group' } });
    }
  });

  it('members take image-<VDU> (Tacker v2 change-current-package) and store volumes hang off the server', async () => {
    const d = await descriptor('lb');
    const files = baseHot(d, 'dpdk-sriov');
    const top = load(files.get(hotFileNames.top(d, 'dpdk-sriov'))!);
    for (const vdu of ['nf', 'store']) {
      const props = top.resources[`${vdu}_scale_group`].properties.resource.properties;
      expect(props[`image-${vdu}`]).to.deep.equal({ get_param: ['nfv', 'VDU', vdu, 'vcImageId'] });
      expect(props).to.not.have.property('image');
    }
    const store = load(files.get(hotFileNames.storeNested('dpdk-sriov'))!);
    expect(store.parameters).to.have.property('image-store');
    expect(store.resources.store.properties.image).to.deep.equal({ get_param: 'image-store' });
    // Tacker links storageResourceIds from the volume's required_by: the server must reference it.
    expect(store.resources.store.properties.block_device_mapping_v2).to.deep.equal([{ volume_id: { get_resource: 'store_volume' }, boot_index: -1, delete_on_termination: false }]);
    expect(Object.values(store.resources).map((r) => (r as Doc).type)).to.not.include('OS::Cinder::VolumeAttachment');
  });

  it('small: the external store endpoints are a parameter defaulting to the descriptor', async () => {
    const d = await descriptor('lb');
    const top = load(baseHot(d, 'small').get(hotFileNames.top(d, 'small'))!);
    expect(top.parameters.store_nodes).to.include({ type: 'comma_delimited_list' });
    expect(top.parameters.store_nodes.default).to.deep.equal(['192.0.2.10:6379']);
    expect(top.resources.nf_flavor.properties).to.not.have.property('extra_specs');
  });

  it('cloud-init starts the NF with its VNF name and store endpoints filled in by Heat', async () => {
    const d = await descriptor('nat');
    const nested = load(baseHot(d, 'dpdk-sriov').get(hotFileNames.nfNested('dpdk-sriov'))!);
    const ud = nested.resources.nf.properties.user_data.str_replace;
    expect(ud.template).to.match(/^#cloud-config\n/);
    expect(ud.template).to.include('SNF_STORE_NODES=__STORE_NODES__').and.include('SNF_VNF=__VNF_NAME__');
    expect(ud.template).to.include('SNF_NF=nat').and.include('SNF_DATAPLANE=dpdk').and.include('SNF_STORE_CLUSTER=true');
    expect(ud.template).to.include('hugepages-1048576kB/nr_hugepages');
    expect(ud.params).to.deep.equal({
      __VNF_NAME__: { get_param: 'vnf_name' },
      __STORE_NODES__: { get_param: 'store_nodes' },
      __VES_COLLECTOR__: { get_param: 'ves_collector_url' },
      __STORE_TLS_CA__: { list_join: ['\n      ', { str_split: ['\n', { get_param: 'store_tls_ca' }] }] },
    });
    const cc = load(nfUserData(d, d.flavours.small));
    expect(cc.runcmd).to.deep.equal([['systemctl', 'enable', '--now', 'statelessnf-nf.service']]);
    expect(cc.write_files[0].path).to.equal('/etc/statelessnf/nf.env');
    expect(cc.write_files[1]).to.include({ path: '/etc/statelessnf/store-ca.pem', permissions: '0600' });
  });
});

describe('the ramcloud flavour (RAMCloud flow store: coordinator + masters VDUs)', () => {
  const envLines = (content: string) => Object.fromEntries(content.trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)));
  const fileIn = (cc: Doc, path: string): Doc => {
    const f = (cc.write_files as Doc[]).find((w) => w.path === path);
    if (!f) throw new Error(`no ${path}`);
    return f;
  };

  it('TOSCA: coordinator and masters VDUs of fixed size, a backup volume, the replication factor as a policy property', async () => {
    const df = load(await flavourOf('nat', 'ramcloud'));
    const nodes = df.topology_template.node_templates;
    expect(nodes.rc_coordinator.type).to.equal('tosca.nodes.nfv.Vdu.Compute');
    expect(nodes.rc_coordinator.properties.vdu_profile).to.deep.equal({ min_number_of_instances: 1, max_number_of_instances: 1 });
    expect(nodes.rc_master.properties.vdu_profile).to.deep.equal({ min_number_of_instances: 3, max_number_of_instances: 3 });
    expect(nodes.rc_master.capabilities.virtual_compute.properties.virtual_memory).to.deep.equal({ virtual_mem_size: '8192 MB' });
    expect(nodes.rc_master.requirements).to.deep.equal([{ virtual_storage: 'rc_master_volume' }]);
    expect(nodes.rc_master_volume.properties.virtual_block_storage_data.size_of_storage).to.equal('20 GB');
    for (const cp of ['nf_store_cp', 'rc_coordinator_cp', 'rc_master_cp']) expect(nodes[cp].requirements).to.deep.include({ virtual_link: 'store_vl' });
    expect(nodes).to.not.have.property('store');
    const rep = policy(df, 'rc_master_replication');
    expect(rep.type).to.equal('statelessnf.policies.nfv.RamcloudReplication');
    expect(rep.properties).to.deep.equal({ replicas: 2, table: 'snf' });
    expect(rep.targets).to.deep.equal(['rc_master']);
    expect(policy(df, 'rc_master_initial_delta').properties.initial_delta.number_of_instances).to.equal(3);
    expect(policy(df, 'rc_master_instantiation_levels').properties.levels.large.number_of_instances).to.equal(3);
    expect(policy(df, 'rc_master_anti_affinity').targets).to.deep.equal(['rc_master']);
    // The policy type the VNFD uses is defined where it imports it from.
    const types = load(readFileSync('tosca/statelessnf_types.yaml', 'utf8'));
    expect(types.policy_types['statelessnf.policies.nfv.RamcloudReplication'].properties.replicas.constraints).to.deep.equal([{ greater_or_equal: 0 }]);
  });

  it('refuses an image built without RAMCloud for the coordinator and masters, naming the field', async () => {
    const d = await descriptor('nat');
    const plain = await testImageFactsWithoutRamcloud();
    expect(() => flavourTemplate(d, 'ramcloud', { nf_image: plain })).to.throw(/^flavours\.ramcloud\.vdus\.coordinator\.image: image 'nf_image' .*built without RAMCloud.*snf image build --ramcloud/);
    // The other flavours do not need it.
    expect(() => flavourTemplate(d, 'dpdk-sriov', { nf_image: plain })).to.not.throw();
  });

  it('BaseHOT: masters sized by the descriptor after the coordinator, the NFs after the masters, given the locator and the control Redis', async () => {
    const d = await descriptor('lb');
    const files = baseHot(d, 'ramcloud');
    expect([...files.keys()].sort()).to.deep.equal([
      'BaseHOT/ramcloud/nested/nf.yaml', 'BaseHOT/ramcloud/nested/rc_coordinator.yaml', 'BaseHOT/ramcloud/nested/rc_master.yaml', 'BaseHOT/ramcloud/snf_lb_ramcloud.yaml',
    ]);
    const top = load(files.get(hotFileNames.top(d, 'ramcloud'))!);
    const masters = top.resources.rc_master_scale_group;
    expect(masters.properties).to.include({ min_size: 3, max_size: 3, desired_capacity: 3 });
    expect(masters.depends_on).to.deep.equal(['rc_coordinator_scale_group']);
    expect(masters.properties.resource.properties).to.include({ volume_size: 20 });
    expect(masters.properties.resource.properties.coordinator).to.deep.equal({ list_join: [',', { get_attr: ['rc_coordinator_scale_group', 'outputs_list', 'locator'] }] });
    expect(top.resources.rc_coordinator_scale_group.properties).to.include({ min_size: 1, max_size: 1 });
    expect(top.resources.nf_scale_group.depends_on).to.deep.equal(['rc_master_scale_group']);
    const nf = top.resources.nf_scale_group.properties.resource.properties;
    expect(nf.ramcloud_coordinator).to.deep.equal(masters.properties.resource.properties.coordinator);
    expect(nf.ramcloud_cluster_name).to.deep.equal({ get_param: 'OS::stack_name' });
    expect(nf.net_store).to.deep.equal({ get_resource: 'store_vl' });
    expect(JSON.stringify(nf.store_nodes)).to.include('"rc_coordinator_scale_group","outputs_list","endpoint"').and.include('snf-dataplane-VNFNAME');
    // The control Redis is created by the template: it takes the store TLS parameters (the VNF manager's cue to make certificates).
    expect(top.parameters).to.include.keys('store_tls_ca', 'store_tls_cert', 'store_tls_key');
    expect(top.resources.store_vl_subnet.properties.cidr).to.equal('172.31.255.0/24');
  });

  it('the masters run rc-server with the cluster name, --replicas, master memory and the volume as segment frames', async () => {
    const d = await descriptor('nat');
    const nested = load(baseHot(d, 'ramcloud').get('BaseHOT/ramcloud/nested/rc_master.yaml')!);
    const server = nested.resources.rc_master.properties;
    expect(server.block_device_mapping_v2).to.deep.equal([{ volume_id: { get_resource: 'rc_master_volume' }, boot_index: -1, delete_on_termination: false }]);
    expect(server.user_data.str_replace.params).to.deep.equal({ __RC_COORDINATOR__: { get_param: 'coordinator' }, __RC_CLUSTER_NAME__: { get_param: 'cluster_name' } });
    const cc = load(server.user_data.str_replace.template);
    expect(envLines(fileIn(cc, '/etc/statelessnf/ramcloud.env').content)).to.deep.equal({
      SNF_RC_ROLE: 'server', SNF_RC_PORT: '11101', SNF_RC_COORDINATOR: '__RC_COORDINATOR__', SNF_RC_CLUSTER_NAME: '__RC_CLUSTER_NAME__',
      SNF_RC_REPLICAS: '2', SNF_RC_MASTER_MEMORY_MB: '4096', SNF_RC_SEGMENT_FRAMES: String(Math.floor((20 * 1024 * 0.95) / 8)), SNF_RC_BACKUP_DEVICE: '/dev/vdb',
    });
    const script = fileIn(cc, '/etc/statelessnf/snf-ramcloud.sh');
    expect(script.permissions).to.equal('0700');
    expect(script.content).to.equal(readFileSync('heat/scripts/snf-ramcloud.sh', 'utf8'));
    expect(fileIn(cc, '/etc/systemd/system/statelessnf-ramcloud.service').content).to.include('ExecStart=/bin/sh /etc/statelessnf/snf-ramcloud.sh');
    expect(cc.runcmd).to.deep.include(['systemctl', 'enable', '--now', 'statelessnf-ramcloud.service']);
  });

  it('the coordinator runs rc-coordinator and the control Redis with the ACL users and TLS files of a store VDU', async () => {
    const d = await descriptor('nat');
    const nested = load(baseHot(d, 'ramcloud').get('BaseHOT/ramcloud/nested/rc_coordinator.yaml')!);
    const ud = nested.resources.rc_coordinator.properties.user_data.str_replace;
    expect(Object.keys(ud.params).sort()).to.deep.equal([
      '__RC_CLUSTER_NAME__', '__STORE_CONTROL_PASSWORD__', '__STORE_DATAPLANE_PASSWORD__', '__STORE_PASSWORD__', '__STORE_TLS_CA__', '__STORE_TLS_CERT__', '__STORE_TLS_KEY__', '__VNF_NAME__',
    ]);
    const cc = load(ud.template);
    expect(envLines(fileIn(cc, '/etc/statelessnf/ramcloud.env').content)).to.deep.equal({ SNF_RC_ROLE: 'coordinator', SNF_RC_PORT: '11100', SNF_RC_CLUSTER_NAME: '__RC_CLUSTER_NAME__' });
    expect(envLines(fileIn(cc, '/etc/statelessnf/redis.env').content)).to.include({ SNF_REDIS_PORT: '6379', SNF_REDIS_CLUSTER: 'false', SNF_REDIS_PASSWORD: '__STORE_PASSWORD__' });
    expect(fileIn(cc, '/etc/statelessnf/redis-users.acl').content).to.match(/^user snf-dataplane-__VNF_NAME__ /m).and.match(/^user snf-control-__VNF_NAME__ /m);
    expect(cc.runcmd).to.deep.include(['systemctl', 'enable', '--now', 'statelessnf-redis.service']);
    expect(nested.outputs.locator.value).to.deep.equal({ str_replace: { template: 'tcp:host=HOST,port=11100', params: { HOST: { get_attr: ['rc_coordinator_cp', 'fixed_ips', 0, 'ip_address'] } } } });
  });

  it("the NF's nf.env: the control Redis as its store nodes, SNF_STORE_KIND=ramcloud and the coordinator; other flavours unchanged", async () => {
    const d = await descriptor('firewall');
    const nested = load(baseHot(d, 'ramcloud').get(hotFileNames.nfNested('ramcloud'))!);
    const ud = nested.resources.nf.properties.user_data.str_replace;
    expect(ud.params).to.deep.include({ __RC_COORDINATOR__: { get_param: 'ramcloud_coordinator' }, __RC_CLUSTER_NAME__: { get_param: 'ramcloud_cluster_name' } });
    const env = envLines(fileIn(load(ud.template), '/etc/statelessnf/nf.env').content);
    expect(env).to.include({
      SNF_STORE_NODES: '__STORE_NODES__', SNF_STORE_CLUSTER: 'false', SNF_STORE_KIND: 'ramcloud', SNF_RAMCLOUD_COORDINATOR: '__RC_COORDINATOR__',
      SNF_RAMCLOUD_CLUSTER_NAME: '__RC_CLUSTER_NAME__', SNF_RAMCLOUD_TABLE: 'snf', SNF_RAMCLOUD_SPAN: '3', SNF_NICS: 'management,inside,outside,store',
    });
    for (const f of ['small', 'dpdk-sriov']) expect(fileIn(load(nfUserData(d, d.flavours[f])), '/etc/statelessnf/nf.env').content).to.not.match(/RAMCLOUD|SNF_STORE_KIND|__[A-Z_]+__\n\n/);
  });
});
