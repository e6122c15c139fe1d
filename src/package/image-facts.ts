// What a VNFD says about a software image (SOL001 SwImageData: checksum, size, disk format,
// min disk) is read off the image file itself, never typed into a descriptor: a checksum of
// anything but the real image makes Glance (and Tacker's image registration) refuse it.
import { echo } from '../util/echo.js';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PackageError } from './errors.js';

export interface ImageFacts {
  /** The file the facts were read from. */
  path: string;
  sha256: string;
  /** Bytes of the image file as uploaded (what SOL001 `size` and Glance's `size` mean). */
  sizeBytes: number;
  diskFormat: 'qcow2' | 'raw';
  /** Bytes of the disk the guest sees: the least root disk the flavor may give. */
  virtualSizeBytes: number;
  /**
   * The image has RAMCloud in /opt/snf/ramcloud, as the facts `snf image build` wrote beside it
   * (<name>.facts.json, same SHA-256) say; no such facts: not known to have it.
   */
  ramcloud: boolean;
}

const QCOW2_MAGIC = 0x514649fb; // "QFI\xfb"
const GiB = 1024 ** 3;

/** Disk format and virtual size from the qcow2 header (offset 24: size, big-endian u64), else raw. */
async function readHeader(path: string, fileBytes: number): Promise<Pick<ImageFacts, 'diskFormat' | 'virtualSizeBytes'>> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(32);
    const { bytesRead } = await fh.read(head, 0, 32, 0);
    if (bytesRead >= 32 && head.readUInt32BE(0) === QCOW2_MAGIC) {
      const virtual = head.readBigUInt64BE(24);
      if (virtual === 0n || virtual > BigInt(Number.MAX_SAFE_INTEGER)) throw new PackageError(echo`${path}: qcow2 header gives a virtual size of ${virtual} bytes`);
      return { diskFormat: 'qcow2', virtualSizeBytes: Number(virtual) };
    }
    return { diskFormat: 'raw', virtualSizeBytes: fileBytes };
  } finally {
    await fh.close();
  }
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

export async function readImageFacts(path: string): Promise<ImageFacts> {
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    throw new PackageError(echo`--image ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  if (!st.isFile()) throw new PackageError(echo`--image ${path}: not a regular file`);
  if (st.size === 0) throw new PackageError(echo`--image ${path}: empty file`);
  const header = await readHeader(path, st.size);
  const sha256 = await sha256File(path);
  return { path, sha256, sizeBytes: st.size, ...header, ramcloud: await builtWithRamcloud(path, sha256) };
}

/** What `snf image build` recorded of this very file (src/image/build.ts writes <name>.facts.json beside <name>.qcow2). */
async function builtWithRamcloud(path: string, sha256: string): Promise<boolean> {
  const facts = join(dirname(path), `${basename(path).replace(/\.(qcow2|raw|img)$/, '')}.facts.json`);
  try {
    const f = JSON.parse(await readFile(facts, 'utf8')) as { sha256?: unknown; ramcloud?: unknown };
    return f.sha256 === sha256 && typeof f.ramcloud === 'object' && f.ramcloud !== null;
  } catch {
    return false;
  }
}

/** The least root disk in GB (SOL001 min_disk, Glance min_disk): the image's virtual size, at least `floorGb`. */
export function minDiskGb(f: ImageFacts, floorGb: number): number {
  return Math.max(floorGb, Math.ceil(f.virtualSizeBytes / GiB));
}

export function describeImage(f: ImageFacts): string {
  return `${basename(f.path)} (${f.diskFormat}, ${f.sizeBytes} bytes, sha256 ${f.sha256.slice(0, 12)}…${f.ramcloud ? ', with RAMCloud' : ''})`;
}
