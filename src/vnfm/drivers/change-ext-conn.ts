// Change External VNF Connectivity (SOL003 5.4.11): the deployment's connection points named in
// the request are attached to the new networks (a Heat stack update of their parameters); the
// others keep theirs. Rollback attaches the changed ones back to their previous networks.
import { mergeLinks, parseChangeExtConn } from '../requests.js';
import { deploymentOf, linkInfo, setLinks, vimLinks, type DriverContext, type OpDriver } from './context.js';

export const changeExtConnDriver: OpDriver = {
  async process(ctx) {
    const req = parseChangeExtConn(ctx.op.op.operationParams ?? {});
    const dep = deploymentOf(ctx);
    const before = (await ctx.vim.instances(dep)).map((i) => i.id);
    const res = await ctx.vim.change(dep, { extVirtualLinks: vimLinks(req.extVirtualLinks) }, ctx.opts);
    setLinks(ctx.rec, mergeLinks(ctx.op.internal.prevLinks ?? [], req.extVirtualLinks));
    ctx.op.op.changedExtConnectivity = linkInfo(req.extVirtualLinks, Object.keys(ctx.rec.vnf.vimConnectionInfo ?? {})[0]);
    ctx.refresh(res.instances.length ? res.instances : await ctx.vim.instances(dep), before);
    await ctx.saveVnf();
  },
  async rollback(ctx) {
    const req = parseChangeExtConn(ctx.op.op.operationParams ?? {});
    const prev = ctx.op.internal.prevLinks ?? [];
    const changed = new Set(req.extVirtualLinks.flatMap((l) => l.extCps.map((c) => c.cpdId)));
    // The previous networks of the changed CPDs; a CPD that had none keeps the new one (the
    // deployment's own default is not known here), which the rollback's VNF instance then shows.
    const back = prev.map((l) => ({ ...l, extCps: l.extCps.filter((c) => changed.has(c.cpdId)) })).filter((l) => l.extCps.length);
    const dep = deploymentOf(ctx);
    const before = (await ctx.vim.instances(dep)).map((i) => i.id);
    if (back.length) await ctx.vim.change(dep, { extVirtualLinks: vimLinks(back) }, ctx.opts);
    const restored = new Set(back.flatMap((l) => l.extCps.map((c) => c.cpdId)));
    const kept = req.extVirtualLinks.map((l) => ({ ...l, extCps: l.extCps.filter((c) => !restored.has(c.cpdId)) })).filter((l) => l.extCps.length);
    setLinks(ctx.rec, mergeLinks(prev, kept));
    ctx.refresh(await ctx.vim.instances(dep), before);
    await ctx.saveVnf();
  },
};
