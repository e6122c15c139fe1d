// SOL004 CSAR checks: structure and TOSCA.meta keys, every referenced file present, every
// manifest digest right (and every artifact listed), every template parsing, TOSCA imports and
// artifacts resolving, and the VNFD flavours agreeing with BaseHOT/<flavour>/ as Tacker needs.
import { echo } from '../util/echo.js';
import { posix } from 'node:path';
import { PackageError } from './errors.js';
import { parseManifest, sha256Hex, MANIFEST_METADATA_KEYS, type Manifest } from './manifest.js';
import { DIR_META_KEYS, FILE_META_KEYS, REQUIRED_META_KEYS, TOSCA_META_PATH, parseToscaMeta } from './meta.js';
import { cmsVerify } from './sign.js';
import { asRecord, isRecord, parseYamlFile, type YamlDoc } from './yaml-util.js';
import { checkInstantiationLevels, checkVnfNodeType } from './validate-tacker.js';
import type { FileMap } from './zip.js';

export interface ValidationReport {
  format: 'csar' | 'onap-heat';
  errors: string[];
  /** What was checked, for the operator's confidence. */
  facts: string[];
}

export interface CsarValidateOptions {
  /** Verify the manifest signature against this CA; without it only integrity is checked. */
  caPem?: string;
  /** Refuse unsigned packages. */
  requireSignature?: boolean;
}

function vduNames(doc: YamlDoc): Map<string, Record<string, unknown>> {
  const nodes = asRecord(asRecord(doc.topology_template).node_templates);
  const out = new Map<string, Record<string, unknown>>();
  for (const [name, n] of Object.entries(nodes)) {
    if (isRecord(n) && n.type === 'tosca.nodes.nfv.Vdu.Compute') out.set(name, n);
  }
  return out;
}

export async function validateCsar(files: FileMap, opts: CsarValidateOptions = {}): Promise<ValidationReport> {
  const errors: string[] = [];
  const facts: string[] = [];
  const metaBuf = files.get(TOSCA_META_PATH);
  if (!metaBuf) throw new PackageError(echo`not a SOL004 CSAR: ${TOSCA_META_PATH} is missing`);
  let meta: Record<string, string>;
  try {
    meta = parseToscaMeta(metaBuf.toString('utf8'));
  } catch (err) {
    return { format: 'csar', errors: [(err as Error).message], facts };
  }
  for (const k of REQUIRED_META_KEYS) if (!meta[k]) errors.push(echo`${TOSCA_META_PATH}: required key ${k} is missing`);
  for (const k of FILE_META_KEYS) {
    if (meta[k] && !files.has(meta[k])) errors.push(echo`${TOSCA_META_PATH}: ${k} names '${meta[k]}', which is not in the package`);
  }
  for (const [k, rule] of Object.entries(DIR_META_KEYS)) {
    const dir = meta[k]?.replace(/\/+$/, '');
    if (!dir) errors.push(echo`${TOSCA_META_PATH}: required key ${k} is missing (${rule})`);
    else if (![...files.keys()].some((f) => f.startsWith(`${dir}/`))) errors.push(echo`${TOSCA_META_PATH}: ${k} names '${dir}', which holds no file in the package (${rule})`);
  }
  if (meta['TOSCA-Meta-File-Version'] && meta['TOSCA-Meta-File-Version'] !== '1.0') {
    errors.push(echo`${TOSCA_META_PATH}: TOSCA-Meta-File-Version must be 1.0`);
  }
  if (meta['CSAR-Version'] && !['1.1', '1.0'].includes(meta['CSAR-Version'])) errors.push(echo`${TOSCA_META_PATH}: CSAR-Version must be 1.1`);

  // Every YAML file must parse; keep the parsed documents for the cross-checks below.
  const docs = new Map<string, YamlDoc>();
  for (const [name, data] of files) {
    if (!/\.ya?ml$/.test(name)) continue;
    const r = parseYamlFile(name, data);
    if (r.error) errors.push(r.error);
    else docs.set(name, r.doc!);
  }
  facts.push(`${docs.size} YAML files parse`);

  const manifestName = meta['ETSI-Entry-Manifest'];
  const mfBuf = manifestName ? files.get(manifestName) : undefined;
  if (mfBuf) await checkManifest(files, manifestName, mfBuf, meta, opts, errors, facts);

  checkDefinitions(files, docs, meta['Entry-Definitions'], errors, facts);
  return { format: 'csar', errors, facts };
}

async function checkManifest(
  files: FileMap, name: string, buf: Buffer, meta: Record<string, string>, opts: CsarValidateOptions, errors: string[], facts: string[],
): Promise<void> {
  let mf: Manifest;
  try {
    mf = parseManifest(buf.toString('utf8'), name);
  } catch (err) {
    errors.push((err as Error).message);
    return;
  }
  for (const k of MANIFEST_METADATA_KEYS) if (!mf.metadata[k]) errors.push(echo`${name}: metadata ${k} is missing`);
  for (const k of Object.keys(mf.metadata)) {
    if (!(MANIFEST_METADATA_KEYS as readonly string[]).includes(k)) {
      errors.push(echo`${name}: metadata ${k} is not a SOL004 v2.6.1 VNF manifest key (ONAP's VNF SDK refuses it; allowed: ${MANIFEST_METADATA_KEYS.join(', ')})`);
    }
  }
  if (mf.metadata.vnf_release_date_time && Number.isNaN(Date.parse(mf.metadata.vnf_release_date_time))) {
    errors.push(echo`${name}: vnf_release_date_time is not an RFC 3339 date-time`);
  }
  const listed = new Set<string>();
  for (const e of mf.entries) {
    if (listed.has(e.source)) errors.push(echo`${name}: ${e.source} is listed twice`);
    listed.add(e.source);
    const data = files.get(e.source);
    if (!data) {
      errors.push(echo`${name}: Source ${e.source} is not in the package`);
      continue;
    }
    if (e.algorithm.toUpperCase() !== 'SHA-256') {
      errors.push(echo`${name}: ${e.source}: unsupported Algorithm ${e.algorithm} (SHA-256 expected)`);
      continue;
    }
    if (sha256Hex(data) !== e.hash.toLowerCase()) errors.push(echo`${name}: ${e.source}: SHA-256 digest mismatch (artifact modified?)`);
  }
  for (const f of files.keys()) {
    if (f !== name && !listed.has(f)) errors.push(echo`${name}: ${f} is in the package but has no digest in the manifest`);
  }
  for (const [set, sources] of Object.entries(mf.nonManoSets)) {
    for (const s of sources) if (!files.has(s)) errors.push(echo`${name}: non-MANO artifact set ${set}: ${s} is not in the package`);
  }
  facts.push(`${mf.entries.length} manifest digests checked`);

  if (mf.signature) {
    const certName = meta['ETSI-Entry-Certificate'];
    const cert = certName ? files.get(certName) : undefined;
    if (!cert) {
      errors.push(echo`${name}: signed, but TOSCA.meta names no ETSI-Entry-Certificate in the package`);
      return;
    }
    try {
      await cmsVerify(mf.signedText, mf.signature, cert.toString('utf8'), opts.caPem);
      facts.push(opts.caPem ? 'manifest signature verified against the CA' : 'manifest signature verified (integrity only: no CA given)');
    } catch (err) {
      errors.push((err as Error).message);
    }
  } else if (opts.requireSignature) {
    errors.push(echo`${name}: the manifest is not signed`);
  }
}

function checkDefinitions(files: FileMap, docs: Map<string, YamlDoc>, entry: string | undefined, errors: string[], facts: string[]): void {
  if (!entry || !docs.has(entry)) return;
  // Walk imports from the entry definitions: every one must resolve inside the package.
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length) {
    const f = queue.shift()!;
    if (seen.has(f)) continue;
    seen.add(f);
    const doc = docs.get(f);
    if (!doc) continue;
    if (typeof doc.tosca_definitions_version !== 'string') errors.push(echo`${f}: tosca_definitions_version is missing`);
    const imports = Array.isArray(doc.imports) ? doc.imports : [];
    for (const imp of imports) {
      const ref = typeof imp === 'string' ? imp : isRecord(imp) ? String(imp.file ?? '') : '';
      const target = posix.normalize(posix.join(posix.dirname(f), ref));
      if (!files.has(target)) errors.push(echo`${f}: import '${ref}' is not in the package`);
      else queue.push(target);
    }
  }

  const flavours = new Map<string, YamlDoc>();
  for (const f of seen) {
    const doc = docs.get(f);
    const sm = asRecord(asRecord(doc?.topology_template).substitution_mappings);
    const fid = asRecord(sm.properties).flavour_id;
    if (typeof fid === 'string') {
      if (flavours.has(fid)) errors.push(echo`${f}: flavour '${fid}' is defined twice`);
      flavours.set(fid, doc!);
      checkArtifacts(files, f, doc!, errors);
      checkInstantiationLevels(f, doc!, errors);
    }
  }
  if (flavours.size === 0) errors.push(echo`${entry}: no deployment flavour (substitution_mappings with flavour_id) is imported`);
  checkVnfNodeType(new Map([...seen].filter((f) => docs.has(f)).map((f) => [f, docs.get(f)!])), entry, errors);
  facts.push(`flavours: ${[...flavours.keys()].join(', ') || 'none'}`);

  const hotDirs = new Set<string>();
  for (const f of files.keys()) {
    const m = /^BaseHOT\/([^/]+)\//.exec(f);
    if (m) hotDirs.add(m[1]);
  }
  for (const d of hotDirs) if (!flavours.has(d)) errors.push(echo`BaseHOT/${d}/: no VNFD flavour '${d}' (the directory name must be a flavour id)`);
  for (const [fid, doc] of flavours) {
    if (!hotDirs.has(fid)) {
      errors.push(echo`BaseHOT/${fid}/: missing for VNFD flavour '${fid}'`);
      continue;
    }
    checkBaseHot(files, docs, fid, vduNames(doc), errors);
  }
}

function checkArtifacts(files: FileMap, defFile: string, doc: YamlDoc, errors: string[]): void {
  const nodes = asRecord(asRecord(doc.topology_template).node_templates);
  for (const [nodeName, node] of Object.entries(nodes)) {
    const artifacts = asRecord(asRecord(node).artifacts);
    for (const [aName, a] of Object.entries(artifacts)) {
      const file = asRecord(a).file;
      if (typeof file !== 'string') continue;
      const target = posix.normalize(posix.join(posix.dirname(defFile), file));
      if (!files.has(target)) errors.push(echo`${defFile}: node ${nodeName} artifact ${aName}: file '${file}' is not in the package`);
    }
    const lcm = asRecord(asRecord(asRecord(node).interfaces).Vnflcm);
    for (const [op, def] of Object.entries(lcm)) {
      const impl = isRecord(def) ? def.implementation : def;
      if (typeof impl === 'string' && !(impl in artifacts)) errors.push(echo`${defFile}: Vnflcm.${op} implementation '${impl}' is not an artifact of ${nodeName}`);
    }
  }
}

function checkBaseHot(files: FileMap, docs: Map<string, YamlDoc>, fid: string, vdus: Map<string, Record<string, unknown>>, errors: string[]): void {
  const dir = `BaseHOT/${fid}/`;
  const tops = [...files.keys()].filter((f) => f.startsWith(dir) && !f.slice(dir.length).includes('/') && /\.ya?ml$/.test(f));
  if (tops.length !== 1) {
    errors.push(echo`${dir}: expected exactly one top-level HOT template, found ${tops.length}`);
    return;
  }
  const top = docs.get(tops[0]);
  if (!top) return;
  if (top.heat_template_version === undefined) errors.push(echo`${tops[0]}: heat_template_version is missing`);
  if (!isRecord(asRecord(top.parameters).nfv)) errors.push(echo`${tops[0]}: the 'nfv' json parameter Tacker fills is missing`);
  const servers = new Set<string>();
  for (const [rname, r] of Object.entries(asRecord(top.resources))) {
    const type = asRecord(r).type;
    if (type === 'OS::Nova::Server') servers.add(rname);
    if (type !== 'OS::Heat::AutoScalingGroup') continue;
    const props = asRecord(asRecord(r).properties);
    const nestedType = asRecord(props.resource).type;
    if (typeof nestedType !== 'string') continue;
    const nestedPath = `${dir}nested/${nestedType}`;
    const nested = docs.get(nestedPath);
    if (!nested) {
      errors.push(echo`${tops[0]}: ${rname} uses '${nestedType}', but ${nestedPath} is not in the package`);
      continue;
    }
    for (const [nname, nr] of Object.entries(asRecord(nested.resources))) {
      if (asRecord(nr).type !== 'OS::Nova::Server') continue;
      servers.add(nname);
      const vdu = vdus.get(nname);
      const profile = asRecord(asRecord(vdu?.properties).vdu_profile);
      if (vdu && (props.min_size !== profile.min_number_of_instances || props.max_size !== profile.max_number_of_instances)) {
        errors.push(echo`${tops[0]}: ${rname} min/max ${String(props.min_size)}/${String(props.max_size)} disagree with VDU ${nname} vdu_profile ${String(profile.min_number_of_instances)}/${String(profile.max_number_of_instances)}`);
      }
    }
  }
  for (const v of vdus.keys()) if (!servers.has(v)) errors.push(echo`${dir}: VDU '${v}' of flavour ${fid} has no OS::Nova::Server resource named '${v}'`);
  for (const s of servers) if (!vdus.has(s)) errors.push(echo`${dir}: server resource '${s}' is not a VDU of flavour ${fid}`);
}
