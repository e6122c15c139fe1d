// Tacker client for the ETSI NFV-SOL APIs Tacker serves: vnfpkgm v1 (onboard a CSAR) and
// vnflcm v1 (create, instantiate, scale, heal, terminate a VNF and follow its LCM operation).
import { OpenStackOperationError, OpenStackResponseError } from './errors.js';
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
  constructor(readonly session: Session) {}

  private async url(api: 'vnfpkgm' | 'vnflcm', path: string): Promise<string> {
    const ep = (await this.session.endpoint(TackerClient.service)).replace(/\/v1\.0$/, '');
    return `${ep}/${api}/v1${path}`;
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
  async waitOperation(opId: string, o: PollOptions & { onState?: (op: VnfLcmOpOcc) => void } = {}): Promise<VnfLcmOpOcc> {
    const start = Date.now();
    const timeoutMs = o.timeoutMs ?? 30 * 60_000;
    let last = '';
    for (;;) {
      const op = await this.getOpOcc(opId);
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

  /** POSTs an LCM task (202) and returns the operation occurrence id from the Location header. */
  private async task(id: string, task: string, req: unknown): Promise<string> {
    const url = await this.url('vnflcm', `/vnf_instances/${enc(id)}/${task}`);
    const res = await this.session.request(TackerClient.service, 'POST', url, { json: req, expect: 'none' });
    const loc = res.headers.get('location');
    const m = loc ? /vnf_lcm_op_occs\/([^/?#]+)/.exec(loc) : null;
    if (!m) throw new OpenStackResponseError({ method: 'POST', url, service: TackerClient.service }, res.status, 'no Location header naming the vnf_lcm_op_occs', res.requestId);
    return decodeURIComponent(m[1]);
  }
}
