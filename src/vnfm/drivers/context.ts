// What an operation driver gets from the conductor (lcm.ts): the VNF and the operation as they
// are stored, the VIM the VNF lives on, and the conductor's bookkeeping. A driver does one
// operation's VIM work (process) and its undo (rollback); the state machine is not its business.
import type { OperationOptions, VimInstance, Vim } from '../../vim/types.js';
import type { ExtVirtualLinkData } from '../requests.js';
import type { InstantiatedVnfInfo, OpRecord, VnfdInfo, VnfRecord } from '../types.js';

export interface DriverContext {
  rec: VnfRecord;
  op: OpRecord;
  vim: Vim;
  /** absent when the catalogue lost it: only drivers that deploy from it need it */
  vnfd: VnfdInfo | undefined;
  opts: OperationOptions;
  /** the VNFC list (and scale status) from the VIM's instances, and the op's resource changes */
  refresh(instances: VimInstance[], before: string[]): void;
  saveVnf(): Promise<void>;
  /** frees the deployment name the VNF reserved on its VIM */
  releaseName(vim: string, name: string): Promise<void>;
  /** removes the VNF's flows from the StatelessNF store; undefined when none is configured */
  purge?: (storeVnf: string) => Promise<void>;
  purgeOnTerminate: boolean;
}

export interface OpDriver {
  process(ctx: DriverContext): Promise<void>;
  rollback(ctx: DriverContext): Promise<void>;
}

/** SOL003 ExtVirtualLinkInfo of the links a VNF is connected to. */
export function linkInfo(links: ExtVirtualLinkData[], vimConnectionId?: string): NonNullable<InstantiatedVnfInfo['extVirtualLinkInfo']> {
  return links.map((l) => ({
    id: l.id,
    resourceHandle: { resourceId: l.resourceId, ...((l.vimConnectionId ?? vimConnectionId) ? { vimConnectionId: l.vimConnectionId ?? vimConnectionId } : {}) },
    // cpConfig is not echoed: its shape differs between the dialects, and the CPD is what is connected.
    currentVnfExtCpData: l.extCps.map((c) => ({ cpdId: c.cpdId })),
  }));
}

/** The VIM's form of links: which CPDs attach to which network. */
export function vimLinks(links: ExtVirtualLinkData[]): Array<{ resourceId: string; cpdIds: string[] }> {
  return links.map((l) => ({ resourceId: l.resourceId, cpdIds: l.extCps.map((c) => c.cpdId) }));
}

/** Records the VNF's links, and their ExtVirtualLinkInfo in its instantiatedVnfInfo. */
export function setLinks(rec: VnfRecord, links: ExtVirtualLinkData[]): void {
  rec.internal.extVirtualLinks = links;
  if (!rec.vnf.instantiatedVnfInfo) return;
  if (links.length) rec.vnf.instantiatedVnfInfo.extVirtualLinkInfo = linkInfo(links, Object.keys(rec.vnf.vimConnectionInfo ?? {})[0]);
  else delete rec.vnf.instantiatedVnfInfo.extVirtualLinkInfo;
}

export function deploymentOf(ctx: DriverContext): string {
  const dep = ctx.rec.internal.deploymentId;
  if (!dep) throw new Error(`VNF instance ${ctx.rec.vnf.id} has no deployment on its VIM`);
  return dep;
}
