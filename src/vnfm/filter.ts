// SOL013 clause 5.2 attribute-based filtering: "(op,attr[,value]*)" terms joined by ";", all of
// which must match. Attribute names are paths ("instantiatedVnfInfo/flavourId"); a path through
// an array matches when any element does. Values are compared as strings, numbers when both
// sides are numeric.
import { badRequest } from './problem.js';

type Op = 'eq' | 'neq' | 'in' | 'nin' | 'gt' | 'gte' | 'lt' | 'lte' | 'cont' | 'ncont';
const OPS = new Set<Op>(['eq', 'neq', 'in', 'nin', 'gt', 'gte', 'lt', 'lte', 'cont', 'ncont']);

export interface Term {
  op: Op;
  path: string[];
  values: string[];
}

/** Splits on commas outside single quotes; 'a,b' keeps its comma, '' is a literal quote. */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "'") {
      if (quoted && s[i + 1] === "'") {
        cur += "'";
        i++;
      } else quoted = !quoted;
    } else if (c === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (quoted) throw badRequest(`filter: unbalanced quote in "${s}"`);
  out.push(cur);
  return out;
}

export function parseFilter(text: string): Term[] {
  const terms: Term[] = [];
  for (const raw of text.split(/;(?=\()/)) {
    const m = /^\((.*)\)$/s.exec(raw.trim());
    if (!m) throw badRequest(`filter: "${raw}" is not "(op,attribute,value)"`);
    const [op, attr, ...values] = splitArgs(m[1]);
    if (!OPS.has(op as Op)) throw badRequest(`filter: unknown operator "${op}" (use ${[...OPS].join(', ')})`);
    if (!attr || !/^[A-Za-z0-9_/.]+$/.test(attr)) throw badRequest(`filter: bad attribute name "${attr ?? ''}"`);
    if (values.length === 0) throw badRequest(`filter: "${raw}" has no value`);
    terms.push({ op: op as Op, path: attr.split('/'), values });
  }
  return terms;
}

function leaves(v: unknown, path: string[]): unknown[] {
  if (Array.isArray(v)) return v.flatMap((x) => leaves(x, path));
  if (path.length === 0) return [v];
  if (v === null || typeof v !== 'object') return [];
  return leaves((v as Record<string, unknown>)[path[0]], path.slice(1));
}

function cmp(a: unknown, b: string): number {
  const an = Number(a);
  const bn = Number(b);
  if (typeof a !== 'string' && Number.isFinite(an) && Number.isFinite(bn)) return an - bn;
  const as = String(a);
  return as < b ? -1 : as > b ? 1 : 0;
}

function one(t: Term, v: unknown): boolean {
  switch (t.op) {
    case 'eq':
    case 'in':
      return t.values.some((x) => cmp(v, x) === 0);
    case 'neq':
    case 'nin':
      return t.values.every((x) => cmp(v, x) !== 0);
    case 'gt':
      return cmp(v, t.values[0]) > 0;
    case 'gte':
      return cmp(v, t.values[0]) >= 0;
    case 'lt':
      return cmp(v, t.values[0]) < 0;
    case 'lte':
      return cmp(v, t.values[0]) <= 0;
    case 'cont':
      return t.values.some((x) => String(v).includes(x));
    case 'ncont':
      return t.values.every((x) => !String(v).includes(x));
  }
}

export function matchFilter(terms: Term[], obj: unknown): boolean {
  return terms.every((t) => {
    const vals = leaves(obj, t.path).filter((x) => x !== undefined);
    // An absent attribute matches only the negative operators.
    if (vals.length === 0) return t.op === 'neq' || t.op === 'nin' || t.op === 'ncont';
    return t.op === 'neq' || t.op === 'nin' || t.op === 'ncont' ? vals.every((x) => one(t, x)) : vals.some((x) => one(t, x));
  });
}
