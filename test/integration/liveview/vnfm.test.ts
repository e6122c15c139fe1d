// The live view mounted on the VNF manager (the hook `snf vnfm serve` uses): a VNF instantiated
// through SOL003 onto the real local VIM shows with its instances, its SOL003 id (snf_vnf_info for
// the alert rules), the LCM operation history and the notifications delivered to a subscriber —
// over HTTP and in headless Chromium — behind the API's own credentials.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LocalVim } from '../../../src/vim/local/vim.js';
import { alive, closeShells } from '../../../src/vim/local/sh.js';
import { startVnfm, type Vnfm } from '../../../src/vnfm/app.js';
import { mountLiveView } from '../../../src/liveview/vnfm-mount.js';
import type { Snapshot } from '../../../src/liveview/model.js';
import { parseMetrics } from '../../../src/dataplane/metrics.js';
import { forceCleanup, namespacesOf, RUN_ROOT, uniqueName } from '../../support/netns.js';
import { startRedis, type RedisServer } from '../../support/redis.js';
import { Sol003Client, opIdOf, testVnfd } from '../../support/vnfm.js';
import { Browser, chromiumMissing } from './cdp.js';

type Json = Record<string, unknown>;
const BASIC = `Basic ${Buffer.from('operator:live-view-secret').toString('base64')}`;

function canRun(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  for (const tool of ['ip', 'nft', 'ethtool', 'redis-server']) if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} missing`;
  return chromiumMissing();
}

describe('live view mounted on the VNF manager', function () {
  this.timeout(150_000);
  let redis: RedisServer;
  let vnfm: Vnfm;
  let view: Awaited<ReturnType<typeof mountLiveView>> | undefined;
  let callback: Server;
  let browser: Browser | undefined;
  let name: string;
  const received: Json[] = [];

  before(async function () {
    const why = canRun();
    if (why) throw new Error(`cannot run the VNFM live view test: ${why}`);
    redis = await startRedis();
    callback = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.method === 'POST') received.push(JSON.parse(body) as Json);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => callback.listen(0, '127.0.0.1', () => r()));
    const vnfd = testVnfd({ artifacts: { simple: { local: { chain: ['firewall', 'nat'] } } } });
    vnfd.flavours.simple = { aspects: { nf: { vduId: 'VDU1', minInstances: 1, maxScaleLevel: 4 } }, instantiationLevels: { one: { nf: 1 } }, defaultInstantiationLevelId: 'one' };
    vnfm = await startVnfm({
      redis: redis.node,
      catalog: [vnfd],
      vims: { local: new LocalVim(RUN_ROOT) },
      auth: { basic: { operator: 'live-view-secret' } },
      responseValidation: 'enforce',
      testCallbacks: false,
      log: () => {},
    });
    view = await mountLiveView(vnfm, { store: redis.node, localRunRoot: RUN_ROOT, intervalMs: 500 });
    name = uniqueName();
  });

  after(async () => {
    await browser?.close();
    await view?.close();
    await vnfm?.lcm.idle();
    await vnfm?.close();
    if (name) forceCleanup(name);
    closeShells();
    await redis?.stop();
    await new Promise<void>((r) => (callback ? callback.close(() => r()) : r()));
    if (name) expect(namespacesOf(name), 'namespaces left behind').to.deep.equal([]);
  });

  it('shows the instantiated VNF, its operations and notifications, only with credentials', async () => {
    const api = new Sol003Client(vnfm.url, 'v2', BASIC);
    const sub = await api.call('POST', '/subscriptions', { callbackUri: `http://127.0.0.1:${(callback.address() as AddressInfo).port}/lcn` });
    expect(sub.status, JSON.stringify(sub.body)).to.equal(201);
    const id = ((await api.call('POST', '/vnf_instances', { vnfdId: 'snf-firewall-vnfd', vnfInstanceName: 'view-fw' })).body as Json).id as string;
    const inst = await api.call('POST', `/vnf_instances/${id}/instantiate`, { flavourId: 'simple', additionalParams: { snf_deployment_name: name } });
    expect(inst.status, JSON.stringify(inst.body)).to.equal(202);
    const done = await api.waitOp(opIdOf(inst), ['COMPLETED', 'FAILED_TEMP'], 120_000);
    expect(done.operationState, JSON.stringify(done.error)).to.equal('COMPLETED');

    const anon = await fetch(`${vnfm.url}/view/api/snapshot`);
    expect(anon.status).to.equal(401);
    expect((await fetch(`${vnfm.url}/view/api/snapshot`, { headers: { authorization: `Basic ${Buffer.from('operator:wrong').toString('base64')}` } })).status).to.equal(401);
    // the API beside the mount is untouched
    expect((await api.call('GET', '/vnf_instances')).status).to.equal(200);

    let snap: Snapshot | undefined;
    const end = Date.now() + 15_000;
    for (;;) {
      const r = await fetch(`${vnfm.url}/view/api/snapshot`, { headers: { authorization: BASIC } });
      expect(r.status).to.equal(200);
      snap = (await r.json()) as Snapshot;
      const v = snap.vnfs.find((x) => x.vnfInstanceId === id);
      if (v?.instances.some((i) => i.state === 'steered') && snap.notifications?.some((n) => n.delivered)) break;
      if (Date.now() > end) throw new Error(`the view never showed ${id} steered with a delivered notification: ${JSON.stringify(snap).slice(0, 1500)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(snap.source).to.equal('vnfm');
    const v = snap.vnfs.find((x) => x.vnfInstanceId === id)!;
    // the local VIM names the VNF in its store after the deployment, and the instances' metrics say so
    expect(v.vnf).to.equal(name);
    expect(v.chain).to.deep.equal(['firewall', 'nat']);
    const vnfcs = ((await api.call('GET', `/vnf_instances/${id}`)).body as { instantiatedVnfInfo: { vnfcResourceInfo: Array<{ id: string }> } }).instantiatedVnfInfo.vnfcResourceInfo.map((x) => x.id);
    expect(v.instances.map((i) => i.id), 'the VNFCs the API reports').to.deep.equal(vnfcs);
    expect(v.steering).to.deep.equal(vnfcs);
    expect(snap.operations?.map((o) => `${o.operation} ${o.state}`)).to.include('INSTANTIATE COMPLETED');
    expect(received.length, 'notifications the subscriber got').to.be.greaterThan(0);
    const metrics = parseMetrics(await (await fetch(`${vnfm.url}/view/metrics`, { headers: { authorization: BASIC } })).text());
    expect(metrics.find((s) => s.name === 'snf_vnf_info')?.labels).to.deep.equal({ vnf: name, vnf_instance_id: id });

    browser = await Browser.launch();
    const page = await browser.newPage();
    await page.goto(`${vnfm.url}/view/`);
    await page.waitFor(`document.getElementById('conn').dataset.state === 'signin'`, 15_000, 'the sign-in form');
    await page.eval(`document.getElementById('user').value = 'operator'; document.getElementById('password').value = 'live-view-secret'; document.querySelector('#signin button').click(); true`);
    await page.waitFor(`document.querySelector('tr[data-instance="i1"]')?.dataset.state === 'steered'`, 15_000, 'i1 steered');
    expect(await page.eval<boolean>(`document.getElementById('lcm').hidden`)).to.equal(false);
    const ops = await page.waitFor<string[]>(`(() => { const r = [...document.querySelectorAll('#ops tbody tr')].map((t) => t.cells[2].textContent + ' ' + t.cells[3].textContent); return r.length && r; })()`, 5000, 'the operation history');
    expect(ops.value).to.include('INSTANTIATE COMPLETED');
    expect(await page.eval<number>(`document.querySelectorAll('#notes tbody tr').length`)).to.be.greaterThan(0);
    if (process.env.SNF_LIVEVIEW_SHOTS) {
      const { writeFileSync, mkdirSync } = await import('node:fs');
      mkdirSync(process.env.SNF_LIVEVIEW_SHOTS, { recursive: true });
      writeFileSync(`${process.env.SNF_LIVEVIEW_SHOTS}/liveview-vnfm.png`, await page.screenshot());
    }

    const term = await api.call('POST', `/vnf_instances/${id}/terminate`, { terminationType: 'FORCEFUL' });
    expect(term.status).to.equal(202);
    expect((await api.waitOp(opIdOf(term), ['COMPLETED', 'FAILED_TEMP'], 60_000)).operationState).to.equal('COMPLETED');
    await page.waitFor(`[...document.querySelectorAll('#events li')].some((l) => /TERMINATE .*COMPLETED/.test(l.textContent))`, 10_000, 'the terminate in the timeline');
    await page.waitFor(`document.querySelectorAll('tr[data-instance]').length === 0`, 10_000, 'no instances after terminate');
    const pid = browser.pid;
    await browser.close();
    browser = undefined;
    expect(pid && alive(pid)).to.equal(false);
  });
});
