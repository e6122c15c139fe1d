// Static package inputs kept as files in the repository (tosca/, heat/): located from the
// repository root so the same code works from src/ under tsx and from a compiled dist/.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot as findRepoRoot } from '../util/repo-root.js';

export const repoRoot = findRepoRoot();

export function asset(relPath: string): Buffer {
  return readFileSync(join(repoRoot, relPath));
}

export function assetText(relPath: string): string {
  return asset(relPath).toString('utf8');
}
