// YAML parsing for package validation: one place that turns a file into a plain object or an
// error message naming the file.
import yaml from 'js-yaml';

export type YamlDoc = Record<string, unknown>;

export function parseYamlFile(name: string, data: Buffer): { doc?: YamlDoc; error?: string } {
  try {
    // JSON_SCHEMA: dates such as heat_template_version stay strings; no custom tags accepted.
    // VES registrations and PM dictionaries are multi-document streams; templates have one.
    const docs = yaml.loadAll(data.toString('utf8'), undefined, { schema: yaml.JSON_SCHEMA, filename: name }).filter((d) => d !== null);
    if (docs.length === 0) return { error: `${name}: empty YAML document` };
    if (docs.some((d) => !isRecord(d))) return { error: `${name}: top level is not a mapping` };
    return { doc: docs[0] as YamlDoc };
  } catch (err) {
    return { error: `${name}: YAML does not parse: ${(err as Error).message.split('\n')[0]}` };
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function asRecord(v: unknown): Record<string, unknown> {
  return isRecord(v) ? v : {};
}
