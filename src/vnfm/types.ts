// The SOL003 resources the VNFM keeps (the subset of attributes it fills), and the adapter's own
// bookkeeping next to them. API shapes are what clients see; `Internal*` never leaves the server.
import type { HotArtifacts } from '../vim/types.js';

export type LcmOperation = 'INSTANTIATE' | 'SCALE' | 'SCALE_TO_LEVEL' | 'HEAL' | 'TERMINATE' | 'MODIFY_INFO' | 'OPERATE' | 'CHANGE_FLAVOUR' | 'CHANGE_EXT_CONN';
export type OpState = 'STARTING' | 'PROCESSING' | 'COMPLETED' | 'FAILED_TEMP' | 'FAILED' | 'ROLLING_BACK' | 'ROLLED_BACK';
export const TERMINAL_STATES: readonly OpState[] = ['COMPLETED', 'FAILED', 'ROLLED_BACK'];
export type Json = Record<string, unknown>;
export type Link = { href: string };

/** SOL003 ExtVirtualLinkData, the part this VNFM acts on. */
export interface ExtVirtualLinkData {
  id: string;
  resourceId: string;
  vimConnectionId?: string;
  /** cpConfig as given: a map in SOL003 v3, an array in the v2 shapes ONAP SO sends */
  extCps: Array<{ cpdId: string; cpConfig?: unknown }>;
}

/** What a grant lets the VNFM place where: the parts of SOL003's Grant the VIM applies. */
export interface GrantPlacement {
  /** availability zone for every VDU not placed otherwise (the first granted zone) */
  zone?: string;
  /** per VDU (vnfdVirtualComputeDescId / vnfdSoftwareImageId / addResources' resourceDefinitionId) */
  vdus?: Record<string, { flavor?: string; image?: string; zone?: string }>;
}

export interface VimConnectionInfo {
  vimId?: string;
  vimType: string;
  interfaceInfo?: Json;
  accessInfo?: Json;
  extra?: Json;
}

export interface VnfcResourceInfo {
  id: string;
  vduId: string;
  computeResource: { vimConnectionId?: string; resourceId: string; vimLevelResourceType?: string };
  metadata?: Json;
}

export interface InstantiatedVnfInfo {
  flavourId: string;
  vnfState: 'STARTED' | 'STOPPED';
  scaleStatus?: Array<{ aspectId: string; scaleLevel: number }>;
  maxScaleLevels?: Array<{ aspectId: string; scaleLevel: number }>;
  vnfcResourceInfo?: VnfcResourceInfo[];
  /** SOL003 v3.3.1 5.5.2.2 has it (the bundled document leaves it out): each VNFC's state, which Operate VNF changes */
  vnfcInfo?: Array<{ id: string; vduId: string; vnfcResourceInfoId: string; vnfcState: 'STARTED' | 'STOPPED' }>;
  extVirtualLinkInfo?: Array<{ id: string; resourceHandle: { resourceId: string; vimConnectionId?: string }; currentVnfExtCpData: Array<{ cpdId: string }> }>;
}

export interface VnfInstance {
  id: string;
  vnfInstanceName?: string;
  vnfInstanceDescription?: string;
  vnfdId: string;
  vnfProvider: string;
  vnfProductName: string;
  vnfSoftwareVersion: string;
  vnfdVersion: string;
  vnfPkgId?: string;
  vnfConfigurableProperties?: Json;
  vimConnectionInfo?: Record<string, VimConnectionInfo>;
  instantiationState: 'NOT_INSTANTIATED' | 'INSTANTIATED';
  instantiatedVnfInfo?: InstantiatedVnfInfo;
  metadata?: Json;
  extensions?: Json;
}

/** What the adapter remembers about a VNF instance beyond its SOL003 representation. */
export interface VnfInternal {
  /** name of the VIM (adapter config) the deployment lives on */
  vim?: string;
  deploymentId?: string;
  /** the deployment's name on the VIM, reserved for this VNF (repo.reserveName) */
  deploymentName?: string;
  /** instances per aspect, as last applied */
  aspectSizes?: Record<string, number>;
  /** the external virtual links the deployment is connected to (instantiate, change_ext_conn, change_flavour) */
  extVirtualLinks?: ExtVirtualLinkData[];
  /** the grant's placement the deployment was made with (re-applied by a change of flavour) */
  placement?: GrantPlacement;
  /** the VNF name in the StatelessNF state store (keys snf:{<name>...}) */
  storeVnf: string;
}

export interface VnfRecord {
  vnf: VnfInstance;
  internal: VnfInternal;
}

export interface AffectedVnfc {
  id: string;
  vduId: string;
  changeType: 'ADDED' | 'REMOVED' | 'MODIFIED' | 'TEMPORARY';
  computeResource: { resourceId: string; vimConnectionId?: string };
}

export interface VnfLcmOpOcc {
  id: string;
  operationState: OpState;
  stateEnteredTime: string;
  startTime: string;
  vnfInstanceId: string;
  grantId?: string;
  operation: LcmOperation;
  isAutomaticInvocation: boolean;
  operationParams?: Json;
  isCancelPending: boolean;
  cancelMode?: 'GRACEFUL' | 'FORCEFUL';
  error?: { status: number; detail: string; title?: string; type?: string };
  resourceChanges?: { affectedVnfcs?: AffectedVnfc[] };
  /** the attributes a MODIFY_INFO changed */
  changedInfo?: Json;
  /** the external links a CHANGE_EXT_CONN or CHANGE_FLAVOUR set (ExtVirtualLinkInfo) */
  changedExtConnectivity?: Json[];
}

/** What an operation needs to resume (retry) or undo (rollback) after a restart. */
export interface OpInternal {
  /** instance sizes per aspect before the operation */
  before?: Record<string, number>;
  /** instance sizes per aspect the operation aims for */
  target?: Record<string, number>;
  /**
   * Deployment this operation created: set only once the VIM shows it exists (a progress event
   * after the start, or the result), never from the 'started' event, which a VIM sends before a
   * name collision is found. Rollback and retry delete only this.
   */
  deploymentId?: string;
  /** VIM (adapter config name) and deployment name an INSTANTIATE reserved */
  vim?: string;
  deploymentName?: string;
  /** VNFCs a heal replaces */
  heal?: string[];
  /** the VIM's instances before the operation, to report resource changes */
  instancesBefore?: string[];
  /** OPERATE: the vnfState to return to on rollback */
  prevState?: 'STARTED' | 'STOPPED';
  /** CHANGE_FLAVOUR: the flavour to return to on rollback */
  prevFlavourId?: string;
  /** CHANGE_FLAVOUR, CHANGE_EXT_CONN: the links to return to on rollback */
  prevLinks?: ExtVirtualLinkData[];
  /** what the NFVO's grant placed (zones, flavours, images), applied by the VIM */
  placement?: GrantPlacement;
}

export interface OpRecord {
  op: VnfLcmOpOcc;
  internal: OpInternal;
}

export interface SubscriptionFilter {
  vnfInstanceSubscriptionFilter?: { vnfdIds?: string[]; vnfInstanceIds?: string[]; vnfInstanceNames?: string[] };
  notificationTypes?: string[];
  operationTypes?: string[];
  operationStates?: string[];
}

export interface SubscriptionAuth {
  authType: Array<'BASIC' | 'OAUTH2_CLIENT_CREDENTIALS' | 'TLS_CERT'>;
  paramsBasic?: { userName?: string; password?: string };
  paramsOauth2ClientCredentials?: { clientId?: string; clientPassword?: string; tokenEndpoint?: string };
}

export interface Subscription {
  id: string;
  filter?: SubscriptionFilter;
  callbackUri: string;
  verbosity: 'FULL' | 'SHORT';
  /** never returned by the API (SOL003: authentication is write-only) */
  authentication?: SubscriptionAuth;
  /** the API version it was created through: links in its notifications use the same */
  dialect?: 'v1' | 'v2';
}

/** The VNFD facts the adapter needs (it does not parse packages): one entry per vnfdId. */
export interface VnfdInfo {
  vnfdId: string;
  vnfProvider: string;
  vnfProductName: string;
  vnfSoftwareVersion: string;
  vnfdVersion: string;
  vnfPkgId?: string;
  flavours: Record<string, FlavourInfo>;
  /** what each VIM deploys from, per flavour: `hot` for OpenStack, the local VIM's own key */
  artifacts?: Record<string, { hot?: HotArtifacts; [vim: string]: unknown }>;
}

export interface AspectInfo {
  vduId: string;
  /** instances at scale level 0 */
  minInstances: number;
  /** highest scale level */
  maxScaleLevel: number;
  /** instances added per scale step */
  step?: number;
}

export interface FlavourInfo {
  aspects: Record<string, AspectInfo>;
  /** instantiation level -> aspect -> scale level */
  instantiationLevels: Record<string, Record<string, number>>;
  defaultInstantiationLevelId: string;
}
