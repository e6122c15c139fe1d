// Hostile archives are rejected with a clear error before any content is looked at, and
// nothing is written anywhere while reading them.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PackageError } from '../../../src/package/errors.js';
import { validatePackageBuffer } from '../../../src/package/validate.js';
import { DEFAULT_LIMITS, readZipSafe } from '../../../src/package/zip.js';
import { patchName, rawZip } from './helpers.js';

const run = promisify(execFile);
const meta = { name: 'TOSCA-Metadata/TOSCA.meta', data: Buffer.from('TOSCA-Meta-File-Version: 1.0\n') };

async function rejection(buf: Buffer, limits = DEFAULT_LIMITS): Promise<string> {
  try {
    await validatePackageBuffer(buf, { limits });
  } catch (err) {
    expect(err).to.be.instanceOf(PackageError);
    return (err as Error).message;
  }
  throw new Error('the archive was accepted');
}

describe('hostile archives', function () {
  this.timeout(60_000);

  it('rejects an entry that climbs out with ..', async () => {
    const zip = patchName(await rawZip([meta, { name: 'XX/XX/evil.txt', data: Buffer.from('x') }]), 'XX/XX/evil.txt', '../../evil.txt');
    expect(await rejection(zip)).to.match(/hostile archive: entry '\.\.\/\.\.\/evil\.txt' escapes the package root/);
    expect(existsSync(join(process.cwd(), '..', 'evil.txt'))).to.equal(false);
    expect(existsSync(join(tmpdir(), '..', 'evil.txt'))).to.equal(false);
  });

  it('rejects a .. hidden in the middle of a path', async () => {
    const zip = patchName(await rawZip([meta, { name: 'Files/XX/x.txt', data: Buffer.from('x') }]), 'Files/XX/x.txt', 'Files/../x.txt');
    expect(await rejection(zip)).to.match(/escapes the package root/);
  });

  it('rejects an absolute path', async () => {
    const zip = patchName(await rawZip([meta, { name: 'Xtmp/snf-pwned', data: Buffer.from('x') }]), 'Xtmp/snf-pwned', '/tmp/snf-pwned');
    expect(await rejection(zip)).to.match(/entry '\/tmp\/snf-pwned' has an absolute path/);
    expect(existsSync('/tmp/snf-pwned')).to.equal(false);
  });

  it('rejects a Windows drive path and backslash separators', async () => {
    const drive = patchName(await rawZip([meta, { name: 'XXwin.txt', data: Buffer.from('x') }]), 'XXwin.txt', 'C:win.txt');
    expect(await rejection(drive)).to.match(/absolute path/);
    const back = patchName(await rawZip([meta, { name: 'aXb.txt', data: Buffer.from('x') }]), 'aXb.txt', 'a\\b.txt');
    expect(await rejection(back)).to.match(/backslash/);
  });

  it('rejects a symbolic link entry', async () => {
    const zip = await rawZip([meta, { name: 'Definitions/link.yaml', data: Buffer.from('/etc/passwd'), mode: 0o120777 }]);
    expect(await rejection(zip)).to.match(/entry 'Definitions\/link\.yaml' is a symbolic link/);
  });

  it('rejects other special files (a FIFO)', async () => {
    const zip = await rawZip([meta, { name: 'Files/fifo', data: Buffer.alloc(0), mode: 0o010644 }]);
    expect(await rejection(zip)).to.match(/is not a regular file/);
  });

  it('rejects duplicate entry names', async () => {
    const zip = patchName(
      await rawZip([meta, { name: 'Files/a.txt', data: Buffer.from('first') }, { name: 'Files/b.txt', data: Buffer.from('second') }]),
      'Files/b.txt',
      'Files/a.txt',
    );
    expect(await rejection(zip)).to.match(/duplicate entry 'Files\/a\.txt'/);
  });

  it('rejects an oversized entry', async () => {
    const zip = await rawZip([meta, { name: 'Files/big.bin', data: randomBytes(256 * 1024), compress: false }]);
    expect(await rejection(zip, { ...DEFAULT_LIMITS, maxEntryBytes: 128 * 1024 })).to.match(/entry 'Files\/big\.bin' is 262144 bytes, over the 131072-byte limit/);
  });

  it('rejects a high compression-ratio entry (zip bomb) with the default limits', async () => {
    const zip = await rawZip([meta, { name: 'Files/bomb.bin', data: Buffer.alloc(16 * 1024 * 1024) }]);
    expect(zip.length).to.be.below(100 * 1024);
    expect(await rejection(zip)).to.match(/entry 'Files\/bomb\.bin' compression ratio \d+:1 exceeds 100:1/);
  });

  it('rejects an entry whose header understates what it inflates to', async () => {
    const data = Buffer.alloc(64 * 1024, 'a');
    const zip = await rawZip([meta, { name: 'Files/liar.txt', data }]);
    // Rewrite the declared uncompressed size (local header + central directory) to 100 bytes.
    const out = Buffer.from(zip);
    let patched = 0;
    for (let i = 0; i + 4 <= out.length; i++) {
      const sig = out.readUInt32LE(i);
      const nameAt = sig === 0x04034b50 ? i + 30 : sig === 0x02014b50 ? i + 46 : -1;
      if (nameAt < 0 || out.toString('latin1', nameAt, nameAt + 14) !== 'Files/liar.txt') continue;
      out.writeUInt32LE(100, sig === 0x04034b50 ? i + 22 : i + 24);
      patched++;
    }
    expect(patched).to.equal(2);
    expect(await rejection(out)).to.match(/(corrupt entry|inflates beyond).*liar\.txt|liar\.txt.*(too many|inflates beyond|size)/);
  });

  it('rejects too many entries and too much data in total', async () => {
    const many = await rawZip(Array.from({ length: 20 }, (_, i) => ({ name: `Files/f${i}.txt`, data: Buffer.from('x') })));
    expect(await rejection(many, { ...DEFAULT_LIMITS, maxEntries: 10 })).to.match(/more than 10 entries/);
    const total = await rawZip(Array.from({ length: 4 }, (_, i) => ({ name: `Files/r${i}.bin`, data: randomBytes(64 * 1024), compress: false })));
    expect(await rejection(total, { ...DEFAULT_LIMITS, maxTotalBytes: 200 * 1024 })).to.match(/total uncompressed size over 204800 bytes/);
  });

  it('rejects something that is not a zip at all', async () => {
    expect(await rejection(Buffer.from('this is not a zip archive, just text'))).to.match(/not a readable zip archive/);
  });

  it('reads a benign archive completely, in memory', async () => {
    const files = await readZipSafe(await rawZip([meta, { name: 'Files/ok.txt', data: Buffer.from('fine') }]));
    expect(files.get('Files/ok.txt')?.toString()).to.equal('fine');
  });

  it('snf package validate exits 1 with the reason and leaves no temporary directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'snf-hostile-'));
    try {
      const file = join(dir, 'evil.csar');
      writeFileSync(file, patchName(await rawZip([meta, { name: 'XX/pwned', data: Buffer.from('x') }]), 'XX/pwned', '../pwned'));
      // Only our own temp prefix: other suites may create theirs concurrently.
      const tmpBefore = readdirSync(tmpdir()).filter((f) => f.startsWith('snf-cms-')).sort();
      const err = await run('node', ['bin/snf.js', 'package', 'validate', file]).then(() => undefined, (e: { code: number; stderr: string }) => e);
      expect(err?.code).to.equal(1);
      expect(err?.stderr).to.match(/hostile archive: entry '\.\.\/pwned' escapes the package root/);
      expect(existsSync(join(dir, '..', 'pwned'))).to.equal(false);
      const tmpAfter = readdirSync(tmpdir()).filter((f) => f.startsWith('snf-cms-')).sort();
      expect(tmpAfter).to.deep.equal(tmpBefore);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
