// A test process killed by SIGKILL runs no hook: the next one's test support removes what it
// left (its namespaces and run dir), and only for pids that are gone.
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { namespacesOf, sweepDeadRuns } from '../../support/netns.js';

async function deadPid(): Promise<number> {
  const child = spawn('true');
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

describe('test support: leftovers of test processes that died without cleaning up', () => {
  const made: string[] = [];
  let sleeper: ReturnType<typeof spawn> | undefined;
  after(() => {
    sleeper?.kill('SIGKILL');
    for (const ns of made) spawnSync('ip', ['netns', 'del', ns]);
  });

  it("removes a dead pid's namespaces and run dir, and leaves a live pid's alone", async () => {
    const dead = await deadPid();
    sleeper = spawn('sleep', ['60']);
    const live = sleeper.pid!;
    const deadNs = `t${dead}a-zz`;
    const liveNs = `t${live}a-zz`;
    for (const ns of [deadNs, liveNs]) {
      expect(spawnSync('ip', ['netns', 'add', ns]).status, `ip netns add ${ns}`).to.equal(0);
      made.push(ns);
    }
    const deadDir = `/tmp/snf-test-${dead}/t${dead}a`;
    const liveDir = `/tmp/snf-test-${live}`;
    mkdirSync(deadDir, { recursive: true });
    mkdirSync(liveDir, { recursive: true });
    try {
      sweepDeadRuns();
      expect(namespacesOf(`t${dead}a`)).to.deep.equal([]);
      expect(existsSync(`/tmp/snf-test-${dead}`)).to.equal(false);
      expect(namespacesOf(`t${live}a`)).to.deep.equal([liveNs]);
      expect(existsSync(liveDir)).to.equal(true);
    } finally {
      rmSync(`/tmp/snf-test-${dead}`, { recursive: true, force: true });
      rmSync(liveDir, { recursive: true, force: true });
    }
  });
});
