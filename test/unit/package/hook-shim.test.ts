// The LCM hook shim shipped in Scripts/: run it as Tacker v2 does (python3, pickled dict on
// stdin, pickled dict read from stdout) against a local HTTP server standing in for the VNF
// manager adapter.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readZipSafe } from '../../../src/package/zip.js';
import { csarOf, descriptor } from './helpers.js';

interface Seen {
  url: string;
  auth?: string;
  body: Record<string, any>;
}

// Pickles the JSON payload, runs the shim like Tacker does, unpickles its stdout as JSON.
const DRIVER = `
import json, pickle, subprocess, sys
payload = json.loads(sys.argv[2])
out = subprocess.run([sys.executable, sys.argv[1]], input=pickle.dumps(payload), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
sys.stderr.write(out.stderr.decode())
if out.returncode != 0:
    sys.exit(out.returncode)
print(json.dumps(pickle.loads(out.stdout)))
`;

function runShim(script: string, payload: object, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('/usr/bin/python3', ['-c', DRIVER, script, JSON.stringify(payload)], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('LCM hook shim (Scripts/snf_lcm_hook.py)', function () {
  this.timeout(30_000);
  let dir: string;
  let script: string;
  let server: Server;
  let base: string;
  const seen: Seen[] = [];
  let status = 200;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'snf-hook-'));
    const files = await readZipSafe(await csarOf(await descriptor('nat')));
    script = join(dir, 'snf_lcm_hook.py');
    writeFileSync(script, files.get('Scripts/snf_lcm_hook.py')!);
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ url: req.url ?? '', ...(req.headers.authorization ? { auth: req.headers.authorization } : {}), body: JSON.parse(body) as Record<string, any> });
        res.writeHead(status, { 'content-type': 'application/json' });
        const answer = { accepted: true, hook: (JSON.parse(body) as { hook: string }).hook, ...(req.url?.includes('/spoof/') ? { vnf_instance: { id: 'evil' } } : {}) };
        res.end(status === 200 ? JSON.stringify(answer) : JSON.stringify({ detail: 'store not reachable' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/adapter`;
  });
  after(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    seen.length = 0;
    status = 200;
  });

  const payload = (extra: Record<string, unknown> = {}) => ({
    operation: 'instantiate_start',
    request: { flavourId: 'small', additionalParams: { snf_adapter_url: base, snf_adapter_token: 's3cret' } },
    vnf_instance: { id: 'inst-1', vnfdId: 'vnfd-1' },
    grant_request: null,
    grant_response: null,
    tmp_csar_dir: '/tmp/csar',
    ...extra,
  });

  it('forwards the hook as JSON to POST {adapter}/hooks/tacker/{hook} and returns the answer pickled', async () => {
    const r = await runShim(script, payload());
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout)).to.deep.include({ accepted: true, hook: 'instantiate_start' });
    expect(seen).to.have.length(1);
    expect(seen[0].url).to.equal('/adapter/hooks/tacker/instantiate_start');
    expect(seen[0].auth).to.equal('Bearer s3cret');
    expect(seen[0].body).to.include({ hook: 'instantiate_start', vnfInstanceId: 'inst-1' });
    expect(seen[0].body.request.flavourId).to.equal('small');
  });

  it('takes the adapter URL from SNF_ADAPTER_URL when the request does not name one', async () => {
    const r = await runShim(script, payload({ operation: 'scale_end', request: { type: 'SCALE_OUT', aspectId: 'nf_instances' } }), { SNF_ADAPTER_URL: base });
    expect(r.code, r.stderr).to.equal(0);
    expect(seen[0].url).to.equal('/adapter/hooks/tacker/scale_end');
    expect(seen[0].auth).to.equal(undefined);
    expect(seen[0].body.request).to.deep.equal({ type: 'SCALE_OUT', aspectId: 'nf_instances' });
    // a URL from the environment is not the instance's own choice: nothing to remember
    expect(JSON.parse(r.stdout)).to.not.have.property('vnf_instance');
  });

  // Tacker v2 (vnflcm_driver_v2._exec_mgmt_driver_script) loads output['vnf_instance'] into the
  // instance it saves after the operation: that is where the shim keeps the adapter URL.
  it('remembers the adapter URL from the request in vnf_instance.metadata, changing nothing else', async () => {
    const inst = { id: 'inst-1', vnfdId: 'vnfd-1', vnfInstanceName: 'nat-1', instantiationState: 'NOT_INSTANTIATED', metadata: { owner: 'ops' } };
    const r = await runShim(script, payload({ vnf_instance: inst, request: { flavourId: 'small', additionalParams: { snf_adapter_url: `${base}/`, snf_adapter_token: 's3cret' } } }));
    expect(r.code, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout) as { vnf_instance: Record<string, unknown> };
    expect(out.vnf_instance).to.deep.equal({ ...inst, metadata: { owner: 'ops', snf_adapter_url: base } });
    // the bearer token is never written where every Tacker API user can read it
    expect(JSON.stringify(out.vnf_instance)).to.not.include('s3cret');
  });

  it('finds the VNF manager of a later operation in the instance metadata, before SNF_ADAPTER_URL and the default', async () => {
    const r = await runShim(
      script,
      payload({ operation: 'terminate_start', request: { terminationType: 'FORCEFUL' }, vnf_instance: { id: 'inst-1', metadata: { snf_adapter_url: base } } }),
      { SNF_ADAPTER_URL: 'http://127.0.0.1:9/elsewhere', SNF_HOOK_ATTEMPTS: '1', SNF_HOOK_TIMEOUT_S: '2' },
    );
    expect(r.code, r.stderr).to.equal(0);
    expect(seen.map((x) => x.url)).to.deep.equal(['/adapter/hooks/tacker/terminate_start']);
    // already remembered: the instance is left alone
    expect(JSON.parse(r.stdout)).to.not.have.property('vnf_instance');
  });

  it('lets a request move the VNF manager and remembers the new URL', async () => {
    const r = await runShim(script, payload({ operation: 'scale_start', request: { type: 'SCALE_IN', aspectId: 'a', additionalParams: { snf_adapter_url: base } }, vnf_instance: { id: 'inst-1', metadata: { snf_adapter_url: 'http://127.0.0.1:9/old' } } }));
    expect(r.code, r.stderr).to.equal(0);
    expect(seen).to.have.length(1);
    expect((JSON.parse(r.stdout) as { vnf_instance: { metadata: unknown } }).vnf_instance.metadata).to.deep.equal({ snf_adapter_url: base });
  });

  it('never passes on a vnf_instance the adapter answers with (Tacker would overwrite the instance with it)', async () => {
    // the stand-in adapter answers with a vnf_instance of its own under /spoof
    const spoof = await runShim(script, payload({ operation: 'heal_end', request: {}, vnf_instance: { id: 'inst-1', metadata: { snf_adapter_url: `${base}/spoof` } } }));
    expect(spoof.code, spoof.stderr).to.equal(0);
    expect(JSON.parse(spoof.stdout)).to.not.have.property('vnf_instance');
  });

  it('carries the descriptor adapter URL as its built-in default', () => {
    expect(readFileSync(script, 'utf8')).to.include('DEFAULT_ADAPTER_URL = "http://192.0.2.30:8080"');
  });

  it('fails the LCM operation when the adapter refuses the hook', async () => {
    status = 409;
    const r = await runShim(script, payload());
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.match(/HTTP 409: .*store not reachable/);
    expect(seen).to.have.length(1); // a refusal is final: no retries
  });

  it('fails clearly when the adapter cannot be reached', async () => {
    const r = await runShim(script, payload({ request: { additionalParams: { snf_adapter_url: 'http://127.0.0.1:9/x' } } }), { SNF_HOOK_ATTEMPTS: '1', SNF_HOOK_TIMEOUT_S: '2' });
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.match(/unreachable after 1 attempts/);
  });

  it('rejects a malformed hook name and a non-http adapter URL without calling anything', async () => {
    const bad = await runShim(script, payload({ operation: '../../admin' }));
    expect(bad.code).to.not.equal(0);
    expect(bad.stderr).to.match(/invalid hook name/);
    const url = await runShim(script, payload({ request: { additionalParams: { snf_adapter_url: 'file:///etc/passwd' } } }));
    expect(url.code).to.not.equal(0);
    expect(url.stderr).to.match(/must be http\(s\)/);
    expect(seen).to.have.length(0);
  });
});
