// `snf package upload FILE --tacker`: onboards a SOL004 CSAR to Tacker's vnfpkgm API and waits
// until it is ONBOARDED, printing progress on stderr and the package id on stdout (so scripts can
// capture it). Credentials come from clouds.yaml / OS_* (--os-cloud picks a cloud); --tacker-url
// talks to a Tacker without Keystone. A package whose upload or processing fails is deleted
// again, so a failed upload leaves nothing behind.
import { readFileSync, statSync } from 'node:fs';
import { Session, TackerClient, OpenStackConfigError, type VnfPkgInfo } from '../../openstack/index.js';
import { PackageError } from '../../package/errors.js';
import { validatePackageBuffer } from '../../package/validate.js';
import { vnfdIdOf } from '../../package/validate-tacker.js';
import { readZipSafe } from '../../package/zip.js';

const USAGE = `usage: snf package upload FILE --tacker [options]
  --os-cloud NAME        cloud from clouds.yaml (default: $OS_CLOUD or OS_* variables)
  --tacker-url URL       Tacker endpoint without Keystone (noauth)
  --user-data KEY=VALUE  userDefinedData of the package (repeatable)
  --timeout SECONDS      give up waiting for ONBOARDED after this long (default 600)
  --poll SECONDS         status poll interval (default 2)
  --keep-failed          do not delete a package whose onboarding failed`;

interface UploadArgs {
  file: string;
  cloud?: string;
  tackerUrl?: string;
  userData: Record<string, string>;
  timeoutMs: number;
  pollMs: number;
  keepFailed: boolean;
}

function parse(args: string[]): UploadArgs | string {
  const out: UploadArgs = { file: '', userData: {}, timeoutMs: 600_000, pollMs: 2000, keepFailed: false };
  let tacker = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = (): string => {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value`);
      return v;
    };
    try {
      if (a === '--tacker') tacker = true;
      else if (a === '--os-cloud') out.cloud = value();
      else if (a === '--tacker-url') out.tackerUrl = value();
      else if (a === '--keep-failed') out.keepFailed = true;
      else if (a === '--user-data') {
        const kv = value();
        const eq = kv.indexOf('=');
        if (eq <= 0) return `--user-data expects KEY=VALUE, got "${kv}"`;
        out.userData[kv.slice(0, eq)] = kv.slice(eq + 1);
      } else if (a === '--timeout' || a === '--poll') {
        const n = Number(value());
        if (!Number.isFinite(n) || n <= 0) return `${a} expects a positive number of seconds`;
        if (a === '--timeout') out.timeoutMs = n * 1000;
        else out.pollMs = n * 1000;
      } else if (a === '-h' || a === '--help') return '';
      else if (a.startsWith('-')) return `unknown option ${a}`;
      else if (!out.file) out.file = a;
      else return `unexpected argument "${a}"`;
    } catch (err) {
      return (err as Error).message;
    }
  }
  if (!out.file) return 'FILE is required';
  if (!tacker) return 'say where to upload: --tacker (Tacker vnfpkgm) is the supported target';
  return out;
}

function mib(n: number): string {
  return `${(n / 1048576).toFixed(n < 1048576 ? 2 : 1)} MiB`;
}

export async function runUpload(args: string[]): Promise<number> {
  const parsed = parse(args);
  if (typeof parsed === 'string') {
    if (parsed) console.error(`snf package upload: ${parsed}`);
    console.error(USAGE);
    return parsed ? 2 : 0;
  }
  const log = (msg: string) => console.error(`snf package upload: ${msg}`);

  // Check the file before touching Tacker: a bad file must not leave an empty package behind.
  let csar: Buffer;
  try {
    if (!statSync(parsed.file).isFile()) throw new Error('not a regular file');
    csar = readFileSync(parsed.file);
  } catch (err) {
    log(`${parsed.file}: cannot read: ${(err as Error).message}`);
    return 1;
  }
  if (csar.length < 4 || csar.readUInt32LE(0) !== 0x04034b50) {
    log(`${parsed.file}: not a CSAR (a CSAR is a zip file; this one does not start with a zip header)`);
    return 1;
  }

  // Tacker reports why it refused a package only in its conductor's log, and leaves it CREATED:
  // check what we can here first, so that the operator reads the reason and Tacker keeps nothing.
  let vnfdId: string | undefined;
  try {
    const report = await validatePackageBuffer(csar);
    if (report.format !== 'csar') {
      log(`${parsed.file}: an ONAP Heat package, not a SOL004 CSAR (onboard it in ONAP SDC)`);
      return 1;
    }
    if (report.errors.length) {
      log(`${parsed.file}: not uploaded, the package is invalid (${report.errors.length} error(s)):\n${report.errors.map((e) => `  ${e}`).join('\n')}`);
      return 1;
    }
    vnfdId = vnfdIdOf(await readZipSafe(csar));
  } catch (err) {
    if (!(err instanceof PackageError)) throw err;
    log(`${parsed.file}: not uploaded: ${err.message}`);
    return 1;
  }

  let tacker: TackerClient;
  try {
    const session = parsed.tackerUrl ? Session.noauth({ nfv_orchestration: parsed.tackerUrl }) : Session.fromEnvironment({ cloud: parsed.cloud });
    tacker = new TackerClient(session);
  } catch (err) {
    log(err instanceof OpenStackConfigError ? err.message : String(err));
    return 1;
  }

  let pkg: VnfPkgInfo | undefined;
  const started = Date.now();
  try {
    // Tacker keeps one package per VNFD id and refuses a second silently (VnfPackageVnfdIdDuplicate
    // in its log). Each build has its own id, so a match is this very build.
    const same = vnfdId ? (await tacker.listPackages()).find((p) => p.vnfdId === vnfdId) : undefined;
    if (same) {
      log(`${parsed.file} is already onboarded as package ${same.id} (VNFD ${vnfdId}, ${same.onboardingState}): Tacker keeps one package per VNFD id. Use that package, delete it first, or rebuild (another image or template gives another VNFD id)`);
      return 1;
    }
    pkg = await tacker.createPackage(parsed.userData);
    log(`package ${pkg.id}: ${pkg.onboardingState}`);
    log(`uploading ${parsed.file} (${mib(csar.length)})`);
    await tacker.uploadPackageContent(pkg.id, csar);
    const id = pkg.id;
    const done = await tacker.waitOnboarded(id, {
      timeoutMs: parsed.timeoutMs,
      pollMs: parsed.pollMs,
      onState: (p) => log(`package ${id}: ${p.onboardingState} (${((Date.now() - started) / 1000).toFixed(1)} s)`),
    });
    log(`onboarded: vnfd ${done.vnfdId ?? '?'} ${done.vnfProductName ?? ''} ${done.vnfSoftwareVersion ?? ''}`.trimEnd());
    console.log(done.id);
    return 0;
  } catch (err) {
    log(`failed: ${(err as Error).message}`);
    if (pkg && !parsed.keepFailed) {
      try {
        await tacker.deletePackage(pkg.id);
        log(`deleted the half-onboarded package ${pkg.id}`);
      } catch (delErr) {
        log(`could not delete package ${pkg.id}: ${(delErr as Error).message}`);
      }
    }
    return 1;
  }
}
