// The product's only YAML reader. js-yaml resolves an alias to a shared reference, so a "billion
// laughs" document loads cheaply but is a graph whose expansion any consumer that walks it (schema
// validation, JSON.stringify, our own checks) pays in full. Every document is walked once after
// loading, counting the nodes reached through aliases, and refused past a bound.
import yaml from 'js-yaml';
import { echo } from './echo.js';

/** Nodes reachable through aliases that one YAML stream may expand to. Real descriptors and
 *  templates use none or a handful; a bomb needs millions. */
export const MAX_ALIAS_NODES = 10_000;

export class YamlAliasLimitError extends Error {
  constructor(
    readonly source: string,
    readonly limit: number,
  ) {
    super(`YAML alias expansion exceeds ${limit} nodes (an alias bomb?); refused`);
    this.name = 'YamlAliasLimitError';
  }
}

export interface SafeYamlOptions {
  /** js-yaml schema; JSON_SCHEMA unless the format needs more (Heat: CORE, clouds.yaml: DEFAULT). */
  schema?: yaml.Schema;
  /** Named in parse errors and in the alias-limit error. */
  source?: string;
  maxAliasNodes?: number;
}

/** Throws YamlAliasLimitError (its message leaves naming the file to the caller, like js-yaml's own errors) when the nodes reached through aliases pass `limit`. */
export function checkAliasExpansion(docs: unknown[], source: string, limit = MAX_ALIAS_NODES): void {
  // An object seen a second time was reached through an alias: everything under it counts.
  // Explicit stack: nesting depth must not become our recursion depth.
  const seen = new Set<object>();
  const stack: Array<[unknown, boolean]> = docs.map((d) => [d, false]);
  let reached = 0;
  while (stack.length > 0) {
    const [v, under] = stack.pop()!;
    let viaAlias = under;
    if (v !== null && typeof v === 'object') {
      if (seen.has(v)) viaAlias = true;
      else seen.add(v);
      if (viaAlias && ++reached > limit) throw new YamlAliasLimitError(source, limit);
      for (const child of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) stack.push([child, viaAlias]);
    } else if (viaAlias && ++reached > limit) {
      throw new YamlAliasLimitError(source, limit);
    }
  }
}

/** Every document of a YAML stream (js-yaml's YAMLException on a syntax error). */
export function loadYamlAll(text: string, opts: SafeYamlOptions = {}): unknown[] {
  const source = opts.source ?? 'YAML';
  const docs: unknown[] = [];
  yaml.loadAll(text, (d) => docs.push(d), { schema: opts.schema ?? yaml.JSON_SCHEMA, filename: source });
  checkAliasExpansion(docs, source, opts.maxAliasNodes);
  return docs;
}

/** A single-document YAML text (js-yaml refuses a stream of several). */
export function loadYaml(text: string, opts: SafeYamlOptions = {}): unknown {
  const source = opts.source ?? 'YAML';
  const doc = yaml.load(text, { schema: opts.schema ?? yaml.JSON_SCHEMA, filename: source });
  checkAliasExpansion([doc], source, opts.maxAliasNodes);
  return doc;
}

/** What to tell the reader about a failed load: the alias-limit message, or js-yaml's reason with its
 *  position (its message's first line), the echoed parts clipped. */
export function yamlErrorReason(err: unknown): string {
  if (err instanceof YamlAliasLimitError) return err.message;
  const e = err as { reason?: string; mark?: { line: number; column: number }; message?: string };
  const where = e.mark ? ` at line ${e.mark.line + 1}, column ${e.mark.column + 1}` : '';
  return e.reason !== undefined ? echo`${e.reason}` + where : echo`${String(e.message ?? err).split('\n')[0]}`;
}

export const YAML_SCHEMAS = { json: yaml.JSON_SCHEMA, core: yaml.CORE_SCHEMA, default: yaml.DEFAULT_SCHEMA } as const;
