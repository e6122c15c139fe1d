// `snf image build`: the StatelessNF VM image (and, with --oci, the same root filesystem as an
// OCI image), cached outside the checkout by a hash of everything that goes into it.
//
// Inputs hashed: the staged application (node binary, native addon, bundled instance: see
// stage.ts), every file under scripts/image/ (build script, package list, root filesystem
// overlay) and scripts/deps/image.txt. Not hashed: Debian's mirror. A rebuild with the same
// inputs reuses the cached image; a new Debian point release is picked up by `--force`.
import { createHash } from 'node:crypto';
import { spawn, execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { cacheRoot, productVersion, ROOT } from './paths.js';
import { stageApp } from './stage.js';
import { ImageError } from './errors.js';
import { minDiskGb, readImageFacts } from '../package/image-facts.js';
import { IMAGE_RAMCLOUD_DIR, ramcloudFor, stageRamcloud, type ImageRamcloud, type RamcloudChoice } from './ramcloud.js';
import { filesUnder } from '../util/files-under.js';

/** The facts file written next to the qcow2 (`<name>.facts.json`), read off the real artifact. */
export interface ImageFacts {
  name: string;
  version: string;
  /** Absolute path of the qcow2. */
  file: string;
  sha256: string;
  sizeBytes: number;
  virtualSizeBytes: number;
  diskFormat: 'qcow2';
  containerFormat: 'bare';
  /** Least root disk (GB) a flavor must give: the virtual size, rounded up. */
  minDiskGb: number;
  /** Least RAM (MB) it boots and runs an afpacket instance in. */
  minRamMb: number;
  buildSeconds: number;
  inputHash: string;
  builtAt: string;
  nodeVersion: string;
  /** RAMCloud in /opt/snf/ramcloud (the ramcloud flavour's VDUs need it); absent: built without. */
  ramcloud?: ImageRamcloud;
}

export interface BuiltImage {
  path: string;
  facts: ImageFacts;
}

export const MIN_RAM_MB = 1024;


async function hashFile(h: ReturnType<typeof createHash>, path: string): Promise<void> {
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
}

/**
 * sha256 over (relative path, mode, content) of every input, in a fixed order. A staged RAMCloud
 * (/opt/snf/ramcloud) is one more group: an image with it has another hash than one without.
 */
export async function inputHash(stagedDir: string, ramcloudDir?: string): Promise<string> {
  const h = createHash('sha256');
  const groups: [string, string[], string][] = [
    ['app', filesUnder(stagedDir), stagedDir],
    ['scripts', [...filesUnder(join(ROOT, 'scripts', 'image')), join(ROOT, 'scripts', 'deps', 'image.txt')], ROOT],
  ];
  if (ramcloudDir) groups.push(['ramcloud', filesUnder(ramcloudDir), ramcloudDir]);
  for (const [label, files, base] of groups) {
    for (const f of files) {
      const rel = relative(base, f);
      h.update(`${label}:${rel}:${(statSync(f).mode & 0o777).toString(8)}\n`);
      await hashFile(h, f);
    }
  }
  return h.digest('hex');
}

export function imageDir(hash: string): string {
  return join(cacheRoot(), hash.slice(0, 16));
}

function factsPath(dir: string, name: string): string {
  return join(dir, `${name}.facts.json`);
}

function readFacts(dir: string, name: string): ImageFacts | undefined {
  const p = factsPath(dir, name);
  if (!existsSync(p)) return undefined;
  try {
    const f = JSON.parse(readFileSync(p, 'utf8')) as ImageFacts;
    return existsSync(f.file) && statSync(f.file).size === f.sizeBytes ? f : undefined;
  } catch {
    return undefined;
  }
}

/** The same reading of the file the packages use for the VNFD (src/package/image-facts.ts). */
export async function computeFacts(file: string, extra: { buildSeconds: number; inputHash: string; nodeVersion: string; ramcloud?: ImageRamcloud }): Promise<ImageFacts> {
  const { name, version } = productVersion();
  const f = await readImageFacts(file);
  if (f.diskFormat !== 'qcow2') throw new ImageError(`${file}: not a qcow2 image (${f.diskFormat})`);
  return {
    name,
    version,
    file,
    sha256: f.sha256,
    sizeBytes: f.sizeBytes,
    virtualSizeBytes: f.virtualSizeBytes,
    diskFormat: 'qcow2',
    containerFormat: 'bare',
    minDiskGb: minDiskGb(f, 0),
    minRamMb: MIN_RAM_MB,
    buildSeconds: extra.buildSeconds,
    inputHash: extra.inputHash,
    builtAt: new Date().toISOString(),
    nodeVersion: extra.nodeVersion,
    ...(extra.ramcloud ? { ramcloud: extra.ramcloud } : {}),
  };
}

interface StagedInputs {
  dir: string;
  /** The staged RAMCloud (copied to /opt/snf/ramcloud), when the image takes one. */
  ramcloudDir?: string;
  ramcloud?: ImageRamcloud;
  hash: string;
  nodeVersion: string;
  cleanup: () => void;
}

/** Stages the application (and RAMCloud, as chosen) in a temporary directory and hashes it with the build scripts. */
async function stagedInputs(choice: RamcloudChoice): Promise<StagedInputs> {
  // First: a missing build asked for fails before minutes of staging.
  const rc = ramcloudFor(choice);
  const root = mkdtempSync(join(tmpdir(), 'snf-image-stage-'));
  const dir = join(root, 'app');
  mkdirSync(dir);
  try {
    const s = await stageApp(dir);
    let ramcloudDir: string | undefined;
    if (rc) {
      ramcloudDir = join(root, 'ramcloud');
      mkdirSync(ramcloudDir);
      stageRamcloud(rc, ramcloudDir);
    }
    return {
      dir,
      ...(ramcloudDir ? { ramcloudDir, ramcloud: { buildKey: rc!.buildKey, path: IMAGE_RAMCLOUD_DIR } } : {}),
      hash: await inputHash(dir, ramcloudDir),
      nodeVersion: s.nodeVersion,
      cleanup: () => rmSync(root, { recursive: true, force: true }),
    };
  } catch (e) {
    rmSync(root, { recursive: true, force: true });
    throw e;
  }
}

/**
 * The image for the current checkout's inputs, if it has been built. `auto` (the default) looks
 * for the image `snf image build` makes by default: with RAMCloud when its build exists.
 */
export async function findBuiltImage(choice: RamcloudChoice = 'auto'): Promise<BuiltImage | undefined> {
  const st = await stagedInputs(choice);
  try {
    const facts = readFacts(imageDir(st.hash), productVersion().name);
    return facts ? { path: facts.file, facts } : undefined;
  } finally {
    st.cleanup();
  }
}

export interface BuildOptions {
  /** Rebuild even when the cache has this input hash. */
  force?: boolean;
  /** Also build the OCI image (oci-archive) from the same root filesystem. */
  oci?: boolean;
  /** RAMCloud in /opt/snf/ramcloud: `auto` (default) when its build exists, `require`, or `off`. */
  ramcloud?: RamcloudChoice;
  progress?: (line: string) => void;
}

export interface BuildResult extends BuiltImage {
  cached: boolean;
  /** oci-archive of the same root filesystem, with --oci. */
  oci?: string;
}

function runScript(argv: string[], env: NodeJS.ProcessEnv, progress: (l: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail: string[] = [];
    const onData = (d: Buffer) => {
      for (const line of d.toString().split('\n').filter(Boolean)) {
        progress(line);
        tail = [...tail, line].slice(-15);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (e) => reject(new ImageError(`${argv[0]}: ${e.message}`)));
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new ImageError(`${argv.join(' ')} exited with ${code}:\n${tail.join('\n')}`))));
  });
}

export function missingTools(tools: string[]): string[] {
  return tools.filter((t) => {
    try {
      execFileSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
}

const BUILD_TOOLS = ['mmdebstrap', 'mkfs.ext4', 'sfdisk', 'mkfs.fat', 'mcopy', 'syslinux', 'qemu-img', 'tar'];
const OCI_TOOLS = ['buildah'];

function requireTools(tools: string[]): void {
  const missing = missingTools(tools);
  if (missing.length) {
    throw new ImageError(`missing tools: ${missing.join(', ')}; install the packages in scripts/deps/image.txt (bash scripts/setup.sh does)`);
  }
}

export async function buildImage(o: BuildOptions = {}): Promise<BuildResult> {
  const progress = o.progress ?? (() => undefined);
  const { name } = productVersion();
  progress('image: staging the application (node, native addon, bundled instance)');
  const st = await stagedInputs(o.ramcloud ?? 'auto');
  progress(st.ramcloud ? `image: with RAMCloud build ${st.ramcloud.buildKey} in ${IMAGE_RAMCLOUD_DIR} (the ramcloud flavour's VDUs)` : 'image: without RAMCloud (no build for this checkout: the ramcloud flavour cannot use this image)');
  try {
    const dir = imageDir(st.hash);
    progress(`image: input hash ${st.hash.slice(0, 16)} -> ${dir}`);
    let facts = o.force ? undefined : readFacts(dir, name);
    const cached = facts !== undefined;
    if (!facts) {
      requireTools(BUILD_TOOLS);
      if (process.getuid?.() !== 0) throw new ImageError('building the image needs root (mmdebstrap --mode=root)');
      const tmp = `${dir}.building-${process.pid}`;
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(cacheRoot(), { recursive: true });
      const t0 = Date.now();
      try {
        await runScript(
          ['bash', join(ROOT, 'scripts', 'image', 'build.sh')],
          { ...process.env, SNF_IMAGE_APP: st.dir, SNF_IMAGE_OUT: tmp, SNF_IMAGE_NAME: name, ...(st.ramcloudDir ? { SNF_IMAGE_RAMCLOUD: st.ramcloudDir } : {}) },
          progress,
        );
        const buildSeconds = Math.round((Date.now() - t0) / 1000);
        progress('image: computing facts (sha256, sizes)');
        const f = await computeFacts(join(tmp, `${name}.qcow2`), { buildSeconds, inputHash: st.hash, nodeVersion: st.nodeVersion, ...(st.ramcloud ? { ramcloud: st.ramcloud } : {}) });
        rmSync(dir, { recursive: true, force: true });
        renameSync(tmp, dir);
        facts = { ...f, file: join(dir, `${name}.qcow2`) };
        writeFileSync(factsPath(dir, name), JSON.stringify(facts, null, 2) + '\n');
      } catch (e) {
        rmSync(tmp, { recursive: true, force: true });
        throw e;
      }
    } else {
      progress(`image: cached (built ${facts.builtAt} in ${facts.buildSeconds} s)`);
    }
    const res: BuildResult = { path: facts.file, facts, cached };
    if (o.oci) res.oci = await buildOci(dir, name, o.force ?? false, progress);
    return res;
  } finally {
    st.cleanup();
  }
}

/**
 * The same root filesystem as an OCI image (oci-archive), for a CNF: buildah from scratch, one
 * layer from rootfs.tar, the instance as entrypoint (its env file mounted at
 * /etc/statelessnf/nf.env, or another path given as the command).
 */
async function buildOci(dir: string, name: string, force: boolean, progress: (l: string) => void): Promise<string> {
  const out = join(dir, `${name}.oci.tar`);
  if (existsSync(out) && !force) {
    progress(`image: OCI archive cached: ${out}`);
    return out;
  }
  requireTools(OCI_TOOLS);
  const rootfs = join(dir, 'rootfs.tar');
  if (!existsSync(rootfs)) throw new ImageError(`${rootfs} missing: rebuild with --force`);
  const store = mkdtempSync(join(dir, 'oci-store-'));
  const b = ['buildah', '--root', join(store, 'storage'), '--runroot', join(store, 'run'), '--storage-driver', 'vfs'];
  const env = { ...process.env, TMPDIR: store, BUILDAH_ISOLATION: 'chroot' };
  try {
    progress('image: OCI: buildah from scratch + rootfs.tar');
    const ctr = execFileSync(b[0], [...b.slice(1), 'from', 'scratch'], { encoding: 'utf8', env }).trim();
    execFileSync(b[0], [...b.slice(1), 'add', ctr, rootfs, '/'], { env, stdio: 'ignore' });
    execFileSync(
      b[0],
      [
        ...b.slice(1),
        'config',
        '--env', 'SNF_ADDON=/opt/statelessnf/snf.node',
        '--entrypoint', '["/opt/statelessnf/bin/node","/opt/statelessnf/start.mjs"]',
        '--cmd', '/etc/statelessnf/nf.env',
        '--label', `org.opencontainers.image.title=${name}`,
        ctr,
      ],
      { env, stdio: 'ignore' },
    );
    progress('image: OCI: commit oci-archive');
    execFileSync(b[0], [...b.slice(1), 'commit', '-q', ctr, `oci-archive:${out}.tmp:${name}`], { env, stdio: 'ignore' });
    execFileSync(b[0], [...b.slice(1), 'rm', ctr], { env, stdio: 'ignore' });
    renameSync(`${out}.tmp`, out);
    return out;
  } finally {
    rmSync(store, { recursive: true, force: true });
  }
}
