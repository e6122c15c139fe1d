// Placeholder until the rcbuild branch lands its finder (scripts/ramcloud/build.sh --where).
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function findRamcloudBuild(): string {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  try {
    return execFileSync('bash', [join(root, 'scripts/ramcloud/build.sh'), '--where'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('RAMCloud is not built here: run `sudo bash scripts/setup.sh --ramcloud`');
  }
}
