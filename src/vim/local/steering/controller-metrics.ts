// Prometheus text for the steering controller's health, served by the supervisor (the one
// process that outlives a dead controller, so "down" can be reported at all).
import type { ControllerHealth, SteeringStatus, SupervisorStatus } from '../state.js';
import type { StoreEpochStatus } from './epoch-watch.js';

/** A controller that has not reconciled for this long is reported down even if its process runs. */
export const STALE_RECONCILE_MS = 2000;

export interface ControllerView {
  vnf: string;
  supervisor: SupervisorStatus | undefined;
  activeUp: boolean;
  standbyUp: boolean;
  health: ControllerHealth | undefined;
  steering: SteeringStatus | undefined;
  epoch: StoreEpochStatus | undefined;
  now: number;
}

/** up = the active process runs and reconciled within STALE_RECONCILE_MS. */
export function controllerUp(v: ControllerView): boolean {
  return v.activeUp && v.health !== undefined && v.health.pid === v.supervisor?.activePid && v.now - v.health.reconciledAt < STALE_RECONCILE_MS;
}

function esc(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function renderControllerMetrics(v: ControllerView): string {
  const l = `vnf="${esc(v.vnf)}"`;
  const out: string[] = [];
  const metric = (name: string, type: string, help: string, value: number, labels = l) =>
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name}{${labels}} ${value}`);
  metric('snf_steering_controller_up', 'gauge', '1 when the active steering controller runs and reconciled recently.', controllerUp(v) ? 1 : 0);
  metric('snf_steering_standby_up', 'gauge', '1 when a warm standby controller is ready.', v.standbyUp ? 1 : 0);
  metric('snf_steering_controller_restarts_total', 'counter', 'Times the active controller died and was replaced.', v.supervisor?.restarts ?? 0);
  metric(
    'snf_steering_last_reconcile_age_seconds',
    'gauge',
    'Seconds since the controller last read the registry and checked the steering.',
    v.health ? Math.max(0, (v.now - v.health.reconciledAt) / 1000) : -1,
  );
  metric('snf_steering_instances', 'gauge', 'Instances the steering sends traffic to.', v.steering?.ids.length ?? 0);
  metric('snf_steering_links_down_instances', 'gauge', 'Dead instances whose links the supervisor took down.', v.supervisor?.downed.length ?? 0);
  if (v.epoch) {
    metric('snf_store_epoch_info', 'gauge', 'The store epoch in force (label).', 1, `${l},epoch="${esc(v.epoch.epoch)}"`);
    metric('snf_store_losses_total', 'counter', 'Times the store was found wiped or restarted empty.', v.epoch.losses);
    metric('snf_store_last_restore_timestamp_seconds', 'gauge', 'When the control tables were last restored after a loss (0: never).', v.epoch.lastLoss?.restoredGeneration !== undefined ? v.epoch.lastLoss.at / 1000 : 0);
  }
  return out.join('\n') + '\n';
}
