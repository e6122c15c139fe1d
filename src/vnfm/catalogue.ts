// The VNFDs a VNFM knows, learnt from onboarded packages rather than typed by hand: a SOL004 CSAR
// built by `snf package build` passes our own package validator, then its VNFD id, flavours,
// instantiation levels, scaling aspects and BaseHOT are read off the product descriptor the
// package was built from (Files/snf/<name>_descriptor.yaml, covered by the manifest digests), so
// the package is the one source of truth. Sources: a packages folder read at start, and an NFVO's
// SOL003 VNF package management API asked on a create with an unknown vnfdId.
import { readdir, readFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { parseDescriptorText, formatIssues } from '../descriptor/validate.js';
import type { VnfDescriptor } from '../descriptor/types.js';
import { ASPECT, NF_VDU, flavourIds } from '../package/model.js';
import { hotFileNames } from '../package/heat-tacker.js';
import { validatePackageBuffer } from '../package/validate.js';
import { readZipSafe, DEFAULT_LIMITS, type FileMap } from '../package/zip.js';
import type { HotArtifacts } from '../vim/types.js';
import type { FlavourInfo, VnfdInfo } from './types.js';

/** A package refused: every reason the validator (or the descriptor check) gave. */
export class PackageRefused extends Error {
  constructor(
    readonly source: string,
    readonly reasons: string[],
  ) {
    super(`${source}: package refused: ${reasons.join('; ')}`);
    this.name = 'PackageRefused';
  }
}

export interface PackageApiConfig {
  /** base URL of the NFVO's API root, e.g. https://nfvo.example:9890 */
  url: string;
  /** the Authorization header value sent as is (e.g. "Bearer ...", "Basic ...") */
  authorization?: string;
}

const DESCRIPTOR_FILE = /^Files\/snf\/[^/]+_descriptor\.yaml$/;

function flavourInfo(d: VnfDescriptor, id: string): FlavourInfo {
  const f = d.flavours[id];
  const a = f.scaling.nf_instances;
  const level = (n: number) => (n - a.min) / a.delta;
  return {
    aspects: { [ASPECT]: { vduId: NF_VDU, minInstances: a.min, maxScaleLevel: level(a.max), step: a.delta } },
    instantiationLevels: Object.fromEntries(Object.entries(f.instantiationLevels.levels).map(([l, v]) => [l, { [ASPECT]: level(v.nf_instances) }])),
    defaultInstantiationLevelId: f.instantiationLevels.default,
  };
}

/**
 * The flavour's BaseHOT as the OpenStack VIM takes it: the top template, and the nested templates
 * keyed by file name, the name the top template's groups use (`type: nf.yaml`), as Tacker v2's
 * get_base_hot hands BaseHOT/<flavour>/nested/* to Heat. Keyed `nested/nf.yaml`, Heat could not
 * find a member template ("Could not fetch remote template").
 */
export function hotOf(files: FileMap, d: VnfDescriptor, flavourId: string): HotArtifacts | undefined {
  const top = files.get(hotFileNames.top(d, flavourId));
  if (!top) return undefined;
  const dir = `BaseHOT/${flavourId}/nested/`;
  const nested: Record<string, string> = {};
  for (const [path, body] of files) {
    if (path.startsWith(dir) && !path.slice(dir.length).includes('/')) nested[path.slice(dir.length)] = body.toString('utf8');
  }
  return { template: top.toString('utf8'), files: nested };
}

/** Validates a package and reads its VNFD; refuses (PackageRefused) with the validator's reasons. */
export async function vnfdFromPackage(buf: Buffer, source: string, vnfPkgId?: string): Promise<VnfdInfo> {
  let report;
  try {
    report = await validatePackageBuffer(buf);
  } catch (err) {
    throw new PackageRefused(source, [(err as Error).message]);
  }
  if (report.format !== 'csar') throw new PackageRefused(source, ['an ONAP Heat package carries no SOL001 VNFD: onboard the SOL004 CSAR (snf package build --format csar)']);
  if (report.errors.length) throw new PackageRefused(source, report.errors);
  const files = await readZipSafe(buf, DEFAULT_LIMITS);
  const named = [...files.keys()].filter((p) => DESCRIPTOR_FILE.test(p));
  if (named.length !== 1) throw new PackageRefused(source, [`Files/snf/: expected one <name>_descriptor.yaml (the descriptor the package was built from), found ${named.length}`]);
  const parsed = parseDescriptorText(files.get(named[0])!.toString('utf8'));
  if (!parsed.ok) throw new PackageRefused(source, [`${named[0]}: invalid descriptor\n${formatIssues(parsed.issues)}`]);
  const d = parsed.descriptor;
  const artifacts: NonNullable<VnfdInfo['artifacts']> = {};
  for (const id of flavourIds(d)) {
    const hot = hotOf(files, d, id);
    if (hot) artifacts[id] = { hot };
  }
  return {
    vnfdId: d.descriptorId,
    vnfProvider: d.provider,
    vnfProductName: d.productName,
    vnfSoftwareVersion: d.softwareVersion,
    vnfdVersion: d.descriptorVersion,
    vnfPkgId: vnfPkgId ?? d.descriptorId,
    flavours: Object.fromEntries(flavourIds(d).map((id) => [id, flavourInfo(d, id)])),
    artifacts,
  };
}

const PACKAGE_FILE = /\.(csar|zip)$/i;

/** Every *.csar / *.zip of a folder; a bad one is reported through `log` and skipped, never fatal. */
export async function loadPackagesDir(dir: string, log: (m: string) => void): Promise<VnfdInfo[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => PACKAGE_FILE.test(n)).sort();
  } catch (err) {
    log(`vnfm: packagesDir ${dir}: ${(err as Error).message}; no package loaded from it`);
    return [];
  }
  const out: VnfdInfo[] = [];
  for (const n of names) {
    const path = join(dir, n);
    try {
      const v = await vnfdFromPackage(await readFile(path), path);
      if (out.some((x) => x.vnfdId === v.vnfdId)) {
        log(`vnfm: ${path}: VNFD ${v.vnfdId} already loaded from another file; skipped`);
        continue;
      }
      out.push(v);
      log(`vnfm: VNFD ${v.vnfdId} (${v.vnfProductName} ${v.vnfSoftwareVersion}) loaded from ${path}`);
    } catch (err) {
      log(`vnfm: ${(err as Error).message}; skipped`);
    }
  }
  return out;
}

/**
 * Merges hand-typed VNFDs (vnfm.json "vnfds", the fallback) with packaged ones. The same vnfdId
 * from both is refused: two descriptions of one id would make the running VNFM's answer depend on
 * load order, and a package's id names its exact content, so a hand copy can only drift from it.
 */
export function mergeCatalogue(typed: VnfdInfo[], packaged: VnfdInfo[]): VnfdInfo[] {
  const clash = packaged.filter((p) => typed.some((t) => t.vnfdId === p.vnfdId)).map((p) => p.vnfdId);
  if (clash.length) throw new Error(`vnfds: ${clash.map((c) => `"${c}"`).join(', ')} both typed in the config and onboarded as a package: remove the typed entry (the package is the source of truth)`);
  return [...typed, ...packaged];
}

/** Writes a package into the folder under its vnfdId (complete or not at all). */
export async function storePackage(dir: string, vnfdId: string, buf: Buffer): Promise<string> {
  await mkdir(dir, { recursive: true });
  const target = join(dir, `${vnfdId}.csar`);
  const tmp = `${target}.partial-${process.pid}-${randomUUID()}`;
  try {
    await writeFile(tmp, buf);
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return target;
}

/**
 * Fetches a VNFD an NFVO onboarded: SOL003 VNF package management, GET
 * /vnfpkgm/v2/onboarded_vnf_packages/{vnfdId}/package_content (the whole package, so the manifest
 * digests are checked here too; the bare /vnfd endpoint has no manifest). Cached in packagesDir
 * when there is one, so it survives a restart.
 */
export async function fetchFromNfvo(api: PackageApiConfig, vnfdId: string, cacheDir: string | undefined, log: (m: string) => void): Promise<VnfdInfo> {
  const url = `${api.url.replace(/\/+$/, '')}/vnfpkgm/v2/onboarded_vnf_packages/${encodeURIComponent(vnfdId)}/package_content`;
  const headers: Record<string, string> = { accept: 'application/zip', version: '2.1.0' };
  if (api.authorization) headers.authorization = api.authorization;
  const r = await fetch(url, { headers, signal: AbortSignal.timeout(60_000) });
  if (r.status === 404) throw new PackageRefused(url, [`the NFVO has no onboarded package with vnfdId "${vnfdId}"`]);
  if (!r.ok) throw new PackageRefused(url, [`the NFVO answered ${r.status}`]);
  const len = Number(r.headers.get('content-length') ?? 0);
  if (len > DEFAULT_LIMITS.maxTotalBytes) throw new PackageRefused(url, [`package is ${len} bytes, over the ${DEFAULT_LIMITS.maxTotalBytes}-byte limit`]);
  const buf = Buffer.from(await r.arrayBuffer());
  const v = await vnfdFromPackage(buf, url);
  if (v.vnfdId !== vnfdId) throw new PackageRefused(url, [`asked for vnfdId "${vnfdId}", the package carries "${v.vnfdId}"`]);
  if (cacheDir) log(`vnfm: VNFD ${vnfdId} fetched from the NFVO, cached as ${await storePackage(cacheDir, vnfdId, buf)}`);
  else log(`vnfm: VNFD ${vnfdId} fetched from the NFVO (no packagesDir: not kept across a restart)`);
  return v;
}
