// Shared by the package tests: descriptors, a throwaway signer, and raw zip building for
// archives our own writer would refuse to produce.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import yazl from 'yazl';
import { loadDescriptor } from '../../../src/descriptor/validate.js';
import type { VnfDescriptor } from '../../../src/descriptor/types.js';
import { buildCsar } from '../../../src/package/csar.js';
import { readImageFacts, type ImageFacts } from '../../../src/package/image-facts.js';
import type { ImageSet } from '../../../src/package/tosca.js';

export const NAMES = ['nat', 'firewall', 'lb'] as const;

export function descriptor(name: string): Promise<VnfDescriptor> {
  return loadDescriptor(`vnf-descriptors/${name}.yaml`);
}

export interface Signer {
  keyPem: string;
  certPem: string;
}

/** A self-signed signer made with the openssl command, like an operator's test PKI. */
export function makeSigner(cn: string): Signer {
  const dir = mkdtempSync(join(tmpdir(), 'snf-test-pki-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '30', '-subj', `/CN=${cn}`], { stdio: 'ignore' });
    return { keyPem: readFileSync(join(dir, 'k.pem'), 'utf8'), certPem: readFileSync(join(dir, 'c.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface RawEntry {
  name: string;
  data: Buffer;
  mode?: number;
  compress?: boolean;
}

/** A zip written with yazl without any of our own checks (entry order as given). */
export async function rawZip(entries: RawEntry[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const e of entries) zip.addBuffer(e.data, e.name, { mode: e.mode ?? 0o100644, compress: e.compress ?? true, mtime: new Date(2020, 0, 1) });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream as Readable) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Replaces every occurrence of an ASCII entry name (local header and central directory). */
export function patchName(zip: Buffer, from: string, to: string): Buffer {
  if (from.length !== to.length) throw new Error('patchName needs names of equal length');
  const out = Buffer.from(zip);
  const needle = Buffer.from(from, 'latin1');
  let n = 0;
  for (let i = out.indexOf(needle); i >= 0; i = out.indexOf(needle, i + 1)) {
    out.write(to, i, 'latin1');
    n++;
  }
  if (n < 2) throw new Error(`patchName: '${from}' found ${n} times, expected local + central`);
  return out;
}

let imageFile: Promise<ImageFacts> | undefined;

/**
 * A real qcow2 image made with qemu-img, once per test process: the VNFD's checksum and size
 * are read off a real file (the product's image is built by `snf image build`; a package test
 * does not need its contents, only a genuine artifact to describe).
 */
export function testImageFacts(): Promise<ImageFacts> {
  imageFile ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'snf-test-image-'));
    const file = join(dir, 'statelessnf-test.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', file, '2G']);
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    // The facts `snf image build --ramcloud` writes beside its image: the ramcloud flavour's VDUs may boot it.
    const plain = await readImageFacts(file);
    writeFileSync(join(dir, 'statelessnf-test.facts.json'), JSON.stringify({ sha256: plain.sha256, ramcloud: { buildKey: 'test', path: '/opt/snf/ramcloud' } }));
    return readImageFacts(file);
  })();
  return imageFile;
}

let plainImageFile: Promise<ImageFacts> | undefined;

/** A real qcow2 image without RAMCloud (no facts beside it say otherwise). */
export function testImageFactsWithoutRamcloud(): Promise<ImageFacts> {
  plainImageFile ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'snf-test-image-'));
    const file = join(dir, 'statelessnf-plain.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', file, '2G']);
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return readImageFacts(file);
  })();
  return plainImageFile;
}

/** The test image for every image key of a descriptor. */
export async function testImages(d: VnfDescriptor): Promise<ImageSet> {
  const f = await testImageFacts();
  return Object.fromEntries(Object.keys(d.images).map((k) => [k, f]));
}

/** A CSAR of a descriptor with the test image (and optionally signed). */
export async function csarOf(d: VnfDescriptor, signing?: Signer): Promise<Buffer> {
  return buildCsar(d, { images: await testImages(d), ...(signing ? { signing } : {}) });
}
