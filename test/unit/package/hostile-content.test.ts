// Hostile content inside otherwise well-formed packages: a YAML alias bomb, entry names that are
// not UTF-8, and a 2 MB key. Every hostile file is generated here from a real, valid package
// (built by the product, re-zipped with its manifest digests fixed), so the hostile part is the
// only thing wrong with it and the validator must find exactly that.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PackageError } from '../../../src/package/errors.js';
import { sha256Hex } from '../../../src/package/manifest.js';
import { parseToscaMeta, TOSCA_META_PATH } from '../../../src/package/meta.js';
import { buildOnapZip } from '../../../src/package/onap-package.js';
import { validatePackageBuffer } from '../../../src/package/validate.js';
import { readZipSafe, writeZip, type FileMap } from '../../../src/package/zip.js';
import { MAX_ALIAS_NODES } from '../../../src/util/safe-yaml.js';
import { aliasBomb } from '../util/yaml-bombs.js';
import { csarOf, descriptor, patchName, rawZip } from './helpers.js';

const run = promisify(execFile);

/** The package with `edit` applied, every changed file's manifest digest made right again. */
async function reworked(pkg: Buffer, edit: (files: FileMap) => void): Promise<Buffer> {
  const files = await readZipSafe(pkg);
  const before = new Map([...files].map(([k, v]) => [k, sha256Hex(v)]));
  edit(files);
  const metaBuf = files.get(TOSCA_META_PATH);
  const mfName = metaBuf ? parseToscaMeta(metaBuf.toString('utf8'))['ETSI-Entry-Manifest'] : undefined;
  if (mfName) {
    let mf = files.get(mfName)!.toString('utf8');
    for (const [name, data] of files) if (before.get(name) !== undefined && before.get(name) !== sha256Hex(data)) mf = mf.replace(before.get(name)!, sha256Hex(data));
    files.set(mfName, Buffer.from(mf));
  }
  return writeZip(files, new Date('2020-01-01T00:00:00Z'));
}

async function rejection(buf: Buffer): Promise<string> {
  try {
    await validatePackageBuffer(buf);
  } catch (err) {
    expect(err).to.be.instanceOf(PackageError);
    return (err as Error).message;
  }
  throw new Error('the archive was accepted');
}

/** Clears the zip UTF-8 flag (general purpose bit 11) in every local and central header. */
function clearUtf8Flag(zip: Buffer): Buffer {
  const out = Buffer.from(zip);
  for (let i = 0; i + 4 <= out.length; i++) {
    const sig = out.readUInt32LE(i);
    if (sig === 0x04034b50) out.writeUInt16LE(out.readUInt16LE(i + 6) & ~0x800, i + 6);
    else if (sig === 0x02014b50) out.writeUInt16LE(out.readUInt16LE(i + 8) & ~0x800, i + 8);
  }
  return out;
}

describe('hostile package content', function () {
  this.timeout(120_000);
  let csar: Buffer;
  let entry: string;
  let dir: string;
  before(async () => {
    csar = await csarOf(await descriptor('firewall'));
    const files = await readZipSafe(csar);
    entry = parseToscaMeta(files.get(TOSCA_META_PATH)!.toString('utf8'))['Entry-Definitions'];
    dir = mkdtempSync(join(tmpdir(), 'snf-hostile-content-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the untouched package is valid, and so is one whose YAML uses aliases modestly', async () => {
    expect((await validatePackageBuffer(csar)).errors).to.deep.equal([]);
    const modest = await reworked(csar, (f) => f.set(entry, Buffer.concat([f.get(entry)!, Buffer.from('x_shared:\n  one: &one {k: [1, 2, 3]}\n  two: *one\n')])));
    expect((await validatePackageBuffer(modest)).errors).to.deep.equal([]);
  });

  it('refuses a CSAR whose entry definitions hold a YAML alias bomb, naming the file and the limit', async () => {
    const bomb = await reworked(csar, (f) => f.set(entry, Buffer.concat([f.get(entry)!, Buffer.from(`x_laughs:\n${aliasBomb('  ')}`)])));
    const r = await validatePackageBuffer(bomb);
    expect(r.errors).to.include(`${entry}: YAML alias expansion exceeds ${MAX_ALIAS_NODES} nodes (an alias bomb?); refused`);
    const file = join(dir, 'bomb.csar');
    writeFileSync(file, bomb);
    const err = await run('node', ['bin/snf.js', 'package', 'validate', file]).then(() => undefined, (e: { code: number; stderr: string }) => e);
    expect(err?.code).to.equal(1);
    expect(err?.stderr).to.include(`invalid csar package`);
    expect(err?.stderr).to.include(`${entry}: YAML alias expansion exceeds ${MAX_ALIAS_NODES} nodes`);
  });

  it('refuses an ONAP Heat package whose base module holds an alias bomb', async () => {
    const d = await descriptor('firewall');
    const onap = await buildOnapZip(d, Object.keys(d.flavours)[0]);
    const bomb = await reworked(onap, (f) => {
      const base = [...f.keys()].find((n) => n.startsWith('base_') && n.endsWith('.yaml'))!;
      f.set(base, Buffer.concat([f.get(base)!, Buffer.from(`x_laughs:\n${aliasBomb('  ')}`)]));
    });
    const r = await validatePackageBuffer(bomb);
    expect(r.errors.some((e) => /^base_.*\.yaml: YAML alias expansion exceeds \d+ nodes/.test(e)), r.errors.join('\n')).to.equal(true);
  });

  it('refuses entry names that are not UTF-8 by their hex bytes, instead of calling two of them one duplicate', async () => {
    const zip = patchName(
      patchName(await rawZip([{ name: 'TOSCA-Metadata/TOSCA.meta', data: Buffer.from('TOSCA-Meta-File-Version: 1.0\n') }, { name: 'Files/aX.txt', data: Buffer.from('1') }, { name: 'Files/aY.txt', data: Buffer.from('2') }]), 'Files/aX.txt', 'Files/a\xff.txt'),
      'Files/aY.txt',
      'Files/a\xfe.txt',
    );
    const msg = await rejection(zip);
    expect(msg).to.equal(`hostile archive: entry name (hex ${Buffer.from('Files/a\xff.txt', 'latin1').toString('hex')}) is not valid UTF-8`);
    expect(msg).to.not.match(/duplicate/);
  });

  it('refuses a non-ASCII name without the zip UTF-8 flag (CP437 to Python zipfile), and accepts it with the flag', async () => {
    const named = await rawZip([{ name: 'TOSCA-Metadata/TOSCA.meta', data: Buffer.from('TOSCA-Meta-File-Version: 1.0\n') }, { name: 'Files/café.txt', data: Buffer.from('x') }]);
    expect((await readZipSafe(named)).has('Files/café.txt')).to.equal(true);
    const msg = await rejection(clearUtf8Flag(named));
    expect(msg).to.equal(`hostile archive: entry name (hex ${Buffer.from('Files/café.txt').toString('hex')}) is not ASCII and the zip UTF-8 flag is not set (readers would decode it as CP437)`);
  });

  it('echoes a 2 MB manifest key clipped to its start and size, and snf package validate prints a short report', async () => {
    // Random: a repeated letter would trip the archive's compression-ratio defence first.
    const key = `k${randomBytes(1024 * 1024).toString('hex')}`;
    const hostile = await reworked(csar, (f) => {
      const mfName = parseToscaMeta(f.get(TOSCA_META_PATH)!.toString('utf8'))['ETSI-Entry-Manifest'];
      f.set(mfName, Buffer.from(f.get(mfName)!.toString('utf8').replace('metadata:\n', `metadata:\n${key}: x\n`)));
    });
    const r = await validatePackageBuffer(hostile);
    const found = r.errors.find((e) => e.includes('is not a SOL004 v2.6.1 VNF manifest key'));
    expect(found, r.errors.join('\n').slice(0, 2000)).to.match(/: metadata k[0-9a-f]{255}\.\.\. \(2097153 bytes\) is not a SOL004/);
    expect(found!.length).to.be.below(1024);
    const file = join(dir, 'key.csar');
    writeFileSync(file, hostile);
    const err = await run('node', ['bin/snf.js', 'package', 'validate', file], { maxBuffer: 64 * 1024 * 1024 }).then(() => undefined, (e: { code: number; stderr: string }) => e);
    expect(err?.code).to.equal(1);
    expect(err?.stderr).to.include('(2097153 bytes)');
    expect(err!.stderr.length).to.be.below(8 * 1024);
  });

  it('echoes a 60000-byte hostile entry name clipped', async () => {
    const long = `/${'p'.repeat(59_999)}`;
    const zip = patchName(await rawZip([{ name: `X${long.slice(1)}`, data: Buffer.from('x') }]), `X${long.slice(1)}`, long);
    const msg = await rejection(zip);
    expect(msg).to.match(/^hostile archive: entry '\/p{255}\.\.\. \(60000 bytes\)' has an absolute path$/);
  });
});
