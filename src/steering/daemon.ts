// The steering process of a local deployment: `snf up` starts it detached in the root namespace
//   node --import tsx src/steering/daemon.ts <run dir>
// It runs the SteeringController against the deployment's registry, takes the candidate set from
// state.json (re-read when it changes, so `snf scale` needs no other channel), publishes what it
// programmed in steering.json and logs every change as a JSON line in steering.log.
import { appendFileSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { closeStore } from '../store/index.js';
import { connectControl } from '../vim/local/store-client.js';
import { alive } from '../vim/local/sh.js';
import { loadState, statePath, steeringStatusPath, type DeploymentState } from '../vim/local/state.js';
import { SteeringController, type SteeringEvent } from './controller.js';

export async function runDaemon(runDir: string): Promise<() => Promise<void>> {
  let state: DeploymentState = loadState(runDir);
  let mtime = statSync(statePath(runDir)).mtimeMs;
  const logFile = join(runDir, 'steering.log');
  const log = (o: Record<string, unknown>) => appendFileSync(logFile, JSON.stringify({ at: Date.now(), ...o }) + '\n');
  const redis = await connectControl(state.store.seed, 'snf-steering');
  let seq = 0;
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
    // A process that is gone is dropped without waiting for its heartbeat to expire: on one
    // machine the VIM sees the death itself (as Nova would report a VM down), and every ms
    // saved is a ms of traffic not sent into a dead instance. Heartbeats still catch the rest:
    // hung processes, a dead data plane thread, a partitioned store.
    return new Map(state.instances.filter((i) => i.steer && alive(i.pid)).map((i) => [i.id, i.slot] as const));
  };
  const publish = (e: SteeringEvent) => {
    const tmp = `${steeringStatusPath(runDir)}.tmp`;
    writeFileSync(tmp, JSON.stringify({ ids: e.ids, slots: e.slots, at: e.at, seq: ++seq }));
    renameSync(tmp, steeringStatusPath(runDir));
    log({ event: 'steering', ...e });
  };
  const ctl = new SteeringController({
    store: redis,
    vnf: state.vnf,
    prefix: state.name,
    chain: state.chain,
    mode: state.mode,
    pinned: state.dataStore === 'local',
    candidates,
    onChange: publish,
    onError: (e) => log({ event: 'error', message: e.message }),
  });
  await ctl.start();
  log({ event: 'started', pid: process.pid, mode: state.mode });
  return async () => {
    ctl.stop();
    await closeStore(redis);
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: daemon.ts <run dir>');
    process.exit(2);
  }
  runDaemon(dir).then(
    (stop) => {
      const bye = () => void stop().finally(() => process.exit(0));
      process.once('SIGTERM', bye);
      process.once('SIGINT', bye);
    },
    (e: unknown) => {
      console.error(`steering: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    },
  );
}
