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
import { crc32 } from 'node:zlib';
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

/**
 * A stored (uncompressed) zip written byte by byte (APPNOTE 4.3), for what yazl cannot write:
 * extra fields of our choosing.
 */
function handZip(entries: Array<{ name: string; data: Buffer; extra?: Buffer }>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const extra = e.extra ?? Buffer.alloc(0);
    const crc = crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(0x21, 12); // 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extra.length, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x031e, 4); // made by Unix
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(e.data.length, 20);
    central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(extra.length, 30);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    const l = Buffer.concat([local, name, extra, e.data]);
    locals.push(l);
    centrals.push(Buffer.concat([central, name, extra]));
    offset += l.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

/** Info-ZIP Unicode Path extra field (0x7075) giving `unicode` as the name of an entry named `raw`. */
function unicodePath(raw: string, unicode: string): Buffer {
  const name = Buffer.from(unicode, 'utf8');
  const f = Buffer.alloc(9);
  f.writeUInt16LE(0x7075, 0);
  f.writeUInt16LE(5 + name.length, 2);
  f.writeUInt8(1, 4);
  f.writeUInt32LE(crc32(Buffer.from(raw, 'utf8')), 5);
  return Buffer.concat([f, name]);
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

  it('refuses an entry whose Unicode Path extra field names it differently from its header', async () => {
    const meta = { name: 'TOSCA-Metadata/TOSCA.meta', data: Buffer.from('TOSCA-Meta-File-Version: 1.0\n') };
    const agreeing = handZip([meta, { name: 'Files/a.txt', data: Buffer.from('x'), extra: unicodePath('Files/a.txt', 'Files/a.txt') }]);
    expect((await readZipSafe(agreeing)).get('Files/a.txt')?.toString()).to.equal('x');
    const lying = handZip([meta, { name: 'Files/a.txt', data: Buffer.from('x'), extra: unicodePath('Files/a.txt', 'Files/b.txt') }]);
    expect(await rejection(lying)).to.equal(
      `hostile archive: entry 'Files/a.txt' carries a Unicode Path extra field naming it differently (hex ${Buffer.from('Files/b.txt').toString('hex')}); zip readers would disagree on its name`,
    );
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
