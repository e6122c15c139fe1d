// One way to get a VIM from its configuration, for every caller (the VNF manager, the CLI):
// the VIMs themselves stay behind the seam in types.ts.
import { HeatClient, Session } from '../openstack/index.js';
import { OpenStackVim } from './openstack/index.js';
import { LocalVim } from './local/vim.js';
import type { Vim } from './types.js';

export type { Vim, VimInstance, VimProgress, VimEvent, OperationOptions, OperationResult, InstantiateRequest, ScaleRequest, DeploymentId } from './types.js';
export { VimRequestError } from './types.js';

export type VimConfig = { kind: 'openstack'; heatUrl?: string; cloud?: string; pollMs?: number } | { kind: 'local'; runRoot?: string };

export function makeVim(c: VimConfig): Vim {
  if (c.kind === 'local') return new LocalVim(c.runRoot);
  if (c.kind !== 'openstack') throw new Error(`vim.kind: must be openstack or local, got ${JSON.stringify((c as { kind: unknown }).kind)}`);
  const session = c.heatUrl ? Session.noauth({ orchestration: c.heatUrl }) : Session.fromEnvironment({ cloud: c.cloud });
  return new OpenStackVim(new HeatClient(session), { pollMs: c.pollMs });
}
