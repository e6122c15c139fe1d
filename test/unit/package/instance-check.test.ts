// The acceptance check the CSAR ships for operators (Files/Tests/snf_instance_check.py), run with
// Python against instance metrics rendered by the product's own Prometheus renderer.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderMetrics, type InstanceMetrics } from '../../../src/dataplane/metrics.js';

const SCRIPT = 'tosca/tests/snf_instance_check.py';

function run(...args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((res) => {
    execFile('python3', [SCRIPT, ...args], { timeout: 30_000 }, (err, stdout) => res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout }));
  });
}

/** An instance endpoint whose heartbeat counters move as `step` says at every scrape. */
function instance(step: (m: InstanceMetrics) => void): Promise<{ url: string; server: Server }> {
  const m: InstanceMetrics = { vnf: 'v', instance: 'i1', heartbeats: 10, heartbeatFailures: 0, heartbeatMs: 1, tablesGeneration: 1, startedAt: Date.now() };
  const server = createServer((req, res) => {
    step(m);
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(renderMetrics(m));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`, server })));
}

describe('snf_instance_check.py (the VNF\'s shipped acceptance test)', function () {
  this.timeout(30_000);
  const servers: Server[] = [];
  after(() => servers.forEach((s) => s.close()));
  const start = async (step: (m: InstanceMetrics) => void) => {
    const i = await instance(step);
    servers.push(i.server);
    return i.url;
  };

  it('passes a live instance whose heartbeats reach the store', async () => {
    const url = await start((m) => (m.heartbeats += 2));
    const r = await run('--interval', '0.2', url);
    expect(r.code, r.stdout).to.equal(0);
    expect(r.stdout).to.match(/^PASS .*alive, 2 heartbeat\(s\) in 0\.2s, store reachable/m).and.include('1 passed, 0 failed');
  });

  it('fails a hung instance, one that cannot reach its store, and one that does not answer', async () => {
    const hung = await start(() => {});
    const storeDown = await start((m) => (m.heartbeatFailures += 1));
    const r = await run('--interval', '0.2', '--timeout', '1', hung, storeDown, 'http://127.0.0.1:9/metrics');
    expect(r.code).to.equal(1);
    expect(r.stdout).to.match(/^FAIL .*no heartbeat in 0\.2s: the instance is hung or stopped/m);
    expect(r.stdout).to.match(/^FAIL .*1 heartbeat\(s\) failed in 0\.2s: the store is unreachable/m);
    expect(r.stdout).to.match(/^FAIL http:\/\/127\.0\.0\.1:9\/metrics: unreachable/m);
    expect(r.stdout).to.include('0 passed, 3 failed');
  });

  it('refuses bad arguments with a usage error', async () => {
    expect((await run('--interval', '-1', 'http://127.0.0.1:9/')).code).to.equal(2);
    expect((await run()).code).to.equal(2);
  });
});
