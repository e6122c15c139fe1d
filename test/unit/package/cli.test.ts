// `snf package build|validate|upload` as an operator runs it (node bin/snf.js).
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { readZipSafe, writeZip } from '../../../src/package/zip.js';
import { testImageFacts, testImageFactsWithoutRamcloud } from './helpers.js';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function snf(...args: string[]): Promise<Result> {
  return snfWith({}, ...args);
}

function snfWith(env: Record<string, string>, ...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile('node', ['bin/snf.js', ...args], { timeout: 60_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('snf package', function () {
  this.timeout(120_000);
  let out: string;
  let image: string;
  before(async () => {
    out = mkdtempSync(join(tmpdir(), 'snf-cli-pkg-'));
    image = (await testImageFacts()).path;
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  it('builds a CSAR into -o DIR and validates it', async () => {
    const b = await snf('package', 'build', 'vnf-descriptors/nat.yaml', '--image', image, '-o', out);
    expect(b.code, b.stderr).to.equal(0);
    expect(b.stdout.trim()).to.equal(join(out, 'snf_nat-0.1.0.csar'));
    expect(b.stderr).to.match(/image statelessnf-test\.qcow2 \(qcow2, \d+ bytes, sha256 [0-9a-f]{12}/);
    const v = await snf('package', 'validate', join(out, 'snf_nat-0.1.0.csar'));
    expect(v.code, v.stderr).to.equal(0);
    expect(v.stdout).to.match(/valid csar package .*manifest digests checked.*flavours: small, dpdk-sriov, ramcloud/);
  });

  it('an image built without RAMCloud: the CSAR leaves the ramcloud flavour out and says why; asked for, it is refused naming the field', async () => {
    const plain = (await testImageFactsWithoutRamcloud()).path;
    const dir = mkdtempSync(join(tmpdir(), 'snf-cli-rc-'));
    try {
      const b = await snf('package', 'build', 'vnf-descriptors/lb.yaml', '--image', plain, '-o', dir);
      expect(b.code, b.stderr).to.equal(0);
      expect(b.stderr).to.match(/package: flavour ramcloud left out: flavours\.ramcloud\.vdus\.coordinator\.image: image 'nf_image' \(.*statelessnf-plain\.qcow2\) was built without RAMCloud.*snf image build --ramcloud/);
      const v = await snf('package', 'validate', join(dir, 'snf_lb-0.1.0.csar'));
      expect(v.stdout).to.match(/flavours: small, dpdk-sriov\)/);
      const files = await readZipSafe(readFileSync(join(dir, 'snf_lb-0.1.0.csar')));
      expect([...files.keys()].some((f) => f.includes('ramcloud'))).to.equal(false);
      rmSync(join(dir, 'snf_lb-0.1.0.csar'));
      const r = await snf('package', 'build', 'vnf-descriptors/lb.yaml', '--image', plain, '--flavour', 'ramcloud', '-o', dir);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(/flavours\.ramcloud\.vdus\.coordinator\.image: image 'nf_image' .* was built without RAMCloud/);
      expect(readdirSync(dir)).to.deep.equal([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('builds an ONAP Heat package for a chosen flavour', async () => {
    const b = await snf('package', 'build', 'vnf-descriptors/firewall.yaml', '--format', 'onap-heat', '--flavour', 'dpdk-sriov', '-o', out);
    expect(b.code, b.stderr).to.equal(0);
    expect(existsSync(join(out, 'snf_firewall-0.1.0-dpdk-sriov-onap-heat.zip'))).to.equal(true);
  });

  it('refuses an invalid descriptor with its field paths and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'snf-cli-bad-'));
    try {
      const d = yaml.load(readFileSync('vnf-descriptors/lb.yaml', 'utf8'), { schema: yaml.JSON_SCHEMA }) as Record<string, any>;
      d.config.lb.vips[0].backends[1].id = d.config.lb.vips[0].backends[0].id;
      writeFileSync(join(dir, 'lb.yaml'), yaml.dump(d));
      const r = await snf('package', 'build', join(dir, 'lb.yaml'), '-o', join(dir, 'dist'));
      expect(r.code).to.equal(1);
      expect(r.stderr).to.include("config.lb.vips.0.backends.1.id: duplicate backend id 'web-1'");
      expect(existsSync(join(dir, 'dist'))).to.equal(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad options clearly and leaves the output directory as it was', async () => {
    const before = readdirSync(out).sort();
    const fmt = await snf('package', 'build', 'vnf-descriptors/nat.yaml', '--format', 'zipx', '-o', out);
    expect(fmt.code).to.equal(1);
    expect(fmt.stderr).to.match(/--format must be csar or onap-heat/);
    const flav = await snf('package', 'build', 'vnf-descriptors/nat.yaml', '--image', image, '--flavour', 'huge', '-o', out);
    expect(flav.code).to.equal(1);
    expect(flav.stderr).to.match(/unknown flavour 'huge'/);
    const sign = await snf('package', 'build', 'vnf-descriptors/nat.yaml', '--sign-key', 'k.pem', '-o', out);
    expect(sign.code).to.equal(1);
    expect(sign.stderr).to.match(/--sign-key and --sign-cert go together/);
    // No --image and no image built for this checkout (an empty image cache).
    const noImage = await snfWith({ SNF_IMAGE_CACHE: join(out, 'no-image-cache') }, 'package', 'build', 'vnf-descriptors/nat.yaml', '-o', out);
    expect(noImage.code).to.equal(1);
    expect(noImage.stderr).to.include('looking for the image built from this checkout');
    expect(noImage.stderr).to.match(/real checksum and size: no image file for images\.nf_image \(--image FILE/);
    const missing = await snf('package', 'build', 'vnf-descriptors/nat.yaml', '--image', join(out, 'nope.qcow2'), '-o', out);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.match(/--image .*nope\.qcow2: no such file/);
    const badKey = await snf('package', 'build', 'vnf-descriptors/nat.yaml', '--image', `redis_image=${image}`, '-o', out);
    expect(badKey.code).to.equal(1);
    expect(badKey.stderr).to.match(/no image 'redis_image' \(images: nf_image\)/);
    const onapImage = await snf('package', 'build', 'vnf-descriptors/nat.yaml', '--format', 'onap-heat', '--with-image', '-o', out);
    expect(onapImage.code).to.equal(1);
    expect(onapImage.stderr).to.match(/--with-image applies to SOL004 CSARs only/);
    expect(readdirSync(out).sort()).to.deep.equal(before);
  });

  it('validate reports a tampered package and exits 1', async () => {
    const file = join(out, 'snf_nat-0.1.0.csar');
    const files = await readZipSafe(readFileSync(file));
    files.set('Files/snf/snf_nat_nf_config.json', Buffer.from('{"nat":{"pool":["6.6.6.6"]}}\n'));
    writeFileSync(join(out, 'tampered.csar'), await writeZip(files, new Date('2026-01-01T00:00:00Z')));
    const v = await snf('package', 'validate', join(out, 'tampered.csar'));
    expect(v.code).to.equal(1);
    expect(v.stderr).to.match(/Files\/snf\/snf_nat_nf_config\.json: SHA-256 digest mismatch/);
  });

  it('dispatches upload to the Tacker upload command (package-upload.ts)', async () => {
    const r = await snf('package', 'upload', '--help');
    expect(r.stderr).to.include('usage: snf package upload').and.not.include('not available');
  });
});
