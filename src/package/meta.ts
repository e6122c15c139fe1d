// TOSCA-Metadata/TOSCA.meta (TOSCA CSAR block 0 with the SOL004 ETSI-Entry-* keys).
import { echo } from '../util/echo.js';
import { PackageError } from './errors.js';

export const TOSCA_META_PATH = 'TOSCA-Metadata/TOSCA.meta';
export const REQUIRED_META_KEYS = [
  'TOSCA-Meta-File-Version', 'CSAR-Version', 'Created-by', 'Entry-Definitions', 'ETSI-Entry-Manifest', 'ETSI-Entry-Change-Log',
] as const;
/**
 * Keys naming a folder that must hold at least one file. SOL004 lets a package omit them; ONAP's
 * VNF SDK validator does not (it stops at a missing ETSI-Entry-Licenses, and R-04298 wants tests).
 */
export const DIR_META_KEYS: Record<string, string> = {
  'ETSI-Entry-Licenses': 'ONAP VNF SDK: SOL004 licence folder',
  'ETSI-Entry-Tests': 'ONAP VNF SDK R-04298: the VNF provider MUST provide their testing scripts',
};
/** Keys whose value names a file that must exist in the package. */
export const FILE_META_KEYS = ['Entry-Definitions', 'ETSI-Entry-Manifest', 'ETSI-Entry-Change-Log', 'ETSI-Entry-Certificate'];

export function renderToscaMeta(values: Record<string, string>): string {
  return `${Object.entries(values).map(([k, v]) => `${k}: ${v}`).join('\n')}\n`;
}

/** Block 0 only: keys up to the first blank line. */
export function parseToscaMeta(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === '') break;
    const m = /^([A-Za-z][A-Za-z0-9-]*):\s*(.*)$/.exec(line);
    if (!m) throw new PackageError(echo`${TOSCA_META_PATH}: line ${i + 1}: expected 'Key: value', got ${JSON.stringify(line)}`);
    if (m[1] in out) throw new PackageError(echo`${TOSCA_META_PATH}: line ${i + 1}: duplicate key ${m[1]}`);
    out[m[1]] = m[2].trim();
  }
  return out;
}
