// ProblemDetails quote the request (the path, the vnfdId, a schema validator's wording); a hostile
// request must not get megabytes back. A real VNFM over a real Redis, requests over loopback,
// responses validated against SOL003 ('enforce'): the clipped detail is still a valid answer.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalVim } from '../../../src/vim/local/vim.js';
import { startVnfm, type Vnfm } from '../../../src/vnfm/app.js';
import { MESSAGE_MAX_BYTES } from '../../../src/util/echo.js';
import { startRedis, type RedisServer } from '../../support/redis.js';
import { testVnfd } from '../../support/vnfm.js';

const V2 = { version: '2.0.0', 'content-type': 'application/json' };

describe('VNFM ProblemDetails bound what they echo', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let vnfm: Vnfm;
  let dir: string;
  before(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'snf-vnfm-echo-'));
    vnfm = await startVnfm({ redis: redis.node, stateName: 'echo-test', catalog: [testVnfd()], vims: { local: new LocalVim(join(dir, 'run')) }, responseValidation: 'enforce', log: () => {} });
  });
  after(async () => {
    await vnfm.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('clips a 900 kB vnfdId in the 422 detail to its start and size, keeping the reason', async () => {
    // The whitespace-free run clipped is the quoted id with its quotes.
    const id = `v${'x'.repeat(900_000)}`;
    const r = await fetch(`${vnfm.url}/vnflcm/v2/vnf_instances`, { method: 'POST', headers: V2, body: JSON.stringify({ vnfdId: id }) });
    expect(r.status).to.equal(422);
    const p = (await r.json()) as { detail: string; status: number };
    expect(p.status).to.equal(422);
    expect(p.detail).to.match(/^vnfdId: "vx{254}\.\.\. \(900003 bytes\) is not an onboarded VNFD \(known: snf-firewall-vnfd\)$/);
  });

  it('clips an 8 kB unknown path in the 404 detail', async () => {
    const r = await fetch(`${vnfm.url}/vnflcm/v2/${'p'.repeat(8000)}`, { headers: { version: '2.0.0' } });
    expect(r.status).to.equal(404);
    const p = (await r.json()) as { detail: string };
    expect(p.detail).to.match(/^no resource \/vnflcm\/v2\/p+\.\.\. \(8011 bytes\)$/);
  });

  it('clips an 8 kB Content-Type in the 415 detail', async () => {
    const ct = `application/${'c'.repeat(8000)}`;
    const r = await fetch(`${vnfm.url}/vnflcm/v2/vnf_instances`, { method: 'POST', headers: { version: '2.0.0', 'content-type': ct }, body: '{}' });
    expect(r.status).to.equal(415);
    const p = (await r.json()) as { detail: string };
    expect(p.detail).to.match(/^Content-Type application\/c+\.\.\. \(8012 bytes\) is not accepted; send application\/json$/);
    expect(Buffer.byteLength(p.detail)).to.be.below(MESSAGE_MAX_BYTES);
  });
});
