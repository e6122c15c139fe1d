// What goes into /opt/statelessnf in the image, staged from the checkout:
//   bin/node          this machine's Node 20 (NodeSource's Debian package: a dynamically linked
//                     binary needing only glibc and libstdc++, both in Debian 12; Debian 12's own
//                     nodejs is 18, older than the product's engines field)
//   snf.node          the built native data plane (links OpenSSL, libxdp, DPDK: in packages.txt)
//   snf-redis-module.so  the store module (native/redis_module), which the store VDU's Redis loads
//                     (snf-redis): the data plane's compare-and-sets without Lua
//   snf-instance.mjs  src/dataplane/vm-env.ts and everything it imports (ioredis included),
//                     bundled by esbuild (tsx's own dependency) into one ES module: no
//                     node_modules tree and no TypeScript compiler in the guest, and a start-up
//                     that reads one file (seconds count under emulation)
//   start.mjs         the entry point statelessnf-nf.service runs
//   ramcloud-sweeper.mjs  src/dataplane/ramcloud-sweeper-main.ts bundled likewise: expiry for
//                     RAMCloud, run on the ramcloud flavour's coordinator VDU
//   package.json      marks the directory as ES modules, and is the root native.ts looks for
//   debs.txt          the Debian packages of the shared libraries node and the .so files link (ldd +
//                     dpkg -S on this machine), installed into the image by build.sh, so a data
//                     plane built against another library set cannot ship without its libraries
import { copyFileSync, existsSync, mkdirSync, writeFileSync, chmodSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './paths.js';
import { ImageError } from './errors.js';

export interface StageResult {
  dir: string;
  nodeVersion: string;
}

interface EsbuildApi {
  build(o: Record<string, unknown>): Promise<{ errors: unknown[] }>;
}

export function nodeBinary(): string {
  return process.env.SNF_IMAGE_NODE ?? process.execPath;
}

/**
 * Debian packages (without :arch) owning the shared libraries the binaries link; libraries under
 * one of `own` (a build's own lib/, shipped beside the binaries) need none.
 */
export function debianPackagesOf(binaries: string[], own: string[] = []): string[] {
  const libs = new Set<string>();
  for (const b of binaries) {
    const out = execFileSync('ldd', [b], { encoding: 'utf8' });
    for (const m of out.matchAll(/=>\s+(\/\S+)/g)) if (!own.some((d) => m[1].startsWith(`${d.replace(/\/+$/, '')}/`))) libs.add(m[1]);
  }
  const pkgs = new Set<string>();
  for (const lib of libs) {
    // usrmerge: dpkg may know the file under /usr/lib or under /lib
    const candidates = lib.startsWith('/usr/') ? [lib, lib.slice(4)] : [`/usr${lib}`, lib];
    let owner: string | undefined;
    for (const c of candidates) {
      try {
        owner = execFileSync('dpkg', ['-S', c], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split(':')[0].trim();
        break;
      } catch {
        /* not under this path */
      }
    }
    if (!owner) throw new ImageError(`${lib} (linked by ${binaries.join(' or ')}) belongs to no Debian package: the image cannot install it`);
    pkgs.add(owner);
  }
  return [...pkgs].sort();
}

export async function stageApp(dir: string): Promise<StageResult> {
  const addon = process.env.SNF_ADDON ?? join(ROOT, 'native', 'build', 'Release', 'snf.node');
  if (!existsSync(addon)) throw new ImageError(`native data plane not built (${addon} missing): run 'npm run build:native' first`);
  const module = join(ROOT, 'native', 'build', 'Release', 'snf-redis-module.so');
  if (!existsSync(module)) throw new ImageError(`store module not built (${module} missing): run 'npm run build:native' first`);
  const node = nodeBinary();
  const nodeVersion = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  if (!/^v(2[0-9]|[3-9][0-9])\./.test(nodeVersion)) throw new ImageError(`${node} is Node ${nodeVersion}; the image needs Node 20 or later`);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  copyFileSync(node, join(dir, 'bin', 'node'));
  chmodSync(join(dir, 'bin', 'node'), 0o755);
  copyFileSync(addon, join(dir, 'snf.node'));
  copyFileSync(module, join(dir, 'snf-redis-module.so'));
  let esbuild: EsbuildApi;
  try {
    esbuild = (await import('esbuild')) as unknown as EsbuildApi;
  } catch (e) {
    throw new ImageError(`esbuild (installed with tsx) cannot be loaded: ${(e as Error).message}; run 'npm ci'`);
  }
  // Deterministic output (the image's input hash covers it): no source maps with paths, no
  // absolute paths of this checkout in the bundle. CommonJS dependencies (ioredis) require()
  // Node's built-ins; an ES module has no require, hence the banner.
  const bundle = (entry: string, out: string) =>
    esbuild.build({
      entryPoints: [join(ROOT, 'src', 'dataplane', entry)],
      outfile: join(dir, out),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'error',
      sourcemap: false,
      legalComments: 'none',
      banner: { js: "import { createRequire as __snfCreateRequire } from 'node:module'; const require = __snfCreateRequire(import.meta.url);" },
    });
  const r = await bundle('vm-env.ts', 'snf-instance.mjs');
  if (r.errors.length) throw new ImageError(`esbuild: ${r.errors.length} errors bundling src/dataplane/vm-env.ts`);
  // The RAMCloud sweeper (the ramcloud flavour's coordinator VDU runs it: RAMCloud has no TTLs),
  // bundled the same way; it is its own entry point.
  const sw = await bundle('ramcloud-sweeper-main.ts', 'ramcloud-sweeper.mjs');
  if (sw.errors.length) throw new ImageError(`esbuild: ${sw.errors.length} errors bundling src/dataplane/ramcloud-sweeper-main.ts`);
  // A separate entry module: vm-env.ts and instance.ts each run main() when they are the script
  // node was started with, and inside one bundle both would think they are.
  writeFileSync(
    join(dir, 'start.mjs'),
    "import { vmMain } from './snf-instance.mjs';\n" +
      "vmMain(process.argv[2] ?? '/etc/statelessnf/nf.env').catch((e) => {\n" +
      "  console.error(`snf-instance: ${e instanceof Error ? e.message : String(e)}`);\n" +
      '  process.exit(1);\n});\n',
  );
  writeFileSync(join(dir, 'debs.txt'), debianPackagesOf([join(dir, 'bin', 'node'), join(dir, 'snf.node'), join(dir, 'snf-redis-module.so')]).join('\n') + '\n');
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: pkg.name, version: pkg.version, private: true, type: 'module' }, null, 2) + '\n');
  writeFileSync(
    join(dir, 'README'),
    `StatelessNF ${pkg.version} NF instance (${nodeVersion}).\n` +
      'statelessnf-nf.service runs bin/node start.mjs /etc/statelessnf/nf.env once the HOT user data wrote it.\n' +
      'statelessnf-redis.service (store VDU) runs /usr/lib/statelessnf/snf-redis from /etc/statelessnf/redis.env.\n',
  );
  return { dir, nodeVersion };
}
