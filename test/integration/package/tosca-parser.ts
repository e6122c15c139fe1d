// Runs OpenStack's tosca-parser (Debian python3-tosca-parser) on a CSAR or VNFD. Debian's
// 2.6.0-2 package omits three definition files; they are copied in from test/fixtures/package
// when missing (idempotent: present files are left alone).
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { peerEnv } from '../../support/peer-tmp.js';

const run = promisify(execFile);
// The system interpreter: Debian installs tosca-parser for /usr/bin/python3, not for a pyenv one.
export const SYSTEM_PYTHON = '/usr/bin/python3';
// Vendored from openstack/tosca-parser tag 2.6.0 so a fresh clone needs nothing from outside.
const DEFS_SRC = process.env.SNF_TOSCA_PARSER_DEFS ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'package', 'tosca-parser-2.6.0-defs');
export const MISSING = [
  'elements/TOSCA_definition_1_0.yaml',
  'extensions/nfv/TOSCA_nfv_definition_1_0_0.yaml',
  'extensions/mec/TOSCA_mec_definition_1_0_0.yaml',
];

async function packageDir(): Promise<string> {
  // find_spec locates the package without importing it (importing fails while files are missing).
  const { stdout } = await run(SYSTEM_PYTHON, ['-c', 'import importlib.util,os;print(os.path.dirname(importlib.util.find_spec("toscaparser").origin))']);
  return stdout.trim();
}

/** Copies each missing definition file from `src` into the package dir `pkg`; returns what it copied. */
export function completeDefinitions(pkg: string, src: string = DEFS_SRC): string[] {
  const copied: string[] = [];
  for (const rel of MISSING) {
    const target = join(pkg, rel);
    if (existsSync(target)) continue;
    const from = join(src, rel);
    if (!existsSync(from)) throw new Error(`tosca-parser lacks ${rel} and ${from} is not there to copy`);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(from, target);
    copied.push(rel);
  }
  return copied;
}

export async function ensureToscaParser(): Promise<void> {
  completeDefinitions(await packageDir());
}

const LOADER = `
import json, sys
from toscaparser.tosca_template import ToscaTemplate
params = {"selected_flavour": sys.argv[2]} if len(sys.argv) > 2 else None
t = ToscaTemplate(sys.argv[1], params, True)
out = {"nodes": sorted(n.name for n in t.nodetemplates), "flavours": {}}
for nt in t.nested_tosca_templates_with_topology:
    sm = nt.tpl.get("substitution_mappings") or {}
    fid = (sm.get("properties") or {}).get("flavour_id", "?")
    out["flavours"][fid] = {
        "nodes": {n.name: n.type for n in nt.nodetemplates},
        "policies": sorted(p.name for p in nt.policies),
    }
print(json.dumps(out))
`;

export interface ParsedVnfd {
  nodes: string[];
  flavours: Record<string, { nodes: Record<string, string>; policies: string[] }>;
}

export async function parseWithToscaParser(path: string, selectedFlavour?: string): Promise<ParsedVnfd> {
  await ensureToscaParser();
  try {
    const { stdout } = await run(SYSTEM_PYTHON, ['-c', LOADER, path, ...(selectedFlavour ? [selectedFlavour] : [])], { maxBuffer: 16 * 1024 * 1024, env: peerEnv() });
    return JSON.parse(stdout.trim().split('\n').pop()!) as ParsedVnfd;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    const text = e.stderr ?? e.message;
    // tosca-parser lists every collected problem as an "...Error: ..." line among its tracebacks.
    const problems = text.split('\n').map((l) => l.trim()).filter((l) => /^[A-Za-z.]*(Error|Exception): \S/.test(l));
    throw new Error(`tosca-parser rejected ${path}:\n${(problems.length ? problems : text.split('\n').slice(-15)).join('\n')}`);
  }
}
