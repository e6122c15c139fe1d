// The built VM image in the packages: the CSAR's VNFD declares its real SHA-256 and size (taken
// from the image `snf image build` made, with no --image), Tacker's own loader accepts the CSAR
// that ships it, a real Heat stack from the BaseHOT runs its servers on it by its real name, and
// the ONAP package names the same image.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, resolve } from 'node:path';
import yaml from 'js-yaml';
import { buildImage, type BuiltImage } from '../../../src/image/index.js';
import { loadDescriptor } from '../../../src/descriptor/validate.js';
import { hotFileNames } from '../../../src/package/heat-tacker.js';
import { nfFlavorName, NF_VDU } from '../../../src/package/model.js';
import { readZipSafe } from '../../../src/package/zip.js';
import { facadeFiles, heatSandbox } from '../../support/openstack-sandbox.js';
import { peerEnv } from '../../support/peer-tmp.js';
import { createStack, deleteStack, foreignTypes, waitFor, type StackRef } from '../package/heat-stacks.js';

type Doc = Record<string, any>;

function run(cmd: string, args: string[], timeoutMs = 300_000, env?: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 64 << 20, env }, (err, stdout, stderr) => res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

describe('image: the built image in the packages (VNFD facts, Tacker loader, a real Heat stack, ONAP env)', function () {
  this.timeout(1_800_000);
  let image: BuiltImage;
  let dir: string;
  before(async () => {
    image = await buildImage(); // cached by input hash: free when the VM test (or a user) built it
    dir = mkdtempSync(join(tmpdir(), 'snf-image-pkg-'));
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('snf package build (no --image) declares the built image: real SHA-256, size, min disk', async () => {
    const b = await run(process.execPath, ['bin/snf.js', 'package', 'build', 'vnf-descriptors/nat.yaml', '-o', join(dir, 'csar')]);
    expect(b.code, b.stderr).to.equal(0);
    expect(b.stderr).to.include('looking for the image built from this checkout');
    const sha = await sha256File(image.path);
    expect(image.facts.sha256).to.equal(sha);
    const files = await readZipSafe(readFileSync(b.stdout.trim()));
    for (const f of ['small', 'dpdk-sriov']) {
      const df = yaml.load(files.get(`Definitions/snf_nat_df_${f}.yaml`)!.toString()) as Doc;
      const sw = df.topology_template.node_templates.nf.properties.sw_image_data;
      expect(sw.name).to.equal(image.facts.name);
      expect(sw.checksum).to.deep.equal({ algorithm: 'sha-256', hash: sha });
      expect(sw.size).to.equal(`${statSync(image.path).size} B`);
      expect(sw.min_disk).to.equal(`${Math.max(4, image.facts.minDiskGb)} GB`);
    }
  });

  it("Tacker's loader accepts the CSAR that ships the image (--with-image)", async () => {
    const b = await run(process.execPath, ['bin/snf.js', 'package', 'build', 'vnf-descriptors/lb.yaml', '--with-image', '-o', join(dir, 'with')]);
    expect(b.code, b.stderr).to.equal(0);
    const csar = b.stdout.trim();
    expect(statSync(csar).size).to.be.above(image.facts.sizeBytes);
    const v = await run(process.execPath, ['bin/snf.js', 'package', 'validate', csar]);
    expect(v.code, v.stderr).to.equal(0);
    const r = await run('bash', [resolve('../shared/peers/tacker-csar/run.sh'), csar], undefined, peerEnv());
    expect(/^RESULT: .*$/m.exec(`${r.stdout}${r.stderr}`)?.[0]).to.match(/^RESULT: OK/);
  });

  it('a real Heat stack from the BaseHOT runs its NF servers on the image by its real name; the ONAP env names it too', async () => {
    const d = await loadDescriptor('vnf-descriptors/nat.yaml');
    const csar = readdirSync(join(dir, 'csar')).find((f) => f.endsWith('.csar'))!;
    const files = await readZipSafe(readFileSync(join(dir, 'csar', csar)));
    const top = files.get(hotFileNames.top(d, 'small'))!.toString();
    const nested: Record<string, string> = {};
    for (const [p, body] of files) if (p.startsWith('BaseHOT/small/nested/')) nested[posix.basename(p)] = body.toString();
    const { heatUrl } = await heatSandbox();
    const facade = await facadeFiles(foreignTypes([top, ...Object.values(nested)]));
    const stack: StackRef = await createStack(heatUrl, {
      name: 'image-nat-small',
      template: top,
      files: { ...nested, ...facade.files },
      resourceRegistry: facade.resource_registry,
      parameters: {
        nfv: {
          VDU: { [NF_VDU]: { vcImageId: image.facts.name, computeFlavourId: nfFlavorName(d, 'small'), desired_capacity: 2 } },
          CP: { nf_mgmt_cp: { network: 'net-mgmt' }, nf_inside_cp: { network: 'net-inside' }, nf_outside_cp: { network: 'net-outside' } },
        },
      },
    });
    try {
      await waitFor(heatUrl, stack, 'CREATE_COMPLETE');
      // Each group member is a nested stack: its image-nf parameter is what its server boots.
      const res = (await (await fetch(`${heatUrl}/stacks/${stack.name}/${stack.id}/resources?nested_depth=1`)).json()) as { resources: Array<{ resource_type: string; physical_resource_id: string }> };
      const members = res.resources.filter((r) => r.resource_type === 'nf.yaml');
      expect(members).to.have.length(2);
      for (const m of members) {
        const st = (await (await fetch(`${heatUrl}/stacks/${m.physical_resource_id}`, { redirect: 'follow' })).json()) as { stack: { parameters: Record<string, string> } };
        expect(st.stack.parameters['image-nf']).to.equal(image.facts.name);
      }
    } finally {
      await deleteStack(heatUrl, stack);
      await waitFor(heatUrl, stack, 'DELETE_COMPLETE');
    }
    const o = await run(process.execPath, ['bin/snf.js', 'package', 'build', 'vnf-descriptors/nat.yaml', '--format', 'onap-heat', '-o', join(dir, 'onap')]);
    expect(o.code, o.stderr).to.equal(0);
    const onap = await readZipSafe(readFileSync(o.stdout.trim()));
    const env = yaml.load(onap.get('snf_nat_nf.env')!.toString()) as Doc;
    expect(env.parameters.nf_image_name).to.equal(image.facts.name);
  });
});
