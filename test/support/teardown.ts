// One teardown for the tests that run a whole local deployment: stop the traffic tools, take the
// deployment down, sweep whatever is left by name, then prove it: no namespace of the test and
// none of the processes it started. A leak fails the test that caused it, not a later one.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import type { LocalDeployment } from '../../src/vim/local/deployment.js';
import { readSupervisorStatus } from '../../src/vim/local/state.js';
import { ramcloudPids } from '../../src/vim/local/ramcloud-nodes.js';
import { alive, closeShells } from '../../src/vim/local/sh.js';
import { forceCleanup, namespacesOf, type Proc } from './netns.js';

/** The deployment's own processes: controllers and their supervisor, the stores, instances. Read before it goes down. */
export function deploymentPids(d: LocalDeployment | undefined): number[] {
  if (!d) return [];
  const sup = readSupervisorStatus(d.state.runDir);
  const s = d.state.store;
  return [d.state.controllerPid, sup?.pid, sup?.activePid, sup?.standbyPid, s.redisPid, s.watchdogPid, ...(s.nodes ?? []).flatMap((n) => [n.pid, n.relayPid]), ...(s.ramcloud ? ramcloudPids(s.ramcloud) : []), ...d.state.instances.map((i) => i.pid)].filter(
    (p): p is number => !!p && p > 0,
  );
}

export interface TearDown {
  name: string;
  d: LocalDeployment | undefined;
  /** traffic tools started in the deployment's namespaces */
  procs?: (Proc | undefined)[];
  /** pids that must be gone afterwards, besides deploymentPids(d) read now */
  pids?: number[];
}

export async function tearDownDeployment(t: TearDown): Promise<void> {
  const pids = [...new Set([...(t.pids ?? []), ...deploymentPids(t.d)])];
  for (const p of t.procs ?? []) p?.stop();
  await t.d?.close().catch(() => undefined);
  await t.d?.down().catch(() => undefined);
  forceCleanup(t.name);
  closeShells();
  await new Promise((r) => setTimeout(r, 200));
  expect(namespacesOf(t.name), 'namespaces left behind').to.deep.equal([]);
  // alive(), not a signal-0 probe: a controller orphaned by a killed supervisor is re-parented to
  // this container's init, which does not reap it, and a zombie is not a process left running
  const left = pids.filter(alive);
  if (left.length) console.log(spawnSync('ps', ['-o', 'pid,ppid,stat,args', '-p', left.join(',')], { encoding: 'utf8' }).stdout);
  expect(left, 'processes left behind').to.deep.equal([]);
}
