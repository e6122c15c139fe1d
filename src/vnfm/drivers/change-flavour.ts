// Change VNF Flavour (SOL003 5.4.7): the deployment is updated in place to the new flavour's
// artifacts (a Heat stack update with its template) at the sizes of the requested
// instantiation level, with the grant's placement and any external links the request changes.
// Rollback updates it back to the old flavour, sizes and links.
import { own } from '../own.js';
import { mergeLinks, parseChangeFlavour, type ExtVirtualLinkData } from '../requests.js';
import { deploymentOf, linkInfo, setLinks, vimLinks, type DriverContext, type OpDriver } from './context.js';

async function apply(ctx: DriverContext, flavourId: string, sizes: Record<string, number>, links: ExtVirtualLinkData[], params?: Record<string, unknown>): Promise<void> {
  const dep = deploymentOf(ctx);
  const placement = ctx.op.internal.placement ?? ctx.rec.internal.placement;
  if (!ctx.vnfd) throw new Error(`VNFD ${ctx.rec.vnf.vnfdId} is not in the catalogue: no artifacts for flavour "${flavourId}"`);
  const before = (await ctx.vim.instances(dep)).map((i) => i.id);
  const res = await ctx.vim.change(
    dep,
    {
      flavourId,
      artifacts: own(ctx.vnfd.artifacts, flavourId) ?? {},
      aspectSizes: sizes,
      extVirtualLinks: vimLinks(links),
      ...(placement?.vdus ? { vdus: placement.vdus } : {}),
      ...(placement?.zone ? { zone: placement.zone } : {}),
      ...(params ? { additionalParams: params } : {}),
    },
    ctx.opts,
  );
  ctx.rec.vnf.instantiatedVnfInfo!.flavourId = flavourId;
  ctx.rec.internal.aspectSizes = { ...sizes };
  setLinks(ctx.rec, links);
  ctx.refresh(res.instances.length ? res.instances : await ctx.vim.instances(dep), before);
  await ctx.saveVnf();
}

export const changeFlavourDriver: OpDriver = {
  async process(ctx) {
    const req = parseChangeFlavour(ctx.op.op.operationParams ?? {});
    const prev = ctx.op.internal.prevLinks ?? [];
    const links = req.extVirtualLinks ? mergeLinks(prev, req.extVirtualLinks) : prev;
    if (ctx.op.internal.placement) ctx.rec.internal.placement = ctx.op.internal.placement;
    await apply(ctx, req.newFlavourId, ctx.op.internal.target ?? {}, links, req.additionalParams);
    if (req.extVirtualLinks) ctx.op.op.changedExtConnectivity = linkInfo(req.extVirtualLinks);
  },
  async rollback(ctx) {
    const prevFlavour = ctx.op.internal.prevFlavourId;
    if (!prevFlavour) throw new Error('rollback of CHANGE_FLAVOUR: the previous flavour was not recorded');
    await apply(ctx, prevFlavour, ctx.op.internal.before ?? {}, ctx.op.internal.prevLinks ?? []);
  },
};
