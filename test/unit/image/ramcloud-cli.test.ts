// `snf image build --ramcloud` without a RAMCloud build fails at once with what to run, before
// staging anything; the two RAMCloud options exclude each other.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function snf(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', ['bin/snf.js', ...args], { timeout: 60_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('snf image build: the RAMCloud choice', function () {
  this.timeout(60_000);
  let cache = '';
  before(() => (cache = mkdtempSync(join(tmpdir(), 'snf-image-cache-'))));
  after(() => rmSync(cache, { recursive: true, force: true }));

  it('--ramcloud without a RAMCloud build: exit 1 naming what to run, and nothing built', async () => {
    // A checkout whose build script finds no build (here: none at all).
    const r = await snf({ SNF_IMAGE_CACHE: cache, SNF_RAMCLOUD_BUILD_SCRIPT: join(cache, 'no-build.sh') }, 'image', 'build', '--ramcloud');
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include('--ramcloud: no RAMCloud build for this checkout').and.include('sudo bash scripts/setup.sh --ramcloud');
    expect(existsSync(cache) ? readdirSync(cache) : []).to.deep.equal([]);
  });

  it('--ramcloud and --without-ramcloud together: a usage error', async () => {
    const r = await snf({ SNF_IMAGE_CACHE: cache }, 'image', 'build', '--ramcloud', '--without-ramcloud');
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include('--ramcloud and --without-ramcloud exclude each other');
  });
});
