// The generated CSARs load in OpenStack's own tosca-parser (what Tacker uses to read a VNFD),
// for every deployment flavour, with the node templates and policies we generated.
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { loadDescriptor } from '../../../src/descriptor/validate.js';
import { csarOf } from '../../unit/package/helpers.js';
import { readZipSafe, writeZip } from '../../../src/package/zip.js';
import { MISSING, completeDefinitions, ensureToscaParser, parseWithToscaParser, SYSTEM_PYTHON } from './tosca-parser.js';

describe('generated VNFDs in tosca-parser', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'snf-tosca-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the test setup completes a package missing the definition files, idempotently', () => {
    const pkg = join(dir, 'toscaparser');
    expect(completeDefinitions(pkg)).to.deep.equal(MISSING);
    const marker = join(pkg, MISSING[0]);
    writeFileSync(marker, '# already here\n');
    expect(completeDefinitions(pkg)).to.deep.equal([]);
    expect(readFileSync(marker, 'utf8')).to.equal('# already here\n');
  });

  it('the installed Debian tosca-parser is complete after setup', async () => {
    await ensureToscaParser();
    const pkg = execFileSync(SYSTEM_PYTHON, ['-c', 'import toscaparser,os;print(os.path.dirname(toscaparser.__file__))'], { encoding: 'utf8' }).trim();
    for (const f of MISSING) expect(existsSync(join(pkg, f)), f).to.equal(true);
  });

  for (const name of ['nat', 'firewall', 'lb']) {
    for (const flavour of ['small', 'dpdk-sriov', 'ramcloud']) {
      it(`${name} CSAR loads with flavour ${flavour} selected`, async () => {
        const d = await loadDescriptor(`vnf-descriptors/${name}.yaml`);
        const file = join(dir, `${name}.csar`);
        writeFileSync(file, await csarOf(d));
        const parsed = await parseWithToscaParser(file, flavour);
        expect(parsed.nodes).to.deep.equal(['VNF']);
        expect(Object.keys(parsed.flavours).sort()).to.deep.equal(['dpdk-sriov', 'ramcloud', 'small']);
        const f = parsed.flavours[flavour];
        expect(f.nodes).to.include({
          VNF: `statelessnf.nodes.${name}.VNF`,
          nf: 'tosca.nodes.nfv.Vdu.Compute',
          nf_mgmt_cp: 'tosca.nodes.nfv.VduCp',
          nf_inside_cp: 'tosca.nodes.nfv.VduCp',
          nf_outside_cp: 'tosca.nodes.nfv.VduCp',
        });
        expect(f.policies).to.include.members(['scaling_aspects', 'instantiation_levels', 'nf_initial_delta', 'nf_scaling_aspect_deltas', 'nf_instantiation_levels']);
        if (flavour === 'dpdk-sriov') {
          expect(f.nodes).to.include({
            store: 'tosca.nodes.nfv.Vdu.Compute',
            store_volume: 'tosca.nodes.nfv.Vdu.VirtualBlockStorage',
            store_vl: 'tosca.nodes.nfv.VnfVirtualLink',
          });
        }
        if (flavour === 'ramcloud') {
          expect(f.nodes).to.include({
            rc_coordinator: 'tosca.nodes.nfv.Vdu.Compute',
            rc_master: 'tosca.nodes.nfv.Vdu.Compute',
            rc_master_volume: 'tosca.nodes.nfv.Vdu.VirtualBlockStorage',
            store_vl: 'tosca.nodes.nfv.VnfVirtualLink',
          });
          expect(f.policies).to.include.members(['rc_master_replication', 'rc_master_initial_delta', 'rc_coordinator_initial_delta', 'rc_master_anti_affinity']);
        }
      });
    }
  }

  it('tosca-parser checks the RAMCloud replication policy against its type: a negative replication factor is refused', async () => {
    const d = await loadDescriptor('vnf-descriptors/nat.yaml');
    const files = await readZipSafe(await csarOf(d));
    const df = 'Definitions/snf_nat_df_ramcloud.yaml';
    expect(files.get(df)!.toString()).to.include('replicas: 2');
    files.set(df, Buffer.from(files.get(df)!.toString().replace('replicas: 2', 'replicas: -1')));
    const file = join(dir, 'replicas.csar');
    writeFileSync(file, await writeZip(files, new Date('2026-01-01T00:00:00Z')));
    let message = '';
    await parseWithToscaParser(file, 'ramcloud').catch((e: Error) => (message = e.message));
    expect(message).to.match(/The value "-1" of property "replicas" must be greater than or equal to "0"/);
  });

  it('tosca-parser rejects a VNFD that breaks a SOL001 constraint (the check is real)', async () => {
    const d = await loadDescriptor('vnf-descriptors/nat.yaml');
    const files = await readZipSafe(await csarOf(d));
    const df = 'Definitions/snf_nat_df_small.yaml';
    files.set(df, Buffer.from(files.get(df)!.toString().replace('vnic_type: normal', 'vnic_type: warp-drive')));
    const file = join(dir, 'broken.csar');
    writeFileSync(file, await writeZip(files, new Date('2026-01-01T00:00:00Z')));
    let message = '';
    await parseWithToscaParser(file, 'small').catch((e: Error) => (message = e.message));
    expect(message).to.match(/The value "warp-drive" of property "vnic_type" is not valid/);
  });
});
