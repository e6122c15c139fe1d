// SOL013 clause 5.3 attribute selectors on GET of a list: all_fields, fields, exclude_fields,
// exclude_default. SOL003 5.4.2.3.2 and 5.4.12.3.2 make exclude_default the behaviour when no
// selector is given, and name the complex attributes it leaves out.
import { badRequest } from './problem.js';
import { setOwn } from './own.js';

type Json = Record<string, unknown>;

/** The attributes exclude_default leaves out, per list (SOL003 v3.3.1). */
export const EXCLUDED_BY_DEFAULT: Record<'vnfInstances' | 'opOccs', string[][]> = {
  vnfInstances: [['vnfConfigurableProperties'], ['vimConnectionInfo'], ['instantiatedVnfInfo'], ['metadata'], ['extensions']],
  // SOL003 also lists changedInfo; the bundled document's VnfLcmOpOcc requires it (oneOf) on a
  // MODIFY_INFO occurrence, and a response that fails the document fails ONAP's validators, so it stays.
  opOccs: [['operationParams'], ['error'], ['resourceChanges'], ['changedExtConnectivity']],
};

export type Selector = (x: Json) => Json;

function paths(name: string, v: string): string[][] {
  const list = v.split(',').map((p) => p.trim());
  for (const p of list) if (!/^[A-Za-z0-9_]+(\/[A-Za-z0-9_]+)*$/.test(p)) throw badRequest(`${name}: "${p}" is not an attribute name or a "/"-separated path`);
  return list.map((p) => p.split('/'));
}

function remove(o: unknown, path: string[]): void {
  if (Array.isArray(o)) return o.forEach((x) => remove(x, path));
  if (!o || typeof o !== 'object') return;
  const rec = o as Json;
  if (path.length === 1) delete rec[path[0]];
  else if (Object.hasOwn(rec, path[0])) remove(rec[path[0]], path.slice(1));
}

/** Copies `path` from `full` into `out` (arrays keep their elements, each with the path). */
function copy(full: unknown, out: unknown, path: string[]): void {
  if (!full || typeof full !== 'object' || !out || typeof out !== 'object') return;
  if (Array.isArray(full)) {
    if (Array.isArray(out)) full.forEach((x, i) => copy(x, out[i], path));
    return;
  }
  const f = full as Json;
  const o = out as Json;
  if (!Object.hasOwn(f, path[0])) return;
  if (path.length === 1) return setOwn(o, path[0], structuredClone(f[path[0]]));
  if (!Object.hasOwn(o, path[0])) setOwn(o, path[0], Array.isArray(f[path[0]]) ? (f[path[0]] as unknown[]).map(() => ({})) : {});
  copy(f[path[0]], o[path[0]], path.slice(1));
}

/** The selector a list request's query asks for; 400 on a combination SOL013 does not allow. */
export function parseSelector(q: URLSearchParams, defaults: string[][]): Selector {
  for (const k of ['all_fields', 'fields', 'exclude_fields', 'exclude_default']) {
    if (q.getAll(k).length > 1) throw badRequest(`${k}: given more than once`);
  }
  const all = q.has('all_fields');
  const fields = q.get('fields');
  const exclude = q.get('exclude_fields');
  const exDefault = q.has('exclude_default');
  if (all && (fields !== null || exclude !== null || exDefault)) throw badRequest('all_fields: cannot be combined with fields, exclude_fields or exclude_default');
  if (fields !== null && exclude !== null) throw badRequest('fields, exclude_fields: give one of them');
  if (exclude !== null && exDefault) throw badRequest('exclude_fields, exclude_default: give one of them');
  if (all) return (x) => x;
  if (exclude !== null) {
    const ps = paths('exclude_fields', exclude);
    return (x) => {
      const out = structuredClone(x);
      for (const p of ps) remove(out, p);
      return out;
    };
  }
  // exclude_default, alone, with fields, or implied by no selector at all
  const add = fields !== null ? paths('fields', fields) : [];
  return (x) => {
    const out = structuredClone(x);
    for (const p of defaults) remove(out, p);
    for (const p of add) copy(x, out, p);
    return out;
  };
}
