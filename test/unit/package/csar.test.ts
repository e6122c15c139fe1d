// SOL004 CSAR: structure, TOSCA.meta, manifest digests (recomputed independently with
// node:crypto from files unzipped by the system unzip), tamper detection, reproducibility,
// signing, and agreement between VNFD flavours and BaseHOT.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import yaml from 'js-yaml';
import yauzl from 'yauzl';
import { buildCsar, csarArtifacts } from '../../../src/package/csar.js';
import { TOSCA_META_PATH } from '../../../src/package/meta.js';
import { validatePackageBuffer } from '../../../src/package/validate.js';
import { readZipSafe, writeZip, type FileMap } from '../../../src/package/zip.js';
import { NAMES, csarOf, descriptor, makeSigner, testImages } from './helpers.js';

function unzipToDir(buf: Buffer): { dir: string; files: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'snf-csar-test-'));
  writeFileSync(join(dir, 'p.zip'), buf);
  execFileSync('unzip', ['-q', 'p.zip', '-d', 'x'], { cwd: dir });
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else files.push(relative(join(dir, 'x'), p));
    }
  };
  walk(join(dir, 'x'));
  return { dir: join(dir, 'x'), files: files.sort() };
}

async function rezip(files: FileMap, change: (f: FileMap) => void): Promise<Buffer> {
  const copy: FileMap = new Map(files);
  change(copy);
  return writeZip(copy, new Date('2026-01-01T00:00:00Z'));
}

describe('SOL004 CSAR', function () {
  this.timeout(60_000);
  const tmpDirs: string[] = [];
  after(() => tmpDirs.forEach((d) => rmSync(join(d, '..'), { recursive: true, force: true })));

  for (const name of NAMES) {
    describe(name, () => {
      let csar: Buffer;
      before(async () => (csar = await csarOf(await descriptor(name))));

      it('has the SOL004 layout and TOSCA.meta entries, every one pointing at a file', async () => {
        const files = await readZipSafe(csar);
        const meta = Object.fromEntries(
          files.get(TOSCA_META_PATH)!.toString('utf8').trim().split('\n').map((l) => l.split(/:\s*/, 2) as [string, string]),
        );
        expect(meta).to.include({ 'TOSCA-Meta-File-Version': '1.0', 'CSAR-Version': '1.1', 'Created-by': 'StatelessNF Project' });
        for (const k of ['Entry-Definitions', 'ETSI-Entry-Manifest', 'ETSI-Entry-Change-Log']) expect(files.has(meta[k]), k).to.equal(true);
        expect(meta['Entry-Definitions']).to.equal(`Definitions/snf_${name}_top.vnfd.yaml`);
        const tops = new Set([...files.keys()].map((f) => f.split('/')[0]));
        for (const dir of ['TOSCA-Metadata', 'Definitions', 'BaseHOT', 'Scripts', 'Files']) expect(tops.has(dir), dir).to.equal(true);
        expect([...files.keys()].filter((f) => f.startsWith('BaseHOT/')).map((f) => f.split('/')[1])).to.include.members(['small', 'dpdk-sriov']);
      });

      it('ships the ETSI SOL001 v2.6.1 type files unchanged in Definitions/', async () => {
        const files = await readZipSafe(csar);
        for (const f of ['etsi_nfv_sol001_common_types.yaml', 'etsi_nfv_sol001_vnfd_types.yaml']) {
          const shipped = files.get(`Definitions/${f}`)!;
          expect(shipped.equals(readFileSync(`tosca/sol001/${f}`)), f).to.equal(true);
          expect(shipped.toString()).to.match(/template_version: 2\.6\.1/);
        }
      });

      it('lists a correct SHA-256 digest for every artifact (recomputed independently)', () => {
        const { dir, files } = unzipToDir(csar);
        tmpDirs.push(dir);
        const mfName = files.find((f) => f.endsWith('.mf'))!;
        const mf = readFileSync(join(dir, mfName), 'utf8');
        const digests = new Map<string, string>();
        for (const m of mf.matchAll(/^Source: (\S+)\nAlgorithm: SHA-256\nHash: ([0-9a-f]{64})$/gm)) digests.set(m[1], m[2]);
        const artifacts = files.filter((f) => f !== mfName);
        expect([...digests.keys()].sort()).to.deep.equal(artifacts);
        for (const f of artifacts) {
          const actual = createHash('sha256').update(readFileSync(join(dir, f))).digest('hex');
          expect(digests.get(f), f).to.equal(actual);
        }
      });

      it('carries the SOL004 manifest metadata and the ONAP non-MANO artifact sets', () => {
        const { dir, files } = unzipToDir(csar);
        tmpDirs.push(dir);
        const mf = readFileSync(join(dir, `snf_${name}.mf`), 'utf8');
        expect(mf.startsWith('metadata:\n')).to.equal(true);
        expect(mf).to.match(/^vnf_provider_id: StatelessNF Project$/m);
        expect(mf).to.match(/^vnf_product_name: StatelessNF /m);
        expect(mf).to.match(/^vnf_release_date_time: 2026-11-01T00:00:00\+00:00$/m);
        expect(mf).to.match(/^vnf_package_version: 1\.0\.0$/m);
        const ves = /onap_ves_events:\n\s+Source: (\S+)/.exec(mf)?.[1];
        const pm = /onap_pm_dictionary:\n\s+Source: (\S+)/.exec(mf)?.[1];
        expect(files).to.include(ves).and.to.include(pm);
      });

      it('validates clean', async () => {
        const r = await validatePackageBuffer(csar);
        expect(r.errors).to.deep.equal([]);
        expect(r.format).to.equal('csar');
      });

      it('wires every Vnflcm hook of every flavour to the Python hook shim in Scripts/', async () => {
        const files = await readZipSafe(csar);
        for (const f of ['small', 'dpdk-sriov']) {
          const df = yaml.load(files.get(`Definitions/snf_${name}_df_${f}.yaml`)!.toString('utf8')) as Record<string, any>;
          const vnf = df.topology_template.node_templates.VNF;
          const ops = vnf.interfaces.Vnflcm as Record<string, { implementation: string }>;
          expect(Object.keys(ops)).to.include.members(['instantiate_start', 'instantiate_end', 'scale_start', 'scale_end', 'heal_start', 'heal_end', 'terminate_start', 'terminate_end']);
          for (const op of Object.values(ops)) {
            const art = vnf.artifacts[op.implementation];
            expect(art.type).to.equal('tosca.artifacts.Implementation.Python');
            expect(files.has(art.file.replace(/^\.\.\//, ''))).to.equal(true);
          }
        }
      });
    });
  }

  it('is reproducible: same bytes on rebuild and in another time zone, sorted entries, fixed mtimes', async () => {
    const d = await descriptor('nat');
    const a = await csarOf(d);
    const saved = process.env.TZ;
    process.env.TZ = 'Pacific/Kiritimati';
    let b: Buffer;
    try {
      b = await csarOf(d);
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
    expect(a.equals(b)).to.equal(true);
    const names: string[] = [];
    const dates = new Set<number>();
    await new Promise<void>((resolve, reject) => {
      yauzl.fromBuffer(a, { lazyEntries: false }, (err, zf) => {
        if (err || !zf) return reject(err);
        zf.on('entry', (e: yauzl.Entry) => {
          names.push(e.fileName);
          dates.add(e.getLastModDate().getTime());
        });
        zf.on('end', () => resolve());
        zf.on('error', reject);
      });
    });
    expect(names).to.deep.equal([...names].sort());
    expect(dates.size).to.equal(1);
  });

  it('ships licences and the VNF\'s own tests as SOL004 entries, each listed in the manifest', async () => {
    const files = await readZipSafe(await csarOf(await descriptor('nat')));
    const meta = files.get(TOSCA_META_PATH)!.toString();
    expect(meta).to.include('ETSI-Entry-Licenses: Files/Licenses\n').and.include('ETSI-Entry-Tests: Files/Tests\n');
    expect(files.get('Files/Licenses/LICENSE-Apache-2.0.txt')!.toString()).to.include('Apache License').and.include('Version 2.0');
    expect(files.get('Files/Tests/snf_instance_check.py')!.toString()).to.match(/^#!\/usr\/bin\/env python3/);
    const mf = files.get('snf_nat.mf')!.toString();
    for (const f of ['Files/Licenses/LICENSE-Apache-2.0.txt', 'Files/Licenses/NOTICE.txt', 'Files/Tests/snf_instance_check.py', 'Files/Tests/README.txt']) expect(mf).to.include(`Source: ${f}\n`);
    expect(mf).to.not.include('compatible_specification_versions');
  });

  it('gives each build its own VNFD id: the same inputs the same id, another image another id', async () => {
    const d = await descriptor('nat');
    const idOf = async (buf: Buffer) => {
      const files = await readZipSafe(buf);
      const top = yaml.load(files.get('Definitions/snf_nat_top.vnfd.yaml')!.toString()) as Record<string, any>;
      const types = yaml.load(files.get('Definitions/snf_nat_types.yaml')!.toString()) as Record<string, any>;
      const id = top.topology_template.node_templates.VNF.properties.descriptor_id as string;
      expect(types.node_types['statelessnf.nodes.nat.VNF'].properties.descriptor_id.default).to.equal(id);
      expect(files.get('Files/ChangeLog.txt')!.toString()).to.include(`(${id}, built from descriptor ${d.descriptorId})`);
      return id;
    };
    const images = await testImages(d);
    const a = await idOf(await buildCsar(d, { images }));
    expect(a).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/).and.not.equal(d.descriptorId);
    expect(await idOf(await buildCsar(d, { images }))).to.equal(a);
    const other = { ...images.nf_image, sha256: createHash('sha256').update('another image').digest('hex') };
    expect(await idOf(await buildCsar(d, { images: { nf_image: other } }))).to.not.equal(a);
  });

  describe('validation catches', () => {
    let files: FileMap;
    before(async () => (files = await readZipSafe(await csarOf(await descriptor('firewall')))));

    const cases: Array<[string, (f: FileMap) => void, RegExp]> = [
      ['a tampered artifact', (f) => f.set('BaseHOT/small/nested/nf.yaml', Buffer.concat([f.get('BaseHOT/small/nested/nf.yaml')!, Buffer.from('# evil\n')])), /BaseHOT\/small\/nested\/nf\.yaml: SHA-256 digest mismatch/],
      ['a tampered hook script', (f) => f.set('Scripts/snf_lcm_hook.py', Buffer.from('import os\nos.system("id")\n')), /Scripts\/snf_lcm_hook\.py: SHA-256 digest mismatch/],
      ['a file the manifest does not list', (f) => f.set('Files/extra.txt', Buffer.from('x')), /Files\/extra\.txt is in the package but has no digest/],
      ['a listed file that is missing', (f) => f.delete('Files/ChangeLog.txt'), /Source Files\/ChangeLog\.txt is not in the package/],
      ['a TOSCA.meta without a required key', (f) => f.set(TOSCA_META_PATH, Buffer.from(f.get(TOSCA_META_PATH)!.toString().replace(/^ETSI-Entry-Change-Log:.*\n/m, ''))), /required key ETSI-Entry-Change-Log is missing/],
      ['a template that does not parse', (f) => f.set('Definitions/snf_firewall_df_small.yaml', Buffer.from('topology_template: [\n')), /snf_firewall_df_small\.yaml: YAML does not parse/],
      ['a BaseHOT directory without a flavour', (f) => {
        for (const [k, v] of [...f]) if (k.startsWith('BaseHOT/small/')) { f.delete(k); f.set(k.replace('BaseHOT/small/', 'BaseHOT/tiny/'), v); }
      }, /BaseHOT\/tiny\/: no VNFD flavour 'tiny'[\s\S]*BaseHOT\/small\/: missing for VNFD flavour 'small'/],
      ['a BaseHOT group disagreeing with the VDU profile', (f) => {
        const p = 'BaseHOT/dpdk-sriov/snf_firewall_dpdk-sriov.yaml';
        f.set(p, Buffer.from(f.get(p)!.toString().replace('max_size: 16', 'max_size: 99')));
      }, /nf_scale_group min\/max 2\/99 disagree with VDU nf vdu_profile 2\/16/],
      ['a missing import', (f) => f.delete('Definitions/statelessnf_types.yaml'), /import 'statelessnf_types\.yaml' is not in the package/],
      // What Tacker's loader refuses (checked against the real loader in test/integration/package/tacker-loader.test.ts).
      ['a VNF node type two levels below tosca.nodes.nfv.VNF', (f) => {
        const t = 'Definitions/snf_firewall_types.yaml';
        f.set(t, Buffer.from(f.get(t)!.toString().replace('derived_from: tosca.nodes.nfv.VNF', 'derived_from: statelessnf.nodes.VNF')));
        const c = 'Definitions/statelessnf_types.yaml';
        f.set(c, Buffer.from(`${f.get(c)!.toString()}node_types:\n  statelessnf.nodes.VNF:\n    derived_from: tosca.nodes.nfv.VNF\n`));
      }, /Tacker loader \(csar_utils\._check_type\): node type statelessnf\.nodes\.firewall\.VNF of node VNF derives from statelessnf\.nodes\.VNF, not directly from tosca\.nodes\.nfv\.VNF/],
      ['a default instantiation level that is not defined', (f) => {
        const p = 'Definitions/snf_firewall_df_small.yaml';
        f.set(p, Buffer.from(f.get(p)!.toString().replace('default_level: minimal', 'default_level: huge')));
      }, /Tacker loader: default_level huge is not one of the levels \(minimal, redundant\)/],
      // What ONAP's VNF SDK validator refuses.
      ['a TOSCA.meta without ETSI-Entry-Licenses', (f) => f.set(TOSCA_META_PATH, Buffer.from(f.get(TOSCA_META_PATH)!.toString().replace(/^ETSI-Entry-Licenses:.*\n/m, ''))), /required key ETSI-Entry-Licenses is missing \(ONAP VNF SDK/],
      ['a tests folder without tests', (f) => {
        for (const k of [...f.keys()]) if (k.startsWith('Files/Tests/')) f.delete(k);
      }, /ETSI-Entry-Tests names 'Files\/Tests', which holds no file in the package \(ONAP VNF SDK R-04298/],
      ['a manifest metadata key SOL004 v2.6.1 does not have', (f) => f.set('snf_firewall.mf', Buffer.from(f.get('snf_firewall.mf')!.toString().replace('metadata:\n', 'metadata:\ncompatible_specification_versions: 2.6.1\n'))), /metadata compatible_specification_versions is not a SOL004 v2\.6\.1 VNF manifest key/],
    ];
    for (const [what, change, expected] of cases) {
      it(what, async () => {
        const r = await validatePackageBuffer(await rezip(files, change));
        expect(r.errors.join('\n')).to.match(expected);
      });
    }
  });

  describe('signing', () => {
    const signer = makeSigner('snf-packager');
    const other = makeSigner('someone-else');
    let signed: Buffer;
    before(async () => (signed = await csarOf(await descriptor('lb'), signer)));

    it('embeds a CMS signature, names the certificate in TOSCA.meta, and verifies against the CA', async () => {
      const files = await readZipSafe(signed);
      expect(files.get('snf_lb.mf')!.toString()).to.include('-----BEGIN CMS-----');
      expect(files.get(TOSCA_META_PATH)!.toString()).to.include('ETSI-Entry-Certificate: Files/Certificates/snf_lb.cert');
      const r = await validatePackageBuffer(signed, { caPem: signer.certPem, requireSignature: true });
      expect(r.errors).to.deep.equal([]);
      expect(r.facts.join(';')).to.include('verified against the CA');
    });

    it('detects a manifest changed after signing', async () => {
      const files = await readZipSafe(signed);
      const tampered = await rezip(files, (f) => f.set('snf_lb.mf', Buffer.from(f.get('snf_lb.mf')!.toString().replace('vnf_product_name: StatelessNF Load Balancer', 'vnf_product_name: StatelessNF Load Balancex'))));
      const r = await validatePackageBuffer(tampered, { caPem: signer.certPem });
      expect(r.errors.join('\n')).to.match(/signature verification failed/);
    });

    it('rejects a signer the given CA did not issue', async () => {
      const r = await validatePackageBuffer(signed, { caPem: other.certPem });
      expect(r.errors.join('\n')).to.match(/signature verification failed/);
    });

    it('reports an unsigned package when a signature is required', async () => {
      const r = await validatePackageBuffer(await csarOf(await descriptor('lb')), { requireSignature: true });
      expect(r.errors.join('\n')).to.match(/the manifest is not signed/);
    });

    it('leaves no temporary files behind, even when verification fails', async () => {
      const before = readdirSync(tmpdir()).filter((f) => f.startsWith('snf-cms-')).length;
      await validatePackageBuffer(signed, { caPem: other.certPem });
      await validatePackageBuffer(signed, { caPem: signer.certPem });
      expect(readdirSync(tmpdir()).filter((f) => f.startsWith('snf-cms-')).length).to.equal(before);
    });
  });

  it('csarArtifacts contains no TOSCA.meta and no manifest (they are derived last)', async () => {
    const d = await descriptor('nat');
    const files = csarArtifacts(d, await testImages(d));
    expect(files.has(TOSCA_META_PATH)).to.equal(false);
    expect([...files.keys()].some((f) => f.endsWith('.mf'))).to.equal(false);
  });
});
