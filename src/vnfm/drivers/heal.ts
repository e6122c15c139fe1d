// Heal (SOL003 5.4.9): the VNFCs named when the operation started (none: those the VIM reports
// unhealthy) are replaced. Rollback cannot put failed instances back: it returns the VNF to
// what the VIM has (see resync).
import { deploymentOf, type DriverContext, type OpDriver } from './context.js';

/**
 * The rollback of operations that cannot be undone on the VIM (heal, and a terminate whose
 * deployment is still there): the VNF instance stays INSTANTIATED with its VNFC list as the VIM
 * reports it.
 */
export async function resync(ctx: DriverContext): Promise<void> {
  const dep = deploymentOf(ctx);
  ctx.refresh(await ctx.vim.instances(dep), ctx.op.internal.instancesBefore ?? (ctx.rec.vnf.instantiatedVnfInfo?.vnfcResourceInfo ?? []).map((v) => v.id));
  await ctx.saveVnf();
}

export const healDriver: OpDriver = {
  async process(ctx) {
    const { rec, op, vim } = ctx;
    const dep = deploymentOf(ctx);
    const vnfcs = rec.vnf.instantiatedVnfInfo?.vnfcResourceInfo ?? [];
    let names = op.internal.heal ?? [];
    const current = await vim.instances(dep);
    if (names.length === 0) {
      // Heal of the whole VNF: replace what the VIM reports as not healthy.
      names = vnfcs.filter((v) => current.find((i) => i.id === v.computeResource.resourceId)?.status !== 'ok').map((v) => v.id);
    }
    const before = current.map((i) => i.id);
    for (const name of names) {
      const vnfc = vnfcs.find((v) => v.id === name);
      if (!vnfc) continue;
      // Already replaced by an earlier attempt of this operation (a retry): nothing to do.
      if (!before.includes(vnfc.computeResource.resourceId)) continue;
      await vim.heal(dep, vnfc.computeResource.resourceId, ctx.opts);
    }
    ctx.refresh(await vim.instances(dep), op.internal.instancesBefore ?? before);
    await ctx.saveVnf();
  },
  rollback: resync,
};
