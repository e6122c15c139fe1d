// Zip I/O for packages. Writing: yazl, entries sorted, fixed mtimes and modes, so the same inputs
// give the same bytes. Reading: yauzl into memory with every hostile-archive defence up front
// (path escapes, links, duplicates, size and compression-ratio limits) and sizes re-checked
// while inflating, so nothing is ever written to disk from an untrusted archive.
import { Readable } from 'node:stream';
import yazl from 'yazl';
import yauzl from 'yauzl';
import { clip, echo, hexBytes } from '../util/echo.js';
import { PackageError } from './errors.js';

export type FileMap = Map<string, Buffer>;

export interface ZipLimits {
  maxEntries: number;
  maxEntryBytes: number;
  /** Software images (SOL004 Files/images/) are far larger than any other artifact. */
  maxImageEntryBytes: number;
  maxTotalBytes: number;
  /** Largest uncompressed/compressed ratio accepted for entries above ratioFloorBytes. */
  maxRatio: number;
  ratioFloorBytes: number;
}

/** Where a CSAR carries its software images (SOL004 `snf package build --with-image`). */
export const IMAGE_DIR = 'Files/images/';

export const DEFAULT_LIMITS: ZipLimits = {
  maxEntries: 4096,
  maxEntryBytes: 64 * 1024 * 1024,
  maxImageEntryBytes: 2 * 1024 * 1024 * 1024,
  maxTotalBytes: 2304 * 1024 * 1024,
  maxRatio: 100,
  ratioFloorBytes: 1024 * 1024,
};

/** yazl writes DOS local time: feed it a Date whose local fields equal the UTC instant's. */
function dosStable(utc: Date): Date {
  return new Date(utc.getUTCFullYear(), utc.getUTCMonth(), utc.getUTCDate(), utc.getUTCHours(), utc.getUTCMinutes(), utc.getUTCSeconds());
}

export async function writeZip(files: FileMap, mtime: Date): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const when = dosStable(mtime);
  for (const name of [...files.keys()].sort()) {
    checkEntryName(name);
    const executable = name.endsWith('.py') || name.endsWith('.sh');
    // Images are compressed already (qcow2 -c): deflating hundreds of MiB again gains nothing.
    const compress = !name.startsWith(IMAGE_DIR);
    // DOS timestamps only: yazl's Unix-time extra field would encode the build machine's zone.
    zip.addBuffer(files.get(name)!, name, { mtime: when, mode: executable ? 0o100755 : 0o100644, compress, forceDosTimestamp: true });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as Readable) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Rejects names that could land outside the extraction root or collide after normalising. */
export function checkEntryName(name: string): void {
  if (name.length === 0) throw new PackageError('hostile archive: an entry has an empty name');
  if (name.includes('\0')) throw new PackageError(echo`hostile archive: entry name contains NUL: ${JSON.stringify(name)}`);
  if (name.includes('\\')) throw new PackageError(echo`hostile archive: entry '${name}' uses a backslash path separator`);
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw new PackageError(echo`hostile archive: entry '${name}' has an absolute path`);
  const segs = name.replace(/\/$/, '').split('/');
  if (segs.includes('..')) throw new PackageError(echo`hostile archive: entry '${name}' escapes the package root ('..')`);
  if (segs.some((s) => s === '' || s === '.')) throw new PackageError(echo`hostile archive: entry '${name}' has an empty or '.' path segment`);
}

/** Zip general-purpose flag bit 11: the name is UTF-8 (APPNOTE 4.4.4); without it, CP437. */
const UTF8_FLAG = 0x800;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const UNICODE_PATH_FIELD = 0x7075;

/**
 * The entry's name, decoded strictly. A lenient decode turns every invalid byte into U+FFFD, so
 * two different names become one (a false 'duplicate', or worse, one file shadowing another);
 * a non-ASCII name without the UTF-8 flag is CP437 to Python's zipfile (Tacker, ONAP) and would
 * name a different file there than here. Both are refused, the name given by its bytes in hex.
 */
function entryName(entry: yauzl.Entry): string {
  const raw = entry.fileName as unknown as Buffer;
  const ascii = raw.every((b) => b < 0x80);
  if (!ascii && (entry.generalPurposeBitFlag & UTF8_FLAG) === 0) {
    throw new PackageError(`hostile archive: entry name (hex ${hexBytes(raw)}) is not ASCII and the zip UTF-8 flag is not set (readers would decode it as CP437)`);
  }
  let name: string;
  try {
    name = strictUtf8.decode(raw);
  } catch {
    throw new PackageError(`hostile archive: entry name (hex ${hexBytes(raw)}) is not valid UTF-8`);
  }
  // Info-ZIP's Unicode Path field (APPNOTE 4.6.9) renames the entry for the readers that honour it
  // (yauzl's default, commons-compress) but not for Python's zipfile or java.util.zip: one archive,
  // two file lists. Accepted only when it names the entry as its header does.
  for (const f of entry.extraFields) {
    if (f.id !== UNICODE_PATH_FIELD) continue;
    const other = f.data.subarray(5);
    if (f.data.length < 5 || !Buffer.from(name, 'utf8').equals(other)) {
      throw new PackageError(
        `hostile archive: entry '${clip(name)}' carries a Unicode Path extra field naming it differently (hex ${hexBytes(other)}); zip readers would disagree on its name`,
      );
    }
  }
  return name;
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

function openBuffer(buf: Buffer): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    // decodeStrings false: we validate raw names ourselves and give our own clear errors.
    yauzl.fromBuffer(buf, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true }, (err, zf) => {
      if (err || !zf) reject(new PackageError(echo`not a readable zip archive: ${err?.message ?? 'unknown error'}`));
      else resolve(zf);
    });
  });
}

function readEntry(zf: yauzl.ZipFile, entry: yauzl.Entry, name: string, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zf.openReadStream(entry, (err, stream) => {
      if (err || !stream) {
        reject(new PackageError(echo`cannot read entry '${name}': ${err?.message ?? 'unknown error'}`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (c: Buffer) => {
        size += c.length;
        // The header may lie; stop inflating as soon as the real size passes the limit.
        if (size > limit) {
          stream.destroy();
          reject(new PackageError(echo`hostile archive: entry '${name}' inflates beyond ${limit} bytes`));
          return;
        }
        chunks.push(c);
      });
      stream.on('error', (e: Error) => reject(new PackageError(echo`corrupt entry '${name}': ${e.message}`)));
      stream.on('end', () => resolve(Buffer.concat(chunks)));
    });
  });
}

/** Reads every regular file of an untrusted archive into memory, or throws a PackageError. */
export async function readZipSafe(buf: Buffer, limits: ZipLimits = DEFAULT_LIMITS): Promise<FileMap> {
  const zf = await openBuffer(buf);
  const files: FileMap = new Map();
  const seen = new Set<string>();
  let total = 0;
  let count = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (e: unknown) => reject(e instanceof PackageError ? e : new PackageError(echo`corrupt archive: ${(e as Error).message}`));
      zf.on('error', fail);
      zf.on('end', () => resolve());
      zf.on('entry', (entry: yauzl.Entry) => {
        void (async () => {
          const name = entryName(entry);
          if (++count > limits.maxEntries) throw new PackageError(echo`hostile archive: more than ${limits.maxEntries} entries`);
          checkEntryName(name);
          if (seen.has(name) || seen.has(name.replace(/\/$/, ''))) throw new PackageError(echo`hostile archive: duplicate entry '${name}'`);
          seen.add(name);
          const madeByUnix = entry.versionMadeBy >> 8 === 3;
          const type = (entry.externalFileAttributes >>> 16) & S_IFMT;
          if (madeByUnix && type === S_IFLNK) throw new PackageError(echo`hostile archive: entry '${name}' is a symbolic link`);
          const isDir = name.endsWith('/') || (madeByUnix && type === S_IFDIR);
          if (madeByUnix && type !== 0 && type !== S_IFREG && !isDir) {
            throw new PackageError(echo`hostile archive: entry '${name}' is not a regular file (mode ${type.toString(8)})`);
          }
          if ((entry.generalPurposeBitFlag & 0x1) !== 0) throw new PackageError(echo`entry '${name}' is encrypted`);
          if (isDir) {
            zf.readEntry();
            return;
          }
          const entryLimit = name.startsWith(IMAGE_DIR) ? limits.maxImageEntryBytes : limits.maxEntryBytes;
          if (entry.uncompressedSize > entryLimit) {
            throw new PackageError(echo`hostile archive: entry '${name}' is ${entry.uncompressedSize} bytes, over the ${entryLimit}-byte limit`);
          }
          total += entry.uncompressedSize;
          if (total > limits.maxTotalBytes) throw new PackageError(echo`hostile archive: total uncompressed size over ${limits.maxTotalBytes} bytes`);
          if (entry.uncompressedSize > limits.ratioFloorBytes && entry.uncompressedSize / Math.max(1, entry.compressedSize) > limits.maxRatio) {
            throw new PackageError(
              `hostile archive: entry '${name}' compression ratio ${Math.round(entry.uncompressedSize / Math.max(1, entry.compressedSize))}:1 exceeds ${limits.maxRatio}:1 (zip bomb?)`,
            );
          }
          files.set(name, await readEntry(zf, entry, name, Math.min(entryLimit, entry.uncompressedSize)));
          zf.readEntry();
        })().catch(fail);
      });
      zf.readEntry();
    });
  } finally {
    zf.close();
  }
  return files;
}
