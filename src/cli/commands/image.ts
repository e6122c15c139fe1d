// `snf image build|show|upload`: the StatelessNF VM image (docs/image.md).
import type { Command } from '../main.js';
import { parseArgs, runCommand, str, UsageError } from '../../vim/local/cli-args.js';
import { buildImage, findBuiltImage, uploadImage, cacheRoot } from '../../image/index.js';
import { GlanceClient, Session } from '../../openstack/index.js';
import type { RamcloudChoice } from '../../image/ramcloud.js';

const USAGE = `usage: snf image build [--force] [--oci] [--ramcloud | --without-ramcloud] [--json]
       snf image show [--ramcloud | --without-ramcloud] [--json]
       snf image upload [--cloud NAME] [--name NAME] [--visibility private|shared|public|community]

build   Builds the VM image from this checkout (Debian 12 from Debian's mirror with mmdebstrap,
        the data plane, statelessnf-nf.service, Redis for the store VDU) as a BIOS-bootable
        qcow2, cached in ${cacheRoot()}/<input hash>/ ($SNF_IMAGE_CACHE moves it): with the same
        inputs a rebuild costs nothing. --force rebuilds anyway (e.g. for Debian's security
        updates). --oci also writes the same root filesystem as an OCI archive (buildah).
        Needs root and the packages of scripts/deps/image.txt.
        RAMCloud (for the ramcloud flavour's coordinator and masters VDUs) goes into
        /opt/snf/ramcloud when its build exists (sudo bash scripts/setup.sh --ramcloud); the
        facts say so. --ramcloud fails without that build; --without-ramcloud leaves it out.
show    The image built for this checkout's inputs and its facts (exit 1 if not built).
upload  Sends the built image to Glance (clouds.yaml / OS_* environment, --cloud) with its
        disk format, min_disk and min_ram, and prints the Glance image id.`;

function ramcloudChoice(flags: Map<string, string | true>): RamcloudChoice {
  if (flags.has('ramcloud') && flags.has('without-ramcloud')) throw new UsageError('--ramcloud and --without-ramcloud exclude each other');
  return flags.has('ramcloud') ? 'require' : flags.has('without-ramcloud') ? 'off' : 'auto';
}

export const command: Command = {
  summary: 'build the StatelessNF VM image (qcow2, OCI), show it, upload it to Glance',
  run: (args) =>
    runCommand('image', USAGE, async () => {
      const [sub, ...rest] = args;
      if (!sub || sub === '-h' || sub === '--help') {
        console.log(USAGE);
        return sub ? 0 : 2;
      }
      if (sub === 'build') {
        const p = parseArgs(rest, { force: false, oci: false, json: false, ramcloud: false, 'without-ramcloud': false });
        if (p.flags.has('help')) return (console.log(USAGE), 0);
        if (p.positional.length) throw new UsageError(`unexpected argument '${p.positional[0]}'`);
        const json = p.flags.has('json');
        const r = await buildImage({
          force: p.flags.has('force'),
          oci: p.flags.has('oci'),
          ramcloud: ramcloudChoice(p.flags),
          progress: (l) => (json ? process.stderr : process.stdout).write(`${l}\n`),
        });
        if (json) console.log(JSON.stringify({ ...r.facts, cached: r.cached, ...(r.oci ? { oci: r.oci } : {}) }, null, 2));
        else {
          const f = r.facts;
          console.log(`${r.cached ? 'cached' : 'built'}: ${f.file}`);
          console.log(`  sha256 ${f.sha256}, ${f.sizeBytes} bytes (${(f.sizeBytes / 2 ** 20).toFixed(0)} MiB), virtual ${(f.virtualSizeBytes / 2 ** 30).toFixed(2)} GiB`);
          console.log(`  min disk ${f.minDiskGb} GB, min RAM ${f.minRamMb} MB, built in ${f.buildSeconds} s`);
          console.log(f.ramcloud ? `  RAMCloud build ${f.ramcloud.buildKey} in ${f.ramcloud.path} (the ramcloud flavour can use it)` : '  without RAMCloud (the ramcloud flavour cannot use it: snf image build --ramcloud)');
          if (r.oci) console.log(`  OCI archive: ${r.oci}`);
        }
        return 0;
      }
      if (sub === 'show') {
        const p = parseArgs(rest, { json: false, ramcloud: false, 'without-ramcloud': false });
        const b = await findBuiltImage(ramcloudChoice(p.flags));
        if (!b) {
          console.error("snf image: no image built for this checkout's inputs: run 'snf image build'");
          return 1;
        }
        console.log(p.flags.has('json') ? JSON.stringify(b.facts, null, 2) : `${b.path}\n  sha256 ${b.facts.sha256}, ${b.facts.sizeBytes} bytes`);
        return 0;
      }
      if (sub === 'upload') {
        const p = parseArgs(rest, { cloud: true, name: true, visibility: true });
        const vis = str(p, 'visibility');
        if (vis !== undefined && !['private', 'shared', 'public', 'community'].includes(vis)) throw new UsageError(`--visibility: private, shared, public or community, got '${vis}'`);
        const b = await findBuiltImage();
        if (!b) throw new Error("no image built for this checkout's inputs: run 'snf image build' first");
        const cloud = str(p, 'cloud');
        const session = Session.fromEnvironment(cloud ? { cloud } : {});
        const name = str(p, 'name');
        console.log(`uploading ${b.path} (${(b.facts.sizeBytes / 2 ** 20).toFixed(0)} MiB) to Glance as ${name ?? b.facts.name}`);
        const img = await uploadImage(new GlanceClient(session), b.facts, {
          ...(name ? { name } : {}),
          ...(vis ? { visibility: vis as 'private' | 'shared' | 'public' | 'community' } : {}),
        });
        console.log(`${img.id} ${img.name ?? ''} ${img.status}`);
        return 0;
      }
      throw new UsageError(`unknown subcommand '${sub}'`);
    }),
};
