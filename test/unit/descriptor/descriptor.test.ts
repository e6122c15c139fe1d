// Descriptor validation: the product's descriptors pass; every class of invalid descriptor fails
// with the dotted path of the offending field, and one run reports every error.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import yaml from 'js-yaml';
import { parseDescriptorText, validateDescriptor } from '../../../src/descriptor/validate.js';
import type { DescriptorIssue } from '../../../src/descriptor/types.js';

const run = promisify(execFile);
type Doc = Record<string, any>; // test-local mutation of parsed YAML

function load(name: string): Doc {
  return yaml.load(readFileSync(`vnf-descriptors/${name}.yaml`, 'utf8'), { schema: yaml.JSON_SCHEMA }) as Doc;
}

function issuesOf(doc: Doc): DescriptorIssue[] {
  const r = validateDescriptor(doc);
  if (r.ok) throw new Error('expected the descriptor to be rejected');
  return r.issues;
}

function expectIssue(issues: DescriptorIssue[], path: string, message: RegExp): void {
  const hit = issues.find((i) => i.path === path && message.test(i.message));
  expect(hit, `expected ${path}: ${message} in\n${issues.map((i) => `${i.path}: ${i.message}`).join('\n')}`).to.not.equal(undefined);
}

describe('VNF descriptors', () => {
  for (const name of ['nat', 'firewall', 'lb']) {
    it(`vnf-descriptors/${name}.yaml is valid`, () => {
      const r = validateDescriptor(load(name));
      expect(r.ok, r.ok ? '' : JSON.stringify(r.issues)).to.equal(true);
      if (r.ok) expect(r.descriptor.nf).to.equal(name);
    });
  }

  interface Case {
    what: string;
    base?: string;
    mutate(d: Doc): void;
    path: string;
    message: RegExp;
  }
  const cases: Case[] = [
    { what: 'a missing required field', mutate: (d) => delete d.provider, path: 'provider', message: /is required/ },
    { what: 'an unknown field', mutate: (d) => (d.flavours.small.vdus.nf.colour = 'red'), path: 'flavours.small.vdus.nf.colour', message: /not an allowed field/ },
    { what: 'a value outside an enum', mutate: (d) => (d.flavours['dpdk-sriov'].vdus.nf.hugepages = '4GB'), path: 'flavours.dpdk-sriov.vdus.nf.hugepages', message: /must be one of "2MB", "1GB"/ },
    { what: 'a wrong type', mutate: (d) => (d.flavours.small.vdus.nf.vcpu = 'two'), path: 'flavours.small.vdus.nf.vcpu', message: /must be integer/ },
    { what: 'a number out of range', mutate: (d) => (d.flavours.small.vdus.nf.memoryMb = 16), path: 'flavours.small.vdus.nf.memoryMb', message: />= 512/ },
    { what: 'a descriptor id that is not a UUID', mutate: (d) => (d.descriptorId = 'nat-1'), path: 'descriptorId', message: /format "uuid"/ },
    { what: 'a bad release date-time', mutate: (d) => (d.releaseDateTime = 'yesterday'), path: 'releaseDateTime', message: /format "date-time"/ },
    { what: 'an unknown store kind', mutate: (d) => (d.flavours.small.store.kind = 'etcd'), path: 'flavours.small.store.kind', message: /"external", "vdu", "ramcloud"/ },
    { what: 'an external store without nodes', mutate: (d) => delete d.flavours.small.store.nodes, path: 'flavours.small.store.nodes', message: /is required/ },
    { what: 'an invalid flavour id', mutate: (d) => (d.flavours['Small!'] = d.flavours.small), path: 'flavours.Small!', message: /not a valid name/ },
    { what: 'a store endpoint with a bad port', mutate: (d) => (d.flavours.small.store.nodes = ['10.0.0.1:70000']), path: 'flavours.small.store.nodes.0', message: /outside 1\.\.65535/ },
    { what: 'a prefix length too long', mutate: (d) => (d.config.nat.insidePrefixes[0] = '10.0.0.0/33'), path: 'config.nat.insidePrefixes.0', message: /exceeds 32/ },
    { what: 'a prefix without a length', mutate: (d) => (d.config.nat.insidePrefixes[1] = 'fd00::'), path: 'config.nat.insidePrefixes.1', message: /CIDR/ },
    { what: 'a prefix with a bad address', mutate: (d) => (d.config.nat.insidePrefixes[0] = '10.0.0.300/8'), path: 'config.nat.insidePrefixes.0', message: /not an IPv4 or IPv6 address/ },
    { what: 'a pool entry that is not an address', mutate: (d) => (d.config.nat.pool[0] = 'pool-a'), path: 'config.nat.pool.0', message: /format "ipv4"|must match/ },
    { what: 'a reversed NAT port range', mutate: (d) => (d.config.nat.portRange = [60000, 1024]), path: 'config.nat.portRange', message: /greater than its end/ },
    { what: 'scaling min above max', mutate: (d) => (d.flavours.small.scaling.nf_instances.min = 9), path: 'flavours.small.scaling.nf_instances.min', message: /greater than max/ },
    { what: 'a delta that does not divide max - min', mutate: (d) => (d.flavours['dpdk-sriov'].scaling.nf_instances.max = 15), path: 'flavours.dpdk-sriov.scaling.nf_instances.delta', message: /multiple of delta/ },
    { what: 'an instantiation level outside the aspect bounds', mutate: (d) => (d.flavours.small.instantiationLevels.levels.redundant.nf_instances = 5), path: 'flavours.small.instantiationLevels.levels.redundant.nf_instances', message: /outside the nf_instances aspect bounds 1\.\.4/ },
    { what: 'an instantiation level off the delta grid', mutate: (d) => (d.flavours['dpdk-sriov'].instantiationLevels.levels.large.nf_instances = 7), path: 'flavours.dpdk-sriov.instantiationLevels.levels.large.nf_instances', message: /not reachable/ },
    { what: 'an unknown default instantiation level', mutate: (d) => (d.flavours.small.instantiationLevels.default = 'huge'), path: 'flavours.small.instantiationLevels.default', message: /unknown instantiation level 'huge'/ },
    { what: 'an unknown image', mutate: (d) => (d.flavours.small.vdus.nf.image = 'missing_image'), path: 'flavours.small.vdus.nf.image', message: /unknown image/ },
    // A checksum is a fact of the built image file, never typed in (issue: it was the SHA-256 of the name).
    { what: 'a hand-written image checksum', mutate: (d) => (d.images.nf_image.checksum = { algorithm: 'sha-256', hash: 'a'.repeat(64) }), path: 'images.nf_image.checksum', message: /not an allowed field/ },
    { what: 'a hand-written image size', mutate: (d) => (d.images.nf_image.sizeGb = 2), path: 'images.nf_image.sizeGb', message: /not an allowed field/ },
    { what: 'dpdk without hugepages', mutate: (d) => delete d.flavours['dpdk-sriov'].vdus.nf.hugepages, path: 'flavours.dpdk-sriov.vdus.nf.hugepages', message: /required by the dpdk/ },
    { what: 'dpdk on shared CPUs', mutate: (d) => (d.flavours['dpdk-sriov'].vdus.nf.cpuPolicy = 'shared'), path: 'flavours.dpdk-sriov.vdus.nf.cpuPolicy', message: /dedicated/ },
    { what: 'a store VDU missing for store.kind vdu', mutate: (d) => delete d.flavours['dpdk-sriov'].vdus.store, path: 'flavours.dpdk-sriov.vdus.store', message: /required when store.kind is vdu/ },
    { what: 'a Redis Cluster of too few nodes', mutate: (d) => (d.flavours['dpdk-sriov'].vdus.store.instances = 2), path: 'flavours.dpdk-sriov.vdus.store.instances', message: /at least 3/ },
    { what: 'two management connection points', mutate: (d) => (d.flavours.small.vdus.nf.connectionPoints.oam2 = { role: 'management', vnicType: 'normal', order: 5 }), path: 'flavours.small.vdus.nf.connectionPoints', message: /exactly one management CP/ },
    { what: 'a missing data side', mutate: (d) => delete d.flavours.small.vdus.nf.connectionPoints.outside, path: 'flavours.small.vdus.nf.connectionPoints', message: /outside side/ },
    { what: 'a duplicate CP order', mutate: (d) => (d.flavours.small.vdus.nf.connectionPoints.outside.order = 1), path: 'flavours.small.vdus.nf.connectionPoints.outside.order', message: /already used/ },
    { what: 'an SR-IOV management CP', mutate: (d) => (d.flavours.small.vdus.nf.connectionPoints.mgmt.vnicType = 'direct'), path: 'flavours.small.vdus.nf.connectionPoints.mgmt.vnicType', message: /must be normal/ },
    { what: 'a CP named like the reserved store link', mutate: (d) => { d.flavours.small.vdus.nf.connectionPoints.store = d.flavours.small.vdus.nf.connectionPoints.outside; delete d.flavours.small.vdus.nf.connectionPoints.outside; }, path: 'flavours.small.vdus.nf.connectionPoints.store', message: /reserved/ },
    { what: 'no configuration for the NF kind', mutate: (d) => delete d.config.nat, path: 'config.nat', message: /required for a nat VNF/ },
    { what: 'configuration of another NF kind', mutate: (d) => (d.config.firewall = { rules: [] }), path: 'config.firewall', message: /not used by a nat VNF/ },
    { what: 'duplicate LB backend ids', base: 'lb', mutate: (d) => (d.config.lb.vips[0].backends[1].id = 'web-1'), path: 'config.lb.vips.0.backends.1.id', message: /duplicate backend id 'web-1'/ },
    { what: 'duplicate VIP ids', base: 'lb', mutate: (d) => (d.config.lb.vips[1].id = 'web'), path: 'config.lb.vips.1.id', message: /duplicate VIP id/ },
    { what: 'a backend of another address family', base: 'lb', mutate: (d) => (d.config.lb.vips[0].backends[0].address = '2001:db8::1'), path: 'config.lb.vips.0.backends.0.address', message: /same address family/ },
    { what: 'a Maglev table size that is not prime', base: 'lb', mutate: (d) => (d.config.lb.maglevTableSize = 65536), path: 'config.lb.maglevTableSize', message: /not a prime/ },
    { what: 'an LB weight out of range', base: 'lb', mutate: (d) => (d.config.lb.vips[0].backends[0].weight = 5000), path: 'config.lb.vips.0.backends.0.weight', message: /<= 1000/ },
    { what: 'duplicate firewall rule ids', base: 'firewall', mutate: (d) => (d.config.firewall.rules[1].id = 'out-any'), path: 'config.firewall.rules.1.id', message: /duplicate rule id/ },
    { what: 'ports on a rule without tcp/udp', base: 'firewall', mutate: (d) => (d.config.firewall.rules[1].proto = 'icmp'), path: 'config.firewall.rules.1.proto', message: /tcp or udp/ },
    { what: 'a reversed firewall port range', base: 'firewall', mutate: (d) => (d.config.firewall.rules[1].dstPorts[0] = [90, 80]), path: 'config.firewall.rules.1.dstPorts.0', message: /greater than its end/ },
    { what: 'a bad firewall prefix', base: 'firewall', mutate: (d) => (d.config.firewall.rules[3].src[0] = '0.0.0.0/8x'), path: 'config.firewall.rules.3.src.0', message: /not a number/ },
    // The ramcloud flavour (RAMCloud flow store: coordinator + masters VDUs, docs/packaging.md).
    { what: 'a negative replication factor', mutate: (d) => (d.flavours.ramcloud.store.replicas = -1), path: 'flavours.ramcloud.store.replicas', message: />= 0/ },
    { what: 'a replication factor that is not an integer', mutate: (d) => (d.flavours.ramcloud.store.replicas = 1.5), path: 'flavours.ramcloud.store.replicas', message: /must be integer/ },
    { what: 'a ramcloud store without its replication factor', mutate: (d) => delete d.flavours.ramcloud.store.replicas, path: 'flavours.ramcloud.store.replicas', message: /is required/ },
    { what: 'fewer masters than replicas + 1', mutate: (d) => (d.flavours.ramcloud.vdus.masters.instances = 2), path: 'flavours.ramcloud.vdus.masters.instances', message: /needs at least 3 \(store\.replicas \+ 1\)/ },
    { what: 'replicas raised past the masters', mutate: (d) => (d.flavours.ramcloud.store.replicas = 3), path: 'flavours.ramcloud.vdus.masters.instances', message: /cannot hold 3 backup copies.*at least 4/ },
    { what: 'a ramcloud flavour without a coordinator VDU', mutate: (d) => delete d.flavours.ramcloud.vdus.coordinator, path: 'flavours.ramcloud.vdus.coordinator', message: /required when store.kind is ramcloud/ },
    { what: 'a ramcloud flavour without masters', mutate: (d) => delete d.flavours.ramcloud.vdus.masters, path: 'flavours.ramcloud.vdus.masters', message: /required when store.kind is ramcloud/ },
    { what: 'a Redis store VDU in a ramcloud flavour', mutate: (d) => (d.flavours.ramcloud.vdus.store = d.flavours['dpdk-sriov'].vdus.store), path: 'flavours.ramcloud.vdus.store', message: /not allowed when store.kind is ramcloud/ },
    { what: 'RAMCloud VDUs in a Redis flavour', mutate: (d) => (d.flavours['dpdk-sriov'].vdus.masters = d.flavours.ramcloud.vdus.masters), path: 'flavours.dpdk-sriov.vdus.masters', message: /only for store.kind ramcloud \(this flavour's is vdu\)/ },
    { what: 'master memory leaving the VM nothing', mutate: (d) => (d.flavours.ramcloud.vdus.masters.masterMemoryMb = 8000), path: 'flavours.ramcloud.vdus.masters.masterMemoryMb', message: /leaves less than 512 MB of the VM's 8192 MB/ },
    { what: 'backups without a volume', mutate: (d) => delete d.flavours.ramcloud.vdus.masters.volumeGb, path: 'flavours.ramcloud.vdus.masters.volumeGb', message: /required when store.replicas is 2/ },
    { what: 'a backup volume too small for the replicas', mutate: (d) => (d.flavours.ramcloud.vdus.masters.volumeGb = 10), path: 'flavours.ramcloud.vdus.masters.volumeGb', message: /10 GB is below the 17 GB a backup needs/ },
    { what: 'a volume on masters without backups', mutate: (d) => (d.flavours.ramcloud.store.replicas = 0), path: 'flavours.ramcloud.vdus.masters.volumeGb', message: /not used when store.replicas is 0/ },
    { what: 'master memory rc-server cannot start with', mutate: (d) => (d.flavours.ramcloud.vdus.masters.masterMemoryMb = 128), path: 'flavours.ramcloud.vdus.masters.masterMemoryMb', message: />= 256/ },
    { what: 'a master with one vCPU', mutate: (d) => (d.flavours.ramcloud.vdus.masters.vcpu = 1), path: 'flavours.ramcloud.vdus.masters.vcpu', message: />= 2/ },
    { what: 'the coordinator and the control Redis on one port', mutate: (d) => (d.flavours.ramcloud.vdus.coordinator.controlPort = 11100), path: 'flavours.ramcloud.vdus.coordinator.controlPort', message: /coordinator's port too/ },
    { what: 'a coordinator on an unknown image', mutate: (d) => (d.flavours.ramcloud.vdus.coordinator.image = 'rc_image'), path: 'flavours.ramcloud.vdus.coordinator.image', message: /unknown image 'rc_image'/ },
    { what: 'a RAMCloud cluster name with a space', mutate: (d) => (d.flavours.ramcloud.store.clusterName = 'my cluster'), path: 'flavours.ramcloud.store.clusterName', message: /must match pattern/ },
    { what: 'a field the ramcloud store does not have', mutate: (d) => (d.flavours.ramcloud.store.cluster = true), path: 'flavours.ramcloud.store.cluster', message: /not an allowed field/ },
    { what: 'a VES collector URL that is not http(s)', mutate: (d) => (d.monitoring.ves.collectorUrl = 'ftp://x/y'), path: 'monitoring.ves.collectorUrl', message: /must match pattern/ },
  ];

  for (const c of cases) {
    it(`rejects ${c.what} at ${c.path}`, () => {
      const d = load(c.base ?? 'nat');
      c.mutate(d);
      expectIssue(issuesOf(d), c.path, c.message);
    });
  }

  it('reports every error of a descriptor in one run, schema and semantic alike', () => {
    const d = load('lb');
    d.flavours['dpdk-sriov'].vdus.nf.hugepages = '4GB';
    d.flavours['dpdk-sriov'].scaling.nf_instances.min = 20;
    d.config.lb.vips[0].backends[1].id = 'web-1';
    delete d.productName;
    const issues = issuesOf(d);
    expectIssue(issues, 'flavours.dpdk-sriov.vdus.nf.hugepages', /must be one of/);
    expectIssue(issues, 'flavours.dpdk-sriov.scaling.nf_instances.min', /greater than max/);
    expectIssue(issues, 'config.lb.vips.0.backends.1.id', /duplicate backend id/);
    expectIssue(issues, 'productName', /is required/);
  });

  it('accepts a ramcloud flavour without backups (replicas 0, one master, no volume)', () => {
    const d = load('firewall');
    d.flavours.ramcloud.store.replicas = 0;
    d.flavours.ramcloud.vdus.masters.instances = 1;
    delete d.flavours.ramcloud.vdus.masters.volumeGb;
    const r = validateDescriptor(d);
    expect(r.ok, r.ok ? '' : JSON.stringify(r.issues)).to.equal(true);
  });

  it('rejects YAML that does not parse, with its line', () => {
    const r = parseDescriptorText('name: snf_nat\nflavours: [\n');
    expect(r.ok).to.equal(false);
    if (!r.ok) expect(r.issues[0].message).to.match(/YAML syntax: .*line/);
  });

  it('rejects a document that is not a mapping', () => {
    const r = parseDescriptorText('- just\n- a list\n');
    expect(r.ok).to.equal(false);
    if (!r.ok) expect(r.issues[0].message).to.match(/must be object/);
  });

  describe('snf descriptor validate', () => {
    let dir: string;
    before(() => (dir = mkdtempSync(join(tmpdir(), 'snf-desc-'))));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('accepts the product descriptors and exits 0', async () => {
      const { stdout } = await run('node', ['bin/snf.js', 'descriptor', 'validate', 'vnf-descriptors/nat.yaml', 'vnf-descriptors/lb.yaml']);
      expect(stdout).to.match(/nat\.yaml: valid/).and.match(/lb\.yaml: valid/);
    });

    it('prints every error with its field path and exits 1', async () => {
      const d = load('nat');
      d.flavours['dpdk-sriov'].vdus.nf.hugepages = '3MB';
      d.config.nat.insidePrefixes[0] = '10.0.0.0/40';
      const file = join(dir, 'bad.yaml');
      writeFileSync(file, yaml.dump(d));
      const err = await run('node', ['bin/snf.js', 'descriptor', 'validate', file]).then(
        () => undefined,
        (e: { code: number; stderr: string }) => e,
      );
      expect(err?.code).to.equal(1);
      expect(err?.stderr).to.include('flavours.dpdk-sriov.vdus.nf.hugepages: must be one of "2MB", "1GB"');
      expect(err?.stderr).to.include('config.nat.insidePrefixes.0: prefix length 40 exceeds 32');
    });
  });
});
