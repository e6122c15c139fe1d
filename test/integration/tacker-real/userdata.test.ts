// The CSAR's LCM operation user data (UserData/statelessnf_userdata.py) run by Tacker 8.0.0's
// own userdata_main.py, as its conductor runs it (run_userdata.py says how), on a CSAR that
// `snf package build` made: the store VDU's TLS parameters reach the stack's parameters beside
// Tacker's `nfv`, and bad requests are refused with the field. The instantiate of the real
// Tacker in tacker.test.ts names the same user data (examples/tacker/ as shipped).
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makeStoreCerts } from '../../../src/store/tls-certs.js';
import { USERDATA_CLASS, USERDATA_SCRIPT } from '../../../src/package/model.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const SCRIPTS = join(ROOT, 'scripts/tacker-real');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], timeoutMs: number, input?: string): Promise<Run> {
  return new Promise((res) => {
    const child = execFile(cmd, args, { cwd: ROOT, timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

interface StackFields {
  template: string;
  parameters: Record<string, unknown>;
  files: Record<string, string>;
}

describe("Tacker's userdata_main runs the CSAR's LCM operation user data", function () {
  this.timeout(15 * 60_000);
  let dir = '';
  let python = '';
  let csarDir = '';
  let vnfdId = '';
  let pems: { store_tls_ca: string; store_tls_cert: string; store_tls_key: string };

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), 'snf-userdata-'));
    // the venv with Tacker 8.0.0 (cached: a second run reuses it)
    const setup = await run('bash', [join(SCRIPTS, 'setup.sh')], 12 * 60_000);
    expect(setup.code, `setup.sh failed:\n${setup.stderr.slice(-3000)}`).to.equal(0);
    const venv = await run('bash', ['-c', `source ${join(SCRIPTS, 'lib.sh')} && paths && echo "$VENV"`], 30_000);
    python = join(venv.stdout.trim(), 'bin', 'python');
    const img = join(dir, 'img.qcow2');
    expect((await run('qemu-img', ['create', '-q', '-f', 'qcow2', img, '1G'], 30_000)).code).to.equal(0);
    // The facts `snf image build --ramcloud` writes beside its image, so the CSAR keeps the ramcloud flavour.
    const sha = createHash('sha256').update(readFileSync(img)).digest('hex');
    writeFileSync(join(dir, 'img.facts.json'), JSON.stringify({ sha256: sha, ramcloud: { buildKey: 'test', path: '/opt/snf/ramcloud' } }));
    const build = await run(process.execPath, ['bin/snf.js', 'package', 'build', 'vnf-descriptors/nat.yaml', '-o', join(dir, 'out'), '--image', img], 120_000);
    expect(build.code, build.stderr).to.equal(0);
    const csar = join(dir, 'out', readdirSync(join(dir, 'out')).find((f) => f.endsWith('.csar'))!);
    csarDir = join(dir, 'csar');
    mkdirSync(csarDir);
    const x = await run(python, ['-m', 'zipfile', '-e', csar, csarDir], 60_000);
    expect(x.code, x.stderr).to.equal(0);
    const top = readdirSync(join(csarDir, 'Definitions')).find((f) => f.endsWith('_top.vnfd.yaml'))!;
    vnfdId = /descriptor_id: ([0-9a-f-]{36})/.exec(readFileSync(join(csarDir, 'Definitions', top), 'utf8'))![1];
    const certs = makeStoreCerts(join(dir, 'tls'), ['store.statelessnf.internal']);
    pems = { store_tls_ca: readFileSync(certs.caFile, 'utf8'), store_tls_cert: readFileSync(certs.certFile, 'utf8'), store_tls_key: readFileSync(certs.keyFile, 'utf8') };
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function userdata(example: string, extra: Record<string, unknown>): Promise<Run & { fields?: StackFields }> {
    const req = JSON.parse(readFileSync(join(ROOT, 'examples/tacker', example), 'utf8')) as { additionalParams: Record<string, unknown> };
    req.additionalParams = { ...req.additionalParams, ...extra };
    const input = {
      request: req,
      vnf_instance: { id: 'vnf-1', vnfdId },
      grant_request: { operation: 'INSTANTIATE', addResources: [] },
      grant_response: {},
      tmp_csar_dir: csarDir,
    };
    const r = await run(python, [join(import.meta.dirname, 'run_userdata.py')], 120_000, JSON.stringify(input));
    return { ...r, fields: r.code === 0 ? (JSON.parse(r.stdout) as StackFields) : undefined };
  }

  it('the examples name the user data the CSAR ships', async () => {
    for (const f of ['instantiate-v2-small.json', 'instantiate-v2-dpdk-sriov.json', 'instantiate-v2-ramcloud.json']) {
      const req = JSON.parse(readFileSync(join(ROOT, 'examples/tacker', f), 'utf8')) as { additionalParams: Record<string, unknown> };
      expect(req.additionalParams).to.include({ 'lcm-operation-user-data': `./${USERDATA_SCRIPT}`, 'lcm-operation-user-data-class': USERDATA_CLASS });
    }
    expect(readdirSync(join(csarDir, 'UserData'))).to.deep.equal(['statelessnf_userdata.py']);
  });

  it('dpdk-sriov with the three PEMs: the stack gets them beside nfv, byte for byte', async () => {
    const r = await userdata('instantiate-v2-dpdk-sriov.json', pems);
    expect(r.code, r.stderr).to.equal(0);
    expect(Object.keys(r.fields!.parameters).sort()).to.deep.equal(['nfv', 'store_tls_ca', 'store_tls_cert', 'store_tls_key']);
    for (const [k, v] of Object.entries(pems)) expect(r.fields!.parameters[k], k).to.equal(v);
    // Tacker's default work is still done: the VDUs and CPs of the BaseHOT, the template itself
    const nfv = r.fields!.parameters.nfv as { VDU: Record<string, unknown>; CP: Record<string, unknown> };
    expect(Object.keys(nfv.VDU)).to.include('nf');
    expect(Object.keys(nfv.CP)).to.include('nf_mgmt_cp');
    expect(r.fields!.template).to.contain('store_tls_ca');
  });

  it("ramcloud with the three PEMs (the control Redis's TLS): the stack gets them, and Tacker's nfv names the RAMCloud VDUs' flavors and image from the VNFD", async () => {
    const r = await userdata('instantiate-v2-ramcloud.json', pems);
    expect(r.code, r.stderr).to.equal(0);
    expect(Object.keys(r.fields!.parameters).sort()).to.deep.equal(['nfv', 'store_tls_ca', 'store_tls_cert', 'store_tls_key']);
    for (const [k, v] of Object.entries(pems)) expect(r.fields!.parameters[k], k).to.equal(v);
    const nfv = r.fields!.parameters.nfv as { VDU: Record<string, Record<string, unknown>>; CP: Record<string, unknown> };
    // Tacker read the RAMCloud VDUs off the VNFD: the flavor by its requested_additional_capability_name,
    // the image by name. Their groups have fixed sizes, so Tacker gives them no desired_capacity.
    expect(nfv.VDU.rc_coordinator).to.deep.equal({ computeFlavourId: 'snf_nat-ramcloud-rc-coordinator', vcImageId: 'statelessnf-0.1.0' });
    expect(nfv.VDU.rc_master).to.deep.equal({ computeFlavourId: 'snf_nat-ramcloud-rc-master', vcImageId: 'statelessnf-0.1.0' });
    expect(nfv.VDU.nf).to.include({ computeFlavourId: 'snf_nat-ramcloud-nf' }).and.have.property('desired_capacity');
    expect(Object.keys(r.fields!.files).sort()).to.deep.equal(['nf.yaml', 'rc_coordinator.yaml', 'rc_master.yaml']);
    const partial = await userdata('instantiate-v2-ramcloud.json', { store_tls_ca: pems.store_tls_ca });
    expect(partial.code).to.equal(1);
    expect(partial.stderr).to.contain('additionalParams.store_tls_cert: missing');
  });

  it('dpdk-sriov without them: only nfv, so the store runs plain TCP with its passwords', async () => {
    const r = await userdata('instantiate-v2-dpdk-sriov.json', {});
    expect(r.code, r.stderr).to.equal(0);
    expect(Object.keys(r.fields!.parameters)).to.deep.equal(['nfv']);
  });

  it('refuses some but not all three for a store VDU, a value that is not PEM, and a parameter the flavour does not take, naming the field', async () => {
    const partial = await userdata('instantiate-v2-dpdk-sriov.json', { store_tls_ca: pems.store_tls_ca, store_tls_cert: pems.store_tls_cert });
    expect(partial.code).to.equal(1);
    expect(partial.stderr).to.contain('additionalParams.store_tls_key: missing');
    const notPem = await userdata('instantiate-v2-dpdk-sriov.json', { ...pems, store_tls_key: 'not a key' });
    expect(notPem.code).to.equal(1);
    expect(notPem.stderr).to.contain('additionalParams.store_tls_key: expected a PEM block');
    expect(notPem.stderr, 'the refusal does not echo the other PEMs').not.to.contain(pems.store_tls_cert.split('\n')[1]);
    const small = await userdata('instantiate-v2-small.json', pems);
    expect(small.code).to.equal(1);
    expect(small.stderr).to.contain('additionalParams.store_tls_cert: flavour small does not take it (it takes store_tls_ca)');
  });

  it('small (external store) takes the CA alone, for its NFs to verify a rediss:// store', async () => {
    const r = await userdata('instantiate-v2-small.json', { store_tls_ca: pems.store_tls_ca });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.fields!.parameters).to.deep.include({ store_tls_ca: pems.store_tls_ca });
    expect(Object.keys(r.fields!.parameters).sort()).to.deep.equal(['nfv', 'store_tls_ca']);
  });
});
