// ONAP Heat package: flat zip, MANIFEST.json, base_ + incremental modules with env files, the
// VNFRQTS chapter 5 rules (no defaults, ONAP naming, server metadata, DCAE parameters), and the
// validator catching each rule broken.
import { expect } from 'chai';
import yaml from 'js-yaml';
import { ONAP_SUPPLIED, onapFileNames, onapPreload } from '../../../src/package/heat-onap.js';
import { buildOnapZip } from '../../../src/package/onap-package.js';
import { validatePackageBuffer } from '../../../src/package/validate.js';
import { readZipSafe, writeZip, type FileMap } from '../../../src/package/zip.js';
import { NAMES, descriptor } from './helpers.js';

type Doc = Record<string, any>;
const parse = (b: Buffer | undefined): Doc => yaml.load(b!.toString('utf8'), { schema: yaml.JSON_SCHEMA }) as Doc;

async function rezip(files: FileMap, change: (f: FileMap) => void): Promise<Buffer> {
  const copy: FileMap = new Map(files);
  change(copy);
  return writeZip(copy, new Date('2026-01-01T00:00:00Z'));
}

function edit(f: FileMap, name: string, fn: (d: Doc) => void): void {
  const d = parse(f.get(name));
  fn(d);
  f.set(name, Buffer.from(yaml.dump(d)));
}

describe('ONAP Heat package', () => {
  for (const name of NAMES) {
    for (const flavour of ['small', 'dpdk-sriov']) {
      describe(`${name} (${flavour})`, () => {
        let files: FileMap;
        let base: string;
        let incr: string;
        before(async () => {
          const d = await descriptor(name);
          files = await readZipSafe(await buildOnapZip(d, flavour));
          base = onapFileNames.base(d);
          incr = onapFileNames.incr(d);
        });

        it('is a flat zip whose MANIFEST.json lists every file, one base module and an env per module', () => {
          expect([...files.keys()].every((f) => !f.includes('/'))).to.equal(true);
          const m = JSON.parse(files.get('MANIFEST.json')!.toString()) as { data: Array<{ file: string; type: string; isBase?: string; data?: Array<{ file: string; type: string }> }> };
          const listed = new Set(['MANIFEST.json', ...m.data.flatMap((e) => [e.file, ...(e.data ?? []).map((c) => c.file)])]);
          expect([...files.keys()].sort()).to.deep.equal([...listed].sort());
          const heat = m.data.filter((e) => e.type === 'HEAT');
          expect(heat.filter((e) => e.isBase === 'true').map((e) => e.file)).to.deep.equal([`base_snf_${name}.yaml`]);
          expect(heat.filter((e) => e.isBase === 'false').map((e) => e.file)).to.deep.equal([`snf_${name}_nf.yaml`]);
          for (const h of heat) expect(h.data).to.deep.equal([{ file: h.file.replace('.yaml', '.env'), type: 'HEAT_ENV' }]);
        });

        it('has no parameter defaults, and env values exactly for what ONAP does not supply at instantiation', async () => {
          const pre = onapPreload(await descriptor(name), flavour);
          for (const [tpl, env, preload] of [[base, base.replace('.yaml', '.env'), pre.base], [incr, incr.replace('.yaml', '.env'), pre.incremental(0)]] as const) {
            const t = parse(files.get(tpl));
            const e = parse(files.get(env)).parameters ?? {};
            const baseOutputs = tpl === incr ? Object.keys(parse(files.get(base)).outputs) : [];
            for (const [p, def] of Object.entries(t.parameters ?? {}) as Array<[string, Doc]>) {
              expect(def, `${tpl} ${p}`).to.not.have.property('default');
              expect(def.description, `${tpl} ${p}`).to.be.a('string');
              const supplied = ONAP_SUPPLIED.includes(p) || baseOutputs.includes(p) || p in preload;
              expect(p in e, `${tpl} ${p} in env`).to.equal(!supplied);
            }
          }
        });

        it('names the NF server and ports the ONAP way and tags the server with vnf_id, vf_module_id, vnf_name', () => {
          const t = parse(files.get(incr));
          const servers = Object.entries(t.resources).filter(([, r]) => (r as Doc).type === 'OS::Nova::Server');
          expect(servers.map(([id]) => id)).to.deep.equal(['nf_server_0']);
          const props = (servers[0][1] as Doc).properties;
          for (const k of ['vnf_id', 'vf_module_id', 'vnf_name']) expect(props.metadata[k]).to.deep.equal({ get_param: k });
          expect(props.name).to.deep.equal({ get_param: 'nf_name_0' });
          const ports = Object.keys(t.resources).filter((id) => t.resources[id].type === 'OS::Neutron::Port');
          expect(ports).to.include.members(['nf_0_oam_port_0', 'nf_0_inside_port_0', 'nf_0_outside_port_0']);
          expect(t.parameters).to.include.keys('dcae_collector_ip', 'dcae_collector_port', 'oam_net_id', 'inside_net_id', 'outside_net_id', 'nf_image_name', 'nf_flavor_name');
        });

        it(flavour === 'dpdk-sriov' ? 'puts data ports on SR-IOV and deploys the Redis Cluster in the base module' : 'keeps virtio ports', () => {
          const t = parse(files.get(incr));
          const b = parse(files.get(base));
          if (flavour === 'dpdk-sriov') {
            for (const p of ['nf_0_inside_port_0', 'nf_0_outside_port_0']) expect(t.resources[p].properties['binding:vnic_type']).to.equal('direct');
            expect(Object.keys(b.resources).filter((r) => /^redis_server_\d+$/.test(r))).to.have.length(6);
            expect(t.resources).to.have.property('nf_0_int_store_port_0');
          } else {
            expect(t.resources.nf_0_inside_port_0.properties).to.not.have.property('binding:vnic_type');
          }
          expect(t.resources.nf_0_oam_port_0.properties).to.not.have.property('binding:vnic_type');
        });

        it('validates clean', async () => {
          const r = await validatePackageBuffer(await writeZip(files, new Date('2026-01-01T00:00:00Z')));
          expect(r.errors).to.deep.equal([]);
          expect(r.format).to.equal('onap-heat');
        });
      });
    }
  }

  describe('validation catches', () => {
    let files: FileMap;
    before(async () => (files = await readZipSafe(await buildOnapZip(await descriptor('nat'), 'small'))));
    const cases: Array<[string, (f: FileMap) => void, RegExp]> = [
      ['a parameter default', (f) => edit(f, 'snf_nat_nf.yaml', (d) => (d.parameters.nf_image_name.default = 'x')), /parameters\.nf_image_name has a default/],
      ['an ONAP-supplied value in an env file', (f) => edit(f, 'snf_nat_nf.env', (d) => (d.parameters.vnf_id = 'x')), /vnf_id is supplied by ONAP and must not be set/],
      ['a parameter without a value', (f) => edit(f, 'snf_nat_nf.env', (d) => delete d.parameters.dcae_collector_ip), /parameters\.dcae_collector_ip has no value in the env file/],
      ['an env value for no parameter', (f) => edit(f, 'snf_nat_nf.env', (d) => (d.parameters.bogus = 1)), /bogus is not a parameter/],
      ['a server named against the convention', (f) => edit(f, 'snf_nat_nf.yaml', (d) => { d.resources.nf_vm = d.resources.nf_server_0; delete d.resources.nf_server_0; }), /server resource nf_vm must be named/],
      ['a server without vnf_id metadata', (f) => edit(f, 'snf_nat_nf.yaml', (d) => delete d.resources.nf_server_0.properties.metadata.vnf_id), /nf_server_0\.metadata\.vnf_id must be/],
      ['a port named against the convention', (f) => edit(f, 'snf_nat_nf.yaml', (d) => { d.resources.inside_port = d.resources.nf_0_inside_port_0; delete d.resources.nf_0_inside_port_0; }), /port resource inside_port must be named/],
      ['a missing env file', (f) => f.delete('snf_nat_nf.env'), /snf_nat_nf\.env is not in the package/],
      ['a file not in MANIFEST.json', (f) => f.set('notes.txt', Buffer.from('x')), /notes\.txt: in the package but not listed/],
      ['a directory in the zip', (f) => f.set('sub/x.yaml', Buffer.from('a: 1\n')), /sub\/x\.yaml: ONAP Heat packages are flat/],
      ['two base modules', (f) => {
        const m = JSON.parse(f.get('MANIFEST.json')!.toString());
        m.data[1].isBase = 'true';
        f.set('MANIFEST.json', Buffer.from(JSON.stringify(m)));
      }, /exactly one module must have isBase "true" \(found 2\)/],
      ['a base module not named base_*', (f) => {
        const m = JSON.parse(f.get('MANIFEST.json')!.toString());
        m.data[0].file = 'main_snf_nat.yaml';
        f.set('main_snf_nat.yaml', f.get('base_snf_nat.yaml')!);
        f.delete('base_snf_nat.yaml');
        f.set('MANIFEST.json', Buffer.from(JSON.stringify(m)));
      }, /main_snf_nat\.yaml: a base module's file name must start with base_/],
      ['a MANIFEST.json that does not parse', (f) => f.set('MANIFEST.json', Buffer.from('{ nope')), /MANIFEST\.json does not parse/],
    ];
    for (const [what, change, expected] of cases) {
      it(what, async () => {
        const r = await validatePackageBuffer(await rezip(files, change));
        expect(r.errors.join('\n')).to.match(expected);
      });
    }
  });
});
