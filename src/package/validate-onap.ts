// ONAP Heat package checks (VNFRQTS chapter 5, the rules SDC / VVP enforce that matter here):
// flat zip, MANIFEST.json complete and consistent with SDC's artifact types, every .yaml a
// single document, exactly one base module named base_*, an env per module, no parameter
// defaults, env values exactly where VNFRQTS wants them, ONAP naming of servers and ports, the
// metadata ONAP uses to find servers, flavors by name and the VNFD's anti-affinity.
// This is our own quick check for `snf package validate`; it names the VNFRQTS rule a finding
// breaks so it can be looked up, but ONAP's VVP (see docs/packaging.md) is the reference.
import { echo } from '../util/echo.js';
import { loadYamlAll } from '../util/safe-yaml.js';
import { ONAP_SUPPLIED } from './heat-onap.js';
import type { OnapManifest, OnapManifestEntry } from './onap-package.js';
import type { ValidationReport } from './validate-csar.js';
import { asRecord, isRecord, parseYamlFile, type YamlDoc } from './yaml-util.js';
import type { FileMap } from './zip.js';

/** SDC's Heat MANIFEST.json artifact types (onap/sdc openecomp-heat-lib FileData.Type): there is no VES_EVENTS. */
const KNOWN_TYPES = new Set([
  'HEAT', 'HEAT_ENV', 'HEAT_NET', 'HEAT_VOL', 'CHEF', 'PUPPET', 'SHELL', 'YANG', 'YANG_XML', 'BPEL', 'DG_XML', 'MURANO_PKG',
  'CERTIFICATE', 'LICENSE', 'CONFIG_TEMPLATE', 'MAPPING_TEMPLATE', 'VENDOR_LICENSE', 'VF_LICENSE', 'CLOUD_TECHNOLOGY_SPECIFIC_ARTIFACT',
  'CONTROLLER_BLUEPRINT_ARCHIVE', 'HELM', 'OTHER', 'PNF_SW_INFORMATION', 'PM_DICTIONARY',
]);
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
    errors.push(echo`MANIFEST.json does not parse: ${(err as Error).message}`);
    return undefined;
  }
  if (!isRecord(m) || !Array.isArray(m.data)) {
    errors.push('MANIFEST.json: must be an object with a data array');
    return undefined;
  }
  for (const k of ['name', 'description', 'version']) if (typeof m[k] !== 'string') errors.push(echo`MANIFEST.json: ${k} must be a string`);
  return m as unknown as OnapManifest;
}

export function validateOnap(files: FileMap): ValidationReport {
  const errors: string[] = [];
  const facts: string[] = [];
  for (const f of files.keys()) if (f.includes('/')) errors.push(echo`${f}: ONAP Heat packages are flat; no directories allowed`);
  const manifest = parseManifest(files, errors);
  if (!manifest) return { format: 'onap-heat', errors, facts };

  const listed = new Set<string>(['MANIFEST.json']);
  const modules: ModuleInfo[] = [];
  manifest.data.forEach((e: OnapManifestEntry, i: number) => {
    const where = `MANIFEST.json: data.${i}`;
    if (!isRecord(e) || typeof e.file !== 'string' || typeof e.type !== 'string') {
      errors.push(echo`${where}: needs string file and type`);
      return;
    }
    listed.add(e.file);
    if (!KNOWN_TYPES.has(e.type)) errors.push(echo`${where}: ${e.file}: artifact type ${e.type} is not one SDC's Heat MANIFEST.json knows`);
    if (!files.has(e.file)) errors.push(echo`${where}: ${e.file} is not in the package`);
    if (e.type !== 'HEAT') return;
    const parsed = files.has(e.file) ? parseYamlFile(e.file, files.get(e.file)!) : {};
    if (parsed.error) errors.push(parsed.error);
    const envs = (e.data ?? []).filter((c) => c.type === 'HEAT_ENV');
    for (const c of e.data ?? []) listed.add(c.file);
    let env: Record<string, unknown> | undefined;
    if (envs.length !== 1) errors.push(echo`${where}: ${e.file} must have exactly one HEAT_ENV (found ${envs.length})`);
    else {
      const envFile = envs[0].file;
      if (envFile.replace(/\.env$/, '') !== e.file.replace(/\.ya?ml$/, '')) errors.push(echo`${where}: env ${envFile} must share the base name of ${e.file}`);
      const envParsed = files.has(envFile) ? parseYamlFile(envFile, files.get(envFile)!) : { error: echo`${envFile} is not in the package` };
      if (envParsed.error) errors.push(envParsed.error);
      else env = asRecord(envParsed.doc!.parameters);
    }
    if (parsed.doc) modules.push({ file: e.file, isBase: e.isBase === 'true', doc: parsed.doc, env });
  });
  for (const f of files.keys()) if (!listed.has(f)) errors.push(echo`${f}: in the package but not listed in MANIFEST.json`);
  checkSingleDocuments(files, errors);

  const bases = modules.filter((m) => m.isBase);
  if (bases.length !== 1) errors.push(echo`MANIFEST.json: exactly one module must have isBase "true" (found ${bases.length})`);
  for (const b of bases) if (!/^base_[A-Za-z0-9_.-]+\.ya?ml$/.test(b.file)) errors.push(echo`${b.file}: a base module's file name must start with base_`);
  for (const m of modules) if (!m.isBase && m.file.startsWith('base_')) errors.push(echo`${m.file}: only the base module may be named base_*`);

  for (const m of modules) checkModule(m, bases[0], errors);
  const allParams = new Set(modules.flatMap((m) => Object.keys(asRecord(m.doc.parameters))));
  for (const p of ['dcae_collector_ip', 'dcae_collector_port']) if (!allParams.has(p)) errors.push(echo`no module declares ${p}: NF instances could not report VES events`);
  facts.push(`${modules.length} modules (${bases.length} base, ${modules.length - bases.length} incremental) checked`);
  return { format: 'onap-heat', errors, facts };
}

/** R-95303: VVP (and SDC) read every .yaml/.yml/.env of a Heat package as one YAML document. */
function checkSingleDocuments(files: FileMap, errors: string[]): void {
  for (const [name, data] of files) {
    if (!/\.(ya?ml|env)$/.test(name)) continue;
    let count = 0;
    try {
      count = loadYamlAll(data.toString('utf8'), { source: name }).length;
    } catch {
      continue; // the parse (or alias-limit) error is reported where the file is read
    }
    if (count > 1) {
      errors.push(echo`${name}: R-95303: ${count} YAML documents in one file; every .yaml in a Heat package is read as a single Heat document (multi-document artifacts such as VES registrations or PM dictionaries go zipped, see docs/packaging.md)`);
    }
  }
}

/** The parameter a property value takes with get_param (plain or indexed into a list). */
function paramOf(v: unknown): string | undefined {
  const g = asRecord(v).get_param;
  if (typeof g === 'string') return g;
  if (Array.isArray(g) && typeof g[0] === 'string') return g[0];
  return undefined;
}

/** Whether a property value refers to `name` anywhere (get_param of it, nested or as an index). */
function mentions(v: unknown, name: string): boolean {
  if (v === name) return true;
  if (Array.isArray(v)) return v.some((x) => mentions(x, name));
  if (isRecord(v)) return Object.values(v).some((x) => mentions(x, name));
  return false;
}

/** Where a parameter gets its value, by the property that uses it (VVP's ENV_PARAMETER_SPEC). */
interface ParamUse {
  /** Must be in the env file, with the rule that says so. */
  env: Map<string, string>;
  /** Must not be in the env file (ONAP gives it at instantiation), with the rule. */
  notEnv: Map<string, string>;
}

function checkModule(m: ModuleInfo, base: ModuleInfo | undefined, errors: string[]): void {
  const doc = m.doc;
  if (doc.heat_template_version === undefined) errors.push(echo`${m.file}: heat_template_version is missing`);
  if (typeof doc.description !== 'string') errors.push(echo`${m.file}: description is missing`);
  const params = asRecord(doc.parameters);
  const env = m.env ?? {};
  const baseOutputs = m.isBase || !base ? {} : asRecord(base.doc.outputs);
  const use = checkResources(m, base, errors);
  for (const [name, p] of Object.entries(params)) {
    const pr = asRecord(p);
    if (typeof pr.type !== 'string') errors.push(echo`${m.file}: parameters.${name}.type is missing`);
    if (typeof pr.description !== 'string') errors.push(echo`${m.file}: parameters.${name}.description is missing`);
    if ('default' in pr) errors.push(echo`${m.file}: parameters.${name} has a default; ONAP wants values in the env file`);
    const onap = ONAP_SUPPLIED.includes(name);
    const fromBase = name in baseOutputs;
    const rule = use.env.get(name);
    if (rule && !(name in env)) errors.push(echo`${m.file}: parameters.${name}: ${rule}: must be enumerated in the env file with a value`);
    else if (!onap && !fromBase && !use.notEnv.has(name) && !(name in env)) errors.push(echo`${m.file}: parameters.${name} has no value in the env file`);
  }
  for (const name of Object.keys(env)) {
    if (!(name in params)) errors.push(echo`${m.file} env: ${name} is not a parameter of the template`);
    if (ONAP_SUPPLIED.includes(name)) errors.push(echo`${m.file} env: ${name} is supplied by ONAP and must not be set`);
    const rule = use.notEnv.get(name);
    if (rule) errors.push(echo`${m.file} env: ${name}: ${rule}: must not be enumerated in the env file (ONAP gives it at instantiation)`);
  }
}

function checkResources(m: ModuleInfo, base: ModuleInfo | undefined, errors: string[]): ParamUse {
  const doc = m.doc;
  const params = asRecord(doc.parameters);
  const resources = asRecord(doc.resources);
  const use: ParamUse = { env: new Map(), notEnv: new Map() };
  for (const [rid, r] of Object.entries(resources)) {
    const type = asRecord(r).type;
    const props = asRecord(asRecord(r).properties);
    const where = `${m.file}: resources.${rid}`;
    if (type === 'OS::Nova::Flavor') {
      errors.push(echo`${where}: creates a Nova flavor; ONAP modules take the operator's flavor by name (env parameter), see docs/packaging.md`);
    }
    if (type === 'OS::Nova::Server') {
      if (!SERVER_ID.test(rid)) errors.push(echo`${m.file}: server resource ${rid} must be named {vm-type}_server_{index}`);
      const md = asRecord(props.metadata);
      for (const k of REQUIRED_SERVER_METADATA) {
        const v = asRecord(md[k]);
        if (v.get_param !== k) errors.push(echo`${m.file}: ${rid}.metadata.${k} must be { get_param: ${k} }`);
        if (!(k in params)) errors.push(echo`${m.file}: ${rid} needs parameter ${k} for its metadata`);
      }
      const viaParam: Array<[string, string]> = [['name', 'R-663631'], ['image', 'R-901331'], ['flavor', 'R-481670']];
      for (const [prop, rule] of viaParam) {
        if (paramOf(props[prop]) === undefined) errors.push(echo`${where}.properties.${prop}: ${rule}: an OS::Nova::Server ${prop} must be obtained with get_param`);
      }
      if (mentions(props.name, 'vf_module_index')) {
        errors.push(echo`${where}.properties.name: R-55307: vf_module_index must not be used to look up a server name`);
      }
      const name = paramOf(props.name);
      if (name) use.notEnv.set(name, 'R-22838');
      const image = paramOf(props.image);
      if (image) use.env.set(image, 'R-91125');
      const flavor = paramOf(props.flavor);
      if (flavor) use.env.set(flavor, 'R-69431');
      const az = paramOf(props.availability_zone);
      if (az) use.notEnv.set(az, 'R-59568');
      checkAntiAffinity(where, props, resources, base, errors);
    } else if (props.name !== undefined) {
      // R-85734: a non-server name is made unique per VNF instance from vnf_name.
      const sr = asRecord(asRecord(props.name).str_replace);
      if (!('template' in sr) || !mentions(sr.params, 'vnf_name')) {
        errors.push(echo`${where}.properties.name: R-85734: a non-server resource name must be built with str_replace from get_param vnf_name`);
      }
      const named = paramOf(props.name);
      if (named) use.notEnv.set(named, 'R-99812');
    }
    if (type === 'OS::Neutron::Port') {
      if (!PORT_ID.test(rid)) errors.push(echo`${m.file}: port resource ${rid} must be named {vm-type}_{index}_{network-role}_port_{index}`);
      const net = paramOf(props.network);
      if (net) use.notEnv.set(net, 'R-29872');
    }
  }
  return use;
}

/**
 * The VNFD's AntiAffinityRule (scope nfvi_node) for every VDU: each server names a server group
 * with the anti-affinity policy, either in its own module or created by the base module and
 * passed in as a base output (the NF servers live in incremental modules, one per module).
 */
function checkAntiAffinity(where: string, props: Record<string, unknown>, resources: Record<string, unknown>, base: ModuleInfo | undefined, errors: string[]): void {
  const group = asRecord(asRecord(props.scheduler_hints).group);
  let target: { rid: string; resource: Record<string, unknown> } | undefined;
  if (typeof group.get_resource === 'string') {
    target = { rid: group.get_resource, resource: asRecord(resources[group.get_resource]) };
  } else if (typeof group.get_param === 'string' && base) {
    const out = asRecord(asRecord(asRecord(base.doc.outputs)[group.get_param]).value);
    if (typeof out.get_resource === 'string') target = { rid: out.get_resource, resource: asRecord(asRecord(base.doc.resources)[out.get_resource]) };
  }
  if (!target) {
    errors.push(echo`${where}.properties.scheduler_hints.group: the VNFD's AntiAffinityRule needs the server in an OS::Nova::ServerGroup (get_resource, or get_param of a base module output of one)`);
    return;
  }
  const policies = asRecord(target.resource.properties).policies;
  if (target.resource.type !== 'OS::Nova::ServerGroup' || !Array.isArray(policies) || !policies.includes('anti-affinity')) {
    errors.push(echo`${where}.properties.scheduler_hints.group: ${target.rid} must be an OS::Nova::ServerGroup with policies [anti-affinity] (the VNFD's AntiAffinityRule)`);
  }
}
