// The CLI quotes arguments and file contents it refuses; a hostile argument (up to 128 KiB on
// Linux) or descriptor key must come back clipped, with the reason intact. Real `snf` processes.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function refusal(args: string[]): Promise<{ code: number; stderr: string }> {
  return run('node', ['bin/snf.js', ...args]).then(
    () => {
      throw new Error(`snf ${args[0]} accepted it`);
    },
    (e: { code: number; stderr: string }) => e,
  );
}

describe('snf clips echoed input', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'snf-cli-echo-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('an unknown 100 kB command name', async () => {
    const e = await refusal([`x${'y'.repeat(99_999)}`]);
    expect(e.code).to.equal(2);
    expect(e.stderr).to.match(/^snf: unknown command 'xy{255}\.\.\. \(100000 bytes\)'\n/);
    expect(e.stderr.length).to.be.below(4096);
  });

  it('a 100 kB --format value (a usage error)', async () => {
    const e = await refusal(['package', 'build', 'vnf-descriptors/nat.yaml', '--format', 'f'.repeat(100_000), '-o', dir]);
    expect(e.code).to.equal(1);
    expect(e.stderr).to.match(/--format must be csar or onap-heat, not 'f{256}\.\.\. \(100000 bytes\)'/);
    expect(e.stderr.length).to.be.below(4096);
  });

  it('a descriptor with a 300 kB key: the field path is clipped, the reason kept', async () => {
    const file = join(dir, 'hostile.yaml');
    writeFileSync(file, `${readFileSync('vnf-descriptors/firewall.yaml', 'utf8')}\n${'k'.repeat(300_000)}: 1\n`);
    const e = await refusal(['descriptor', 'validate', file]);
    expect(e.code).to.equal(1);
    expect(e.stderr).to.match(/ {2}k{256}\.\.\. \(300000 bytes\): is not an allowed field/);
    expect(e.stderr.length).to.be.below(4096);
  });
});
