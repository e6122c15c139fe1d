// The LCM state machine and the lifecycle translation onto a Vim. An operation is taken (one at
// a time per VNF instance: SET NX in the store), answered with 202 while STARTING, then granted
// (when an NFVO is configured), PROCESSING, and COMPLETED or FAILED_TEMP. FAILED_TEMP keeps the
// VNF taken until retry, rollback or fail. Every state change is written to Redis before it is
// notified, so a restart resumes from what subscribers were told.
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { Vim, VimInstance, VimProgress } from '../vim/types.js';
import { ApiError, badRequest, conflict, notFound, unprocessable } from './problem.js';
import { own, setOwn } from './own.js';
import { GrantRejected, type GrantClient } from './grant.js';
import { parseChangeExtConn, parseChangeFlavour, parseHeal, parseInstantiate, parseOperate, parseScale, parseScaleToLevel } from './requests.js';
import { setLinks, vimLinks, type DriverContext, type OpDriver } from './drivers/context.js';
import { operateDriver } from './drivers/operate.js';
import { scaleDriver } from './drivers/scale.js';
import { healDriver } from './drivers/heal.js';
import { terminateDriver } from './drivers/terminate.js';
import { changeFlavourDriver } from './drivers/change-flavour.js';
import { changeExtConnDriver } from './drivers/change-ext-conn.js';
import { checkStoreTlsParams, withStoreTls } from './store-tls.js';
import type { Notifier } from './notify.js';
import type { VnfmRepo } from './repo.js';
import {
  TERMINAL_STATES,
  type AffectedVnfc,
  type FlavourInfo,
  type Json,
  type LcmOperation,
  type OpRecord,
  type OpState,
  type VimConnectionInfo,
  type VnfdInfo,
  type VnfInstance,
  type VnfRecord,
} from './types.js';

export interface LcmOptions {
  repo: VnfmRepo;
  notifier: Notifier;
  catalog: Map<string, VnfdInfo>;
  /** asks the NFVO for a VNFD the catalogue does not hold (SOL003 package management); throws why not */
  fetchVnfd?: (vnfdId: string) => Promise<VnfdInfo>;
  /** VIMs by name; a VNF uses the one its vimConnectionInfo names (vimId or vimType), else `defaultVim` */
  vims: Record<string, Vim>;
  defaultVim: string;
  grant?: GrantClient;
  /** removes the VNF's state from the StatelessNF store (terminate with purge) */
  purge?: (storeVnf: string) => Promise<void>;
  purgeOnTerminate?: boolean;
  /** bound on one VIM operation */
  opTimeoutMs?: number;
  /** API base for links, e.g. http://127.0.0.1:8080/vnflcm/v2 */
  apiBase: () => string;
  log?: (msg: string) => void;
}

type Undo = 'refuse' | 'ok';

/** Operations whose VIM work (process and rollback) lives in a driver module of its own. */
const DRIVERS: Partial<Record<LcmOperation, OpDriver>> = {
  SCALE: scaleDriver,
  SCALE_TO_LEVEL: scaleDriver,
  HEAL: healDriver,
  TERMINATE: terminateDriver,
  OPERATE: operateDriver,
  CHANGE_FLAVOUR: changeFlavourDriver,
  CHANGE_EXT_CONN: changeExtConnDriver,
};

/** Operations the NFVO grants when a grant endpoint is configured (SOL003 5.4.1.2). */
const GRANTED: readonly LcmOperation[] = ['INSTANTIATE', 'SCALE', 'SCALE_TO_LEVEL', 'HEAL', 'CHANGE_FLAVOUR', 'OPERATE', 'CHANGE_EXT_CONN'];

const VIM_TYPES: Record<string, string> = {
  'ETSINFV.OPENSTACK_KEYSTONE.V_3': 'openstack',
  'ETSINFV.OPENSTACK_KEYSTONE.V_2': 'openstack',
  openstack: 'openstack',
  OPENSTACK: 'openstack',
  local: 'local',
  'SNF.LOCAL': 'local',
};

/** SOL003 v3 keys vimConnectionInfo by id; ONAP SO (v1) sends an array. */
export function normalizeVimConnections(v: unknown): Record<string, VimConnectionInfo> | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) {
    const out: Record<string, VimConnectionInfo> = {};
    v.forEach((c: Json, i) => {
      const { id, ...rest } = c;
      setOwn(out, typeof id === 'string' ? id : `vim${i}`, rest as unknown as VimConnectionInfo);
    });
    return out;
  }
  return v as Record<string, VimConnectionInfo>;
}

function sanitize(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 48);
}

export class Lcm {
  private readonly running = new Set<Promise<void>>();
  /** NFVO fetches in flight by vnfdId: concurrent creates of one new VNFD share one download */
  private readonly fetching = new Map<string, Promise<VnfdInfo>>();
  private readonly aborts = new Set<AbortController>();
  /** operations this process runs, by id: cancel aborts their VIM call */
  private readonly cancels = new Map<string, { abort: AbortController; op: OpRecord }>();
  private closed = false;
  private readonly log: (m: string) => void;

  constructor(readonly o: LcmOptions) {
    this.log = o.log ?? (() => {});
  }

  // ---- VNF instance resources ----------------------------------------------------------------

  /** A VNFD from the NFVO's onboarded packages, kept in the catalogue once validated. */
  private async fetchVnfd(vnfdId: string): Promise<VnfdInfo> {
    const known = `known: ${[...this.o.catalog.keys()].join(', ') || 'none'}`;
    if (!this.o.fetchVnfd) throw unprocessable(`vnfdId: "${vnfdId}" is not an onboarded VNFD (${known})`);
    let vnfd: VnfdInfo;
    const fetching = this.fetching.get(vnfdId) ?? this.o.fetchVnfd(vnfdId).finally(() => this.fetching.delete(vnfdId));
    this.fetching.set(vnfdId, fetching);
    try {
      vnfd = await fetching;
    } catch (err) {
      throw unprocessable(`vnfdId: "${vnfdId}" is not an onboarded VNFD here (${known}) and the NFVO's package was not usable: ${(err as Error).message}`);
    }
    // Kept in the VNFM's store before any VNF instance is made from it: a restart must still know
    // the VNFD of every VNF instance, also without a packagesDir cache or a reachable NFVO.
    await this.o.repo.putVnfd(vnfd);
    this.o.catalog.set(vnfd.vnfdId, vnfd);
    return vnfd;
  }

  async createVnf(req: { vnfdId: string; vnfInstanceName?: string; vnfInstanceDescription?: string; metadata?: Json }): Promise<VnfRecord> {
    const vnfd = this.o.catalog.get(req.vnfdId) ?? (await this.fetchVnfd(req.vnfdId));
    const id = randomUUID();
    const vnf: VnfInstance = {
      id,
      ...(req.vnfInstanceName !== undefined ? { vnfInstanceName: req.vnfInstanceName } : {}),
      ...(req.vnfInstanceDescription !== undefined ? { vnfInstanceDescription: req.vnfInstanceDescription } : {}),
      vnfdId: vnfd.vnfdId,
      vnfProvider: vnfd.vnfProvider,
      vnfProductName: vnfd.vnfProductName,
      vnfSoftwareVersion: vnfd.vnfSoftwareVersion,
      vnfdVersion: vnfd.vnfdVersion,
      vnfPkgId: vnfd.vnfPkgId ?? vnfd.vnfdId,
      instantiationState: 'NOT_INSTANTIATED',
      ...(req.metadata ? { metadata: req.metadata } : {}),
    };
    const storeVnf = sanitize(req.vnfInstanceName && /^[A-Za-z0-9]/.test(req.vnfInstanceName) ? req.vnfInstanceName : `vnf-${id.slice(0, 8)}`);
    const rec: VnfRecord = { vnf, internal: { storeVnf } };
    await this.o.repo.putVnf(rec, true);
    void this.o.notifier.publish({ notificationType: 'VnfIdentifierCreationNotification', vnfInstanceId: id, vnfdId: vnf.vnfdId, vnfInstanceName: vnf.vnfInstanceName });
    return rec;
  }

  async getVnf(id: string): Promise<VnfRecord> {
    const r = await this.o.repo.getVnf(id);
    if (!r) throw notFound(`no VNF instance ${id}`);
    return r;
  }

  async deleteVnf(id: string): Promise<void> {
    await this.getVnf(id);
    // Taken like an operation: an instantiate racing this delete either holds the VNF (409 here)
    // or finds it gone when it takes the lock.
    const lockId = `delete-${randomUUID()}`;
    const holder = await this.o.repo.lock(id, lockId);
    if (holder) throw conflict(`VNF instance ${id} is held by operation ${holder}`);
    let r: VnfRecord;
    try {
      r = await this.getVnf(id);
      if (r.vnf.instantiationState !== 'NOT_INSTANTIATED') throw conflict(`VNF instance ${id} is ${r.vnf.instantiationState}: terminate it first`);
      await this.o.repo.deleteVnf(id);
      await this.o.repo.releaseNames(id);
    } finally {
      await this.o.repo.unlock(id, lockId);
    }
    void this.o.notifier.publish({ notificationType: 'VnfIdentifierDeletionNotification', vnfInstanceId: id, vnfdId: r.vnf.vnfdId, vnfInstanceName: r.vnf.vnfInstanceName });
  }

  /** PATCH: JSON merge patch of the modifiable attributes, as a MODIFY_INFO operation. */
  async modify(id: string, patch: Json): Promise<{ rec: VnfRecord; op: OpRecord }> {
    const rec = await this.getVnf(id);
    const op = await this.begin(rec, 'MODIFY_INFO', patch, {}, false);
    const vnf = rec.vnf as unknown as Json;
    for (const k of ['vnfInstanceName', 'vnfInstanceDescription', 'vnfPkgId']) if (Object.hasOwn(patch, k)) vnf[k] = patch[k];
    for (const k of ['vnfConfigurableProperties', 'metadata', 'extensions']) if (Object.hasOwn(patch, k)) vnf[k] = mergePatch(vnf[k], patch[k]);
    if (Object.hasOwn(patch, 'vimConnectionInfo')) rec.vnf.vimConnectionInfo = mergePatch(rec.vnf.vimConnectionInfo, normalizeVimConnections(patch.vimConnectionInfo)) as Record<string, VimConnectionInfo>;
    await this.o.repo.putVnf(rec);
    op.op.changedInfo = Object.fromEntries(
      ['vnfInstanceName', 'vnfInstanceDescription', 'vnfConfigurableProperties', 'metadata', 'extensions', 'vimConnectionInfo', 'vnfPkgId'].filter((k) => Object.hasOwn(patch, k)).map((k) => [k, patch[k]]),
    );
    this.track(async () => {
      await this.transition(op, 'PROCESSING');
      await this.transition(op, 'COMPLETED');
    });
    return { rec, op };
  }

  // ---- LCM operations ------------------------------------------------------------------------

  async instantiate(id: string, body: Json, auto = false): Promise<OpRecord> {
    const req = parseInstantiate(body);
    checkStoreTlsParams(req.additionalParams);
    const rec = await this.getVnf(id);
    if (rec.vnf.instantiationState !== 'NOT_INSTANTIATED') throw conflict(`VNF instance ${id} is already INSTANTIATED`);
    const flavourId = req.flavourId;
    const flavour = this.flavour(rec, flavourId);
    const levelId = req.instantiationLevelId ?? flavour.defaultInstantiationLevelId;
    const level = own(flavour.instantiationLevels, levelId);
    if (!level) throw badRequest(`instantiationLevelId: flavour "${flavourId}" has no instantiation level "${levelId}" (known: ${Object.keys(flavour.instantiationLevels).join(', ')})`);
    const conns = normalizeVimConnections(req.vimConnectionInfo) ?? rec.vnf.vimConnectionInfo;
    const vimName = this.chooseVim(conns); // a VNF that names no known VIM is refused now, not after 202
    const target = Object.fromEntries(Object.entries(flavour.aspects).map(([a, info]) => [a, sizeAt(info, own(level, a) ?? 0)]));
    const name = deploymentName(rec, this.o.vims[vimName], req.additionalParams);
    // Refused now: a VIM that finds the name taken fails the create, and nothing may then delete
    // the other VNF's deployment in its place.
    const owner = await this.o.repo.reserveName(vimName, name, rec.vnf.id);
    if (owner) throw conflict(`additionalParams.snf_deployment_name: deployment "${name}" on VIM "${vimName}" belongs to VNF instance ${owner}`);
    try {
      return await this.begin(rec, 'INSTANTIATE', body, { target, vim: vimName, deploymentName: name }, auto);
    } catch (err) {
      // The VNF went away meanwhile: its delete released its names before this reservation.
      if (err instanceof ApiError && err.status === 404) await this.o.repo.releaseName(vimName, name, rec.vnf.id);
      throw err;
    }
  }

  async scale(id: string, body: Json, auto = false): Promise<OpRecord> {
    const rec = this.started(await this.instantiated(id), 'scale');
    const flavour = this.flavour(rec, rec.vnf.instantiatedVnfInfo!.flavourId);
    const aspectId = String(body.aspectId);
    const aspect = own(flavour.aspects, aspectId);
    if (!aspect) throw badRequest(`aspectId: unknown aspect "${aspectId}" (known: ${Object.keys(flavour.aspects).join(', ')})`);
    const req = parseScale(body);
    const steps = req.numberOfSteps;
    const current = levelOf(rec, aspectId);
    const level = current + (req.type === 'SCALE_IN' ? -steps : steps);
    if (level < 0 || level > aspect.maxScaleLevel) throw conflict(`numberOfSteps: aspect "${aspectId}" is at scale level ${current}; ${String(body.type)} by ${steps} would leave [0, ${aspect.maxScaleLevel}]`);
    const before = { ...(rec.internal.aspectSizes ?? {}) };
    return this.begin(rec, 'SCALE', body, { before, target: { [aspectId]: sizeAt(aspect, level) } }, auto);
  }

  async scaleToLevel(id: string, body: Json, auto = false): Promise<OpRecord> {
    const rec = this.started(await this.instantiated(id), 'scale_to_level');
    const flavour = this.flavour(rec, rec.vnf.instantiatedVnfInfo!.flavourId);
    const req = parseScaleToLevel(body);
    let levels: Record<string, number>;
    if (req.instantiationLevelId !== undefined) {
      const l = own(flavour.instantiationLevels, req.instantiationLevelId);
      if (!l) throw badRequest(`instantiationLevelId: no instantiation level "${req.instantiationLevelId}" (known: ${Object.keys(flavour.instantiationLevels).join(', ')})`);
      levels = l;
    } else {
      levels = Object.fromEntries((req.scaleInfo ?? []).map((s) => [s.aspectId, s.scaleLevel]));
    }
    const target: Record<string, number> = {};
    for (const [a, l] of Object.entries(levels)) {
      const info = own(flavour.aspects, a);
      if (!info) throw badRequest(`scaleInfo.aspectId: unknown aspect "${a}" (known: ${Object.keys(flavour.aspects).join(', ')})`);
      if (!Number.isInteger(l) || l < 0 || l > info.maxScaleLevel) throw badRequest(`scaleInfo.scaleLevel: aspect "${a}" scale level ${l} is outside [0, ${info.maxScaleLevel}]`);
      target[a] = sizeAt(info, l);
    }
    return this.begin(rec, 'SCALE_TO_LEVEL', body, { before: { ...(rec.internal.aspectSizes ?? {}) }, target }, auto);
  }

  async heal(id: string, body: Json, auto = false): Promise<OpRecord> {
    const rec = this.started(await this.instantiated(id), 'heal');
    const wanted = parseHeal(body).vnfcInstanceIds;
    const vnfcs = rec.vnf.instantiatedVnfInfo?.vnfcResourceInfo ?? [];
    for (const w of wanted) if (!vnfcs.some((v) => v.id === w)) throw badRequest(`vnfcInstanceId: no VNFC "${w}" in VNF instance ${id}`);
    return this.begin(rec, 'HEAL', body, { heal: wanted }, auto);
  }

  /** SOL003 Operate VNF: changeStateTo STARTED or STOPPED (409 when the VNF is already so). */
  async operate(id: string, body: Json): Promise<OpRecord> {
    const req = parseOperate(body);
    const rec = await this.instantiated(id);
    const now = rec.vnf.instantiatedVnfInfo!.vnfState;
    if (now === req.changeStateTo) throw conflict(`changeStateTo: VNF instance ${id} is already ${now}`);
    return this.begin(rec, 'OPERATE', body, { prevState: now }, false);
  }

  /** SOL003 Change VNF Flavour: an unknown flavour or level is 400, the current flavour 409. */
  async changeFlavour(id: string, body: Json): Promise<OpRecord> {
    const req = parseChangeFlavour(body);
    const rec = this.started(await this.instantiated(id), 'change_flavour');
    const current = rec.vnf.instantiatedVnfInfo!.flavourId;
    const vnfd = this.o.catalog.get(rec.vnf.vnfdId);
    const flavour = own(vnfd?.flavours, req.newFlavourId);
    if (!flavour) throw badRequest(`newFlavourId: VNFD "${rec.vnf.vnfdId}" has no flavour "${req.newFlavourId}" (known: ${Object.keys(vnfd?.flavours ?? {}).join(', ')})`);
    if (req.newFlavourId === current) throw conflict(`newFlavourId: VNF instance ${id} already has flavour "${current}"`);
    const levelId = req.instantiationLevelId ?? flavour.defaultInstantiationLevelId;
    const level = own(flavour.instantiationLevels, levelId);
    if (!level) throw badRequest(`instantiationLevelId: flavour "${req.newFlavourId}" has no instantiation level "${levelId}" (known: ${Object.keys(flavour.instantiationLevels).join(', ')})`);
    this.sameVim(rec, req.vimConnectionInfo);
    const target = Object.fromEntries(Object.entries(flavour.aspects).map(([a, info]) => [a, sizeAt(info, own(level, a) ?? 0)]));
    return this.begin(rec, 'CHANGE_FLAVOUR', body, { before: { ...(rec.internal.aspectSizes ?? {}) }, target, prevFlavourId: current, prevLinks: rec.internal.extVirtualLinks ?? [] }, false);
  }

  /** SOL003 Change External VNF Connectivity. */
  async changeExtConn(id: string, body: Json): Promise<OpRecord> {
    const req = parseChangeExtConn(body);
    const rec = await this.instantiated(id);
    this.sameVim(rec, req.vimConnectionInfo);
    return this.begin(rec, 'CHANGE_EXT_CONN', body, { prevLinks: rec.internal.extVirtualLinks ?? [] }, false);
  }

  async terminate(id: string, req: Json): Promise<OpRecord> {
    const rec = await this.instantiated(id);
    return this.begin(rec, 'TERMINATE', req, { before: { ...(rec.internal.aspectSizes ?? {}) } }, false);
  }

  async retry(opId: string): Promise<OpRecord> {
    const op = await this.failedTemp(opId, 'retry');
    if (op.op.operation === 'MODIFY_INFO') throw conflict('MODIFY_INFO is not retried');
    this.track(async () => {
      const abort = new AbortController();
      this.cancels.set(op.op.id, { abort, op });
      try {
        await this.transition(op, 'PROCESSING');
        await this.execute(op, abort);
      } finally {
        this.cancels.delete(op.op.id);
      }
    });
    return op;
  }

  async rollback(opId: string): Promise<OpRecord> {
    const op = await this.failedTemp(opId, 'rollback');
    if (undoPolicy(op.op.operation) === 'refuse') throw conflict(`rollback of ${op.op.operation} is not supported: retry it or mark it failed`);
    if (op.op.operation === 'TERMINATE') {
      const rec = await this.getVnf(op.op.vnfInstanceId);
      const vim = rec.internal.deploymentId ? this.vimOf(rec) : undefined;
      const alive = vim ? await vim.instances(rec.internal.deploymentId!).then(() => true, () => false) : false;
      if (!alive) throw conflict(`rollback of TERMINATE: deployment ${rec.internal.deploymentId ?? '(none)'} is already gone, nothing to return to: retry the termination or mark it failed`);
    }
    this.track(async () => {
      await this.transition(op, 'ROLLING_BACK');
      try {
        await this.undo(op);
        await this.transition(op, 'ROLLED_BACK');
      } catch (err) {
        await this.transition(op, 'FAILED_TEMP', err);
      }
    });
    return op;
  }

  /**
   * SOL003 cancel: an operation STARTING or PROCESSING in this process stops. PROCESSING: its VIM
   * call is aborted and it ends FAILED_TEMP, from where retry, rollback or fail decide. STARTING:
   * a pending grant is not acted on and it ends ROLLED_BACK (nothing was done). The VIM may have done part of the work: rollback undoes what the op created.
   */
  async cancel(opId: string, mode: 'GRACEFUL' | 'FORCEFUL' = 'FORCEFUL'): Promise<OpRecord> {
    const stored = await this.getOp(opId);
    if (!['STARTING', 'PROCESSING'].includes(stored.op.operationState)) throw conflict(`cancel: operation ${opId} is ${stored.op.operationState}, not STARTING or PROCESSING`);
    const running = this.cancels.get(opId);
    if (!running) throw conflict(`cancel: operation ${opId} is not running in this VNFM process`);
    // The running operation's own record: what it writes next carries the cancel.
    const { abort, op } = running;
    if (op.op.isCancelPending) throw conflict(`cancel: operation ${opId} is already being cancelled`);
    op.op.isCancelPending = true;
    op.op.cancelMode = mode;
    await this.o.repo.putOp(op);
    abort.abort(new Cancelled(`cancelled (${mode}) while ${op.op.operationState}`));
    return op;
  }

  async fail(opId: string): Promise<OpRecord> {
    const op = await this.failedTemp(opId, 'fail');
    await this.transition(op, 'FAILED');
    return op;
  }

  async getOp(id: string): Promise<OpRecord> {
    const r = await this.o.repo.getOp(id);
    if (!r) throw notFound(`no VNF LCM operation occurrence ${id}`);
    return r;
  }

  /**
   * After a restart: an operation that was STARTING, PROCESSING or ROLLING_BACK has no one
   * running it any more, so it becomes FAILED_TEMP (it keeps the VNF; retry, rollback or fail
   * decide). A lock left by an operation that has ended is released.
   */
  async recover(): Promise<string[]> {
    const touched: string[] = [];
    for (const op of await this.o.repo.listOps()) {
      if (['STARTING', 'PROCESSING', 'ROLLING_BACK'].includes(op.op.operationState)) {
        await this.transition(op, 'FAILED_TEMP', new Error(`the VNFM restarted while the operation was ${op.op.operationState}`));
        touched.push(op.op.id);
      }
    }
    for (const rec of await this.o.repo.listVnfs()) {
      const holder = await this.o.repo.holder(rec.vnf.id);
      if (!holder) continue;
      const op = await this.o.repo.getOp(holder);
      if (!op || TERMINAL_STATES.includes(op.op.operationState)) await this.o.repo.unlock(rec.vnf.id, holder);
    }
    return touched;
  }

  /** Resolves when no operation is running in this process. */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  /** Stops writing: operations still running in this process are abandoned (recover() handles them). */
  close(): void {
    this.closed = true;
    for (const a of this.aborts) a.abort(new Error('VNFM shutting down'));
  }

  // ---- internals -----------------------------------------------------------------------------

  private flavour(rec: VnfRecord, flavourId: string): FlavourInfo {
    const vnfd = this.o.catalog.get(rec.vnf.vnfdId);
    const f = own(vnfd?.flavours, flavourId);
    if (!vnfd || !f) throw badRequest(`flavourId: VNFD "${rec.vnf.vnfdId}" has no flavour "${flavourId}" (known: ${Object.keys(vnfd?.flavours ?? {}).join(', ')})`);
    return f;
  }

  private async instantiated(id: string): Promise<VnfRecord> {
    const rec = await this.getVnf(id);
    if (rec.vnf.instantiationState !== 'INSTANTIATED' || !rec.vnf.instantiatedVnfInfo) throw conflict(`VNF instance ${id} is NOT_INSTANTIATED`);
    return rec;
  }

  /** Scaling, healing or changing the flavour of a stopped VNF would start instances behind Operate's back. */
  private started(rec: VnfRecord, what: string): VnfRecord {
    if (rec.vnf.instantiatedVnfInfo?.vnfState === 'STOPPED') throw conflict(`${what}: VNF instance ${rec.vnf.id} is STOPPED: operate it to STARTED first`);
    return rec;
  }

  /** A change may name VIM connections, but not move the VNF to another VIM (that is not a change in place). */
  private sameVim(rec: VnfRecord, raw: unknown): void {
    const conns = normalizeVimConnections(raw);
    if (!conns || !Object.keys(conns).length) return;
    const vim = this.chooseVim(conns);
    const mine = rec.internal.vim ?? this.chooseVim(rec.vnf.vimConnectionInfo);
    if (vim !== mine) throw badRequest(`vimConnectionInfo: names VIM "${vim}", but VNF instance ${rec.vnf.id} is deployed on "${mine}"; moving a VNF to another VIM is not supported`);
  }

  private async failedTemp(opId: string, what: string): Promise<OpRecord> {
    const op = await this.getOp(opId);
    if (op.op.operationState !== 'FAILED_TEMP') throw conflict(`${what}: operation ${opId} is ${op.op.operationState}, not FAILED_TEMP`);
    return op;
  }

  chooseVim(conns: Record<string, VimConnectionInfo> | undefined): string {
    for (const [id, c] of Object.entries(conns ?? {})) {
      if (c.vimId && own(this.o.vims, c.vimId)) return c.vimId;
      if (own(this.o.vims, id)) return id;
      const kind = own(VIM_TYPES, String(c.vimType)) ?? own(VIM_TYPES, String(c.vimType).toUpperCase());
      const byKind = Object.entries(this.o.vims).find(([, v]) => v.kind === kind);
      if (byKind) return byKind[0];
      throw badRequest(`vimConnectionInfo.${id}: entry "${id}" (vimType ${c.vimType}) names no VIM this VNFM drives (configured: ${Object.keys(this.o.vims).join(', ')})`);
    }
    if (!own(this.o.vims, this.o.defaultVim)) throw badRequest('vimConnectionInfo: none given and no default VIM configured');
    return this.o.defaultVim;
  }

  private vimOf(rec: VnfRecord): Vim {
    const name = rec.internal.vim ?? this.chooseVim(rec.vnf.vimConnectionInfo);
    const vim = own(this.o.vims, name);
    if (!vim) throw new Error(`VIM "${name}" of VNF instance ${rec.vnf.id} is not configured`);
    return vim;
  }

  private async begin(rec: VnfRecord, operation: LcmOperation, params: Json, internal: OpRecord['internal'], auto: boolean): Promise<OpRecord> {
    const id = randomUUID();
    const holder = await this.o.repo.lock(rec.vnf.id, id);
    if (holder) throw new ApiError(409, `VNF instance ${rec.vnf.id} is busy with operation ${holder}`);
    // What was checked before the lock may have changed (a DELETE or another operation finished in between).
    const fresh = await this.o.repo.getVnf(rec.vnf.id).catch(async (err: unknown) => {
      await this.o.repo.unlock(rec.vnf.id, id);
      throw err;
    });
    if (!fresh || fresh.vnf.instantiationState !== rec.vnf.instantiationState) {
      await this.o.repo.unlock(rec.vnf.id, id);
      if (!fresh) throw notFound(`no VNF instance ${rec.vnf.id}`);
      throw conflict(`VNF instance ${rec.vnf.id} became ${fresh.vnf.instantiationState}`);
    }
    const now = new Date().toISOString();
    const op: OpRecord = {
      op: { id, operationState: 'STARTING', stateEnteredTime: now, startTime: now, vnfInstanceId: rec.vnf.id, operation, isAutomaticInvocation: auto, operationParams: params, isCancelPending: false },
      internal,
    };
    try {
      await this.o.repo.putOp(op, true);
    } catch (err) {
      await this.o.repo.unlock(rec.vnf.id, id);
      throw err;
    }
    void this.notify(op, rec);
    if (operation !== 'MODIFY_INFO') this.track(() => this.start(op));
    return op;
  }

  private track(fn: () => Promise<void>): void {
    const p = fn().catch((err: unknown) => this.log(`lcm: ${(err as Error).message}`));
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  private async start(op: OpRecord): Promise<void> {
    const abort = new AbortController();
    this.cancels.set(op.op.id, { abort, op });
    try {
      await this.startWith(op, abort);
    } finally {
      this.cancels.delete(op.op.id);
    }
  }

  private async startWith(op: OpRecord, abort: AbortController): Promise<void> {
    if (this.o.grant && GRANTED.includes(op.op.operation)) {
      const rec = await this.getVnf(op.op.vnfInstanceId);
      const p = op.op.operationParams ?? {};
      try {
        const grant = await this.o.grant.grant({
          vnfInstanceId: rec.vnf.id,
          vnfLcmOpOccId: op.op.id,
          vnfdId: rec.vnf.vnfdId,
          flavourId: typeof p.flavourId === 'string' ? p.flavourId : typeof p.newFlavourId === 'string' ? p.newFlavourId : rec.vnf.instantiatedVnfInfo?.flavourId,
          operation: op.op.operation,
          isAutomaticInvocation: op.op.isAutomaticInvocation,
          links: { vnfInstance: `${this.o.apiBase()}/vnf_instances/${rec.vnf.id}`, vnfLcmOpOcc: `${this.o.apiBase()}/vnf_lcm_op_occs/${op.op.id}` },
        });
        op.op.grantId = grant.id;
        // Kept with the operation: a retry after a restart deploys on what was granted.
        if (grant.placement.zone || grant.placement.vdus) op.internal.placement = grant.placement;
      } catch (err) {
        // SOL003: a rejected grant ends the operation in ROLLED_BACK; nothing was changed.
        const rejected = err instanceof GrantRejected;
        if (rejected && op.internal.vim && op.internal.deploymentName) await this.o.repo.releaseName(op.internal.vim, op.internal.deploymentName, rec.vnf.id);
        await this.transition(op, rejected ? 'ROLLED_BACK' : 'FAILED_TEMP', err);
        return;
      }
    }
    if (abort.signal.aborted) {
      // SOL003 cancelMode: cancelled while STARTING, nothing was done: ROLLED_BACK.
      if (op.internal.vim && op.internal.deploymentName) await this.o.repo.releaseName(op.internal.vim, op.internal.deploymentName, op.op.vnfInstanceId);
      await this.transition(op, 'ROLLED_BACK', abort.signal.reason);
      return;
    }
    await this.transition(op, 'PROCESSING');
    await this.execute(op, abort);
  }

  private async execute(op: OpRecord, abort = new AbortController()): Promise<void> {
    // VIM clients add an abort listener per poll for the whole operation; that is not a leak warning.
    setMaxListeners(0, abort.signal);
    this.aborts.add(abort);
    try {
      await this.translate(op, abort.signal);
      if (!this.closed) await this.transition(op, 'COMPLETED');
    } catch (err) {
      // A cancel's reason says more than the VIM's "aborted".
      const reason: unknown = abort.signal.aborted && abort.signal.reason instanceof Cancelled ? abort.signal.reason : err;
      if (!this.closed) await this.transition(op, 'FAILED_TEMP', reason);
    } finally {
      this.aborts.delete(abort);
    }
  }

  /** The lifecycle translation: one SOL003 operation as VIM calls. */
  private async translate(op: OpRecord, signal: AbortSignal): Promise<void> {
    const rec = await this.getVnf(op.op.vnfInstanceId);
    const p = op.op.operationParams ?? {};
    // The save of a created deployment, awaited before the operation ends: a rollback that does
    // not know what was created leaves it behind, so a failed save fails the operation.
    let recording: Promise<void> = Promise.resolve();
    let unsaved: Error | undefined;
    const opts = {
      timeoutMs: this.o.opTimeoutMs,
      signal,
      onProgress: (pr: VimProgress) => {
        // 'started' comes before the VIM has checked anything (a name already taken fails after
        // it): only later progress shows that this operation created the deployment.
        if (pr.phase === 'progress' && pr.deploymentId && !op.internal.deploymentId && op.op.operation === 'INSTANTIATE') {
          op.internal.deploymentId = pr.deploymentId;
          const dep = pr.deploymentId;
          recording = recording
            .then(() => this.o.repo.putOp(op))
            .catch((err: unknown) => {
              unsaved = new Error(`could not record deployment ${dep} for a later rollback: ${(err as Error).message}`);
              this.log(`lcm: ${op.op.id}: ${unsaved.message}`);
            });
        }
      },
    };
    // The operation does not complete on a deployment it could not record: it ends FAILED_TEMP,
    // whose write carries the deployment, so rollback can still find it.
    const recorded = async (): Promise<void> => {
      await recording;
      if (unsaved) throw unsaved;
    };
    const driver = DRIVERS[op.op.operation];
    if (driver) {
      const conns = normalizeVimConnections(p.vimConnectionInfo);
      if (conns) rec.vnf.vimConnectionInfo = { ...(rec.vnf.vimConnectionInfo ?? {}), ...conns };
      await driver.process(this.driverContext(rec, op, opts));
      return;
    }
    switch (op.op.operation) {
      case 'INSTANTIATE': {
        const vimName = op.internal.vim ?? this.chooseVim(normalizeVimConnections(p.vimConnectionInfo) ?? rec.vnf.vimConnectionInfo);
        const vim = this.o.vims[vimName];
        if (op.internal.deploymentId) {
          // A retry: the half-made deployment of the failed attempt (this operation's own) goes first.
          await this.deleteOwn(vim, op, opts).catch((e: unknown) => this.log(`lcm: cleanup before retry: ${(e as Error).message}`));
        }
        const vnfd = this.o.catalog.get(rec.vnf.vnfdId)!;
        const req = parseInstantiate(p);
        const flavourId = req.flavourId;
        const links = req.extVirtualLinks;
        const placement = op.internal.placement;
        let res: Awaited<ReturnType<Vim['instantiate']>>;
        try {
          res = await vim.instantiate(
          {
            name: op.internal.deploymentName ?? deploymentName(rec, vim, req.additionalParams),
            flavourId,
            aspectSizes: op.internal.target,
            extVirtualLinks: vimLinks(links),
            ...(placement?.vdus ? { vdus: placement.vdus } : {}),
            ...(placement?.zone ? { zone: placement.zone } : {}),
            // A store VDU gets TLS: certificates made now, passed to the VIM, never recorded.
            additionalParams: withStoreTls(req.additionalParams, own(vnfd.artifacts, flavourId)?.hot),
            artifacts: own(vnfd.artifacts, flavourId) ?? {},
          },
          opts,
          );
        } catch (err) {
          await recorded().catch((e: unknown) => {
            throw new Error(`${(err as Error).message}; ${(e as Error).message}`);
          });
          throw err;
        }
        await recorded();
        op.internal.deploymentId = res.deploymentId;
        await this.o.repo.putOp(op).catch((e: unknown) => {
          throw new Error(`could not record deployment ${res.deploymentId} for a later rollback: ${(e as Error).message}`);
        });
        const conns = normalizeVimConnections(p.vimConnectionInfo);
        if (conns) rec.vnf.vimConnectionInfo = { ...(rec.vnf.vimConnectionInfo ?? {}), ...conns };
        if (req.vnfConfigurableProperties) rec.vnf.vnfConfigurableProperties = mergePatch(rec.vnf.vnfConfigurableProperties, req.vnfConfigurableProperties) as Json;
        rec.internal = { ...rec.internal, vim: vimName, deploymentId: res.deploymentId, ...(op.internal.deploymentName ? { deploymentName: op.internal.deploymentName } : {}), aspectSizes: { ...op.internal.target }, ...(placement ? { placement } : {}) };
        rec.vnf.instantiationState = 'INSTANTIATED';
        rec.vnf.instantiatedVnfInfo = { flavourId, vnfState: 'STARTED' };
        setLinks(rec, links);
        this.refresh(rec, res.instances, op, []);
        await this.o.repo.putVnf(rec);
        return;
      }
      default:
        return;
    }
  }

  private async undo(op: OpRecord): Promise<void> {
    const rec = await this.getVnf(op.op.vnfInstanceId);
    const driver = DRIVERS[op.op.operation];
    if (driver) {
      await driver.rollback(this.driverContext(rec, op, { timeoutMs: this.o.opTimeoutMs }));
      return;
    }
    switch (op.op.operation) {
      case 'INSTANTIATE': {
        const vimName = op.internal.vim ?? this.chooseVim(normalizeVimConnections(op.op.operationParams?.vimConnectionInfo) ?? rec.vnf.vimConnectionInfo);
        if (op.internal.deploymentId) await this.deleteOwn(this.o.vims[vimName], op, { timeoutMs: this.o.opTimeoutMs });
        rec.vnf.instantiationState = 'NOT_INSTANTIATED';
        delete rec.vnf.instantiatedVnfInfo;
        rec.internal = { storeVnf: rec.internal.storeVnf };
        await this.o.repo.putVnf(rec);
        if (op.internal.deploymentName) await this.o.repo.releaseName(vimName, op.internal.deploymentName, rec.vnf.id);
        return;
      }
      default:
        return;
    }
  }

  private driverContext(rec: VnfRecord, op: OpRecord, opts: DriverContext['opts']): DriverContext {
    return {
      rec,
      op,
      vim: this.vimOf(rec),
      vnfd: this.o.catalog.get(rec.vnf.vnfdId),
      opts,
      refresh: (instances, before) => this.refresh(rec, instances, op, before),
      saveVnf: () => this.o.repo.putVnf(rec),
      releaseName: (vim, name) => this.o.repo.releaseName(vim, name, rec.vnf.id),
      ...(this.o.purge ? { purge: this.o.purge } : {}),
      purgeOnTerminate: this.o.purgeOnTerminate ?? false,
    };
  }

  /**
   * Deletes the deployment this operation created, and forgets it. A deployment another VNF
   * instance records as its own is never touched: a second guard behind the name reservation.
   */
  private async deleteOwn(vim: Vim, op: OpRecord, opts: { timeoutMs?: number; signal?: AbortSignal }): Promise<void> {
    const dep = op.internal.deploymentId;
    if (!dep) return;
    const other = (await this.o.repo.listVnfs()).find((r) => r.vnf.id !== op.op.vnfInstanceId && r.internal.deploymentId === dep);
    if (other) throw new Error(`deployment ${dep} belongs to VNF instance ${other.vnf.id}: not deleted`);
    await vim.terminate(dep, opts);
    op.internal.deploymentId = undefined;
    await this.o.repo.putOp(op);
  }

  /** Updates the VNF's VNFC list (and scale status) from the VIM, and the op's resource changes. */
  private refresh(rec: VnfRecord, instances: VimInstance[], op: OpRecord, before: string[]): void {
    const info = rec.vnf.instantiatedVnfInfo!;
    const flavour = own(this.o.catalog.get(rec.vnf.vnfdId)?.flavours, info.flavourId);
    const old = info.vnfcResourceInfo ?? [];
    // The connection the resources live on: the VNF's vimConnectionInfo entry, else the VIM's name.
    const vimConnectionId = Object.keys(rec.vnf.vimConnectionInfo ?? {})[0] ?? rec.internal.vim ?? 'default';
    const kind = this.o.vims[rec.internal.vim ?? '']?.kind;
    info.vnfcResourceInfo = instances.map((i) => ({
      id: i.id,
      vduId: i.vdu ?? flavour?.aspects[i.aspect ?? '']?.vduId ?? 'VDU1',
      computeResource: { vimConnectionId, resourceId: i.id, vimLevelResourceType: kind === 'openstack' ? 'OS::Nova::Server' : 'snf.instance' },
      ...(Object.keys(i.addresses).length ? { metadata: { addresses: i.addresses, vimStatus: i.vimStatus } } : {}),
    }));
    // VNFC state as Operate VNF set it: the VIM's stopped instances are STOPPED, the others STARTED.
    info.vnfcInfo = instances.map((i) => ({ id: `vnfc-${i.id}`, vduId: info.vnfcResourceInfo!.find((v) => v.id === i.id)!.vduId, vnfcResourceInfoId: i.id, vnfcState: i.status === 'stopped' ? 'STOPPED' : 'STARTED' }));
    if (flavour) {
      info.scaleStatus = Object.entries(flavour.aspects).map(([a, x]) => ({ aspectId: a, scaleLevel: levelFromSize(x, rec.internal.aspectSizes?.[a] ?? x.minInstances) }));
      info.maxScaleLevels = Object.entries(flavour.aspects).map(([a, x]) => ({ aspectId: a, scaleLevel: x.maxScaleLevel }));
    }
    const now = new Set(instances.map((i) => i.id));
    const was = new Set(before);
    const added: AffectedVnfc[] = info.vnfcResourceInfo.filter((v) => !was.has(v.id)).map((v) => ({ id: v.id, vduId: v.vduId, changeType: 'ADDED', computeResource: v.computeResource }));
    const removed: AffectedVnfc[] = [...was]
      .filter((id) => !now.has(id))
      .map((id) => {
        const v = old.find((x) => x.id === id);
        return { id, vduId: v?.vduId ?? 'VDU1', changeType: 'REMOVED' as const, computeResource: v?.computeResource ?? { vimConnectionId, resourceId: id } };
      });
    op.op.resourceChanges = { affectedVnfcs: [...added, ...removed] };
  }

  private async transition(op: OpRecord, state: OpState, err?: unknown): Promise<void> {
    if (this.closed) return;
    op.op.operationState = state;
    op.op.stateEnteredTime = new Date().toISOString();
    if (state !== 'STARTING' && state !== 'PROCESSING') op.op.isCancelPending = false;
    if (err !== undefined) {
      const status = err instanceof ApiError ? err.status : err instanceof GrantRejected ? 403 : 500;
      op.op.error = { title: err instanceof GrantRejected ? 'Grant rejected' : err instanceof Cancelled ? 'LCM operation cancelled' : 'LCM operation failed', status, detail: err instanceof Error ? err.message : String(err) };
    } else if (state === 'PROCESSING' || state === 'ROLLING_BACK') {
      delete op.op.error;
    }
    await this.o.repo.putOp(op);
    if (TERMINAL_STATES.includes(state)) await this.o.repo.unlock(op.op.vnfInstanceId, op.op.id);
    const rec = await this.o.repo.getVnf(op.op.vnfInstanceId);
    await this.notify(op, rec);
  }

  private async notify(op: OpRecord, rec: VnfRecord | undefined): Promise<void> {
    await this.o.notifier.publish({
      notificationType: 'VnfLcmOperationOccurrenceNotification',
      vnfInstanceId: op.op.vnfInstanceId,
      vnfdId: rec?.vnf.vnfdId ?? '',
      vnfInstanceName: rec?.vnf.vnfInstanceName,
      operation: op.op.operation,
      operationState: op.op.operationState,
      vnfLcmOpOccId: op.op.id,
      isAutomaticInvocation: op.op.isAutomaticInvocation,
      ...(op.op.resourceChanges?.affectedVnfcs && ['COMPLETED', 'FAILED_TEMP', 'ROLLED_BACK'].includes(op.op.operationState)
        ? { affectedVnfcs: op.op.resourceChanges.affectedVnfcs as unknown as Json[] }
        : {}),
      ...(op.op.error && op.op.operationState !== 'COMPLETED' ? { error: op.op.error as unknown as Json } : {}),
    });
  }
}

/** The deployment's name on the VIM: the operator's choice, else one the VIM's naming rule accepts. */
function deploymentName(rec: VnfRecord, vim: Vim, params: Json): string {
  if (typeof params.snf_deployment_name === 'string') return params.snf_deployment_name;
  // The local VIM prefixes namespace names with it: [a-z][a-z0-9]{0,11}.
  if (vim.kind === 'local') return `n${rec.vnf.id.replace(/[^a-z0-9]/g, '').slice(0, 11)}`;
  return `snf-${sanitize(rec.internal.storeVnf)}-${rec.vnf.id.slice(0, 8)}`;
}

function undoPolicy(op: LcmOperation): Undo {
  return op === 'MODIFY_INFO' ? 'refuse' : 'ok';
}

/** Why an operation stopped when a client cancelled it. */
class Cancelled extends Error {}

function sizeAt(a: { minInstances: number; step?: number }, level: number): number {
  return a.minInstances + level * (a.step ?? 1);
}

function levelFromSize(a: { minInstances: number; step?: number }, size: number): number {
  return Math.max(0, Math.round((size - a.minInstances) / (a.step ?? 1)));
}

function levelOf(rec: VnfRecord, aspect: string): number {
  return rec.vnf.instantiatedVnfInfo?.scaleStatus?.find((s) => s.aspectId === aspect)?.scaleLevel ?? 0;
}

/** RFC 7396 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Json = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Json) } : {};
  for (const [k, v] of Object.entries(patch as Json)) {
    if (v === null) delete out[k];
    else setOwn(out, k, mergePatch(own(out, k), v));
  }
  return out;
}
