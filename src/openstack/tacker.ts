// Tacker client for the ETSI NFV-SOL APIs Tacker serves: vnfpkgm v1 (onboard a CSAR), vnflcm v1
// (SOL003 v2.6.1: Tacker's legacy VNFM, `vimConnectionInfo` and `cpConfig` as lists) and, through
// `TackerClient.v2`, vnflcm v2 (SOL003 v3.3.1, API version 2.0.0: Tacker's sol_refactored VNFM;
// every request carries `Version: 2.0.0`, `vimConnectionInfo` and `cpConfig` are maps). The two
// versions manage disjoint VNF instances: an instance created through one is unknown to the other.
import { OpenStackHttpError, OpenStackOperationError, OpenStackResponseError } from './errors.js';
import type { Session } from './session.js';

export type OnboardingState = 'CREATED' | 'UPLOADING' | 'PROCESSING' | 'ONBOARDED';

export interface ProblemDetails {
  type?: string;
  title?: string;
  status: number;
  detail: string;
  instance?: string;
}

export interface VnfPkgInfo {
  id: string;
  onboardingState: OnboardingState;
  operationalState: 'ENABLED' | 'DISABLED';
  usageState: 'IN_USE' | 'NOT_IN_USE';
  vnfdId?: string;
  vnfProvider?: string;
  vnfProductName?: string;
  vnfSoftwareVersion?: string;
  vnfdVersion?: string;
  userDefinedData?: Record<string, string>;
  onboardingFailureDetails?: ProblemDetails;
  _links?: Record<string, { href: string }>;
  [key: string]: unknown;
}

export type LcmOperationState = 'STARTING' | 'PROCESSING' | 'COMPLETED' | 'FAILED_TEMP' | 'FAILED' | 'ROLLING_BACK' | 'ROLLED_BACK';

export interface VnfLcmOpOcc {
  id: string;
  operationState: LcmOperationState;
  operation: 'INSTANTIATE' | 'SCALE' | 'SCALE_TO_LEVEL' | 'CHANGE_FLAVOUR' | 'TERMINATE' | 'HEAL' | 'OPERATE' | 'CHANGE_EXT_CONN' | 'MODIFY_INFO';
  vnfInstanceId: string;
  stateEnteredTime?: string;
  startTime?: string;
  error?: ProblemDetails;
  [key: string]: unknown;
}

export interface VnfInstance {
  id: string;
  vnfdId: string;
  vnfInstanceName?: string;
  instantiationState: 'NOT_INSTANTIATED' | 'INSTANTIATED';
  instantiatedVnfInfo?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface InstantiateVnfRequest {
  flavourId: string;
  instantiationLevelId?: string;
  extVirtualLinks?: unknown[];
  extManagedVirtualLinks?: unknown[];
  vimConnectionInfo?: unknown[];
  localizationLanguage?: string;
  additionalParams?: Record<string, unknown>;
}

export interface PollOptions {
  timeoutMs?: number;
  pollMs?: number;
  signal?: AbortSignal;
}

const enc = encodeURIComponent;
const DONE_LCM = new Set<LcmOperationState>(['COMPLETED', 'FAILED_TEMP', 'FAILED', 'ROLLED_BACK']);

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'))), { once: true });
  });
}

export class TackerClient {
  static readonly service = 'nfv-orchestration';

  /** vnflcm v2 (SOL003 v3.3.1) on the same session. */
  readonly v2: VnfLcmV2Client;
  constructor(readonly session: Session) {
    this.v2 = new VnfLcmV2Client(session);
  }

  private url(api: 'vnfpkgm' | 'vnflcm', path: string): Promise<string> {
    return tackerUrl(this.session, `/${api}/v1${path}`);
  }

  // ---- vnfpkgm ----
  async createPackage(userDefinedData: Record<string, string> = {}): Promise<VnfPkgInfo> {
    const url = await this.url('vnfpkgm', '/vnf_packages');
    return (await this.session.request<VnfPkgInfo>(TackerClient.service, 'POST', url, { json: { userDefinedData } })).body;
  }

  async getPackage(id: string): Promise<VnfPkgInfo> {
    return (await this.session.request<VnfPkgInfo>(TackerClient.service, 'GET', await this.url('vnfpkgm', `/vnf_packages/${enc(id)}`))).body;
  }

  async listPackages(): Promise<VnfPkgInfo[]> {
    return (await this.session.request<VnfPkgInfo[]>(TackerClient.service, 'GET', await this.url('vnfpkgm', '/vnf_packages'))).body ?? [];
  }

  /** PUT package_content (202): Tacker then processes the CSAR asynchronously. */
  async uploadPackageContent(id: string, csar: Uint8Array, timeoutMs = 10 * 60_000): Promise<void> {
    await this.session.request(TackerClient.service, 'PUT', await this.url('vnfpkgm', `/vnf_packages/${enc(id)}/package_content`), {
      body: csar,
      headers: { 'content-type': 'application/zip' },
      expect: 'none',
      timeoutMs,
    });
  }

  async deletePackage(id: string): Promise<void> {
    await this.session.request(TackerClient.service, 'DELETE', await this.url('vnfpkgm', `/vnf_packages/${enc(id)}`), { expect: 'none' });
  }

  /**
   * Polls until the package is ONBOARDED. Tacker puts a package whose processing failed back to
   * CREATED (with onboardingFailureDetails on recent releases): that is reported as a failure.
   */
  async waitOnboarded(id: string, o: PollOptions & { onState?: (p: VnfPkgInfo) => void } = {}): Promise<VnfPkgInfo> {
    const start = Date.now();
    const timeoutMs = o.timeoutMs ?? 10 * 60_000;
    let left = false;
    let lastState = '';
    for (;;) {
      const p = await this.getPackage(id);
      if (p.onboardingState !== lastState) {
        lastState = p.onboardingState;
        o.onState?.(p);
      }
      if (p.onboardingState === 'ONBOARDED') return p;
      if (p.onboardingFailureDetails) throw new OpenStackOperationError(`VNF package ${id}`, 'ONBOARDING_FAILED', p.onboardingFailureDetails.detail);
      if (p.onboardingState !== 'CREATED') left = true;
      else if (left) throw new OpenStackOperationError(`VNF package ${id}`, 'ONBOARDING_FAILED', 'Tacker returned the package to CREATED (processing failed; see tacker-conductor log)');
      if (Date.now() - start > timeoutMs) throw new OpenStackOperationError(`VNF package ${id}`, 'TIMEOUT', `still ${p.onboardingState} after ${timeoutMs} ms`);
      await sleep(o.pollMs ?? 2000, o.signal);
    }
  }

  /** create + upload + wait: the whole onboarding. */
  async onboard(csar: Uint8Array, o: PollOptions & { userDefinedData?: Record<string, string>; onState?: (p: VnfPkgInfo) => void } = {}): Promise<VnfPkgInfo> {
    const pkg = await this.createPackage(o.userDefinedData);
    o.onState?.(pkg);
    await this.uploadPackageContent(pkg.id, csar);
    return this.waitOnboarded(pkg.id, o);
  }

  // ---- vnflcm ----
  async createVnf(req: { vnfdId: string; vnfInstanceName?: string; vnfInstanceDescription?: string; metadata?: Record<string, unknown> }): Promise<VnfInstance> {
    return (await this.session.request<VnfInstance>(TackerClient.service, 'POST', await this.url('vnflcm', '/vnf_instances'), { json: req })).body;
  }

  async getVnf(id: string): Promise<VnfInstance> {
    return (await this.session.request<VnfInstance>(TackerClient.service, 'GET', await this.url('vnflcm', `/vnf_instances/${enc(id)}`))).body;
  }

  async deleteVnf(id: string): Promise<void> {
    await this.session.request(TackerClient.service, 'DELETE', await this.url('vnflcm', `/vnf_instances/${enc(id)}`), { expect: 'none' });
  }

  async instantiate(id: string, req: InstantiateVnfRequest): Promise<string> {
    return this.task(id, 'instantiate', req);
  }

  async scale(id: string, req: { type: 'SCALE_OUT' | 'SCALE_IN'; aspectId: string; numberOfSteps?: number; additionalParams?: Record<string, unknown> }): Promise<string> {
    return this.task(id, 'scale', req);
  }

  async heal(id: string, req: { vnfcInstanceId?: string[]; cause?: string; additionalParams?: Record<string, unknown> } = {}): Promise<string> {
    return this.task(id, 'heal', req);
  }

  async terminate(id: string, req: { terminationType: 'FORCEFUL' | 'GRACEFUL'; gracefulTerminationTimeout?: number } = { terminationType: 'FORCEFUL' }): Promise<string> {
    return this.task(id, 'terminate', req);
  }

  async getOpOcc(opId: string): Promise<VnfLcmOpOcc> {
    return (await this.session.request<VnfLcmOpOcc>(TackerClient.service, 'GET', await this.url('vnflcm', `/vnf_lcm_op_occs/${enc(opId)}`))).body;
  }

  /** Polls the LCM operation occurrence until it leaves STARTING/PROCESSING/ROLLING_BACK. */
  waitOperation(opId: string, o: PollOptions & { onState?: (op: VnfLcmOpOcc) => void } = {}): Promise<VnfLcmOpOcc> {
    return pollOperation(opId, (id) => this.getOpOcc(id), o);
  }

  private async task(id: string, task: string, req: unknown): Promise<string> {
    return postTask(this.session, await this.url('vnflcm', `/vnf_instances/${enc(id)}/${task}`), req);
  }
}

/** The Tacker endpoint from the catalog (registered as http://host:9890/ or .../v1.0) plus path. */
async function tackerUrl(session: Session, path: string): Promise<string> {
  const ep = (await session.endpoint(TackerClient.service)).replace(/\/+$/, '').replace(/\/v1\.0$/, '');
  return `${ep}${path}`;
}

/** POSTs an LCM task (202) and returns the operation occurrence id from the Location header. */
async function postTask(session: Session, url: string, req: unknown, headers?: Record<string, string>): Promise<string> {
  const res = await session.request(TackerClient.service, 'POST', url, { json: req, expect: 'none', ...(headers ? { headers } : {}) });
  const loc = res.headers.get('location');
  const m = loc ? /vnf_lcm_op_occs\/([^/?#]+)/.exec(loc) : null;
  if (!m) throw new OpenStackResponseError({ method: 'POST', url, service: TackerClient.service }, res.status, 'no Location header naming the vnf_lcm_op_occs', res.requestId);
  return decodeURIComponent(m[1]);
}

async function pollOperation<T extends { operationState: LcmOperationState; operation: string; error?: ProblemDetails }>(
  opId: string,
  get: (id: string) => Promise<T>,
  o: PollOptions & { onState?: (op: T) => void },
): Promise<T> {
  const start = Date.now();
  const timeoutMs = o.timeoutMs ?? 30 * 60_000;
  let last = '';
  for (;;) {
    const op = await get(opId);
    if (op.operationState !== last) {
      last = op.operationState;
      o.onState?.(op);
    }
    if (op.operationState === 'COMPLETED') return op;
    if (DONE_LCM.has(op.operationState)) {
      throw new OpenStackOperationError(`LCM ${op.operation} ${opId}`, op.operationState, op.error?.detail ?? '');
    }
    if (Date.now() - start > timeoutMs) throw new OpenStackOperationError(`LCM operation ${opId}`, 'TIMEOUT', `still ${op.operationState} after ${timeoutMs} ms`);
    await sleep(o.pollMs ?? 2000, o.signal);
  }
}

// ---- vnflcm v2 (ETSI GS NFV-SOL 003 v3.3.1, API version 2.0.0) ----

export const VNFLCM_V2_VERSION = '2.0.0';

/** Clause 4.4.1.6 (SOL003): how to reach a VIM. Tacker reads interfaceInfo.endpoint (Keystone) and
 *  accessInfo username / password / project / projectDomain / userDomain / region. */
export interface VimConnectionInfoV2 {
  /** optional in SOL003, but Tacker 8 reads it unguarded when it records resource handles */
  vimId?: string;
  vimType: string;
  interfaceInfo?: Record<string, string>;
  accessInfo?: Record<string, string>;
  extra?: Record<string, unknown>;
}

export interface IpAddressRequestV2 {
  type: 'IPV4' | 'IPV6';
  fixedAddresses?: string[];
  numDynamicAddresses?: number;
  addressRange?: { minAddress: string; maxAddress: string };
  subnetId?: string;
}

/** Tacker v2 needs `ipOverEthernet` when layerProtocol is IP_OVER_ETHERNET (it reads it unguarded). */
export interface CpProtocolDataV2 {
  layerProtocol: 'IP_OVER_ETHERNET' | 'IP_FOR_VIRTUAL_CP';
  ipOverEthernet?: { macAddress?: string; segmentationId?: string; ipAddresses?: IpAddressRequestV2[] };
  virtualCpAddress?: { type: 'IPV4' | 'IPV6'; loadBalancerIp?: string };
}

export interface VnfExtCpConfigV2 {
  parentCpConfigId?: string;
  linkPortId?: string;
  cpProtocolData?: CpProtocolDataV2[];
}

export interface VnfExtCpDataV2 {
  cpdId: string;
  /** keyed by an id of the caller's choosing (SOL003 v3.3.1 changed this from a list) */
  cpConfig: Record<string, VnfExtCpConfigV2>;
}

export interface ExtVirtualLinkDataV2 {
  id: string;
  vimConnectionId?: string;
  resourceProviderId?: string;
  resourceId: string;
  extCps: VnfExtCpDataV2[];
  extLinkPorts?: { id: string; resourceHandle: { vimConnectionId?: string; resourceId: string; vimLevelResourceType?: string } }[];
}

export interface ExtManagedVirtualLinkDataV2 {
  id: string;
  vnfVirtualLinkDescId: string;
  vimConnectionId?: string;
  resourceProviderId?: string;
  resourceId: string;
}

export interface InstantiateVnfRequestV2 {
  flavourId: string;
  instantiationLevelId?: string;
  extVirtualLinks?: ExtVirtualLinkDataV2[];
  extManagedVirtualLinks?: ExtManagedVirtualLinkDataV2[];
  /** keyed by an id of the caller's choosing; absent: Tacker uses the project's default VIM */
  vimConnectionInfo?: Record<string, VimConnectionInfoV2>;
  localizationLanguage?: string;
  additionalParams?: Record<string, unknown>;
  extensions?: Record<string, unknown>;
  vnfConfigurableProperties?: Record<string, unknown>;
}

export interface ScaleVnfRequestV2 {
  type: 'SCALE_OUT' | 'SCALE_IN';
  aspectId: string;
  numberOfSteps?: number;
  additionalParams?: Record<string, unknown>;
}

export interface HealVnfRequestV2 {
  /** VnfcInfo ids (instantiatedVnfInfo.vnfcInfo[].id); none: the whole VNF */
  vnfcInstanceId?: string[];
  cause?: string;
  additionalParams?: Record<string, unknown>;
  healScript?: string;
}

export interface TerminateVnfRequestV2 {
  terminationType: 'FORCEFUL' | 'GRACEFUL';
  gracefulTerminationTimeout?: number;
  additionalParams?: Record<string, unknown>;
}

export interface CreateVnfRequestV2 {
  vnfdId: string;
  vnfInstanceName?: string;
  vnfInstanceDescription?: string;
  metadata?: Record<string, unknown>;
}

export interface ResourceHandleV2 {
  vimConnectionId?: string;
  resourceProviderId?: string;
  resourceId: string;
  vimLevelResourceType?: string;
}

export interface VnfcResourceInfoV2 {
  id: string;
  vduId: string;
  computeResource: ResourceHandleV2;
  storageResourceIds?: string[];
  vnfcCpInfo?: { id: string; cpdId: string; vnfExtCpId?: string; vnfLinkPortId?: string }[];
  metadata?: Record<string, unknown>;
}

export interface VnfcInfoV2 {
  id: string;
  vduId: string;
  vnfcResourceInfoId?: string;
  vnfcState: 'STARTED' | 'STOPPED';
}

export interface InstantiatedVnfInfoV2 {
  flavourId: string;
  vnfState: 'STARTED' | 'STOPPED';
  scaleStatus?: { aspectId: string; vnfdId?: string; scaleLevel: number }[];
  maxScaleLevels?: { aspectId: string; vnfdId?: string; scaleLevel: number }[];
  extCpInfo?: { id: string; cpdId: string; cpConfigId?: string; cpProtocolInfo?: unknown[] }[];
  vnfcResourceInfo?: VnfcResourceInfoV2[];
  vnfcInfo?: VnfcInfoV2[];
  vnfVirtualLinkResourceInfo?: unknown[];
  virtualStorageResourceInfo?: unknown[];
  metadata?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface VnfInstanceV2 {
  id: string;
  vnfInstanceName?: string;
  vnfInstanceDescription?: string;
  vnfdId: string;
  vnfProvider: string;
  vnfProductName: string;
  vnfSoftwareVersion: string;
  vnfdVersion: string;
  vnfConfigurableProperties?: Record<string, unknown>;
  vimConnectionInfo?: Record<string, VimConnectionInfoV2>;
  instantiationState: 'NOT_INSTANTIATED' | 'INSTANTIATED';
  instantiatedVnfInfo?: InstantiatedVnfInfoV2;
  metadata?: Record<string, unknown>;
  extensions?: Record<string, unknown>;
  _links?: Record<string, { href: string }>;
  [key: string]: unknown;
}

export type LcmOperationTypeV2 =
  | 'INSTANTIATE' | 'SCALE' | 'SCALE_TO_LEVEL' | 'CHANGE_FLAVOUR' | 'TERMINATE' | 'HEAL' | 'OPERATE'
  | 'CHANGE_EXT_CONN' | 'MODIFY_INFO' | 'CREATE_SNAPSHOT' | 'REVERT_TO_SNAPSHOT' | 'CHANGE_VNFPKG';

export interface AffectedVnfcV2 {
  id: string;
  vduId: string;
  changeType: 'ADDED' | 'REMOVED' | 'MODIFIED' | 'TEMPORARY';
  computeResource: ResourceHandleV2;
  [key: string]: unknown;
}

export interface VnfLcmOpOccV2 {
  id: string;
  operationState: LcmOperationState;
  stateEnteredTime: string;
  startTime: string;
  vnfInstanceId: string;
  grantId?: string;
  operation: LcmOperationTypeV2;
  isAutomaticInvocation: boolean;
  operationParams?: Record<string, unknown>;
  isCancelPending: boolean;
  error?: ProblemDetails;
  resourceChanges?: { affectedVnfcs?: AffectedVnfcV2[]; affectedVirtualLinks?: unknown[]; affectedExtLinkPorts?: unknown[]; affectedVirtualStorages?: unknown[] };
  changedInfo?: Record<string, unknown>;
  _links?: Record<string, { href: string }>;
  [key: string]: unknown;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The v1 shapes (lists) sent to v2 are refused by Tacker only after the instance is half
 * processed, or (cpConfig) silently misread: reject them here, naming the field.
 */
function checkInstantiateV2(req: InstantiateVnfRequestV2): void {
  const fail = (path: string, what: string) => {
    throw new TypeError(`InstantiateVnfRequest (vnflcm v2): ${path}: ${what}`);
  };
  if (typeof req.flavourId !== 'string' || !req.flavourId) fail('flavourId', 'required');
  if (req.vimConnectionInfo !== undefined) {
    if (!isPlainObject(req.vimConnectionInfo)) fail('vimConnectionInfo', 'must be a map (id -> VimConnectionInfo), not a list as in v1');
    for (const [k, v] of Object.entries(req.vimConnectionInfo)) {
      // Tacker 8 fails the instantiate in PROCESSING (FAILED_TEMP, stack already created) without it
      if (typeof v?.vimId !== 'string' || !v.vimId) fail(`vimConnectionInfo.${k}.vimId`, 'required by Tacker (any id when accessInfo and interfaceInfo are given)');
    }
  }
  (req.extVirtualLinks ?? []).forEach((vl, i) => {
    (vl.extCps ?? []).forEach((cp, j) => {
      const at = `extVirtualLinks[${i}].extCps[${j}].cpConfig`;
      if (!isPlainObject(cp.cpConfig)) fail(at, 'must be a map (id -> VnfExtCpConfig), not a list as in v1');
      for (const [k, c] of Object.entries(cp.cpConfig)) {
        (c.cpProtocolData ?? []).forEach((pd, n) => {
          if (pd.layerProtocol === 'IP_OVER_ETHERNET' && !isPlainObject(pd.ipOverEthernet)) fail(`${at}.${k}.cpProtocolData[${n}].ipOverEthernet`, 'required with layerProtocol IP_OVER_ETHERNET (Tacker fails without)');
        });
      }
    });
  });
}

/**
 * vnflcm v2: Tacker's SOL003 v3.3.1 VNFM (`/vnflcm/v2`). Reach it as `new TackerClient(s).v2`.
 * Errors as for v1: OpenStackHttpError with Tacker's ProblemDetails, OpenStackResponseError for a
 * 2xx without what the API promises, OpenStackOperationError for an op that ended badly.
 */
export class VnfLcmV2Client {
  static readonly headers = { version: VNFLCM_V2_VERSION, accept: 'application/json' };
  /**
   * Tacker marks an operation COMPLETED a moment before it releases the instance's lock: a
   * request right after it gets 409 "Other LCM operation of vnfInstance X is in progress" with
   * nothing done, so it is repeated for up to busyWaitMs.
   */
  constructor(
    readonly session: Session,
    readonly busyWaitMs = 15_000,
  ) {}

  private async whenFree<T>(fn: () => Promise<T>): Promise<T> {
    const until = Date.now() + this.busyWaitMs;
    for (;;) {
      try {
        return await fn();
      } catch (err) {
        const busy = err instanceof OpenStackHttpError && err.status === 409 && /Other LCM operation .* is in progress/.test(err.detail);
        if (!busy || Date.now() >= until) throw err;
        await sleep(250);
      }
    }
  }

  private url(path: string): Promise<string> {
    return tackerUrl(this.session, `/vnflcm/v2${path}`);
  }

  private async call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, json?: unknown, query?: Record<string, string | undefined>): Promise<T> {
    const url = await this.url(path);
    const res = await this.session.request<T>(TackerClient.service, method, url, {
      headers: VnfLcmV2Client.headers,
      ...(json !== undefined ? { json } : {}),
      ...(query ? { query } : {}),
      ...(method === 'DELETE' ? { expect: 'none' as const } : {}),
    });
    return res.body;
  }

  async createVnf(req: CreateVnfRequestV2): Promise<VnfInstanceV2> {
    const inst = await this.call<VnfInstanceV2>('POST', '/vnf_instances', req);
    if (!inst || typeof inst.id !== 'string') throw new OpenStackResponseError({ method: 'POST', url: await this.url('/vnf_instances'), service: TackerClient.service }, 201, 'VnfInstance without id');
    return inst;
  }

  getVnf(id: string): Promise<VnfInstanceV2> {
    return this.call<VnfInstanceV2>('GET', `/vnf_instances/${enc(id)}`);
  }

  /** filter: SOL013 attribute filter, e.g. `(eq,vnfdId,abc)` */
  async listVnfs(filter?: string): Promise<VnfInstanceV2[]> {
    return (await this.call<VnfInstanceV2[]>('GET', '/vnf_instances', undefined, { filter })) ?? [];
  }

  /** Only a NOT_INSTANTIATED instance can be deleted (409 otherwise). */
  async deleteVnf(id: string): Promise<void> {
    await this.whenFree(() => this.call('DELETE', `/vnf_instances/${enc(id)}`));
  }

  /** Rejects (TypeError, naming the field) v1 list shapes and what Tacker fails on, sending nothing. */
  async instantiate(id: string, req: InstantiateVnfRequestV2): Promise<string> {
    checkInstantiateV2(req);
    return this.task(id, 'instantiate', req);
  }

  scale(id: string, req: ScaleVnfRequestV2): Promise<string> {
    return this.task(id, 'scale', req);
  }

  heal(id: string, req: HealVnfRequestV2 = {}): Promise<string> {
    return this.task(id, 'heal', req);
  }

  terminate(id: string, req: TerminateVnfRequestV2 = { terminationType: 'FORCEFUL' }): Promise<string> {
    return this.task(id, 'terminate', req);
  }

  getOpOcc(opId: string): Promise<VnfLcmOpOccV2> {
    return this.call<VnfLcmOpOccV2>('GET', `/vnf_lcm_op_occs/${enc(opId)}`);
  }

  async listOpOccs(filter?: string): Promise<VnfLcmOpOccV2[]> {
    return (await this.call<VnfLcmOpOccV2[]>('GET', '/vnf_lcm_op_occs', undefined, { filter })) ?? [];
  }

  /** FAILED_TEMP -> PROCESSING again (202). */
  async retry(opId: string): Promise<void> {
    await this.session.request(TackerClient.service, 'POST', await this.url(`/vnf_lcm_op_occs/${enc(opId)}/retry`), { headers: VnfLcmV2Client.headers, expect: 'none' });
  }

  /** FAILED_TEMP -> ROLLING_BACK -> ROLLED_BACK (202). */
  async rollback(opId: string): Promise<void> {
    await this.session.request(TackerClient.service, 'POST', await this.url(`/vnf_lcm_op_occs/${enc(opId)}/rollback`), { headers: VnfLcmV2Client.headers, expect: 'none' });
  }

  /** FAILED_TEMP -> FAILED (200, the op occurrence). */
  async fail(opId: string): Promise<VnfLcmOpOccV2> {
    return (await this.session.request<VnfLcmOpOccV2>(TackerClient.service, 'POST', await this.url(`/vnf_lcm_op_occs/${enc(opId)}/fail`), { headers: VnfLcmV2Client.headers })).body;
  }

  /** Polls until the operation leaves STARTING/PROCESSING/ROLLING_BACK; anything but COMPLETED throws. */
  waitOperation(opId: string, o: PollOptions & { onState?: (op: VnfLcmOpOccV2) => void } = {}): Promise<VnfLcmOpOccV2> {
    return pollOperation(opId, (id) => this.getOpOcc(id), o);
  }

  private async task(id: string, task: string, req: unknown): Promise<string> {
    const url = await this.url(`/vnf_instances/${enc(id)}/${task}`);
    return this.whenFree(() => postTask(this.session, url, req, VnfLcmV2Client.headers));
  }
}
