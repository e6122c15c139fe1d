// `snf package upload FILE --tacker` against the fake Tacker: progress, exit codes, and no
// package left behind when the file is bad or Tacker rejects it.
import { expect } from 'chai';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeTacker, type FakeTacker } from '../../support/fakes/tacker.js';
import { runUpload } from '../../../src/cli/commands/package-upload.js';
import { execFile } from 'node:child_process';
import { buildOnapZip } from '../../../src/package/onap-package.js';
import { readZipSafe, writeZip } from '../../../src/package/zip.js';
import { csarOf, descriptor } from '../package/helpers.js';

async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    return { code: await fn(), out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

describe('snf package upload --tacker', () => {
  let f: FakeTacker;
  let dir: string;
  let csar: string;
  beforeEach(async () => {
    f = await fakeTacker();
    dir = mkdtempSync(join(tmpdir(), 'snf-upload-'));
    csar = join(dir, 'snf-nat.csar');
    writeFileSync(csar, await csarOf(await descriptor('nat')));
  });
  afterEach(async () => {
    await f.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('onboards the CSAR, prints progress on stderr and the package id on stdout', async () => {
    const r = await capture(() => runUpload([csar, '--tacker', '--tacker-url', f.url, '--poll', '0.01', '--user-data', 'vnf=nat']));
    expect(r.code).to.equal(0);
    const [id] = [...f.packages.keys()];
    expect(r.out.trim()).to.equal(id);
    expect(r.err).to.match(/CREATED[\s\S]*uploading .*snf-nat\.csar \(0\.\d\d MiB\)[\s\S]*PROCESSING[\s\S]*ONBOARDED[\s\S]*onboarded: vnfd b1bb0ce7/);
    expect(f.packages.get(id)?.userDefinedData).to.deep.equal({ vnf: 'nat' });
  });

  it('refuses a file that is not a zip without creating a package', async () => {
    writeFileSync(csar, 'tosca_definitions_version: x');
    const r = await capture(() => runUpload([csar, '--tacker', '--tacker-url', f.url]));
    expect(r.code).to.equal(1);
    expect(r.err).to.match(/not a CSAR/);
    expect(f.requests).to.have.length(0);
  });

  it('deletes the package again when Tacker fails to process it', async () => {
    await f.close();
    f = await fakeTacker({ refuseContent: () => 'Vnf package with vnfd_id already exists' });
    const r = await capture(() => runUpload([csar, '--tacker', '--tacker-url', f.url, '--poll', '0.01']));
    expect(r.code).to.equal(1);
    expect(r.err).to.match(/ONBOARDING_FAILED: Vnf package with vnfd_id already exists[\s\S]*deleted the half-onboarded package/);
    expect(f.packages.size).to.equal(0);
  });

  it('uploads nothing that fails validation: a truncated zip, a tampered artifact, an ONAP package', async () => {
    writeFileSync(csar, Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.from('truncated')]));
    const trunc = await capture(() => runUpload([csar, '--tacker', '--tacker-url', f.url]));
    expect(trunc.code).to.equal(1);
    expect(trunc.err).to.match(/snf-nat\.csar: not uploaded: not a readable zip archive/);
    const files = await readZipSafe(await csarOf(await descriptor('nat')));
    files.set('Scripts/snf_lcm_hook.py', Buffer.from('import os\n'));
    writeFileSync(csar, await writeZip(files, new Date('2026-01-01T00:00:00Z')));
    const tampered = await capture(() => runUpload([csar, '--tacker', '--tacker-url', f.url]));
    expect(tampered.code).to.equal(1);
    expect(tampered.err).to.match(/not uploaded, the package is invalid \(1 error\(s\)\):\n  snf_nat\.mf: Scripts\/snf_lcm_hook\.py: SHA-256 digest mismatch/);
    writeFileSync(csar, await buildOnapZip(await descriptor('nat'), 'small'));
    const onap = await capture(() => runUpload([csar, '--tacker', '--tacker-url', f.url]));
    expect(onap.code).to.equal(1);
    expect(onap.err).to.match(/an ONAP Heat package, not a SOL004 CSAR/);
    expect(f.requests).to.have.length(0);
  });

  it('fails fast and clearly when Tacker is unreachable or options are wrong', async () => {
    const t0 = Date.now();
    const r = await capture(() => runUpload([csar, '--tacker', '--tacker-url', 'http://127.0.0.1:9/']));
    expect(r.code).to.equal(1);
    expect(r.err).to.match(/cannot connect/);
    expect(Date.now() - t0).to.be.below(5000);
    const usage = await capture(() => runUpload([csar]));
    expect(usage.code).to.equal(2);
    expect(usage.err).to.match(/--tacker/);
    const missing = await capture(() => runUpload([join(dir, 'nope.csar'), '--tacker', '--tacker-url', f.url]));
    expect(missing.code).to.equal(1);
    expect(missing.err).to.match(/nope\.csar: cannot read/);
  });

  it('is what `snf package upload` runs', async function () {
    this.timeout(60_000); // a fresh node + tsx process
    const r = await new Promise<{ code: number; out: string; err: string }>((resolve) => {
      execFile('node', ['bin/snf.js', 'package', 'upload', csar, '--tacker', '--tacker-url', f.url, '--poll', '0.05'], { timeout: 30_000 }, (e, out, err) =>
        resolve({ code: e ? Number(e.code ?? 1) : 0, out, err }),
      );
    });
    expect(r.code).to.equal(0);
    expect(r.out.trim()).to.equal([...f.packages.keys()][0]);
    expect(r.err).to.match(/ONBOARDED/);
  });
});
