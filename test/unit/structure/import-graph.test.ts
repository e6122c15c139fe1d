// The control plane's import graph has no cycles: neither between modules nor between the
// top-level parts of src/ (store, dataplane, vim, model, ...), so each part can be read, tested
// and moved on its own. A failure names the cycle.
import { expect } from 'chai';
import { join } from 'node:path';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { componentGraph, importCycles, importGraph } from './import-graph.js';

const SRC = join(import.meta.dirname, '..', '..', '..', 'src');

describe('import graph of src/', () => {
  it('finds a planted cycle (the walk itself works)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'snf-graph-'));
    try {
      mkdirSync(join(dir, 'a'));
      mkdirSync(join(dir, 'b'));
      writeFileSync(join(dir, 'a', 'x.ts'), "import type { Y } from '../b/y.js';\nexport type X = Y;\n");
      writeFileSync(join(dir, 'b', 'y.ts'), "export type Y = number;\nexport { z } from './z.js';\n");
      writeFileSync(join(dir, 'b', 'z.ts'), "import { w } from '../a/w.js';\nexport const z = w;\n");
      writeFileSync(join(dir, 'a', 'w.ts'), 'export const w = 1;\n');
      const g = importGraph(dir);
      expect(g.get('b/y.ts')).to.deep.equal(['b/z.ts']);
      expect(importCycles(g), 'no module cycle').to.deep.equal([]);
      expect(importCycles(componentGraph(g)), 'a -> b -> a between parts').to.deep.equal([['a', 'b']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has no cycle between modules', () => {
    const g = importGraph(SRC);
    expect(g.size).to.be.greaterThan(100);
    expect(importCycles(g)).to.deep.equal([]);
  });

  it('has no cycle between the parts of src/ (store, dataplane, vim, model, ...)', () => {
    const parts = componentGraph(importGraph(SRC));
    expect(importCycles(parts)).to.deep.equal([]);
    // the layering the issue asked for
    expect(parts.get('model'), 'the model imports nothing of ours').to.deep.equal([]);
    expect(parts.get('store'), 'store depends only on the model').to.deep.equal(['model']);
    expect(parts.get('dataplane')).to.not.include('vim');
  });
});
