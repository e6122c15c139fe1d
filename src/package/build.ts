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
}

export function packageFileName(d: VnfDescriptor, format: PackageFormat, flavour: string): string {
  return format === 'csar' ? `${stem(d)}-${d.softwareVersion}.csar` : `${stem(d)}-${d.softwareVersion}-${flavour}-onap-heat.zip`;
}

export async function buildPackage(d: VnfDescriptor, opts: BuildOptions): Promise<string> {
  const flavour = opts.flavour ?? Object.keys(d.flavours)[0];
  if (!d.flavours[flavour]) throw new PackageError(echo`--flavour: unknown flavour '${flavour}' (known: ${Object.keys(d.flavours).join(', ')})`);
  if (opts.format === 'onap-heat' && opts.signing) throw new PackageError('signing applies to SOL004 CSARs only');
  if (opts.format === 'onap-heat' && opts.withImage) throw new PackageError('--with-image applies to SOL004 CSARs only (an ONAP Heat package names its image in the env files)');
  let bytes: Buffer;
  if (opts.format === 'csar') {
    if (!opts.images) throw new PackageError('a CSAR carries the VM image\'s real checksum and size: give the image with --image FILE (or build it with `snf image build`)');
    bytes = await buildCsar(d, { images: opts.images, embedImages: opts.withImage ?? false, ...(opts.signing ? { signing: opts.signing } : {}) });
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
