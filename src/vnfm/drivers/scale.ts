// Scale and Scale to Level (SOL003 5.4.5, 5.4.6): the target size per aspect was fixed when the
// operation started, so a retry resizes to the same sizes (an aspect already there is skipped)
// and rollback resizes back to the sizes before.
import { deploymentOf, type DriverContext, type OpDriver } from './context.js';
import type { VimInstance } from '../../vim/types.js';

async function resize(ctx: DriverContext, target: Record<string, number>): Promise<void> {
  const dep = deploymentOf(ctx);
  const start = await ctx.vim.instances(dep);
  ctx.op.internal.instancesBefore ??= start.map((i) => i.id);
  let last: VimInstance[] = start;
  for (const [aspect, size] of Object.entries(target)) {
    const now = last.filter((i) => i.aspect === aspect && i.status !== 'deleting').length;
    if (now === size) continue; // retried after this aspect was done
    last = (await ctx.vim.scale(dep, { aspect, target: size }, ctx.opts)).instances;
  }
  ctx.rec.internal.aspectSizes = { ...(ctx.rec.internal.aspectSizes ?? {}), ...target };
  ctx.refresh(await ctx.vim.instances(dep), ctx.op.internal.instancesBefore);
  await ctx.saveVnf();
}

export const scaleDriver: OpDriver = {
  async process(ctx) {
    await resize(ctx, ctx.op.internal.target ?? {});
  },
  async rollback(ctx) {
    const before = ctx.op.internal.before ?? {};
    await resize(ctx, Object.fromEntries(Object.keys(ctx.op.internal.target ?? {}).map((a) => [a, before[a] ?? 0])));
  },
};
