// The live view of everything a VNF manager runs: each instantiated VNF (its instances through
// the local VIM's processes and steering status when it lives on the local VIM, through the
// registry and metrics otherwise), the LCM operation history and notification deliveries.
// It reads the VNFM through a narrow seam (VnfmFacts) so the VNFM's internals can move.
import { LocalDeployment } from '../vim/local/deployment.js';
import type { StoreClient } from '../store/index.js';
import type { DeliveryRecord } from '../vnfm/notify.js';
import type { OpRecord, VnfRecord } from '../vnfm/types.js';
import { VnfCollector, type CollectorOptions } from './collect.js';
import { localVnfView } from './local-source.js';
import type { NotificationView, OpView, VnfView } from './model.js';
import type { Collected, ViewSource } from './source.js';

export interface VnfmFacts {
  listVnfs(): Promise<VnfRecord[]>;
  listOps(): Promise<OpRecord[]>;
  deliveries(): readonly DeliveryRecord[];
  /** kind of the VIM a VNF record names ('local', 'openstack'), if known */
  vimKind(name: string | undefined): string | undefined;
  /** the StatelessNF state store */
  store: StoreClient;
  /** run root of the local VIM's deployments (default /run/snf or $SNF_RUN_DIR) */
  localRunRoot?: string;
}

/** Operations shown, newest first. */
const MAX_OPS = 50;
const MAX_NOTIFICATIONS = 50;

export class VnfmSource implements ViewSource {
  readonly kind = 'vnfm';
  private readonly collectors = new Map<string, VnfCollector>();
  private readonly locals = new Map<string, LocalDeployment>();

  constructor(private readonly f: VnfmFacts, private readonly o: CollectorOptions = {}) {}

  private collector(vnf: string): VnfCollector {
    let c = this.collectors.get(vnf);
    if (!c) this.collectors.set(vnf, (c = new VnfCollector(this.o)));
    return c;
  }

  private async vnfView(rec: VnfRecord, now: number): Promise<VnfView> {
    const vnf = rec.internal.storeVnf;
    const id = rec.vnf.id;
    if (this.f.vimKind(rec.internal.vim) === 'local' && rec.internal.deploymentId) {
      let d = this.locals.get(rec.internal.deploymentId);
      if (!d) {
        try {
          d = LocalDeployment.load(rec.internal.deploymentId, this.f.localRunRoot);
          this.locals.set(rec.internal.deploymentId, d);
        } catch {
          /* not on this machine: read the registry instead */
        }
      }
      if (d) return localVnfView(d, this.collector(vnf), now, id);
    }
    return this.collector(vnf).collect({ vnf, chain: [], store: this.f.store, vnfInstanceId: id }, now);
  }

  async collect(now: number): Promise<Collected> {
    const recs = (await this.f.listVnfs()).filter((r) => r.vnf.instantiationState === 'INSTANTIATED');
    const vnfs = await Promise.all(recs.map((r) => this.vnfView(r, now)));
    const live = new Set(recs.map((r) => r.internal.deploymentId));
    for (const [dep, d] of this.locals) {
      if (live.has(dep)) continue;
      await d.close().catch(() => undefined);
      this.locals.delete(dep);
    }
    const operations: OpView[] = (await this.f.listOps())
      .map((r) => r.op)
      .sort((a, b) => (a.startTime < b.startTime ? 1 : a.startTime > b.startTime ? -1 : 0))
      .slice(0, MAX_OPS)
      .map((op) => ({
        id: op.id,
        vnfInstanceId: op.vnfInstanceId,
        operation: op.operation,
        state: op.operationState,
        startTime: op.startTime,
        stateEnteredTime: op.stateEnteredTime,
        automatic: op.isAutomaticInvocation,
        ...(op.error ? { error: op.error.detail } : {}),
      }));
    const notifications: NotificationView[] = this.f
      .deliveries()
      .slice(-MAX_NOTIFICATIONS)
      .reverse()
      .map((d) => ({ subscriptionId: d.subscriptionId, notificationId: d.notificationId, attempts: d.attempts, delivered: d.delivered, ...(d.error ? { error: d.error } : {}) }));
    return { vnfs, operations, notifications };
  }

  async close(): Promise<void> {
    for (const d of this.locals.values()) await d.close().catch(() => undefined);
    this.locals.clear();
  }
}
