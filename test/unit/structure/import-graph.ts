// A walk over the static imports of src/ (TypeScript, ESM `.js` specifiers), so a test can refuse
// import cycles without a new dependency. Type-only imports count too: a cycle of types is still
// two modules that cannot be understood (or moved) one without the other.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/g;
const DYNAMIC_RE = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function resolveSpec(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined; // packages and node: builtins are leaves
  const base = resolve(dirname(from), spec);
  for (const c of [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, join(base, 'index.ts')]) if (existsSync(c) && statSync(c).isFile()) return c;
  return undefined;
}

/** Module -> the modules it imports (paths relative to `root`). */
export function importGraph(root: string): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of tsFiles(root)) {
    const text = readFileSync(f, 'utf8');
    const deps = new Set<string>();
    for (const re of [IMPORT_RE, DYNAMIC_RE]) {
      for (const m of text.matchAll(re)) {
        const r = resolveSpec(f, m[1]);
        if (r) deps.add(relative(root, r));
      }
    }
    g.set(relative(root, f), [...deps].sort());
  }
  return g;
}

/** Every strongly connected component with more than one module (or a self-import): each is a cycle. */
export function importCycles(g: Map<string, string[]>): string[][] {
  // Tarjan's algorithm, iterative enough for a few hundred modules
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of g.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, idx.get(w) as number));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      for (;;) {
        const w = stack.pop() as string;
        onStack.delete(w);
        comp.push(w);
        if (w === v) break;
      }
      if (comp.length > 1 || (g.get(v) ?? []).includes(v)) out.push(comp.sort());
    }
  };
  for (const v of [...g.keys()].sort()) if (!idx.has(v)) visit(v);
  return out;
}

/** The top-level part of src/ a module belongs to (`vim/local/x.ts` -> `vim`; `x.ts` -> `.`). */
export function componentOf(module: string): string {
  const parts = module.split('/');
  return parts.length > 1 ? parts[0] : '.';
}

/** Part -> the other parts its modules import (sorted). */
export function componentGraph(g: Map<string, string[]>): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const [m, deps] of g) {
    const a = componentOf(m);
    const s = out.get(a) ?? new Set<string>();
    for (const d of deps) if (componentOf(d) !== a) s.add(componentOf(d));
    out.set(a, s);
  }
  return new Map([...out].map(([k, v]) => [k, [...v].sort()]));
}
