// The repository root, found from this file so the same code works from src/ under tsx and from
// a compiled dist/: the directory holding package.json next to tosca/. Found on first use, not
// at import: the VM image's bundle (src/image/stage.ts) has no repository around it.
import { existsSync } from 'node:fs';
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

let root: string | undefined;
export function repoRoot(): string {
  root ??= findRoot();
  return root;
}
