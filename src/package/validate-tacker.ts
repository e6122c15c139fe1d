// The rules Tacker's package loader (tacker/common/csar_utils.py, run on every package upload)
// applies beyond TOSCA itself, so that `snf package validate` refuses what Tacker refuses and
// says which rule. The loader itself runs in the tests (../shared/peers/tacker-csar).
import { echo } from '../util/echo.js';
import { TOSCA_META_PATH, parseToscaMeta } from './meta.js';
import { asRecord, isRecord, parseYamlFile, type YamlDoc } from './yaml-util.js';
import type { FileMap } from './zip.js';

export const TACKER_VNF_BASE = 'tosca.nodes.nfv.VNF';

/** Node types defined anywhere in the loaded definitions, name -> definition. */
function nodeTypes(docs: Iterable<[string, YamlDoc]>): Map<string, { file: string; def: Record<string, unknown> }> {
  const out = new Map<string, { file: string; def: Record<string, unknown> }>();
  for (const [file, doc] of docs) {
    for (const [name, def] of Object.entries(asRecord(doc.node_types))) if (isRecord(def)) out.set(name, { file, def });
  }
  return out;
}

/**
 * csar_utils._check_type: the VNF node template counts only if its type IS tosca.nodes.nfv.VNF or
 * derives from it DIRECTLY (one level); otherwise Tacker finds no VNF and answers
 * "InvalidCSAR: VNF properties are mandatory".
 */
export function checkVnfNodeType(definitions: Map<string, YamlDoc>, entry: string, errors: string[]): void {
  const types = nodeTypes(definitions);
  const top = definitions.get(entry);
  const vnfNodes = Object.entries(asRecord(asRecord(top?.topology_template).node_templates))
    .filter(([, n]) => {
      const t = asRecord(n).type;
      if (typeof t !== 'string') return false;
      // The product VNF: a type that is, or reaches, tosca.nodes.nfv.VNF.
      for (let cur: string | undefined = t, depth = 0; cur && depth < 16; depth++) {
        if (cur === TACKER_VNF_BASE) return true;
        const parent: unknown = types.get(cur)?.def.derived_from;
        cur = typeof parent === 'string' ? parent : undefined;
      }
      return false;
    });
  if (vnfNodes.length === 0) {
    errors.push(echo`${entry}: Tacker loader: no node template of a type derived from ${TACKER_VNF_BASE} ("VNF properties are mandatory")`);
    return;
  }
  for (const [name, n] of vnfNodes) {
    const t = String(asRecord(n).type);
    if (t === TACKER_VNF_BASE) continue;
    const parent = types.get(t)?.def.derived_from;
    if (parent !== TACKER_VNF_BASE) {
      errors.push(echo`${types.get(t)?.file ?? entry}: Tacker loader (csar_utils._check_type): node type ${t} of node ${name} derives from ${String(parent)}, not directly from ${TACKER_VNF_BASE}; Tacker refuses the package with "VNF properties are mandatory"`);
    }
  }
}

/** csar_utils._get_instantiation_levels_from_policy / _validate_instantiation_levels. */
export function checkInstantiationLevels(file: string, doc: YamlDoc, errors: string[]): void {
  const policies = asRecord(doc.topology_template).policies;
  if (!Array.isArray(policies)) return;
  let levels: string[] | undefined;
  for (const p of policies) {
    for (const [name, def] of Object.entries(asRecord(p))) {
      const d = asRecord(def);
      if (d.type !== 'tosca.policies.nfv.InstantiationLevels') continue;
      const props = asRecord(d.properties);
      levels = Object.keys(asRecord(props.levels));
      if (typeof props.default_level === 'string' && !levels.includes(props.default_level)) {
        errors.push(echo`${file}: policy ${name}: Tacker loader: default_level ${props.default_level} is not one of the levels (${levels.join(', ')})`);
      }
    }
  }
  for (const p of policies) {
    for (const [name, def] of Object.entries(asRecord(p))) {
      const d = asRecord(def);
      if (d.type !== 'tosca.policies.nfv.VduInstantiationLevels' && d.type !== 'tosca.policies.nfv.VirtualLinkInstantiationLevels') continue;
      if (!levels) {
        errors.push(echo`${file}: policy ${name}: Tacker loader: no tosca.policies.nfv.InstantiationLevels policy is defined`);
        continue;
      }
      const unknown = Object.keys(asRecord(asRecord(d.properties).levels)).filter((l) => !levels!.includes(l));
      if (unknown.length) errors.push(echo`${file}: policy ${name}: Tacker loader: level(s) ${unknown.join(', ')} not found in the defined levels`);
    }
  }
}

/**
 * The VNFD id Tacker will record for a CSAR: descriptor_id of the VNF node in the entry
 * definitions (what `vnflcm create` takes, and what Tacker keeps unique across packages).
 */
export function vnfdIdOf(files: FileMap): string | undefined {
  const meta = files.get(TOSCA_META_PATH);
  if (!meta) return undefined;
  const entry = parseToscaMeta(meta.toString('utf8'))['Entry-Definitions'];
  const top = entry ? files.get(entry) : undefined;
  if (!top) return undefined;
  const doc = parseYamlFile(entry, top).doc;
  for (const n of Object.values(asRecord(asRecord(doc?.topology_template).node_templates))) {
    const id = asRecord(asRecord(n).properties).descriptor_id;
    if (typeof id === 'string') return id;
  }
  return undefined;
}
