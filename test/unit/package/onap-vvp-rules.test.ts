// The ONAP Heat package against the VNFRQTS rules ONAP's VVP enforces (VVP itself runs in
// test/integration/package/onap-vvp.test.ts): how the DCAE artifacts travel, server names
// without vf_module_index, flavors by name from the env file, str_replace names, get_param on
// every server, one anti-affinity ServerGroup per VDU; and our own validator refusing each
// violation with the rule id.
import { expect } from 'chai';
import yaml from 'js-yaml';
import { onapFileNames, serverGroupOutput } from '../../../src/package/heat-onap.js';
import { nfFlavorName, storeFlavorName } from '../../../src/package/model.js';
import { buildOnapZip, onapArtifactNames } from '../../../src/package/onap-package.js';
import { validatePackageBuffer } from '../../../src/package/validate.js';
import { readZipSafe, writeZip, type FileMap } from '../../../src/package/zip.js';
import type { VnfDescriptor } from '../../../src/descriptor/types.js';
import { NAMES, descriptor } from './helpers.js';

type Doc = Record<string, any>;
const parse = (b: Buffer | undefined): Doc => yaml.load(b!.toString('utf8'), { schema: yaml.JSON_SCHEMA }) as Doc;
const docsIn = (b: Buffer): unknown[] => yaml.loadAll(b.toString('utf8'), undefined, { schema: yaml.JSON_SCHEMA });
const ofType = (t: Doc, type: string): Array<[string, Doc]> => Object.entries(t.resources as Doc).filter(([, r]) => (r as Doc).type === type) as Array<[string, Doc]>;

describe('ONAP Heat package: VNFRQTS rules VVP checks', () => {
  for (const name of NAMES) {
    for (const flavour of ['small', 'dpdk-sriov']) {
      describe(`${name} (${flavour})`, () => {
        let d: VnfDescriptor;
        let files: FileMap;
        let base: Doc;
        let incr: Doc;
        let baseEnv: Doc;
        let incrEnv: Doc;
        before(async () => {
          d = await descriptor(name);
          files = await readZipSafe(await buildOnapZip(d, flavour));
          base = parse(files.get(onapFileNames.base(d)));
          incr = parse(files.get(onapFileNames.incr(d)));
          baseEnv = parse(files.get(onapFileNames.baseEnv(d))).parameters ?? {};
          incrEnv = parse(files.get(onapFileNames.incrEnv(d))).parameters ?? {};
        });

        it('R-95303: every .yaml and .env is one YAML document; VES events and PM dictionary travel zipped, listed as SDC type OTHER', async () => {
          for (const [f, body] of files) if (/\.(ya?ml|env)$/.test(f)) expect(docsIn(body), f).to.have.length(1);
          const m = JSON.parse(files.get('MANIFEST.json')!.toString()) as { data: Array<{ file: string; type: string }> };
          expect(m.data.map((e) => e.type)).to.not.include('VES_EVENTS');
          for (const [zip, inner] of [[onapArtifactNames.ves(d), onapArtifactNames.vesYaml(d)], [onapArtifactNames.pm(d), onapArtifactNames.pmYaml(d)]]) {
            expect(m.data.find((e) => e.file === zip)?.type, zip).to.equal('OTHER');
            // The VES zip is what SDC's VSP Monitoring upload takes: .yml/.yaml files only.
            const content = await readZipSafe(files.get(zip)!);
            expect([...content.keys()]).to.deep.equal([inner]);
            expect(docsIn(content.get(inner)!).length, inner).to.be.greaterThan(1);
          }
        });

        it('the PM dictionary follows VES Event Registration 3.2: a schema document, then measurements that meet it', async () => {
          const content = await readZipSafe(files.get(onapArtifactNames.pm(d))!);
          const [schema, ...measurements] = docsIn(content.get(onapArtifactNames.pmYaml(d))!) as Doc[];
          expect(measurements.length).to.be.greaterThan(0);
          for (const part of ['pmHeader', 'pmFields']) {
            const spec = schema.pmMetaData.structure[part].structure as Record<string, Doc>;
            for (const m of measurements) {
              const got = m.pmMetaData[part] as Doc;
              for (const [k, rule] of Object.entries(spec)) {
                if (rule.presence === 'required') expect(got, `${part}.${k}`).to.have.property(k);
                if (rule.value && k in got) expect(rule.value.map(String), `${part}.${k}`).to.include(String(got[k]));
              }
              for (const k of Object.keys(got)) expect(spec, `${part}.${k} in the schema`).to.have.property(k);
            }
          }
        });

        it('R-55307 / R-663631: the NF server name is its own get_param, without vf_module_index', () => {
          const name0 = incr.resources.nf_server_0.properties.name;
          expect(name0).to.deep.equal({ get_param: 'nf_name_0' });
          expect(JSON.stringify(name0)).to.not.contain('vf_module_index');
          expect(incr.parameters.nf_name_0.type).to.equal('string');
        });

        it('R-69431 / R-481670: flavors by name from the env file, no OS::Nova::Flavor', () => {
          expect(ofType(base, 'OS::Nova::Flavor')).to.deep.equal([]);
          expect(ofType(incr, 'OS::Nova::Flavor')).to.deep.equal([]);
          expect(incr.resources.nf_server_0.properties.flavor).to.deep.equal({ get_param: 'nf_flavor_name' });
          expect(incrEnv.nf_flavor_name).to.equal(nfFlavorName(d, flavour));
          expect(base.outputs).to.not.have.property('nf_flavor_name');
          if (flavour === 'dpdk-sriov') expect(baseEnv.redis_flavor_name).to.equal(storeFlavorName(d, flavour));
        });

        it('R-91125: image names from the env file, the descriptor\'s Glance names', () => {
          expect(incrEnv.nf_image_name).to.equal(d.images[d.flavours[flavour].vdus.nf.image].name);
          if (flavour === 'dpdk-sriov') expect(baseEnv.redis_image_name).to.equal(d.images[d.flavours[flavour].vdus.store!.image].name);
        });

        it('R-22838 / R-59568 / R-29872: names, availability zones and port networks are not in the env files', () => {
          for (const env of [baseEnv, incrEnv]) {
            for (const k of Object.keys(env)) expect(k).to.not.match(/^(nf_name_\d+|nf_names|redis_names|availability_zone_\d+|.+_net_id)$/);
          }
        });

        it('one anti-affinity ServerGroup per VDU in the base module; every server is scheduled in its group', () => {
          const groups = ofType(base, 'OS::Nova::ServerGroup');
          expect(groups.map(([id]) => id).sort()).to.deep.equal(flavour === 'dpdk-sriov' ? ['nf_RSG', 'redis_RSG'] : ['nf_RSG']);
          for (const [, g] of groups) expect(g.properties.policies).to.deep.equal(['anti-affinity']);
          expect(base.outputs[serverGroupOutput('nf')].value).to.deep.equal({ get_resource: 'nf_RSG' });
          expect(incr.parameters).to.have.property(serverGroupOutput('nf'));
          expect(incr.resources.nf_server_0.properties.scheduler_hints).to.deep.equal({ group: { get_param: serverGroupOutput('nf') } });
          for (const [id, s] of ofType(base, 'OS::Nova::Server')) expect(s.properties.scheduler_hints, id).to.deep.equal({ group: { get_resource: 'redis_RSG' } });
        });

        it('R-85734: every non-server name is a str_replace over vnf_name', () => {
          for (const t of [base, incr]) {
            for (const [id, r] of Object.entries(t.resources as Doc) as Array<[string, Doc]>) {
              if (r.type === 'OS::Nova::Server' || r.properties?.name === undefined) continue;
              expect(r.properties.name.str_replace?.params, id).to.deep.include({ VNF_NAME: { get_param: 'vnf_name' } });
            }
          }
          if (flavour === 'dpdk-sriov') expect(base.resources.int_store_network.properties.name).to.have.property('str_replace');
        });

        if (flavour === 'dpdk-sriov') {
          it('R-901331 / R-481670 / R-663631: the Redis servers take name, flavor and image with get_param', () => {
            const servers = ofType(base, 'OS::Nova::Server');
            expect(servers).to.have.length(6);
            servers.forEach(([id, s], i) => {
              expect(s.properties.name, id).to.deep.equal({ get_param: ['redis_names', i] });
              expect(s.properties.flavor, id).to.deep.equal({ get_param: 'redis_flavor_name' });
              expect(s.properties.image, id).to.deep.equal({ get_param: 'redis_image_name' });
            });
          });
        }
      });
    }
  }

  describe('our validator refuses', () => {
    let files: FileMap;
    before(async () => (files = await readZipSafe(await buildOnapZip(await descriptor('nat'), 'dpdk-sriov'))));

    function edit(f: FileMap, file: string, fn: (d: Doc) => void): void {
      const doc = parse(f.get(file));
      fn(doc);
      f.set(file, Buffer.from(yaml.dump(doc)));
    }
    function manifest(f: FileMap, fn: (m: { data: Array<{ file: string; type: string }> }) => void): void {
      const m = JSON.parse(f.get('MANIFEST.json')!.toString());
      fn(m);
      f.set('MANIFEST.json', Buffer.from(JSON.stringify(m)));
    }
    const B = 'base_snf_nat.yaml';
    const I = 'snf_nat_nf.yaml';
    const cases: Array<[string, (f: FileMap) => void, RegExp]> = [
      ['a multi-document .yaml in the package', (f) => {
        f.set('snf_nat_ves_events.yaml', Buffer.from('---\na: 1\n---\nb: 2\n'));
        manifest(f, (m) => m.data.push({ file: 'snf_nat_ves_events.yaml', type: 'OTHER' }));
      }, /snf_nat_ves_events\.yaml: R-95303: 2 YAML documents/],
      ['VES_EVENTS as a MANIFEST.json type', (f) => manifest(f, (m) => (m.data.find((e) => e.file.endsWith('_ves_events.zip'))!.type = 'VES_EVENTS')),
        /snf_nat_ves_events\.zip: artifact type VES_EVENTS is not one SDC's Heat MANIFEST\.json knows/],
      ['a server name indexed with vf_module_index', (f) => edit(f, I, (d) => {
        d.parameters.nf_names = { type: 'comma_delimited_list', description: 'x' };
        delete d.parameters.nf_name_0;
        d.resources.nf_server_0.properties.name = { get_param: ['nf_names', { get_param: 'vf_module_index' }] };
      }), /snf_nat_nf\.yaml: resources\.nf_server_0\.properties\.name: R-55307/],
      ['a flavor parameter missing from the env file', (f) => edit(f, 'snf_nat_nf.env', (d) => delete d.parameters.nf_flavor_name),
        /snf_nat_nf\.yaml: parameters\.nf_flavor_name: R-69431: must be enumerated in the env file/],
      ['a flavor created by the template', (f) => edit(f, I, (d) => {
        d.resources.nf_flavor = { type: 'OS::Nova::Flavor', properties: { vcpus: 2, ram: 2048 } };
        d.resources.nf_server_0.properties.flavor = { get_resource: 'nf_flavor' };
      }), /^(?=[\s\S]*resources\.nf_flavor: creates a Nova flavor)[\s\S]*resources\.nf_server_0\.properties\.flavor: R-481670/],
      ['a non-server name without str_replace', (f) => edit(f, B, (d) => (d.resources.int_store_network.properties.name = { list_join: ['_', [{ get_param: 'vnf_name' }, 'int_store']] })),
        /base_snf_nat\.yaml: resources\.int_store_network\.properties\.name: R-85734/],
      ['a Redis server name not taken with get_param', (f) => edit(f, B, (d) => (d.resources.redis_server_0.properties.name = 'redis-0')),
        /resources\.redis_server_0\.properties\.name: R-663631/],
      ['a Redis server image not taken with get_param', (f) => edit(f, B, (d) => (d.resources.redis_server_2.properties.image = 'redis-image')),
        /resources\.redis_server_2\.properties\.image: R-901331/],
      ['a server name in the env file', (f) => edit(f, 'snf_nat_nf.env', (d) => (d.parameters.nf_name_0 = 'nf-0')), /snf_nat_nf\.yaml env: nf_name_0: R-22838/],
      ['an availability zone in the env file', (f) => edit(f, 'base_snf_nat.env', (d) => (d.parameters.availability_zone_0 = 'nova')), /base_snf_nat\.yaml env: availability_zone_0: R-59568/],
      ['a port network in the env file', (f) => edit(f, 'snf_nat_nf.env', (d) => (d.parameters.oam_net_id = 'oam')), /snf_nat_nf\.yaml env: oam_net_id: R-29872/],
      ['an NF server outside any server group', (f) => edit(f, I, (d) => delete d.resources.nf_server_0.properties.scheduler_hints),
        /nf_server_0\.properties\.scheduler_hints\.group: the VNFD's AntiAffinityRule/],
      ['a server group without anti-affinity', (f) => edit(f, B, (d) => (d.resources.redis_RSG.properties.policies = ['affinity'])),
        /redis_server_0\.properties\.scheduler_hints\.group: redis_RSG must be an OS::Nova::ServerGroup with policies \[anti-affinity\]/],
      ['an NF group output that is no server group', (f) => edit(f, B, (d) => (d.outputs.nf_server_group_id.value = { get_resource: 'int_store_network' })),
        /nf_server_0\.properties\.scheduler_hints\.group: int_store_network must be an OS::Nova::ServerGroup/],
    ];
    for (const [what, change, expected] of cases) {
      it(what, async () => {
        const copy: FileMap = new Map(files);
        change(copy);
        const r = await validatePackageBuffer(await writeZip(copy, new Date('2026-01-01T00:00:00Z')));
        expect(r.errors.join('\n')).to.match(expected);
      });
    }
  });
});
