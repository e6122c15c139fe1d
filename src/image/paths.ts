// Where the image build reads from and writes to.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../package/assets.js';

export const ROOT = repoRoot;

/**
 * Built images live outside the checkout, one directory per input hash, so a fresh clone (CI's)
 * on the same machine reuses them and `git clean` never deletes 300 MB of work.
 */
export function cacheRoot(): string {
  return process.env.SNF_IMAGE_CACHE ?? '/var/cache/statelessnf/images';
}

export function productVersion(): { name: string; version: string } {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  // The name the VNF descriptors give the image (vnf-descriptors/*.yaml images.nf_image.name).
  return { name: `statelessnf-${pkg.version}`, version: pkg.version };
}
