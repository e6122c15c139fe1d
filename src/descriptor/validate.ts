// Reads a descriptor (YAML), checks it against the JSON Schema and the semantic rules, and
// returns either the typed descriptor or EVERY problem with its dotted field path.
import { readFile } from 'node:fs/promises';
import { Ajv, type ErrorObject } from 'ajv';
import * as ajvFormats from 'ajv-formats';
import { clip, clipMessage } from '../util/echo.js';
import { loadYaml, YamlAliasLimitError, yamlErrorReason } from '../util/safe-yaml.js';
import { descriptorSchema } from './schema.js';
import { semanticIssues } from './semantic.js';
import type { DescriptorIssue, VnfDescriptor } from './types.js';

// ajv-formats ships CJS with `exports.default`; under NodeNext the plugin sits one level down.
const addFormats = ajvFormats.default.default;

const ajv = new Ajv({ allErrors: true, strict: true, discriminator: true, allowUnionTypes: true });
addFormats(ajv);
const validateSchema = ajv.compile(descriptorSchema);

export type DescriptorResult =
  | { ok: true; descriptor: VnfDescriptor }
  | { ok: false; issues: DescriptorIssue[] };

export class DescriptorError extends Error {
  constructor(
    readonly source: string,
    readonly issues: DescriptorIssue[],
  ) {
    super(`${source}: invalid descriptor\n${formatIssues(issues)}`);
    this.name = 'DescriptorError';
  }
}

export function formatIssues(issues: DescriptorIssue[]): string {
  return issues.map((i) => `  ${i.path || '(root)'}: ${i.message}`).join('\n');
}

/** JSON Pointer (`/a/b~1c/0`) to the dotted form operators read (`a.b/c.0`). */
function dotted(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

function join(base: string, leaf: string): string {
  return base ? `${base}.${leaf}` : leaf;
}

function toIssue(e: ErrorObject): DescriptorIssue {
  const base = dotted(e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { path: join(base, String(p.missingProperty)), message: 'is required' };
    case 'additionalProperties':
      return { path: join(base, String(p.additionalProperty)), message: 'is not an allowed field' };
    case 'propertyNames':
      return { path: join(base, String(p.propertyName)), message: 'is not a valid name' };
    case 'enum':
      return { path: base, message: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'discriminator':
      return { path: join(base, 'kind'), message: 'must be one of "external", "vdu", "ramcloud"' };
    default:
      return { path: base, message: e.message ?? e.keyword };
  }
}

/** Validates parsed YAML/JSON. Never throws on bad input. */
export function validateDescriptor(doc: unknown): DescriptorResult {
  const r = check(doc);
  return r.ok ? r : { ok: false, issues: r.issues.map(bounded) };
}

/** Paths hold the document's keys and messages its values: a hostile key must not be echoed whole. */
function bounded(i: DescriptorIssue): DescriptorIssue {
  return { ...i, path: clip(i.path), message: clipMessage(i.message) };
}

function check(doc: unknown): DescriptorResult {
  if (!validateSchema(doc)) {
    const issues = (validateSchema.errors ?? [])
      // propertyNames also reports the nested pattern error with an empty path: keep the clear one.
      .filter((e) => !(e.keyword === 'pattern' && e.propertyName !== undefined))
      .map(toIssue);
    return { ok: false, issues: dedupe([...issues, ...semanticBesides(doc, issues)]) };
  }
  const d = doc as unknown as VnfDescriptor;
  const issues = semanticIssues(d);
  return issues.length ? { ok: false, issues } : { ok: true, descriptor: d };
}

/**
 * Semantic findings on a schema-invalid document, so one run reports every error. Findings in a
 * subtree the schema already rejected are dropped: they would only restate the same fault.
 */
function semanticBesides(doc: unknown, schemaIssues: DescriptorIssue[]): DescriptorIssue[] {
  let found: DescriptorIssue[];
  try {
    found = semanticIssues(doc as VnfDescriptor);
  } catch {
    return []; // the shape is too broken for cross-field rules to mean anything
  }
  const related = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`) || b === '';
  return found.filter((f) => !schemaIssues.some((s) => related(f.path, s.path)));
}

function dedupe(issues: DescriptorIssue[]): DescriptorIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.path}\u0000${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Parses YAML text; a syntax error becomes one issue at the root with its line. */
export function parseDescriptorText(text: string): DescriptorResult {
  let doc: unknown;
  try {
    // JSON_SCHEMA keeps timestamps as strings, so date-time formats are checked as written.
    doc = loadYaml(text, { source: 'descriptor' });
  } catch (err) {
    return { ok: false, issues: [{ path: '', message: err instanceof YamlAliasLimitError ? err.message : `YAML syntax: ${yamlErrorReason(err)}` }] };
  }
  return validateDescriptor(doc);
}

export async function loadDescriptor(file: string): Promise<VnfDescriptor> {
  const r = parseDescriptorText(await readFile(file, 'utf8'));
  if (!r.ok) throw new DescriptorError(file, r.issues);
  return r.descriptor;
}
