// Keeps a local deployment's steering controller running:
//   node --import tsx src/vim/local/steering/supervisor.ts <run dir>
// `snf up` starts it detached. It runs the active controller (daemon.ts) and a warm standby; when
// the active one dies (SIGKILL, crash) the standby is promoted with SIGUSR2 at once and a new
// standby is started, so steering is back within a poll (20 ms) rather than a Node start-up.
//
// While no controller runs, dead instances must still not blackhole their flows: the supervisor
// takes a dead instance's links down from its namespace. The steering namespaces set
// ignore_routes_with_linkdown, so the kernel's multipath routes stop choosing that next hop the
// moment its peer loses carrier — with or without a controller (topology.ts createBase).
//
// Health goes to controller.json (read by `snf status`) and to Prometheus metrics on
// controller.metrics.sock.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { alive, ipBatch } from '../sh.js';
import { leg } from '../topology.js';
import {
  loadState,
  readControllerHealth,
  readSteeringStatus,
  readSupervisorStatus,
  standbyReadyPath,
  statePath,
  supervisorStatusPath,
  writeJsonAtomic,
  type DeploymentState,
  type SupervisorStatus,
} from '../state.js';
import { readStoreEpochStatus } from './epoch-watch.js';
import { renderControllerMetrics } from './controller-metrics.js';
import { ExitWatcher } from '../exit-watch.js';
import { raiseControlPriority } from '../priority.js';

const TICK_MS = 20;
/** A crash-looping standby is restarted at most this often. */
const STANDBY_BACKOFF_MS = 1000;
/**
 * An active controller that runs but has not reconciled for this long is hung (stopped, stuck
 * on a lock): it is killed and replaced like a dead one. Well above the 200 ms at which it
 * records its reconciles, and above a loaded machine's scheduling stalls.
 */
const HUNG_MS = 1500;

const ROOT = (() => {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) d = dirname(d);
  return d;
})();

export function controllerMetricsSocket(runDir: string): string {
  return join(runDir, 'controller.metrics.sock');
}

export async function runSupervisor(runDir: string): Promise<() => void> {
  // before any child: the controllers inherit it
  const prio = raiseControlPriority();
  const logFd = openSync(join(runDir, 'steering.out'), 'a');
  if (prio.error) writeSync(logFd, `steering supervisor: cannot raise priority (${prio.error}); running at nice ${prio.nice}\n`);
  const children = new Map<number, ChildProcess>();
  const spawnDaemon = (standby: boolean): number => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/vim/local/steering/daemon.ts'), runDir, ...(standby ? ['--standby'] : [])], {
      detached: true, // outlives the supervisor: the controller keeps steering if the supervisor dies
      stdio: ['ignore', logFd, logFd],
      cwd: ROOT,
    });
    if (child.pid === undefined) throw new Error('cannot start the steering controller');
    const pid = child.pid;
    children.set(pid, child);
    child.once('exit', () => children.delete(pid)); // reaped, so alive() sees it gone
    child.unref();
    return pid;
  };

  const prev = readSupervisorStatus(runDir);
  const st: SupervisorStatus = {
    pid: process.pid,
    // a restarted supervisor adopts the controllers still running
    activePid: prev && alive(prev.activePid) ? prev.activePid : 0,
    standbyPid: prev && alive(prev.standbyPid) ? prev.standbyPid : 0,
    restarts: prev?.restarts ?? 0,
    ...(prev?.lastRestartAt ? { lastRestartAt: prev.lastRestartAt } : {}),
    ...(prev?.lastExit ? { lastExit: prev.lastExit } : {}),
    downed: prev?.downed ?? [],
    startedAt: Date.now(),
  };
  if (!st.activePid) st.activePid = spawnDaemon(false);
  let lastStandby = 0;
  const save = () => writeJsonAtomic(supervisorStatusPath(runDir), st);
  save();

  let state: DeploymentState = loadState(runDir);
  let mtime = 0;
  const downed = new Set(st.downed); // `${id}:${pid}`
  let busy = false;
  let again = false;
  // An instance's or the active controller's exit runs a tick at once (exit-watch.ts); the
  // 20 ms poll stays for everything else (hangs, a state.json change, no pidfd support).
  const exits = new ExitWatcher(() => void tick());
  const tick = async () => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      let changed = false;
      const h = readControllerHealth(runDir);
      const hung = alive(st.activePid) && h !== undefined && h.pid === st.activePid && Date.now() - h.reconciledAt > HUNG_MS;
      if (hung) {
        process.kill(st.activePid, 'SIGKILL');
        children.get(st.activePid)?.kill('SIGKILL');
      }
      if (hung || !alive(st.activePid)) {
        st.lastExit = hung ? `controller pid ${st.activePid} hung (no reconcile for ${Date.now() - (h?.reconciledAt ?? 0)} ms), killed` : `controller pid ${st.activePid} gone`;
        if (st.standbyPid && alive(st.standbyPid) && existsSync(standbyReadyPath(runDir, st.standbyPid))) {
          process.kill(st.standbyPid, 'SIGUSR2');
          st.activePid = st.standbyPid;
          st.standbyPid = 0;
        } else st.activePid = spawnDaemon(false);
        st.restarts++;
        st.lastRestartAt = Date.now();
        changed = true;
      }
      if ((!st.standbyPid || !alive(st.standbyPid)) && Date.now() - lastStandby > STANDBY_BACKOFF_MS) {
        st.standbyPid = spawnDaemon(true);
        lastStandby = Date.now();
        changed = true;
      }
      try {
        const m = statSync(statePath(runDir)).mtimeMs;
        if (m !== mtime) {
          state = loadState(runDir);
          mtime = m;
        }
      } catch {
        /* being replaced: keep the last one */
      }
      exits.watch(st.activePid);
      for (const i of state.instances) exits.watch(i.pid);
      exits.retain([st.activePid, ...state.instances.map((i) => i.pid)]);
      for (const i of state.instances) {
        const key = `${i.id}:${i.pid}`;
        if (!i.pid || downed.has(key) || alive(i.pid)) continue;
        downed.add(key);
        changed = true;
        const ifs = [leg(state.chain, i.slot, 'in').instIf, leg(state.chain, i.slot, 'out').instIf];
        await ipBatch(i.ns, ifs.map((f) => `link set ${f} down`)).catch(() => undefined);
      }
      // forget instances that were removed or restarted
      const current = new Set(state.instances.map((i) => `${i.id}:${i.pid}`));
      for (const k of downed) if (!current.has(k)) (downed.delete(k), (changed = true));
      if (changed) {
        st.downed = [...downed];
        save();
      }
    } finally {
      busy = false;
      if (again) {
        again = false;
        void tick();
      }
    }
  };
  const timer = setInterval(() => void tick(), TICK_MS);

  const sock = controllerMetricsSocket(runDir);
  rmSync(sock, { force: true });
  const server = createServer((_req, res) => {
    const body = renderControllerMetrics({
      vnf: state.vnf,
      supervisor: st,
      activeUp: alive(st.activePid),
      standbyUp: alive(st.standbyPid),
      health: readControllerHealth(runDir),
      steering: readSteeringStatus(runDir),
      epoch: readStoreEpochStatus(runDir),
      now: Date.now(),
    });
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body);
  });
  server.listen(sock);

  return () => {
    clearInterval(timer);
    exits.close();
    st.stopping = true;
    save();
    server.close();
    rmSync(sock, { force: true });
    for (const pid of [st.activePid, st.standbyPid]) {
      try {
        if (pid) process.kill(pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
    closeSync(logFd);
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: supervisor.ts <run dir>');
    process.exit(2);
  }
  runSupervisor(dir).then(
    (stop) => {
      const bye = () => {
        stop();
        process.exit(0);
      };
      process.once('SIGTERM', bye);
      process.once('SIGINT', bye);
    },
    (e: unknown) => {
      console.error(`steering supervisor: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    },
  );
}
