// ONAP Heat package checks (VNFRQTS chapter 5, the rules SDC / VVP enforce that matter here):
// flat zip, MANIFEST.json complete and consistent, exactly one base module named base_*,
// an env per module, no parameter defaults, env values only for parameters that need them,
// ONAP naming of servers and ports, and the metadata ONAP uses to find servers.
import { ONAP_SUPPLIED } from './heat-onap.js';
import type { OnapManifest, OnapManifestEntry } from './onap-package.js';
import type { ValidationReport } from './validate-csar.js';
import { asRecord, isRecord, parseYamlFile, type YamlDoc } from './yaml-util.js';
import type { FileMap } from './zip.js';

const KNOWN_TYPES = new Set(['HEAT', 'HEAT_ENV', 'HEAT_NET', 'HEAT_VOL', 'VES_EVENTS', 'PM_DICTIONARY', 'YANG_XML', 'VNF_CATALOG', 'OTHER']);
const SERVER_ID = /^([a-z][a-z0-9_]*)_server_([0-9]+)$/;
const PORT_ID = /^([a-z][a-z0-9_]*)_([0-9]+)_((?:int_)?[a-z][a-z0-9_]*)_port_([0-9]+)$/;
const REQUIRED_SERVER_METADATA = ['vnf_id', 'vf_module_id', 'vnf_name'];

interface ModuleInfo {
  file: string;
  isBase: boolean;
  doc: YamlDoc;
  env?: Record<string, unknown>;
}

function parseManifest(files: FileMap, errors: string[]): OnapManifest | undefined {
  const buf = files.get('MANIFEST.json');
  if (!buf) {
    errors.push('MANIFEST.json is missing');
    return undefined;
  }
  let m: unknown;
  try {
    m = JSON.parse(buf.toString('utf8'));
  } catch (err) {
    errors.push(`MANIFEST.json does not parse: ${(err as Error).message}`);
    return undefined;
  }
  if (!isRecord(m) || !Array.isArray(m.data)) {
    errors.push('MANIFEST.json: must be an object with a data array');
    return undefined;
  }
  for (const k of ['name', 'description', 'version']) if (typeof m[k] !== 'string') errors.push(`MANIFEST.json: ${k} must be a string`);
  return m as unknown as OnapManifest;
}

export function validateOnap(files: FileMap): ValidationReport {
  const errors: string[] = [];
  const facts: string[] = [];
  for (const f of files.keys()) if (f.includes('/')) errors.push(`${f}: ONAP Heat packages are flat; no directories allowed`);
  const manifest = parseManifest(files, errors);
  if (!manifest) return { format: 'onap-heat', errors, facts };

  const listed = new Set<string>(['MANIFEST.json']);
  const modules: ModuleInfo[] = [];
  manifest.data.forEach((e: OnapManifestEntry, i: number) => {
    const where = `MANIFEST.json: data.${i}`;
    if (!isRecord(e) || typeof e.file !== 'string' || typeof e.type !== 'string') {
      errors.push(`${where}: needs string file and type`);
      return;
    }
    listed.add(e.file);
    if (!KNOWN_TYPES.has(e.type)) errors.push(`${where}: unknown artifact type ${e.type}`);
    if (!files.has(e.file)) errors.push(`${where}: ${e.file} is not in the package`);
    if (e.type !== 'HEAT') return;
    const parsed = files.has(e.file) ? parseYamlFile(e.file, files.get(e.file)!) : {};
    if (parsed.error) errors.push(parsed.error);
    const envs = (e.data ?? []).filter((c) => c.type === 'HEAT_ENV');
    for (const c of e.data ?? []) listed.add(c.file);
    let env: Record<string, unknown> | undefined;
    if (envs.length !== 1) errors.push(`${where}: ${e.file} must have exactly one HEAT_ENV (found ${envs.length})`);
    else {
      const envFile = envs[0].file;
      if (envFile.replace(/\.env$/, '') !== e.file.replace(/\.ya?ml$/, '')) errors.push(`${where}: env ${envFile} must share the base name of ${e.file}`);
      const envParsed = files.has(envFile) ? parseYamlFile(envFile, files.get(envFile)!) : { error: `${envFile} is not in the package` };
      if (envParsed.error) errors.push(envParsed.error);
      else env = asRecord(envParsed.doc!.parameters);
    }
    if (parsed.doc) modules.push({ file: e.file, isBase: e.isBase === 'true', doc: parsed.doc, env });
  });
  for (const f of files.keys()) if (!listed.has(f)) errors.push(`${f}: in the package but not listed in MANIFEST.json`);

  const bases = modules.filter((m) => m.isBase);
  if (bases.length !== 1) errors.push(`MANIFEST.json: exactly one module must have isBase "true" (found ${bases.length})`);
  for (const b of bases) if (!/^base_[A-Za-z0-9_.-]+\.ya?ml$/.test(b.file)) errors.push(`${b.file}: a base module's file name must start with base_`);
  for (const m of modules) if (!m.isBase && m.file.startsWith('base_')) errors.push(`${m.file}: only the base module may be named base_*`);

  const baseOutputs = new Set(bases.flatMap((b) => Object.keys(asRecord(b.doc.outputs))));
  for (const m of modules) checkModule(m, baseOutputs, errors);
  const allParams = new Set(modules.flatMap((m) => Object.keys(asRecord(m.doc.parameters))));
  for (const p of ['dcae_collector_ip', 'dcae_collector_port']) if (!allParams.has(p)) errors.push(`no module declares ${p}: NF instances could not report VES events`);
  facts.push(`${modules.length} modules (${bases.length} base, ${modules.length - bases.length} incremental) checked`);
  return { format: 'onap-heat', errors, facts };
}

function checkModule(m: ModuleInfo, baseOutputs: Set<string>, errors: string[]): void {
  const doc = m.doc;
  if (doc.heat_template_version === undefined) errors.push(`${m.file}: heat_template_version is missing`);
  if (typeof doc.description !== 'string') errors.push(`${m.file}: description is missing`);
  const params = asRecord(doc.parameters);
  const env = m.env ?? {};
  for (const [name, p] of Object.entries(params)) {
    const pr = asRecord(p);
    if (typeof pr.type !== 'string') errors.push(`${m.file}: parameters.${name}.type is missing`);
    if (typeof pr.description !== 'string') errors.push(`${m.file}: parameters.${name}.description is missing`);
    if ('default' in pr) errors.push(`${m.file}: parameters.${name} has a default; ONAP wants values in the env file`);
    const onap = ONAP_SUPPLIED.includes(name);
    const fromBase = !m.isBase && baseOutputs.has(name);
    if (!onap && !fromBase && !(name in env)) errors.push(`${m.file}: parameters.${name} has no value in the env file`);
  }
  for (const name of Object.keys(env)) {
    if (!(name in params)) errors.push(`${m.file} env: ${name} is not a parameter of the template`);
    if (ONAP_SUPPLIED.includes(name)) errors.push(`${m.file} env: ${name} is supplied by ONAP and must not be set`);
  }
  for (const [rid, r] of Object.entries(asRecord(doc.resources))) {
    const type = asRecord(r).type;
    const props = asRecord(asRecord(r).properties);
    if (type === 'OS::Nova::Server') {
      if (!SERVER_ID.test(rid)) errors.push(`${m.file}: server resource ${rid} must be named {vm-type}_server_{index}`);
      const md = asRecord(props.metadata);
      for (const k of REQUIRED_SERVER_METADATA) {
        const v = asRecord(md[k]);
        if (v.get_param !== k) errors.push(`${m.file}: ${rid}.metadata.${k} must be { get_param: ${k} }`);
        if (!(k in params)) errors.push(`${m.file}: ${rid} needs parameter ${k} for its metadata`);
      }
    }
    if (type === 'OS::Neutron::Port' && !PORT_ID.test(rid)) {
      errors.push(`${m.file}: port resource ${rid} must be named {vm-type}_{index}_{network-role}_port_{index}`);
    }
  }
}
