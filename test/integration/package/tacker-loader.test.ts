// Tacker's own package loader (tacker/common/csar_utils.py, unmodified, in ../shared/peers) on
// every CSAR the product builds: what a real Tacker runs at upload. And agreement: a package it
// refuses, our validator refuses too, naming the rule.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { validatePackageBuffer } from '../../../src/package/validate.js';
import { readZipSafe, writeZip } from '../../../src/package/zip.js';
import { buildCsar } from '../../../src/package/csar.js';
import { peerEnv } from '../../support/peer-tmp.js';
import { NAMES, csarOf, descriptor, testImages } from '../../unit/package/helpers.js';

const LOADER = resolve('../shared/peers/tacker-csar/run.sh');

function tackerLoad(csar: string): Promise<{ code: number; out: string }> {
  return new Promise((res) => {
    execFile('bash', [LOADER, csar], { timeout: 120_000, maxBuffer: 16 << 20, env: peerEnv() }, (err, stdout, stderr) => {
      res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}\n${stderr}` });
    });
  });
}

const result = (out: string) => /^RESULT: .*$/m.exec(out)?.[0] ?? `no RESULT line in:\n${out.slice(-2000)}`;

describe("Tacker's package loader (real, csar_utils.load_csar_data)", function () {
  this.timeout(300_000);
  let dir: string;
  before(() => {
    // Fail, never skip: a green run must mean the real check ran.
    expect(existsSync(LOADER), `${LOADER} (../shared/peers)`).to.equal(true);
    dir = mkdtempSync(join(tmpdir(), 'snf-tacker-loader-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const name of NAMES) {
    it(`loads the ${name} CSAR as built: RESULT: OK`, async () => {
      const file = join(dir, `snf_${name}.csar`);
      writeFileSync(file, await csarOf(await descriptor(name)));
      const r = await tackerLoad(file);
      expect(result(r.out)).to.match(/^RESULT: OK/);
      expect(r.out).to.match(/flavour: small/).and.match(/flavour: dpdk-sriov/).and.match(/flavour: ramcloud/);
    });
  }

  it('loads a CSAR that ships its image (--with-image): one SwImage artifact per VDU, digest in the manifest', async () => {
    const d = await descriptor('lb');
    const images = await testImages(d);
    const buf = await buildCsar(d, { images, embedImages: true });
    const file = join(dir, 'with-image.csar');
    writeFileSync(file, buf);
    const r = await tackerLoad(file);
    expect(result(r.out)).to.match(/^RESULT: OK/);
    const files = await readZipSafe(buf);
    const img = files.get('Files/images/statelessnf-0.1.0.qcow2')!;
    expect(createHash('sha256').update(img).digest('hex')).to.equal(images.nf_image.sha256);
    expect(files.get('snf_lb.mf')!.toString()).to.include(`Source: Files/images/statelessnf-0.1.0.qcow2\nAlgorithm: SHA-256\nHash: ${images.nf_image.sha256}`);
    expect(files.get('Definitions/snf_lb_df_dpdk-sriov.yaml')!.toString()).to.include('file: ../Files/images/statelessnf-0.1.0.qcow2');
    expect((await validatePackageBuffer(buf)).errors).to.deep.equal([]);
  });

  it('refuses a VNF type two levels deep, and so does snf package validate', async () => {
    const files = await readZipSafe(await csarOf(await descriptor('nat')));
    const t = 'Definitions/snf_nat_types.yaml';
    files.set(t, Buffer.from(files.get(t)!.toString().replace('derived_from: tosca.nodes.nfv.VNF', 'derived_from: statelessnf.nodes.VNF')));
    const c = 'Definitions/statelessnf_types.yaml';
    files.set(c, Buffer.from(`${files.get(c)!.toString()}node_types:\n  statelessnf.nodes.VNF:\n    derived_from: tosca.nodes.nfv.VNF\n`));
    // Re-sign the digests of the two changed files so that only the type rule is at stake.
    const mf = 'snf_nat.mf';
    let text = files.get(mf)!.toString();
    for (const f of [t, c]) {
      text = text.replace(new RegExp(`(Source: ${f.replace(/[.]/g, '\\.')}\\nAlgorithm: SHA-256\\nHash: )[0-9a-f]+`), `$1${createHash('sha256').update(files.get(f)!).digest('hex')}`);
    }
    files.set(mf, Buffer.from(text));
    const buf = await writeZip(files, new Date('2026-01-01T00:00:00Z'));
    const file = join(dir, 'nested.csar');
    writeFileSync(file, buf);
    const r = await tackerLoad(file);
    expect(result(r.out)).to.match(/^RESULT: InvalidCSAR: VNF properties are mandatory/);
    const ours = await validatePackageBuffer(buf);
    expect(ours.errors.join('\n')).to.not.match(/digest mismatch/);
    expect(ours.errors.join('\n')).to.match(/Tacker loader \(csar_utils\._check_type\).*statelessnf\.nodes\.nat\.VNF.*"VNF properties are mandatory"/);
  });
});
