// `snf image upload` through the product's Glance client, against the fake Glance that follows
// the Image API v2 reference (test/support/fakes/glance.ts). The file is a small real qcow2 made
// with qemu-img, its facts computed exactly as the image build computes them.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeFacts, uploadImage, ImageError } from '../../../src/image/index.js';
import { GlanceClient, Session } from '../../../src/openstack/index.js';
import { fakeGlance, type FakeGlance } from '../../support/fakes/glance.js';

describe('image: upload to Glance (fake Glance, api-ref v2)', () => {
  let f: FakeGlance;
  let dir: string;
  before(async () => {
    if (spawnSync('sh', ['-c', 'command -v qemu-img']).status !== 0) throw new Error('qemu-img missing: install scripts/deps/image.txt');
    f = await fakeGlance();
    dir = mkdtempSync(join(tmpdir(), 'snf-upload-'));
  });
  after(async () => {
    await f?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('creates the image with the facts (format, min disk, min RAM) and uploads the very bytes', async () => {
    const file = join(dir, 'statelessnf-0.1.0.qcow2');
    expect(spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', file, '3G']).status).to.equal(0);
    const facts = await computeFacts(file, { buildSeconds: 1, inputHash: 'x'.repeat(64), nodeVersion: process.version });
    expect(facts.virtualSizeBytes).to.equal(3 * 2 ** 30);
    expect(facts.minDiskGb).to.equal(3);
    expect(facts.sha256).to.equal(createHash('sha256').update(readFileSync(file)).digest('hex'));
    const glance = new GlanceClient(Session.noauth({ image: f.url }, { timeoutMs: 3000, retries: 0 }));
    const img = await uploadImage(glance, facts, { visibility: 'public' });
    expect(img.status).to.equal('active');
    const rec = f.images.get(img.id)!;
    expect(rec).to.include({ name: facts.name, disk_format: 'qcow2', container_format: 'bare', min_disk: 3, min_ram: 1024, visibility: 'public', snf_sha256: facts.sha256 });
    expect(f.data.get(img.id)!.equals(readFileSync(file))).to.equal(true);
  });

  it('refuses a file that changed since its facts were computed, before talking to Glance', async () => {
    const file = join(dir, 'changed.qcow2');
    spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', file, '1G']);
    const facts = await computeFacts(file, { buildSeconds: 1, inputHash: 'y'.repeat(64), nodeVersion: process.version });
    writeFileSync(file, Buffer.concat([readFileSync(file), Buffer.alloc(512)]));
    const before = f.images.size;
    const glance = new GlanceClient(Session.noauth({ image: f.url }, { timeoutMs: 3000, retries: 0 }));
    let err: unknown;
    try {
      await uploadImage(glance, facts);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ImageError);
    expect((err as Error).message).to.match(/facts say/);
    expect(f.images.size).to.equal(before);
  });
});
