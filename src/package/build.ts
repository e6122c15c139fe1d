// `snf package build`: descriptor in, package file out. The file appears complete or not at all
// (written to a temporary name in the output directory, then renamed).
import { echo } from '../util/echo.js';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { VnfDescriptor } from '../descriptor/types.js';
import { buildCsar, type SigningInput } from './csar.js';
import type { ImageSet } from './tosca.js';
import { PackageError } from './errors.js';
import { stem } from './model.js';
import { buildOnapZip } from './onap-package.js';
import { ramcloudImageGaps, ramcloudImageMessage, withoutFlavours } from './ramcloud-image.js';

export type PackageFormat = 'csar' | 'onap-heat';

export interface BuildOptions {
  format: PackageFormat;
  outDir: string;
  /** ONAP Heat packages deploy one flavour; defaults to the descriptor's first. */
  flavour?: string;
  signing?: SigningInput;
  /** CSARs only: the real image file behind each descriptor image key. */
  images?: ImageSet;
  /** CSARs only: ship the image files in the package (SOL004 software image artifacts). */
  withImage?: boolean;
  /** Told what the build decided on its own (a flavour left out). */
  note?: (line: string) => void;
}

export function packageFileName(d: VnfDescriptor, format: PackageFormat, flavour: string): string {
  return format === 'csar' ? `${stem(d)}-${d.softwareVersion}.csar` : `${stem(d)}-${d.softwareVersion}-${flavour}-onap-heat.zip`;
}

/**
 * A CSAR carries the flavours its image can run: a ramcloud flavour whose image was built without
 * RAMCloud is left out (said through `note`), unless it was asked for by --flavour: then, or when
 * nothing would be left, the build is refused naming the field.
 */
function csarFlavours(d: VnfDescriptor, images: ImageSet, asked: string | undefined, note: (l: string) => void): VnfDescriptor {
  const gaps = ramcloudImageGaps(d, images);
  if (gaps.length === 0) return d;
  const askedGap = gaps.find((g) => g.flavour === asked);
  if (askedGap) throw new PackageError(ramcloudImageMessage(askedGap));
  const drop = new Set(gaps.map((g) => g.flavour));
  if (drop.size === Object.keys(d.flavours).length) throw new PackageError(ramcloudImageMessage(gaps[0]));
  for (const id of drop) note(`package: flavour ${id} left out: ${ramcloudImageMessage(gaps.find((g) => g.flavour === id)!)}`);
  return withoutFlavours(d, drop);
}

export async function buildPackage(d: VnfDescriptor, opts: BuildOptions): Promise<string> {
  const flavour = opts.flavour ?? Object.keys(d.flavours)[0];
  if (!d.flavours[flavour]) throw new PackageError(echo`--flavour: unknown flavour '${flavour}' (known: ${Object.keys(d.flavours).join(', ')})`);
  if (opts.format === 'onap-heat' && opts.signing) throw new PackageError('signing applies to SOL004 CSARs only');
  if (opts.format === 'onap-heat' && opts.withImage) throw new PackageError('--with-image applies to SOL004 CSARs only (an ONAP Heat package names its image in the env files)');
  let bytes: Buffer;
  if (opts.format === 'csar') {
    if (!opts.images) throw new PackageError('a CSAR carries the VM image\'s real checksum and size: give the image with --image FILE (or build it with `snf image build`)');
    const runnable = csarFlavours(d, opts.images, opts.flavour, opts.note ?? (() => undefined));
    bytes = await buildCsar(runnable, { images: opts.images, embedImages: opts.withImage ?? false, ...(opts.signing ? { signing: opts.signing } : {}) });
  } else {
    bytes = await buildOnapZip(d, flavour);
  }
  await mkdir(opts.outDir, { recursive: true });
  const target = join(opts.outDir, packageFileName(d, opts.format, flavour));
  const tmp = `${target}.partial-${process.pid}`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return target;
}
