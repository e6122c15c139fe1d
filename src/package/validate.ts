// `snf package validate`: reads the archive safely, recognises CSAR vs ONAP Heat package, and
// runs the matching checks. Hostile archives throw PackageError before any content check.
import { echo } from '../util/echo.js';
import { readFile, stat } from 'node:fs/promises';
import { PackageError } from './errors.js';
import { TOSCA_META_PATH } from './meta.js';
import { validateCsar, type CsarValidateOptions, type ValidationReport } from './validate-csar.js';
import { validateOnap } from './validate-onap.js';
import { DEFAULT_LIMITS, readZipSafe, type ZipLimits } from './zip.js';

export type { ValidationReport } from './validate-csar.js';

export interface ValidateOptions extends CsarValidateOptions {
  limits?: ZipLimits;
}

export async function validatePackageBuffer(buf: Buffer, opts: ValidateOptions = {}): Promise<ValidationReport> {
  const files = await readZipSafe(buf, opts.limits ?? DEFAULT_LIMITS);
  if (files.has(TOSCA_META_PATH)) return validateCsar(files, opts);
  if (files.has('MANIFEST.json')) return validateOnap(files);
  throw new PackageError(echo`neither a SOL004 CSAR (${TOSCA_META_PATH}) nor an ONAP Heat package (MANIFEST.json)`);
}

export async function validatePackageFile(path: string, opts: ValidateOptions = {}): Promise<ValidationReport> {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const st = await stat(path);
  if (!st.isFile()) throw new PackageError(echo`${path} is not a regular file`);
  if (st.size > limits.maxTotalBytes) throw new PackageError(echo`${path} is ${st.size} bytes, over the ${limits.maxTotalBytes}-byte limit`);
  return validatePackageBuffer(await readFile(path), opts);
}
