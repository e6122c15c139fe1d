// RAMCloud in the VM image (the ramcloud flavour's coordinator and masters boot the product
// image): the build that `scripts/ramcloud/build.sh` leaves in its cache (bin/rc-coordinator,
// bin/rc-server, lib/libramcloud.so, lib/libsnf_store_ramcloud.so) is staged for /opt/snf/ramcloud,
// with the Debian packages of the libraries it links (ldd + dpkg -S, as for the data plane).
// The default image build takes it when that build exists and never builds it: a RAMCloud build
// is ~20 minutes, `sudo bash scripts/setup.sh --ramcloud` makes it.
import { copyFileSync, chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findRamcloudBuild as findBuild, RamcloudNotBuilt } from '../ramcloud/install.js';
import { ImageError } from './errors.js';
import { debianPackagesOf } from './stage.js';
import { filesUnder } from '../util/files-under.js';

/** Where the image has RAMCloud (the store plugin's and snf-ramcloud.sh's default). */
export const IMAGE_RAMCLOUD_DIR = '/opt/snf/ramcloud';

/** The parts of a RAMCloud build the image needs. */
export const RAMCLOUD_FILES = ['bin/rc-coordinator', 'bin/rc-server', 'lib/libramcloud.so', 'lib/libsnf_store_ramcloud.so'];

/** What the image facts record of the RAMCloud in it. */
export interface ImageRamcloud {
  /** The build's cache key (build-info.json `key`, else the directory name). */
  buildKey: string;
  path: typeof IMAGE_RAMCLOUD_DIR;
}

export interface RamcloudBuild {
  dir: string;
  buildKey: string;
}

/** `auto`: take the RAMCloud build when there is one; `require`: fail without one; `off`: leave it out. */
export type RamcloudChoice = 'auto' | 'require' | 'off';

const HOW = 'build it with `sudo bash scripts/setup.sh --ramcloud` (scripts/ramcloud/build.sh)';

/** The RAMCloud build for this checkout's inputs (src/ramcloud/install.ts), or undefined. */
export function findRamcloudBuild(): RamcloudBuild | undefined {
  try {
    const b = findBuild();
    return { dir: b.dir, buildKey: b.info.key };
  } catch (e) {
    if (e instanceof RamcloudNotBuilt) return undefined;
    throw e;
  }
}

/** The build the choice asks for; `require` without one fails with what to run. */
export function ramcloudFor(choice: RamcloudChoice): RamcloudBuild | undefined {
  if (choice === 'off') return undefined;
  const b = findRamcloudBuild();
  if (!b && choice === 'require') throw new ImageError(`--ramcloud: no RAMCloud build for this checkout (scripts/ramcloud/build.sh --where finds none): ${HOW}`);
  return b;
}


/**
 * Copies what the image needs of the build into `out` (bin/, lib/, build-info.json) and writes
 * `debs.txt`: the Debian packages of the libraries it links, except its own lib/.
 */
export function stageRamcloud(b: RamcloudBuild, out: string): void {
  for (const sub of ['bin', 'lib']) {
    const from = join(b.dir, sub);
    if (!existsSync(from)) continue;
    for (const f of filesUnder(from)) {
      const rel = f.slice(b.dir.length + 1);
      mkdirSync(join(out, rel, '..'), { recursive: true });
      copyFileSync(f, join(out, rel));
      chmodSync(join(out, rel), statSync(f).mode & 0o777);
    }
  }
  if (existsSync(join(b.dir, 'build-info.json'))) copyFileSync(join(b.dir, 'build-info.json'), join(out, 'build-info.json'));
  const binaries = RAMCLOUD_FILES.map((f) => join(out, f));
  writeFileSync(join(out, 'debs.txt'), debianPackagesOf(binaries, [out, b.dir]).join('\n') + '\n');
  writeFileSync(join(out, 'README'), `RAMCloud for the StatelessNF ramcloud flavour (build ${b.buildKey}).\nstatelessnf-ramcloud.service (written by the coordinator and masters VDUs' user data) runs bin/rc-coordinator or bin/rc-server.\n`);
}
