// Terminate (SOL003 5.4.8): the deployment is deleted, the VNF's state purged from the store when
// asked (additionalParams.purgeState / snf_purge_state, else the config's purgeOnTerminate), and
// its deployment name released. Rollback (asked only while the deployment is still there, which
// the conductor checks) returns the VNF to what the VIM has.
import type { DriverContext, OpDriver } from './context.js';
import { resync } from './heal.js';

export const terminateDriver: OpDriver = {
  async process(ctx: DriverContext) {
    const { rec, op } = ctx;
    const before = rec.vnf.instantiatedVnfInfo?.vnfcResourceInfo ?? [];
    if (rec.internal.deploymentId) await ctx.vim.terminate(rec.internal.deploymentId, ctx.opts);
    const p = op.op.operationParams?.additionalParams;
    const params = typeof p === 'object' && p !== null ? (p as Record<string, unknown>) : {};
    if ((params.purgeState ?? params.snf_purge_state ?? ctx.purgeOnTerminate) === true && ctx.purge) await ctx.purge(rec.internal.storeVnf);
    op.op.resourceChanges = { affectedVnfcs: before.map((v) => ({ id: v.id, vduId: v.vduId, changeType: 'REMOVED' as const, computeResource: v.computeResource })) };
    rec.vnf.instantiationState = 'NOT_INSTANTIATED';
    delete rec.vnf.instantiatedVnfInfo;
    const { vim: vimName, deploymentName: name } = rec.internal;
    rec.internal = { storeVnf: rec.internal.storeVnf, vim: rec.internal.vim };
    await ctx.saveVnf();
    if (vimName && name) await ctx.releaseName(vimName, name);
  },
  rollback: resync,
};
