// `snf up --view`: bad view options are refused before anything is built (exit 2, the field
// named); a good one serves the live view of the new deployment in the foreground until Ctrl-C,
// and the deployment outlives it.
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Snapshot } from '../../../src/liveview/model.js';
import { alive } from '../../../src/vim/local/sh.js';
import { forceCleanup, namespacesOf, ROOT, RUN_ROOT, uniqueName } from '../../support/netns.js';

const env = { ...process.env, SNF_RUN_DIR: RUN_ROOT };

function snf(args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/snf.js'), ...args], { encoding: 'utf8', env, timeout: 120_000 });
  return { code: r.status, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

describe('snf up --view', function () {
  this.timeout(150_000);
  let tmp: string;
  const names: string[] = [];

  before(function () {
    if (process.getuid?.() !== 0) throw new Error('snf up builds network namespaces: run the suite as root');
    tmp = mkdtempSync(join(tmpdir(), 'snf-liveview-cli-'));
  });
  after(() => {
    for (const n of names) forceCleanup(n);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('refuses bad view options with the field and the reason, and builds nothing', () => {
    const name = uniqueName();
    names.push(name);
    const weak = join(tmp, 'weak.json');
    writeFileSync(weak, JSON.stringify({ staticTokens: ['short'] }));
    const typo = join(tmp, 'typo.json');
    writeFileSync(typo, JSON.stringify({ basics: { a: 'long-enough-secret' } }));
    const cases: [string[], RegExp][] = [
      [['--view', 'nowhere'], /--view: expected HOST:PORT or PORT, got 'nowhere'/],
      [['--view', '127.0.0.1:70000'], /--view: port must be 0\.\.65535/],
      [['--view', '0.0.0.0:8088'], /--view: 0\.0\.0\.0 is not a loopback address; .*needs --view-auth FILE/],
      [['--view-auth', weak], /--view-auth: only meaningful with --view/],
      [['--view', '0.0.0.0:8088', '--view-auth', weak], /staticTokens\[0\]: a token must be a string of at least 16 characters/],
      [['--view', '0.0.0.0:8088', '--view-auth', typo], /\.basics: unknown field/],
      [['--view', '8088', '--view-auth', join(tmp, 'missing.json')], /--view-auth: cannot read .*missing\.json/],
    ];
    for (const [args, re] of cases) {
      const r = snf(['up', '--name', name, ...args]);
      expect(r.out, args.join(' ')).to.match(re);
      expect(r.code, args.join(' ')).to.equal(2);
    }
    expect(namespacesOf(name)).to.deep.equal([]);
    expect(existsSync(join(RUN_ROOT, name))).to.equal(false);
  });

  it('serves the new deployment on loopback until SIGINT; the deployment stays for snf down', async () => {
    const name = uniqueName();
    names.push(name);
    const child = spawn(process.execPath, [join(ROOT, 'bin/snf.js'), 'up', '--name', name, '--instances', '1', '--view', '127.0.0.1:0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const end = Date.now() + 90_000;
      let url: string | undefined;
      while (!(url = /live view\s+(http:\/\/127\.0\.0\.1:\d+\/view\/)/.exec(out)?.[1])) {
        if (child.exitCode !== null) throw new Error(`snf up exited ${child.exitCode}: ${out}`);
        if (Date.now() > end) throw new Error(`no live view address printed: ${out}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      expect((await fetch(url)).status).to.equal(200);
      const snap = (await (await fetch(`${url}api/snapshot`)).json()) as Snapshot;
      expect(snap.source).to.equal('local');
      expect(snap.vnfs[0].instances.map((i) => `${i.id} ${i.state}`)).to.deep.equal(['i1 steered']);
      child.kill('SIGINT');
      expect(await exited).to.equal(0);
      expect(existsSync(join(RUN_ROOT, name, 'state.json')), 'the deployment outlives the view').to.equal(true);
      expect(await fetch(url).then(() => 'answered', () => 'refused')).to.equal('refused');
      const down = snf(['down', '--name', name]);
      expect(down.code, down.out).to.equal(0);
      expect(namespacesOf(name)).to.deep.equal([]);
    } finally {
      if (child.pid && alive(child.pid)) child.kill('SIGKILL');
    }
  });
});
