// The local VIM behind the VIM seam, and the CLI's handling of bad input (clear error, exit 2,
// nothing created).
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LocalVim, LOCAL_ASPECT } from '../../../src/vim/local/vim.js';
import { VimRequestError, type VimProgress } from '../../../src/vim/types.js';
import { closeShells } from '../../../src/vim/local/sh.js';
import { forceCleanup, namespacesOf, ROOT, RUN_ROOT, uniqueName } from '../../support/netns.js';

function snf(args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/snf.js'), ...args], { encoding: 'utf8', env: { ...process.env, SNF_RUN_DIR: RUN_ROOT }, timeout: 60_000 });
  return { code: r.status, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

describe('local VIM and CLI', function () {
  this.timeout(120_000);
  before(function () {
    if (process.getuid?.() !== 0) throw new Error('the local VIM builds network namespaces: run the suite as root');
  });
  after(() => closeShells());

  it('rejects bad CLI input with a clear error and changes nothing', () => {
    const name = uniqueName();
    const cases: [string[], RegExp][] = [
      [['up', '--name', name, '--nf', 'router'], /--nf: unknown NF 'router'/],
      [['up', '--name', name, '--instances', '0'], /--instances: expected an integer 1\.\.64/],
      [['up', '--name', name, '--store', 'nowhere'], /--store: expected unix:/],
      [['up', '--name', name, '--io', 'carrier-pigeon'], /--io: .*carrier-pigeon/],
      [['up', '--name', name, '--store-mode', 'raid'], /--store-mode: expected single, sentinel, cluster, got 'raid'/],
      [['up', '--name', name, '--store-mode', 'cluster', '--store', 'unix:/tmp/x.sock'], /--store-mode cluster: .*cannot be combined with --store/],
      [['up', '--name', name, '--store-mode', 'sentinel', '--baseline'], /--store-mode sentinel: --baseline keeps flow state inside the instances/],
      [['up', '--name', 'Bad-Name'], /--name: must match/],
      [['scale', 'sideways', '--name', name], /expected 'out' or 'in'/],
      [['status', '--name', name], /no local deployment/],
      [['kill', '--name', name], /exactly one instance id/],
    ];
    for (const [args, re] of cases) {
      const r = snf(args);
      expect(r.out, args.join(' ')).to.match(re);
      expect(r.code, args.join(' ')).to.be.oneOf([1, 2]);
    }
    expect(namespacesOf(name)).to.deep.equal([]);
    expect(existsSync(join(RUN_ROOT, name))).to.equal(false);
  });

  it('instantiate, scale to a target, heal, terminate through the VIM interface', async () => {
    const vim = new LocalVim(RUN_ROOT);
    const name = uniqueName();
    try {
      expect(() => vim.instantiate({ name, flavourId: 'simple', artifacts: {} })).to.throw(VimRequestError, /chain/);
      expect(() => vim.instantiate({ name, flavourId: 'simple', aspectSizes: { other: 2 }, artifacts: { local: { chain: ['nat'] } } })).to.throw(VimRequestError, /unknown aspect/);
      expect(namespacesOf(name)).to.deep.equal([]);
      const phases: VimProgress['phase'][] = [];
      const r = await vim.instantiate(
        { name, flavourId: 'simple', aspectSizes: { [LOCAL_ASPECT]: 1 }, artifacts: { local: { chain: ['firewall', 'nat'] } } },
        { onProgress: (p) => phases.push(p.phase) },
      );
      expect(r.instances.map((i) => i.status)).to.deep.equal(['ok']);
      expect(phases[0]).to.equal('started');
      expect(phases[phases.length - 1]).to.equal('completed');
      expect(() => vim.scale(name, { aspect: 'nope', delta: 1 })).to.throw(VimRequestError);
      const s = await vim.scale(name, { aspect: LOCAL_ASPECT, target: 2 });
      expect(s.instances.filter((i) => i.status === 'ok')).to.have.length(2);
      const h = await vim.heal(name, 'i1');
      expect(h.instances.every((i) => i.status === 'ok')).to.equal(true);
      const pids = (await vim.instances(name)).length;
      expect(pids).to.equal(2);
      await vim.terminate(name);
      expect(namespacesOf(name)).to.deep.equal([]);
      expect(existsSync(join(RUN_ROOT, name))).to.equal(false);
    } finally {
      forceCleanup(name);
    }
  });
});
