// SOL004 manifest (.mf): the metadata block, one Source/Algorithm/Hash block per artifact, the
// ONAP non-MANO artifact sets, and optionally a CMS signature appended in PEM form.
import { echo } from '../util/echo.js';
import { createHash } from 'node:crypto';
import { PackageError } from './errors.js';

export const MANIFEST_METADATA_KEYS = ['vnf_provider_id', 'vnf_product_name', 'vnf_release_date_time', 'vnf_package_version'] as const;
export type ManifestMetadata = Record<(typeof MANIFEST_METADATA_KEYS)[number], string> & Record<string, string>;

export interface ManifestEntry {
  source: string;
  algorithm: string;
  hash: string;
}

export interface Manifest {
  metadata: Record<string, string>;
  entries: ManifestEntry[];
  nonManoSets: Record<string, string[]>;
  /** The manifest text the signature covers (everything before the CMS block). */
  signedText: string;
  /** PEM CMS signature, when the manifest is signed. */
  signature?: string;
}

export const CMS_BEGIN = '-----BEGIN CMS-----';

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function renderManifest(metadata: ManifestMetadata, files: Map<string, Buffer>, nonManoSets: Record<string, string[]>): string {
  const lines = ['metadata:'];
  for (const k of MANIFEST_METADATA_KEYS) lines.push(`${k}: ${metadata[k]}`);
  for (const [k, v] of Object.entries(metadata)) if (!(MANIFEST_METADATA_KEYS as readonly string[]).includes(k)) lines.push(`${k}: ${v}`);
  for (const name of [...files.keys()].sort()) {
    lines.push('', `Source: ${name}`, 'Algorithm: SHA-256', `Hash: ${sha256Hex(files.get(name)!)}`);
  }
  const sets = Object.entries(nonManoSets);
  if (sets.length) {
    lines.push('', 'non_mano_artifact_sets:');
    for (const [set, sources] of sets) {
      lines.push(`    ${set}:`);
      for (const s of sources) lines.push(`        Source: ${s}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Appends a PEM CMS signature after a blank line (SOL004 signature embedded in the manifest). */
export function appendSignature(manifest: string, pem: string): string {
  return `${manifest}\n${pem.trim()}\n`;
}

export function parseManifest(text: string, where = 'manifest'): Manifest {
  const cut = text.indexOf(CMS_BEGIN);
  // The signed content is the manifest up to the blank line appendSignature put before the CMS.
  const signedText = cut >= 0 ? text.slice(0, cut).replace(/\n$/, '') : text;
  const signature = cut >= 0 ? text.slice(cut).trim() : undefined;
  const lines = signedText.split(/\r?\n/);
  const metadata: Record<string, string> = {};
  const entries: ManifestEntry[] = [];
  const nonManoSets: Record<string, string[]> = {};
  let section: 'start' | 'metadata' | 'artifacts' | 'nonmano' = 'start';
  let current: Partial<ManifestEntry> | undefined;
  let currentSet: string | undefined;
  const flush = (lineNo: number) => {
    if (!current) return;
    if (!current.algorithm || !current.hash) {
      throw new PackageError(echo`${where}: line ${lineNo}: Source '${current.source}' lacks Algorithm or Hash`);
    }
    entries.push(current as ManifestEntry);
    current = undefined;
  };
  lines.forEach((line, i) => {
    const n = i + 1;
    if (line.trim() === '' || line.trim().startsWith('#')) return;
    const m = /^(\s*)([A-Za-z_][A-Za-z0-9_-]*):\s*(.*)$/.exec(line);
    if (!m) throw new PackageError(echo`${where}: line ${n}: expected 'key: value', got ${JSON.stringify(line)}`);
    const [, indent, key, value] = m;
    if (key === 'metadata' && value === '' && section === 'start') {
      section = 'metadata';
      return;
    }
    if (key === 'non_mano_artifact_sets' && value === '') {
      flush(n);
      section = 'nonmano';
      return;
    }
    if (section === 'nonmano') {
      if (key === 'Source' && currentSet) nonManoSets[currentSet].push(value.trim());
      else if (value === '' && indent.length > 0) {
        currentSet = key;
        nonManoSets[key] = [];
      } else throw new PackageError(echo`${where}: line ${n}: unexpected ${JSON.stringify(line)} in non_mano_artifact_sets`);
      return;
    }
    if (key === 'Source') {
      flush(n);
      section = 'artifacts';
      current = { source: value.trim() };
      return;
    }
    if (section === 'metadata') {
      metadata[key] = value.trim();
      return;
    }
    if (section === 'artifacts' && current && (key === 'Algorithm' || key === 'Hash')) {
      if (key === 'Algorithm') current.algorithm = value.trim();
      else current.hash = value.trim();
      return;
    }
    throw new PackageError(echo`${where}: line ${n}: unexpected ${JSON.stringify(line)}`);
  });
  flush(lines.length);
  return { metadata, entries, nonManoSets, signedText, ...(signature ? { signature } : {}) };
}
