// YAML parsing for package validation: one place that turns a file into a plain object or an
// error message naming the file (the alias bound is the shared loader's, src/util/safe-yaml.ts).
import { loadYamlAll, YamlAliasLimitError, yamlErrorReason } from '../util/safe-yaml.js';
import { echo } from '../util/echo.js';

export type YamlDoc = Record<string, unknown>;

export function parseYamlFile(name: string, data: Buffer): { doc?: YamlDoc; error?: string } {
  try {
    // JSON_SCHEMA: dates such as heat_template_version stay strings; no custom tags accepted.
    // VES registrations and PM dictionaries are multi-document streams; templates have one.
    const docs = loadYamlAll(data.toString('utf8'), { source: name }).filter((d) => d !== null);
    if (docs.length === 0) return { error: echo`${name}: empty YAML document` };
    if (docs.some((d) => !isRecord(d))) return { error: echo`${name}: top level is not a mapping` };
    return { doc: docs[0] as YamlDoc };
  } catch (err) {
    const what = err instanceof YamlAliasLimitError ? '' : 'YAML does not parse: ';
    return { error: echo`${name}: ` + what + yamlErrorReason(err) };
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function asRecord(v: unknown): Record<string, unknown> {
  return isRecord(v) ? v : {};
}
