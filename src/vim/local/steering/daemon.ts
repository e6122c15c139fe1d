// The steering process of a local deployment, run by the supervisor (supervisor.ts):
//   node --import tsx src/vim/local/steering/daemon.ts <run dir> [--standby]
// It runs the SteeringController against the deployment's registry, takes the candidate set from
// state.json (re-read when it changes, so `snf scale` needs no other channel), publishes what it
// programmed in steering.json and logs every change as a JSON line in steering.log.
//
// --standby: load, connect and wait; SIGUSR2 makes it the active controller. The supervisor keeps
// one standby warm so that a killed controller is replaced in milliseconds, not in the seconds a
// loaded machine takes to start Node and compile TypeScript.
import { appendFileSync, closeSync, openSync, rmSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { closeStore } from '../../../store/index.js';
import { connectControl } from '../../../store/control-client.js';
import { alive, spawnInNs } from '../sh.js';
import { loadAccess, roleAuth, seedFor } from '../store-access.js';
import { loadState, readSteeringStatus, readSupervisorStatus, standbyReadyPath, statePath, steeringStatusPath, controllerHealthPath, type DeploymentState } from '../state.js';
import { SteeringController, type Candidate, type SteeringEvent } from './controller.js';
import { ExitWatcher } from '../exit-watch.js';
import { raiseControlPriority } from '../priority.js';
import { EpochWatch } from './epoch-watch.js';
import { netlinkRoutes } from './route-sockets.js';

/** How often the controller records that it reconciled (the file feeds `snf status` and metrics). */
const HEALTH_EVERY_MS = 200;
/** How often the store epoch is checked (two GETs): a wiped store is noticed within this. */
const EPOCH_EVERY_MS = 250;

export async function runDaemon(runDir: string, waitForTurn?: Promise<void>): Promise<() => Promise<void>> {
  // inherited from the supervisor; raised again for a controller started some other way
  const prio = raiseControlPriority();
  let state: DeploymentState = loadState(runDir);
  let mtime = statSync(statePath(runDir)).mtimeMs;
  const logFile = join(runDir, 'steering.log');
  const log = (o: Record<string, unknown>) => appendFileSync(logFile, JSON.stringify({ at: Date.now(), pid: process.pid, ...o }) + '\n');
  const access = loadAccess(runDir);
  const redis = await connectControl(seedFor(state.store.seed, access), 'snf-steering', 3000, undefined, roleAuth(access, 'control'));
  if (waitForTurn) {
    // loaded and connected: the supervisor may promote this process now (not before: SIGUSR2
    // would reach a process that has no handler yet and kill it)
    writeFileSync(standbyReadyPath(runDir, process.pid), '');
    await waitForTurn;
    rmSync(standbyReadyPath(runDir, process.pid), { force: true });
  }
  let seq = readSteeringStatus(runDir)?.seq ?? 0;
  // The exit itself, not the next poll, triggers the removal (exit-watch.ts).
  let onDeath = () => undefined as void;
  const exits = new ExitWatcher(() => onDeath());
  const candidates = () => {
    try {
      const m = statSync(statePath(runDir)).mtimeMs;
      if (m !== mtime) {
        state = loadState(runDir);
        mtime = m;
      }
    } catch {
      /* state.json being replaced or gone: keep the last one */
    }
    // A process that is gone is a confirmed death: on one machine the VIM sees it itself (as
    // Nova would report a VM down), and every ms saved is a ms of traffic not sent into a dead
    // instance. Heartbeats catch the rest: hung processes, a dead data plane thread.
    const steer = state.instances.filter((i) => i.steer);
    for (const i of steer) exits.watch(i.pid);
    exits.retain(steer.map((i) => i.pid));
    return new Map<string, Candidate>(steer.map((i) => [i.id, { slot: i.slot, dead: exits.exited(i.pid) || !alive(i.pid) }]));
  };
  const publish = (e: SteeringEvent) => {
    const tmp = `${steeringStatusPath(runDir)}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ ids: e.ids, slots: e.slots, at: e.at, seq: ++seq, by: process.pid }));
    renameSync(tmp, steeringStatusPath(runDir));
    log({ event: 'steering', ...e });
  };
  let lastHealth = 0;
  const reconciled = (at: number) => {
    if (at - lastHealth < HEALTH_EVERY_MS) return;
    lastHealth = at;
    const tmp = `${controllerHealthPath(runDir)}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ pid: process.pid, reconciledAt: at }));
    renameSync(tmp, controllerHealthPath(runDir));
  };
  // Adopt what the previous controller programmed: re-proving every instance from scratch would
  // empty the steering for a few heartbeats.
  const prev = readSteeringStatus(runDir);
  const initial = prev ? new Map(prev.ids.map((id, i) => [id, prev.slots[i]] as const)) : undefined;
  const ctl = new SteeringController({
    store: redis,
    vnf: state.vnf,
    prefix: state.name,
    chain: state.chain,
    mode: state.mode,
    pinned: state.dataStore === 'local',
    heartbeatMs: state.heartbeat.periodMs,
    ...(state.detection ? { missToRemove: state.detection.missToRemove, goodToAdd: state.detection.goodToAdd } : {}),
    ...(initial ? { initial } : {}),
    candidates,
    onChange: publish,
    onReconciled: reconciled,
    onError: (e) => log({ event: 'error', message: e.message }),
  });
  onDeath = () => void ctl.confirmDeaths();
  await ctl.start();
  log({ event: 'started', mode: state.mode, adopted: prev?.ids ?? [], deathWatch: exits.mode, routes: state.mode === 'hash' && state.dataStore !== 'local' && netlinkRoutes() ? 'netlink' : 'ip', nice: prio.nice, ...(prio.error ? { niceError: prio.error } : {}) });
  const epochs = new EpochWatch({ store: redis, vnf: state.vnf, runDir, log });
  let epochBusy = false;
  let epochError = '';
  let supervisorSpawnedAt = 0;
  const epochTimer = setInterval(() => {
    // The supervisor and the active controller watch each other: a dead supervisor is restarted
    // (it adopts this process and the standby from controller.json).
    const sup = readSupervisorStatus(runDir);
    if (sup && !sup.stopping && sup.activePid === process.pid && !alive(sup.pid) && Date.now() - supervisorSpawnedAt > 5000) {
      supervisorSpawnedAt = Date.now();
      const fd = openSync(join(runDir, 'steering.out'), 'a');
      try {
        const { pid } = spawnInNs(undefined, [process.execPath, '--import', 'tsx', fileURLToPath(new URL('./supervisor.ts', import.meta.url)), runDir], fd, process.cwd());
        log({ event: 'supervisor-restarted', previous: sup.pid, pid });
      } finally {
        closeSync(fd);
      }
    }
    if (epochBusy) return;
    epochBusy = true;
    epochs
      .check()
      .then(
        () => (epochError = ''),
        (e: Error) => {
          if (e.message !== epochError) log({ event: 'error', message: `store epoch: ${e.message}` });
          epochError = e.message;
        },
      )
      .finally(() => (epochBusy = false));
  }, EPOCH_EVERY_MS);
  return async () => {
    clearInterval(epochTimer);
    ctl.stop();
    exits.close();
    await closeStore(redis);
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: daemon.ts <run dir> [--standby]');
    process.exit(2);
  }
  const standby = process.argv[3] === '--standby';
  const turn = standby ? new Promise<void>((resolve) => process.once('SIGUSR2', () => resolve())) : undefined;
  let stop: (() => Promise<void>) | undefined;
  const bye = () => void (stop ? stop() : Promise.resolve()).finally(() => process.exit(0));
  process.once('SIGTERM', bye);
  process.once('SIGINT', bye);
  runDaemon(dir, turn).then(
    (s) => {
      stop = s;
    },
    (e: unknown) => {
      console.error(`steering: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    },
  );
}
