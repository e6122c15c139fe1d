// The VIM seam: where a VNF's instances live. The VNF manager drives every VIM through this
// interface — OpenStack (Heat stacks) and local (processes in network namespaces) — so the LCM
// state machine never knows which one it talks to.

/** A VNF deployment on a VIM, e.g. a Heat stack "name/uuid". Opaque to callers. */
export type DeploymentId = string;

export type VimPhase = 'started' | 'progress' | 'completed' | 'failed';

/** One step of a running operation, for LCM progress and operator logs. */
export interface VimProgress {
  operation: 'instantiate' | 'scale' | 'heal' | 'terminate' | 'operate' | 'change';
  deploymentId: DeploymentId;
  phase: VimPhase;
  /** the VIM's own status word, e.g. Heat's UPDATE_IN_PROGRESS */
  status: string;
  message: string;
  elapsedMs: number;
  /** set when the step is a VIM event (a Heat event) */
  event?: VimEvent;
}

/** Something the VIM recorded about one resource during the operation. */
export interface VimEvent {
  id: string;
  time: string;
  resource: string;
  resourceId?: string;
  resourceType?: string;
  status: string;
  reason: string;
}

export interface OperationOptions {
  onProgress?: (p: VimProgress) => void;
  /** bound on the whole operation */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface OperationResult {
  deploymentId: DeploymentId;
  status: string;
  /** events of this operation only, oldest first */
  events: VimEvent[];
  instances: VimInstance[];
}

/** One NF instance (a VNFC): a VM on OpenStack, a process in a namespace locally. */
export interface VimInstance {
  id: string;
  /** the aspect (scaling group) it belongs to, if any */
  aspect?: string;
  /** the VDU it realises, e.g. VDU1 */
  vdu?: string;
  status: 'ok' | 'building' | 'failed' | 'unhealthy' | 'deleting' | 'stopped' | 'unknown';
  /** the VIM's own status word */
  vimStatus: string;
  /** network name or connection point -> addresses */
  addresses: Record<string, string[]>;
}

/** HOT inputs for the OpenStack VIM: a top template, the files it references, environment. */
export interface HotArtifacts {
  /** the top template (YAML/JSON text or parsed) */
  template: string | Record<string, unknown>;
  /** nested templates and get_file contents, keyed as the templates reference them */
  files?: Record<string, string>;
  /** resource_registry and parameter_defaults to merge into the built environment */
  environment?: { resource_registry?: Record<string, unknown>; parameter_defaults?: Record<string, unknown>; parameters?: Record<string, unknown> };
}

export interface ExtVirtualLink {
  /** the connection point descriptor(s) of the VNF this external network attaches to */
  cpdIds: string[];
  /** the network on the VIM (Neutron network id or name; bridge name locally) */
  resourceId: string;
}

export interface InstantiateRequest {
  /** VNF instance name: names the deployment (stack name) */
  name: string;
  flavourId: string;
  /** initial size per aspect (number of instances), from the instantiation level */
  aspectSizes?: Record<string, number>;
  extVirtualLinks?: ExtVirtualLink[];
  /** per-VDU compute flavour, image and availability zone, e.g. { VDU1: { flavor: 'm1.small', image: 'snf', zone: 'az1' } } (the NFVO's grant) */
  vdus?: Record<string, VduPlacement>;
  /** availability zone for every VDU the grant does not place otherwise */
  zone?: string;
  /** SOL003 additionalParams: passed to the deployment where it declares them */
  additionalParams?: Record<string, unknown>;
  /** what each VIM deploys from: `hot` for OpenStack; the local VIM defines its own key */
  artifacts: { hot?: HotArtifacts; [vim: string]: unknown };
}

/** Where and on what one VDU's instances run, as the NFVO granted it. */
export interface VduPlacement {
  flavor?: string;
  image?: string;
  zone?: string;
}

/** SOL003 Operate VNF: stop (take out of service, then stop) or start the deployment's instances. */
export interface OperateRequest {
  state: 'STARTED' | 'STOPPED';
  /** GRACEFUL stop: out of service first, in-flight work given up to gracefulStopTimeoutMs */
  graceful?: boolean;
  gracefulStopTimeoutMs?: number;
}

/**
 * An update of a running deployment in place (SOL003 change_flavour, change_ext_conn): only what
 * is set changes. A new flavour brings its own artifacts; sizes and links keep what they were
 * unless given.
 */
export interface ChangeRequest {
  flavourId?: string;
  /** the new flavour's artifacts (with flavourId) */
  artifacts?: { hot?: HotArtifacts; [vim: string]: unknown };
  aspectSizes?: Record<string, number>;
  extVirtualLinks?: ExtVirtualLink[];
  vdus?: Record<string, VduPlacement>;
  zone?: string;
  additionalParams?: Record<string, unknown>;
}

export interface ScaleRequest {
  aspect: string;
  /** instances to add (>0) or remove (<0); exclusive with target */
  delta?: number;
  /** absolute size */
  target?: number;
  /** how an OpenStack VIM applies it: change the size parameter (default) or signal a ScalingPolicy */
  method?: 'parameter' | 'signal';
}

export interface Vim {
  readonly kind: string;
  instantiate(req: InstantiateRequest, opts?: OperationOptions): Promise<OperationResult>;
  scale(id: DeploymentId, req: ScaleRequest, opts?: OperationOptions): Promise<OperationResult>;
  /** replaces one failed instance; the others keep forwarding */
  heal(id: DeploymentId, instanceId: string, opts?: OperationOptions): Promise<OperationResult>;
  terminate(id: DeploymentId, opts?: OperationOptions): Promise<OperationResult>;
  /** stops or starts every instance of the deployment; a stopped instance is out of steering */
  operate(id: DeploymentId, req: OperateRequest, opts?: OperationOptions): Promise<OperationResult>;
  /** updates the deployment in place: another flavour, other external links, other sizes */
  change(id: DeploymentId, req: ChangeRequest, opts?: OperationOptions): Promise<OperationResult>;
  instances(id: DeploymentId): Promise<VimInstance[]>;
}

/** Bad request to a VIM (unknown aspect, size out of bounds): nothing was changed. */
export class VimRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VimRequestError';
  }
}
