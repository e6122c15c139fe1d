// `snf package build|validate|upload`: SOL004 CSARs for Tacker and ONAP Heat packages for SDC,
// generated from vnf-descriptors/*.yaml.
import { echo } from '../../util/echo.js';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from '../main.js';
import { DescriptorError, loadDescriptor } from '../../descriptor/validate.js';
import { buildPackage, type PackageFormat } from '../../package/build.js';
import { PackageError } from '../../package/errors.js';
import { validatePackageFile } from '../../package/validate.js';
import { describeImage, readImageFacts, type ImageFacts } from '../../package/image-facts.js';
import type { ImageSet } from '../../package/tosca.js';
import type { VnfDescriptor } from '../../descriptor/types.js';
import { findBuiltImage } from '../../image/index.js';

const usage = `usage:
  snf package build DESCRIPTOR [-o DIR] [--format csar|onap-heat] [--flavour ID]
                    [--image [KEY=]FILE ...] [--with-image] [--sign-key KEY.pem --sign-cert CERT.pem]
      --image  the VM image file (qcow2 or raw) whose SHA-256, size and virtual size the VNFD
               declares; FILE alone serves every image of the descriptor, KEY=FILE one of them.
               Default: the image \`snf image build\` made from this checkout, if there is one.
               CSARs need an image; ONAP Heat packages name the image only.
      --with-image  ship the image file in the CSAR (Files/images/, a SOL004 software image
               artifact of each VDU): Tacker then registers it in Glance at onboarding.
      --flavour  the ONAP package's flavour (default: the first). A CSAR holds every flavour its
               image can run: a ramcloud flavour needs an image built with RAMCloud (snf image
               build --ramcloud) and is left out otherwise, or refused if named here.
  snf package validate PACKAGE [--ca CA.pem] [--require-signature]
  snf package upload ...            (Tacker upload; see snf package upload --help)`;

interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
  /** --image may repeat. */
  images: string[];
}

/** Flags that take a value; everything else starting with -- is a boolean switch. */
const VALUED = new Set(['-o', '--out', '--format', '--flavour', '--sign-key', '--sign-cert', '--ca', '--image']);
const SWITCHES = new Set(['--require-signature', '--with-image']);

function parseArgs(args: string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  const images: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (VALUED.has(a)) {
      const v = args[++i];
      if (v === undefined) throw new PackageError(`${a} needs a value`);
      if (a === '--image') images.push(v);
      else flags.set(a === '-o' ? '--out' : a, v);
    } else if (SWITCHES.has(a)) flags.set(a, true);
    else if (a.startsWith('-')) throw new PackageError(`unknown option ${a}`);
    else positional.push(a);
  }
  return { positional, flags, images };
}

const str = (p: Parsed, k: string): string | undefined => {
  const v = p.flags.get(k);
  return typeof v === 'string' ? v : undefined;
};

async function build(args: string[]): Promise<number> {
  const p = parseArgs(args);
  if (p.positional.length !== 1) {
    console.error(usage);
    return 2;
  }
  const format = (str(p, '--format') ?? 'csar') as PackageFormat;
  if (format !== 'csar' && format !== 'onap-heat') throw new PackageError(echo`--format must be csar or onap-heat, not '${format}'`);
  const key = str(p, '--sign-key');
  const cert = str(p, '--sign-cert');
  if (Boolean(key) !== Boolean(cert)) throw new PackageError('--sign-key and --sign-cert go together');
  const d = await loadDescriptor(p.positional[0]);
  const signing = key && cert ? { keyPem: await readFile(key, 'utf8'), certPem: await readFile(cert, 'utf8') } : undefined;
  const flavour = str(p, '--flavour');
  const images = format === 'csar' ? await imageSet(d, p.images) : undefined;
  const out = await buildPackage(d, {
    format, outDir: str(p, '--out') ?? 'dist', ...(flavour ? { flavour } : {}), ...(signing ? { signing } : {}), ...(images ? { images } : {}),
    withImage: p.flags.has('--with-image'),
    note: (l) => console.error(l),
  });
  console.log(out);
  return 0;
}

/** `--image FILE` for every image key, or `--image KEY=FILE` per key; facts read off each file once. */
async function imageSet(d: VnfDescriptor, specs: string[]): Promise<ImageSet> {
  const keys = Object.keys(d.images);
  const byKey = new Map<string, string>();
  for (const spec of specs) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(spec);
    if (m && !keys.includes(m[1])) throw new PackageError(`--image ${spec}: the descriptor has no image '${m[1]}' (images: ${keys.join(', ')})`);
    for (const k of m ? [m[1]] : keys) byKey.set(k, m ? m[2] : spec);
  }
  if (specs.length === 0) {
    // The default: the image `snf image build` made from this very checkout (cached by input hash).
    console.error('image: no --image given, looking for the image built from this checkout (snf image build)');
    const built = await findBuiltImage();
    if (built) {
      for (const k of keys) {
        if (d.images[k].name !== built.facts.name) {
          throw new PackageError(`images.${k}.name is '${d.images[k].name}', but the image snf image build made is '${built.facts.name}': give the image with --image ${k}=FILE`);
        }
        byKey.set(k, built.path);
      }
    }
  }
  const missing = keys.filter((k) => !byKey.has(k));
  if (missing.length) {
    throw new PackageError(`a CSAR carries the VM image's real checksum and size: no image file for ${missing.map((k) => `images.${k}`).join(', ')} (--image FILE, or build it with \`snf image build\`)`);
  }
  const facts = new Map<string, ImageFacts>();
  const out: Record<string, ImageFacts> = {};
  for (const [k, file] of byKey) {
    if (!facts.has(file)) {
      facts.set(file, await readImageFacts(file));
      console.error(`image ${describeImage(facts.get(file)!)}`);
    }
    out[k] = facts.get(file)!;
  }
  return out;
}

async function validate(args: string[]): Promise<number> {
  const p = parseArgs(args);
  if (p.positional.length !== 1) {
    console.error(usage);
    return 2;
  }
  const ca = str(p, '--ca');
  const file = p.positional[0];
  const r = await validatePackageFile(file, { ...(ca ? { caPem: await readFile(ca, 'utf8') } : {}), requireSignature: p.flags.has('--require-signature') });
  if (r.errors.length) {
    console.error(echo`${file}: invalid ${r.format} package, ${r.errors.length} error(s)` + `\n${r.errors.map((e) => `  ${e}`).join('\n')}`);
    return 1;
  }
  console.log(`${file}: valid ${r.format} package (${r.facts.join('; ')})`);
  return 0;
}

async function upload(args: string[]): Promise<number> {
  // Owned by the OpenStack client part; present once that part lands.
  const here = dirname(fileURLToPath(import.meta.url));
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  const file = join(here, `package-upload.${ext}`);
  if (!existsSync(file)) {
    console.error('snf package upload: not available in this build (the Tacker upload command is not installed)');
    return 2;
  }
  const mod = (await import(file)) as { runUpload(args: string[]): Promise<number> };
  return mod.runUpload(args);
}

export const command: Command = {
  summary: 'build, validate and upload VNF packages (SOL004 CSAR, ONAP Heat)',
  async run(args: string[]): Promise<number> {
    const [sub, ...rest] = args;
    try {
      if (sub === 'build') return await build(rest);
      if (sub === 'validate') return await validate(rest);
      if (sub === 'upload') return await upload(rest);
    } catch (err) {
      if (err instanceof DescriptorError || err instanceof PackageError) {
        console.error(`snf package ${sub}: ${err.message}`);
        return 1;
      }
      throw err;
    }
    console.error(usage);
    return 2;
  },
};
