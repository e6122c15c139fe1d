import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The files under dir, recursively, sorted (for hashing or copying a tree in a stable order). */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out.sort();
}
