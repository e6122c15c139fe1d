// Operate VNF (SOL003 5.4.10): stop or start every VNFC through the VIM. Rollback puts the VNF
// back in the state it was in before.
import { parseOperate, type OperateVnfRequest } from '../requests.js';
import { deploymentOf, type DriverContext, type OpDriver } from './context.js';

async function apply(ctx: DriverContext, state: 'STARTED' | 'STOPPED', req?: OperateVnfRequest): Promise<void> {
  const dep = deploymentOf(ctx);
  const graceful = state === 'STOPPED' && req?.stopType === 'GRACEFUL';
  const before = (await ctx.vim.instances(dep)).map((i) => i.id);
  const res = await ctx.vim.operate(dep, { state, ...(graceful ? { graceful, gracefulStopTimeoutMs: (req?.gracefulStopTimeout ?? 0) * 1000 } : {}) }, ctx.opts);
  ctx.rec.vnf.instantiatedVnfInfo!.vnfState = state;
  ctx.refresh(res.instances.length ? res.instances : await ctx.vim.instances(dep), before);
  await ctx.saveVnf();
}

export const operateDriver: OpDriver = {
  async process(ctx) {
    const req = parseOperate(ctx.op.op.operationParams ?? {});
    await apply(ctx, req.changeStateTo, req);
  },
  async rollback(ctx) {
    await apply(ctx, ctx.op.internal.prevState ?? 'STARTED');
  },
};
