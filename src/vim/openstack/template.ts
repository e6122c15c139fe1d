// Reads what the OpenStack VIM needs from a HOT top template — its scaling aspects (which
// AutoScalingGroup, which parameter sets its size, which ScalingPolicies move it, bounds) — and
// builds the stack parameters for an instantiation request. Works for the Tacker BaseHOT shapes:
// v2 (`desired_capacity: {get_param: [nfv, VDU, VDU1, desired_capacity]}`) and v1/flat
// (`desired_capacity: {get_param: vdu_count}`, policies named <aspect>_scale_out / _scale_in).
import { loadYaml, YAML_SCHEMAS, yamlErrorReason } from '../../util/safe-yaml.js';
import { VimRequestError, type InstantiateRequest } from '../types.js';

export interface ScalingPolicyInfo {
  resource: string;
  adjustment: number;
  adjustmentType: string;
}

export interface AspectInfo {
  /** the aspect id (metadata.aspect, the policies' prefix, or the group name) */
  id: string;
  /** the AutoScalingGroup / ResourceGroup resource in the top template */
  group: string;
  groupType: string;
  /** the VDU the group's members realise (its member template, e.g. VDU1.yaml -> VDU1) */
  vdu?: string;
  /** the parameter, or the path into a json parameter, that sets the size */
  sizeParam?: string[];
  min: number;
  max: number;
  scaleOut?: ScalingPolicyInfo;
  scaleIn?: ScalingPolicyInfo;
}

export type Hot = Record<string, unknown> & {
  parameters?: Record<string, { type?: string; default?: unknown }>;
  resources?: Record<string, { type?: string; properties?: Record<string, unknown>; metadata?: Record<string, unknown> }>;
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseHot(template: string | Record<string, unknown>): Hot {
  if (typeof template !== 'string') return template as Hot;
  let doc: unknown;
  try {
    // CORE schema: no timestamps, so heat_template_version: 2018-08-31 stays a string.
    doc = loadYaml(template, { schema: YAML_SCHEMAS.core, source: 'HOT template' });
  } catch (err) {
    throw new VimRequestError(`HOT template is not valid YAML: ${yamlErrorReason(err)}`);
  }
  if (!isRecord(doc) || !('heat_template_version' in doc)) throw new VimRequestError('HOT template: heat_template_version missing');
  return doc as Hot;
}

function paramPath(v: unknown): string[] | undefined {
  if (!isRecord(v) || !('get_param' in v)) return undefined;
  const p = v.get_param;
  if (typeof p === 'string') return [p];
  if (Array.isArray(p) && p.every((x) => typeof x === 'string')) return p as string[];
  return undefined;
}

function resourceRef(v: unknown): string | undefined {
  if (isRecord(v) && typeof v.get_resource === 'string') return v.get_resource;
  return undefined;
}

function num(v: unknown, fallback: number): number {
  return typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : fallback;
}

/** Resolves a literal or a plain get_param (with the parameter's default) to a number. */
function resolveNumber(hot: Hot, v: unknown, fallback: number): number {
  const p = paramPath(v);
  if (p && p.length === 1) return num(hot.parameters?.[p[0]]?.default, fallback);
  return num(v, fallback);
}

export function discoverAspects(hot: Hot): AspectInfo[] {
  const resources = hot.resources ?? {};
  const aspects: AspectInfo[] = [];
  for (const [name, r] of Object.entries(resources)) {
    if (r.type !== 'OS::Heat::AutoScalingGroup' && r.type !== 'OS::Heat::ResourceGroup') continue;
    const props = r.properties ?? {};
    const isAsg = r.type === 'OS::Heat::AutoScalingGroup';
    const member = isAsg ? props.resource : props.resource_def;
    const memberType = isRecord(member) && typeof member.type === 'string' ? member.type : undefined;
    const policies = Object.entries(resources)
      .filter(([, p]) => p.type === 'OS::Heat::ScalingPolicy' && resourceRef(p.properties?.auto_scaling_group_id) === name)
      .map(([pname, p]) => ({
        resource: pname,
        adjustment: resolveNumber(hot, p.properties?.scaling_adjustment, 0),
        adjustmentType: String(p.properties?.adjustment_type ?? 'change_in_capacity'),
      }));
    const scaleOut = policies.find((p) => p.adjustmentType === 'change_in_capacity' && p.adjustment > 0);
    const scaleIn = policies.find((p) => p.adjustmentType === 'change_in_capacity' && p.adjustment < 0);
    const prefix = [scaleOut, scaleIn]
      .map((p) => p && /^(.+)_scale_(out|in)$/.exec(p.resource)?.[1])
      .find((x): x is string => !!x);
    const metaAspect = r.metadata && typeof r.metadata.aspect === 'string' ? r.metadata.aspect : undefined;
    aspects.push({
      id: metaAspect ?? prefix ?? name,
      group: name,
      groupType: r.type,
      vdu: memberType ? memberType.replace(/^.*\//, '').replace(/\.ya?ml$/, '') : undefined,
      sizeParam: paramPath(isAsg ? props.desired_capacity : props.count),
      min: isAsg ? resolveNumber(hot, props.min_size, 0) : 0,
      max: isAsg ? resolveNumber(hot, props.max_size, Number.MAX_SAFE_INTEGER) : Number.MAX_SAFE_INTEGER,
      scaleOut,
      scaleIn,
    });
  }
  return aspects;
}

/** The aspect a name refers to: its id, its group resource or its VDU. */
export function findAspect(aspects: AspectInfo[], name: string): AspectInfo {
  const a = aspects.find((x) => x.id === name) ?? aspects.find((x) => x.group === name) ?? aspects.find((x) => x.vdu === name);
  if (!a) {
    throw new VimRequestError(`unknown aspect "${name}" (aspects: ${aspects.map((x) => x.id).join(', ') || 'none: no scaling group in the template'})`);
  }
  return a;
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (const k of path.slice(0, -1)) {
    if (!isRecord(cur[k])) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[path[path.length - 1]] = value;
}

/** Reads a parameter value as Heat reports it (json parameters come back as JSON text). */
export function parseParamValue(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      return JSON.parse(t) as unknown;
    } catch {
      return v;
    }
  }
  return v;
}

export function getPath(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const k of path) {
    if (!isRecord(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

/**
 * Parameters that set `size` through `sizeParam`, starting from the current values (so a json
 * parameter such as Tacker's `nfv` keeps everything else).
 */
export function sizeParameters(sizeParam: string[], size: number, current: Record<string, unknown>): Record<string, unknown> {
  const [head, ...rest] = sizeParam;
  if (rest.length === 0) return { [head]: size };
  const base = parseParamValue(current[head]);
  const obj: Record<string, unknown> = isRecord(base) ? structuredClone(base) : {};
  setPath(obj, rest, size);
  return { [head]: obj };
}

/** Every get_param reference in the template, as paths (['nfv', 'VDU', 'VDU1', 'desired_capacity']). */
export function paramRefs(node: unknown, out: string[][] = []): string[][] {
  if (Array.isArray(node)) for (const x of node) paramRefs(x, out);
  else if (isRecord(node)) {
    const p = paramPath(node);
    if (p) out.push(p);
    for (const v of Object.values(node)) paramRefs(v, out);
  }
  return out;
}

/**
 * Stack parameters for an instantiation request, only for parameters the template declares.
 * Values go where the template reads them: into Tacker's `nfv` json parameter when the template
 * reads that path (e.g. [nfv, CP, <cpd>, network]), else into a flat parameter.
 */
export function buildParameters(
  hot: Hot,
  req: Pick<InstantiateRequest, 'aspectSizes' | 'extVirtualLinks' | 'vdus' | 'zone' | 'additionalParams'>,
  aspects: AspectInfo[],
  /** the running stack's `nfv` value (an update keeps what it does not change) */
  currentNfv?: unknown,
): Record<string, unknown> {
  const declared = hot.parameters ?? {};
  const params: Record<string, unknown> = {};
  const usesNfv = 'nfv' in declared;
  const refs = paramRefs(hot.resources ?? {}).map((p) => p.join('.'));
  const readsNfv = (...path: string[]) => usesNfv && refs.some((r) => r.startsWith(['nfv', ...path].join('.')));
  const base = isRecord(currentNfv) ? currentNfv : usesNfv && isRecord(declared.nfv.default) ? declared.nfv.default : {};
  const nfv: Record<string, unknown> = structuredClone(base);

  for (const [k, v] of Object.entries(req.additionalParams ?? {})) {
    if (k === 'nfv' && usesNfv && isRecord(v)) Object.assign(nfv, structuredClone(v));
    else if (k in declared) params[k] = v;
  }

  for (const [name, size] of Object.entries(req.aspectSizes ?? {})) {
    const a = findAspect(aspects, name);
    if (!Number.isInteger(size) || size < a.min || size > a.max) {
      throw new VimRequestError(`aspect "${a.id}": size ${size} outside [${a.min}, ${a.max}]`);
    }
    if (!a.sizeParam) throw new VimRequestError(`aspect "${a.id}": the group's size is not a template parameter`);
    const [head, ...rest] = a.sizeParam;
    if (head === 'nfv' && usesNfv) setPath(nfv, rest, size);
    else params[head] = rest.length ? sizeParameters(a.sizeParam, size, params)[head] : size;
  }

  // The grant's placement: Tacker's nfv paths (computeFlavourId, vcImageId, locationConstraints),
  // else flat parameters named <VDU>_<key> or <key>; a template that reads neither keeps its own.
  const zoneNames = ['zone', 'availability_zone'];
  if (req.zone) {
    const name = zoneNames.find((n) => n in declared);
    if (name) params[name] = req.zone;
  }
  for (const [vdu, v] of Object.entries(req.vdus ?? {})) {
    if (readsNfv('VDU', vdu)) {
      if (v.flavor) setPath(nfv, ['VDU', vdu, 'computeFlavourId'], v.flavor);
      if (v.image) setPath(nfv, ['VDU', vdu, 'vcImageId'], v.image);
      if (v.zone ?? req.zone) setPath(nfv, ['VDU', vdu, 'locationConstraints'], v.zone ?? req.zone);
      continue;
    }
    for (const [key, value, names] of [['flavor', v.flavor, ['flavor']], ['image', v.image, ['image']], ['zone', v.zone, zoneNames]] as const) {
      if (!value) continue;
      const name = [...names.map((n) => `${vdu}_${n}`), ...names].find((n) => n in declared);
      if (name) params[name] = value;
    }
  }

  for (const link of req.extVirtualLinks ?? []) {
    for (const cpd of link.cpdIds) {
      if (readsNfv('CP', cpd)) {
        setPath(nfv, ['CP', cpd, 'network'], link.resourceId);
        continue;
      }
      const name = [cpd, `${cpd}_network`, `net_${cpd}`].find((n) => n in declared);
      if (!name) throw new VimRequestError(`extVirtualLinks: the template has no parameter for connection point "${cpd}"`);
      params[name] = link.resourceId;
    }
  }
  if (usesNfv && Object.keys(nfv).length) params.nfv = nfv;
  return params;
}
