// The live view in a real browser: headless Chromium (Debian's package) loads the page served
// for a running local deployment (NF processes in network namespaces, ECMP steering, Redis),
// signs in with a token, sees the instances steered and carrying traffic, then sees a kill -9
// and a scale-out as they happen. Also the HTTP edges: no data without credentials, bad
// requests named. SNF_LIVEVIEW_SHOTS=<dir> saves the screenshots (docs/ holds the committed ones).
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalDeployment } from '../../../src/vim/local/deployment.js';
import { names, NET } from '../../../src/vim/local/topology.js';
import { alive, closeShells } from '../../../src/vim/local/sh.js';
import { LocalSource } from '../../../src/liveview/local-source.js';
import { startViewServer, type ViewServer } from '../../../src/liveview/server.js';
import type { Snapshot } from '../../../src/liveview/model.js';
import { parseMetrics } from '../../../src/dataplane/metrics.js';
import { forceCleanup, namespacesOf, RUN_ROOT, startTool, uniqueName, type Proc } from '../../support/netns.js';
import { Browser, chromiumMissing, type Page } from './cdp.js';

function canRun(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  for (const tool of ['ip', 'nft', 'ethtool', 'redis-server']) if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} missing: run scripts/setup.sh`;
  return chromiumMissing();
}

const SHOTS = process.env.SNF_LIVEVIEW_SHOTS;
const rowState = (id: string) => `document.querySelector('tr[data-instance="${id}"]')?.dataset.state`;

describe('live view in headless Chromium against a local deployment', function () {
  this.timeout(120_000);
  const token = randomBytes(24).toString('base64url');
  let name: string;
  let d: LocalDeployment | undefined;
  let view: ViewServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let client: Proc | undefined;
  let pids: number[] = [];

  async function shot(file: string): Promise<void> {
    const png = await page.screenshot();
    expect(png.subarray(1, 4).toString()).to.equal('PNG');
    if (!SHOTS) return;
    mkdirSync(SHOTS, { recursive: true });
    writeFileSync(join(SHOTS, file), png);
  }

  before(async function () {
    const why = canRun();
    if (why) throw new Error(`cannot run the live view test: ${why}`);
    name = uniqueName();
    d = await LocalDeployment.up({ name, runRoot: RUN_ROOT, chain: ['firewall', 'nat'], instances: 2, echoServer: true });
    view = await startViewServer({ source: new LocalSource(LocalDeployment.load(name, RUN_ROOT), { flowCountMs: 1000 }), host: '127.0.0.1', port: 0, intervalMs: 500, auth: { staticTokens: [token] } });
    client = startTool(names(name).client, 'client', ['--target', `${NET.server.host}:7000`, '--connections', '40', '--interval', '50']);
    await client.waitFor((l) => l.event === 'connected', 60_000);
    browser = await Browser.launch();
    page = await browser.newPage();
  });

  after(async () => {
    const procs = d ? [d.state.controllerPid, d.state.store.redisPid, d.state.echoServerPid, ...d.state.instances.map((i) => i.pid)] : [];
    pids = procs.filter((p): p is number => !!p);
    const bpid = browser?.pid;
    await browser?.close();
    await view?.close();
    client?.stop();
    await d?.down().catch(() => undefined);
    if (name) forceCleanup(name);
    closeShells();
    if (bpid) expect(alive(bpid), 'chromium left running').to.equal(false);
    if (name) expect(namespacesOf(name), 'namespaces left behind').to.deep.equal([]);
    // a killed instance's pid may stay a zombie of this process until it exits: alive() counts zombies as dead
    expect(pids.filter(alive), 'processes left behind').to.deep.equal([]);
  });

  it('serves no data without credentials and names what is wrong with a request', async () => {
    const base = view!.url;
    const anon = await fetch(`${base}api/snapshot`);
    expect(anon.status).to.equal(401);
    expect(anon.headers.get('www-authenticate')).to.match(/^Bearer /);
    expect(JSON.stringify(await anon.json())).to.not.include('"instances"');
    expect((await fetch(`${base}api/snapshot`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).to.equal(401);
    const q = await fetch(`${base}api/events?access_token=${token}`, { headers: { authorization: `Bearer ${token}` } });
    expect(q.status).to.equal(400);
    expect(((await q.json()) as { detail: string }).detail).to.match(/takes no query parameters.*Authorization header/);
    const post = await fetch(`${base}api/snapshot`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(post.status).to.equal(405);
    expect(post.headers.get('allow')).to.equal('GET, HEAD');
    expect((await fetch(`${base}nothing-here`)).status).to.equal(404);
    // the page itself holds no data and loads without credentials, under a strict CSP
    const html = await fetch(base);
    expect(html.status).to.equal(200);
    expect(html.headers.get('content-security-policy')).to.include("script-src 'self'");
    const ok = await fetch(`${base}api/snapshot`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).to.equal(200);
    const snap = (await ok.json()) as Snapshot;
    expect(snap.vnfs.map((v) => v.vnf)).to.deep.equal([name]);
    const metrics = parseMetrics(await (await fetch(`${base}metrics`, { headers: { authorization: `Bearer ${token}` } })).text());
    const steered = metrics.filter((s) => s.name === 'snf_instance_state' && s.labels.state === 'steered' && s.value === 1).map((s) => s.labels.instance);
    expect(steered.sort()).to.deep.equal(['i1', 'i2']);
    expect(metrics.find((s) => s.name === 'snf_store_up')?.value).to.equal(1);
  });

  it('asks to sign in, then shows both instances steered with traffic, flows and store health', async () => {
    await page.goto(view!.url);
    await page.waitFor(`document.getElementById('conn').dataset.state === 'signin'`, 15_000, 'the sign-in form');
    expect(await page.eval<number>(`document.querySelectorAll('tr[data-instance]').length`)).to.equal(0);
    await page.eval(`document.getElementById('token').value = ${JSON.stringify(token)}; document.querySelector('#signin button').click(); true`);
    await page.waitFor(`${rowState('i1')} === 'steered' && ${rowState('i2')} === 'steered'`, 15_000, 'i1 and i2 steered');
    const pps = await page.waitFor<number[]>(
      `(() => { const v = [...document.querySelectorAll('tr[data-instance]')].map((r) => Number(r.cells[3].textContent.replace(/,/g, ''))); return v.some((x) => x > 0) && v; })()`,
      15_000,
      'packets per second above zero',
    );
    expect(pps.value).to.have.length(2);
    expect(await page.eval<string>(`document.querySelector('[data-steering]').dataset.steering`)).to.equal('i1,i2');
    expect(await page.eval<string>(`document.querySelector('[data-store]').dataset.store`)).to.equal('up');
    const flows = await page.waitFor<string>(`(() => { const t = document.querySelector('[data-flows] b').textContent; return /nat [1-9]/.test(t) && t; })()`, 15_000, 'NAT flows in the store');
    expect(flows.value).to.match(/fw \d+/);
    // the cache hit ratio of established flows (the coherent cache answers them)
    await page.waitFor(`/%/.test(document.querySelector('tr[data-instance="i1"]').cells[6].textContent)`, 15_000, 'a cache hit ratio');
    await shot('liveview-steered.png');
  });

  it('shows a kill -9 as it happens: the instance turns dead, steering drops it, the timeline says so', async () => {
    const t0 = Date.now();
    d!.kill('i2');
    const seen = await page.waitFor(`${rowState('i2')} === 'dead'`, 10_000, 'i2 dead');
    console.log(`      the page showed i2 dead ${Date.now() - t0} ms after SIGKILL (collection every 500 ms)`);
    await page.waitFor(`document.querySelector('[data-steering]').dataset.steering === 'i1'`, 10_000, 'steering without i2');
    const ev = await page.waitFor<string>(`[...document.querySelectorAll('#events li')].map((l) => l.textContent).find((t) => /i2: steered -> (dead|suspected)/.test(t))`, 5000, 'the kill in the timeline');
    expect(ev.value).to.match(/i2: steered -> /);
    expect(await page.eval<number>(`document.querySelectorAll('svg.chart line.ev.bad').length`)).to.be.greaterThan(0);
    expect(seen.ms).to.be.lessThan(10_000);
    expect(await page.eval<string>(`document.getElementById('conn').dataset.state`)).to.equal('live');
    await shot('liveview-kill.png');
  });

  it('shows a scale-out as it happens: the new instance appears and becomes steered', async () => {
    const [id] = await d!.scaleOut(1);
    await page.waitFor(`${rowState(id)} === 'steered'`, 15_000, `${id} steered`);
    await page.waitFor(`[...document.querySelectorAll('#events li')].some((l) => l.textContent.includes('${id} added'))`, 5000, `${id} added in the timeline`);
    expect((await page.eval<string>(`document.querySelector('[data-steering]').dataset.steering`)).split(',')).to.include(id);
    expect(page.console.filter((c) => c.startsWith('exception')), 'page exceptions').to.deep.equal([]);
    await shot('liveview-scale.png');
  });

  it('shows a hung instance as suspected (process there, heartbeat gone) and back to steered when it resumes', async () => {
    const id = d!.state.instances[d!.state.instances.length - 1].id;
    d!.kill(id, 'SIGSTOP');
    try {
      await page.waitFor(`${rowState(id)} === 'suspected'`, 10_000, `${id} suspected`);
      // Suspected first, unsteered only after the detector's hysteresis (40 missed heartbeats, 2 s).
      await page.waitFor(`!document.querySelector('[data-steering]').dataset.steering.split(',').includes('${id}')`, 5000, `${id} out of steering`);
      await shot('liveview-suspected.png');
    } finally {
      d!.kill(id, 'SIGCONT');
    }
    await page.waitFor(`${rowState(id)} === 'steered'`, 15_000, `${id} steered again`);
    await page.waitFor(`[...document.querySelectorAll('#events li')].some((l) => l.textContent.includes('${id}: suspected -> '))`, 5000, `${id} recovering in the timeline`);
  });

  it('shows the store going down and coming back (Redis stopped with SIGSTOP, then resumed)', async () => {
    const redisPid = d!.state.store.redisPid!;
    process.kill(redisPid, 'SIGSTOP');
    try {
      const down = await page.waitFor<string>(`(() => { const e = document.querySelector('[data-store]'); return e.dataset.store === 'down' && e.textContent; })()`, 10_000, 'store down');
      expect(down.value).to.match(/DOWN: .*timed out/);
      await page.waitFor(`[...document.querySelectorAll('#events li')].some((l) => /store unreachable/.test(l.textContent))`, 5000, 'the outage in the timeline');
      const metrics = await (await fetch(`${view!.url.replace(/\/view\/$/, '')}/view/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
      expect(metrics).to.match(/^snf_store_up\{vnf="[^"]+"\} 0$/m);
      await shot('liveview-store-down.png');
    } finally {
      process.kill(redisPid, 'SIGCONT');
    }
    await page.waitFor(`document.querySelector('[data-store]').dataset.store === 'up'`, 15_000, 'store up again');
    await page.waitFor(`[...document.querySelectorAll('#events li')].some((l) => /store answers again/.test(l.textContent))`, 5000, 'the recovery in the timeline');
  });
});
