// VNFDs learnt from onboarded packages, nothing typed by hand: real CSARs built in-test by the
// product's package builder (the code behind `snf package build`), loaded from packagesDir, put
// there by `snf vnfm onboard` (the CLI process), or fetched from an NFVO's SOL003 package
// management API (test/support/nfvo-packages.ts, a FAKE NFVO serving the real CSAR). The VNFM
// runs in-process over a real Redis with the FAKE Vim, as the other VNFM API tests do.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDescriptor } from '../../../src/descriptor/validate.js';
import type { VnfDescriptor } from '../../../src/descriptor/types.js';
import { buildPackage } from '../../../src/package/build.js';
import { readZipSafe, writeZip } from '../../../src/package/zip.js';
import { PackageRefused, vnfdFromPackage } from '../../../src/vnfm/catalogue.js';
import { loadConfig } from '../../../src/vnfm/config.js';
import { startHarness, type Harness } from '../../support/vnfm-harness.js';
import { startRedis, type RedisServer } from '../../support/redis.js';
import { Sol003Client, opIdOf, testVnfd } from '../../support/vnfm.js';
import { FakeNfvoPackages } from '../../support/nfvo-packages.js';
import { testImages } from '../../unit/package/helpers.js';

type Json = Record<string, unknown>;

function snf(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res) => {
    const c = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (x: Buffer) => (out += x.toString()));
    c.stderr.on('data', (x: Buffer) => (err += x.toString()));
    c.once('exit', (code) => res({ code, out, err }));
  });
}

describe('VNFM: VNFDs from onboarded packages', function () {
  this.timeout(120_000);
  let dir: string;
  let d: VnfDescriptor;
  let csar: string;
  let tampered: string;
  let redis: RedisServer;
  const harnesses: Harness[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'snf-vnfm-onboard-'));
    d = await loadDescriptor('vnf-descriptors/nat.yaml');
    csar = await buildPackage(d, { format: 'csar', outDir: join(dir, 'dist'), images: await testImages(d) });
    // One byte of the change log changed after the manifest was written: its digest no longer matches.
    const files = await readZipSafe(readFileSync(csar));
    const log = files.get('Files/ChangeLog.txt')!;
    files.set('Files/ChangeLog.txt', Buffer.concat([log, Buffer.from('x')]));
    tampered = join(dir, 'dist', 'tampered.csar');
    writeFileSync(tampered, await writeZip(files, new Date(2020, 0, 1)));
    redis = await startRedis();
  });

  after(async () => {
    for (const h of harnesses) await h.vnfm.close().catch(() => {});
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the VNFD id, flavours, levels and aspects off the package: the descriptor it was built from', async () => {
    const v = await vnfdFromPackage(readFileSync(csar), csar);
    const built = (await readZipSafe(readFileSync(csar))).get(`Files/snf/${d.name}_descriptor.yaml`)!.toString();
    expect(built).to.contain(`descriptorId: ${v.vnfdId}`);
    expect(v.vnfdId).to.not.equal(d.descriptorId); // the build's id, not the source descriptor's
    expect(v.vnfProductName).to.equal(d.productName);
    expect(Object.keys(v.flavours)).to.deep.equal(Object.keys(d.flavours));
    const f = Object.keys(d.flavours)[0];
    const a = d.flavours[f].scaling.nf_instances;
    expect(v.flavours[f].aspects.nf_instances).to.deep.equal({ vduId: 'nf', minInstances: a.min, maxScaleLevel: (a.max - a.min) / a.delta, step: a.delta });
    expect(v.flavours[f].defaultInstantiationLevelId).to.equal(d.flavours[f].instantiationLevels.default);
    expect(Object.keys(v.flavours[f].instantiationLevels)).to.deep.equal(Object.keys(d.flavours[f].instantiationLevels.levels));
    expect(String(v.artifacts?.[f]?.hot?.template)).to.contain('heat_template_version');
  });

  it('refuses a tampered CSAR with the validator\'s reason', async () => {
    const err = await vnfdFromPackage(readFileSync(tampered), tampered).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(PackageRefused);
    expect((err as PackageRefused).reasons.join('\n')).to.match(/Files\/ChangeLog\.txt: SHA-256 digest mismatch/);
  });

  it('snf vnfm onboard: a bad file exits non-zero and changes nothing; a good CSAR is stored under its vnfdId', async () => {
    const pkgs = join(dir, 'packages');
    const cfg = join(dir, 'vnfm.json');
    writeFileSync(cfg, JSON.stringify({ redis: redis.node, packagesDir: 'packages', vims: { local: { kind: 'local' } } }));
    const notZip = join(dir, 'not-a-package.csar');
    writeFileSync(notZip, 'hello');
    const [bad, junk, noCfg] = await Promise.all([snf(['vnfm', 'onboard', tampered, '--config', cfg]), snf(['vnfm', 'onboard', notZip, '--config', cfg]), snf(['vnfm', 'onboard', csar])]);
    expect(bad.code, bad.err).to.equal(1);
    expect(bad.err).to.match(/package refused:[\s\S]*SHA-256 digest mismatch/);
    expect(junk.code, junk.err).to.equal(1);
    expect(noCfg.code).to.equal(2);
    expect(noCfg.err).to.contain('--config is required');
    expect(() => readdirSync(pkgs)).to.throw(/ENOENT/); // nothing written, not even the folder

    const good = await snf(['vnfm', 'onboard', csar, '--config', cfg]);
    expect(good.code, good.err).to.equal(0);
    const vnfdId = good.out.trim();
    expect(readdirSync(pkgs)).to.deep.equal([`${vnfdId}.csar`]);
    expect(readFileSync(join(pkgs, `${vnfdId}.csar`)).equals(readFileSync(csar))).to.equal(true);
    expect(loadConfig(cfg).packagesDir).to.equal(pkgs);
  });

  it('creates and instantiates a VNF whose vnfdId came only from a package; a bad package beside it is skipped with its reason', async () => {
    const pkgs = join(dir, 'mixed');
    const { vnfdId } = await vnfdFromPackage(readFileSync(csar), csar);
    const onboard = await snf(['vnfm', 'onboard', csar, '--config', writeCfg(join(dir, 'mixed.json'), { redis: redis.node, packagesDir: 'mixed', vims: { local: { kind: 'local' } } })]);
    expect(onboard.code, onboard.err).to.equal(0);
    writeFileSync(join(pkgs, 'tampered.csar'), readFileSync(tampered));
    const h = await startHarness({ catalog: [], packagesDir: pkgs }, redis);
    harnesses.push(h);
    expect(h.logs.join('\n')).to.match(/tampered\.csar: package refused: .*SHA-256 digest mismatch.*; skipped/);
    const api = new Sol003Client(h.vnfm.url);
    const created = await api.call('POST', '/vnf_instances', { vnfdId, vnfInstanceName: 'from-package' });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const vnf = created.body as Json;
    expect(vnf.vnfProductName).to.equal(d.productName);
    expect(vnf.vnfdVersion).to.equal(d.descriptorVersion);
    const flavourId = Object.keys(d.flavours)[0];
    const r = await api.call('POST', `/vnf_instances/${String(vnf.id)}/instantiate`, { flavourId });
    expect(r.status, JSON.stringify(r.body)).to.equal(202);
    const op = await api.waitOp(opIdOf(r), ['COMPLETED', 'FAILED_TEMP']);
    expect(op.operationState, JSON.stringify(op.error)).to.equal('COMPLETED');
    const f = d.flavours[flavourId];
    const level = f.instantiationLevels.levels[f.instantiationLevels.default];
    const info = ((await api.call('GET', `/vnf_instances/${String(vnf.id)}`)).body as { instantiatedVnfInfo: { scaleStatus: Array<{ aspectId: string; scaleLevel: number }>; vnfcResourceInfo: unknown[] } }).instantiatedVnfInfo;
    expect(info.scaleStatus).to.deep.equal([{ aspectId: 'nf_instances', scaleLevel: (level.nf_instances - f.scaling.nf_instances.min) / f.scaling.nf_instances.delta }]);
    expect(info.vnfcResourceInfo).to.have.length(level.nf_instances);
    expect(api.violations).to.deep.equal([]);
  });

  it('refuses a config whose package sources are malformed, naming the field', () => {
    const cfg = (c: Json) => writeCfg(join(dir, 'c.json'), { redis: redis.node, vims: { local: { kind: 'local' } }, ...c });
    expect(() => loadConfig(cfg({ nfvo: { packageApi: { url: 'ftp://nfvo' } } }))).to.throw(/"nfvo\.packageApi\.url" must be an http\(s\) URL/);
    expect(() => loadConfig(cfg({ packagesDir: '' }))).to.throw(/"packagesDir" must be a folder path/);
    expect(() => loadConfig(cfg({ vnfds: {} }))).to.throw(/"vnfds" must be a list of VNFDs/);
    expect(loadConfig(cfg({ nfvo: { packageApi: { url: 'https://nfvo:9890' } } })).packageApi).to.deep.equal({ url: 'https://nfvo:9890' });
  });

  it('refuses to start when a hand-typed VNFD and a package claim the same vnfdId', async () => {
    const { vnfdId } = await vnfdFromPackage(readFileSync(csar), csar);
    const err = await startHarness({ catalog: [testVnfd({ vnfdId })], packagesDir: join(dir, 'mixed') }, redis).then(
      (h) => (harnesses.push(h), undefined),
      (e: unknown) => e as Error,
    );
    expect(err?.message).to.match(new RegExp(`"${vnfdId}" both typed in the config and onboarded as a package`));
  });

  it('fetches an unknown vnfdId from the NFVO\'s SOL003 package management API, validates and caches it', async () => {
    const nfvo = new FakeNfvoPackages('Bearer nfvo-token');
    await nfvo.start();
    try {
      const { vnfdId } = await vnfdFromPackage(readFileSync(csar), csar);
      nfvo.packages.set(vnfdId, readFileSync(csar));
      nfvo.packages.set('tampered-vnfd', readFileSync(tampered));
      const cache = join(dir, 'nfvo-cache');
      const h = await startHarness({ catalog: [], packagesDir: cache, packageApi: { url: nfvo.url, authorization: 'Bearer nfvo-token' } }, redis);
      harnesses.push(h);
      const api = new Sol003Client(h.vnfm.url);

      const unknown = await api.call('POST', '/vnf_instances', { vnfdId: 'not-at-the-nfvo' });
      expect(unknown.status).to.equal(422);
      expect((unknown.body as Json).detail).to.match(/no onboarded package with vnfdId "not-at-the-nfvo"/);
      const bad = await api.call('POST', '/vnf_instances', { vnfdId: 'tampered-vnfd' });
      expect(bad.status).to.equal(422);
      expect((bad.body as Json).detail).to.match(/SHA-256 digest mismatch/);
      expect(() => readdirSync(cache)).to.throw(/ENOENT/); // nothing cached from a refused package

      // Two creates of the same new vnfdId at once share one download.
      const [created, twin] = await Promise.all([api.call('POST', '/vnf_instances', { vnfdId }), api.call('POST', '/vnf_instances', { vnfdId })]);
      expect(created.status, JSON.stringify(created.body)).to.equal(201);
      expect(twin.status, JSON.stringify(twin.body)).to.equal(201);
      const r = await api.call('POST', `/vnf_instances/${String((created.body as Json).id)}/instantiate`, { flavourId: Object.keys(d.flavours)[0] });
      expect(r.status, JSON.stringify(r.body)).to.equal(202);
      expect((await api.waitOp(opIdOf(r), ['COMPLETED', 'FAILED_TEMP'])).operationState).to.equal('COMPLETED');
      expect(nfvo.requests.filter((p) => p.endsWith(`/${vnfdId}/package_content`))).to.have.length(1);
      expect(readdirSync(cache)).to.deep.equal([`${vnfdId}.csar`]);

      // A restart finds it in the cache: the NFVO is not asked again.
      await h.vnfm.close();
      const again = await h.restart({ packageApi: undefined });
      expect((await new Sol003Client(again.url).call('POST', '/vnf_instances', { vnfdId })).status).to.equal(201);
      expect(nfvo.requests.filter((p) => p.endsWith(`/${vnfdId}/package_content`))).to.have.length(1);

      // The /vnfd endpoint answers as the reference says (the VNFM itself reads package_content).
      const vnfd = await fetch(`${nfvo.url}/vnfpkgm/v2/onboarded_vnf_packages/${vnfdId}/vnfd`, { headers: { accept: 'application/zip', version: '2.1.0', authorization: 'Bearer nfvo-token' } });
      expect(vnfd.status).to.equal(200);
      expect([...(await readZipSafe(Buffer.from(await vnfd.arrayBuffer()))).keys()].every((p) => p.startsWith('Definitions/') || p.startsWith('TOSCA-Metadata/'))).to.equal(true);
    } finally {
      await nfvo.stop();
    }
  });

  it('keeps a VNFD fetched from the NFVO with no packagesDir in its store: after a restart, with the NFVO gone, its VNFs still work', async () => {
    const nfvo = new FakeNfvoPackages();
    await nfvo.start();
    const { vnfdId } = await vnfdFromPackage(readFileSync(csar), csar);
    nfvo.packages.set(vnfdId, readFileSync(csar));
    let h: Harness;
    let id: string;
    try {
      h = await startHarness({ catalog: [], packageApi: { url: nfvo.url } }, redis);
      harnesses.push(h);
      const created = await new Sol003Client(h.vnfm.url).call('POST', '/vnf_instances', { vnfdId });
      expect(created.status, JSON.stringify(created.body)).to.equal(201);
      id = String((created.body as Json).id);
    } finally {
      await nfvo.stop();
    }
    await h.vnfm.close();
    const api = new Sol003Client((await h.restart({ packageApi: undefined })).url);
    const r = await api.call('POST', `/vnf_instances/${id}/instantiate`, { flavourId: Object.keys(d.flavours)[0] });
    expect(r.status, JSON.stringify(r.body)).to.equal(202);
    expect((await api.waitOp(opIdOf(r), ['COMPLETED', 'FAILED_TEMP'])).operationState).to.equal('COMPLETED');
    expect((await api.call('POST', '/vnf_instances', { vnfdId })).status).to.equal(201);
    expect(nfvo.requests.filter((p) => p.endsWith(`/${vnfdId}/package_content`))).to.have.length(1);
  });
});

function writeCfg(path: string, cfg: Json): string {
  writeFileSync(path, JSON.stringify(cfg));
  return path;
}
