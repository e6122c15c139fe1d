// ONAP's own VVP validation scripts (vvp-validation-scripts ice_validator, unmodified, in
// ../shared/peers/onap-vvp) on every ONAP Heat package we build: 3 NFs x 3 flavours, each built
// by the product's builder, unzipped as SDC sees it, and checked with all of VVP's VNFRQTS
// chapter 5 tests. VVP is the reference, not our validator. Missing Debian packages fail the
// test (scripts/deps/onap-vvp.txt lists them; scripts/setup.sh installs them).
// Time: about 60 s for the nine on 2 cores (two VVP runs at a time, ~7-12 s each; 44 s one by one).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { loadDescriptor } from '../../../src/descriptor/validate.js';
import { buildPackage } from '../../../src/package/build.js';

const VVP = resolve('../shared/peers/onap-vvp/run.sh');
const NAMES = ['nat', 'firewall', 'lb'];
const FLAVOURS = ['small', 'dpdk-sriov', 'ramcloud'];
/** The Python modules VVP and its Heat plugin import (Debian packages in scripts/deps/onap-vvp.txt). */
const PY_MODULES = ['pytest', 'yaml', 'boltons', 'xlsxwriter', 'docutils', 'requests', 'appdirs', 'jinja2', 'six', 'mock', 'cached_property', 'heat'];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<Run> {
  return new Promise((done) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      done({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

interface VvpReport {
  outcome: string;
  tests: Array<{ test_case: string; result: string; files: string[]; error: string }>;
}

interface Outcome {
  label: string;
  run: Run;
  report?: VvpReport;
}

/** Runs `fn` over `items`, at most `width` at a time (VVP is CPU-bound; this machine has 2 cores). */
async function pool<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]);
  };
  await Promise.all(Array.from({ length: width }, worker));
  return out;
}

describe('ONAP VVP (ice_validator) on every ONAP Heat package', function () {
  this.timeout(600_000);
  let work: string;
  const results = new Map<string, Outcome>();

  before(async function () {
    expect(existsSync(VVP), `${VVP} (../shared/peers/onap-vvp)`).to.equal(true);
    const deps = await run('/usr/bin/python3', ['-c', `import ${PY_MODULES.join(', ')}`], 60_000);
    expect(deps.code, `VVP's Python modules are missing (install scripts/deps/onap-vvp.txt, e.g. sudo bash scripts/setup.sh): ${deps.stderr.trim().split('\n').pop()}`).to.equal(0);

    work = await mkdtemp(join(tmpdir(), 'snf-onap-vvp-'));
    const jobs = NAMES.flatMap((n) => FLAVOURS.map((f) => ({ n, f })));
    const started = Date.now();
    await pool(jobs, 2, async ({ n, f }) => {
      const label = `${n}-${f}`;
      const d = await loadDescriptor(`vnf-descriptors/${n}.yaml`);
      const zip = await buildPackage(d, { format: 'onap-heat', flavour: f, outDir: join(work, 'zips') });
      const dir = join(work, label);
      const unzip = await run('unzip', ['-q', zip, '-d', dir], 60_000);
      if (unzip.code !== 0) throw new Error(`unzip ${zip}: ${unzip.stderr}`);
      const out = join(work, `out-${label}`);
      const vvp = await run('bash', [VVP, dir, out], 300_000);
      const report = existsSync(join(out, 'report.json')) ? (JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as VvpReport) : undefined;
      results.set(label, { label, run: vvp, ...(report ? { report } : {}) });
    });
    // Printed, not asserted: keeps the cost of this test visible in the log.
    console.log(`      (${jobs.length} packages built and checked by VVP in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  });

  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  for (const n of NAMES) {
    for (const f of FLAVOURS) {
      it(`${n} (${f}): VVP PASS 0 failed`, () => {
        const r = results.get(`${n}-${f}`)!;
        const summary = r.run.stdout.split('\n').filter((l) => l.startsWith('VVP') || l.startsWith('  ')).join('\n');
        expect(r.report, `no report.json; VVP said:\n${r.run.stdout.slice(-3000)}\n${r.run.stderr.slice(-3000)}`).to.not.equal(undefined);
        const failed = r.report!.tests.filter((t) => t.result !== 'PASS' && t.result !== 'SKIP');
        expect(failed.map((t) => `${t.test_case}: ${t.error.slice(0, 300)}`), summary).to.deep.equal([]);
        expect(r.report!.outcome).to.equal('PASS');
        expect(r.run.stdout).to.contain('VVP PASS 0 failed');
        expect(r.run.code).to.equal(0);
        // VVP really looked at the templates (a package it could not read would pass nothing).
        expect(r.report!.tests.filter((t) => t.result === 'PASS').length).to.be.greaterThan(200);
      });
    }
  }
});
