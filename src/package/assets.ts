// Static package inputs kept as files in the repository (tosca/, heat/): located from the
// repository root so the same code works from src/ under tsx and from a compiled dist/.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tosca'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root (package.json next to tosca/)');
    dir = up;
  }
}

export const repoRoot = findRoot();

export function asset(relPath: string): Buffer {
  return readFileSync(join(repoRoot, relPath));
}

export function assetText(relPath: string): string {
  return asset(relPath).toString('utf8');
}
