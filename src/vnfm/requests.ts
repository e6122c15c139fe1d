// Typed requests of the operations added after the first ones (operate, change_flavour,
// change_ext_conn): the server has checked the body against the SOL003 schema; these checks add
// SOL003's rules the schema cannot say (which attribute may accompany which) and produce typed
// values, so the drivers never cast a Record<string, unknown>. Every refusal names the field.
import { badRequest } from './problem.js';
import type { ExtVirtualLinkData, Json } from './types.js';

export type { ExtVirtualLinkData };

export interface OperateVnfRequest {
  changeStateTo: 'STARTED' | 'STOPPED';
  stopType?: 'FORCEFUL' | 'GRACEFUL';
  /** seconds */
  gracefulStopTimeout?: number;
  additionalParams?: Json;
}

export interface ChangeVnfFlavourRequest {
  newFlavourId: string;
  instantiationLevelId?: string;
  extVirtualLinks?: ExtVirtualLinkData[];
  vimConnectionInfo?: unknown;
  additionalParams?: Json;
}

export interface ChangeExtVnfConnectivityRequest {
  extVirtualLinks: ExtVirtualLinkData[];
  vimConnectionInfo?: unknown;
  additionalParams?: Json;
}

/** A graceful stop waits at most this long for the VNF to be out of service (seconds). */
export const MAX_GRACEFUL_STOP_S = 3600;

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optObj(b: Json, field: string): Json | undefined {
  const v = b[field];
  if (v === undefined) return undefined;
  if (!isObj(v)) throw badRequest(`${field}: must be an object`);
  return v;
}

function str(v: unknown, field: string): string {
  if (typeof v !== 'string' || v === '') throw badRequest(`${field}: must be a non-empty string`);
  return v;
}

export function parseExtVirtualLinks(v: unknown, field = 'extVirtualLinks'): ExtVirtualLinkData[] {
  if (!Array.isArray(v)) throw badRequest(`${field}: must be an array`);
  const ids = new Set<string>();
  const cpds = new Set<string>();
  return v.map((l: unknown, i) => {
    const at = `${field}[${i}]`;
    if (!isObj(l)) throw badRequest(`${at}: must be an object`);
    const id = str(l.id, `${at}.id`);
    if (ids.has(id)) throw badRequest(`${at}.id: "${id}" appears twice`);
    ids.add(id);
    if (!Array.isArray(l.extCps) || l.extCps.length === 0) throw badRequest(`${at}.extCps: must list at least one external CP`);
    const extCps = l.extCps.map((c: unknown, j) => {
      if (!isObj(c)) throw badRequest(`${at}.extCps[${j}]: must be an object`);
      const cpdId = str(c.cpdId, `${at}.extCps[${j}].cpdId`);
      // One CPD attaches to one external VL: two would leave the VIM to pick one.
      if (cpds.has(cpdId)) throw badRequest(`${at}.extCps[${j}].cpdId: CPD "${cpdId}" is given in two external virtual links`);
      cpds.add(cpdId);
      if (c.cpConfig !== undefined && (typeof c.cpConfig !== 'object' || c.cpConfig === null)) throw badRequest(`${at}.extCps[${j}].cpConfig: must be an object (or an array)`);
      return { cpdId, ...(c.cpConfig !== undefined ? { cpConfig: c.cpConfig } : {}) };
    });
    return {
      id,
      resourceId: str(l.resourceId, `${at}.resourceId`),
      ...(l.vimConnectionId !== undefined ? { vimConnectionId: str(l.vimConnectionId, `${at}.vimConnectionId`) } : {}),
      extCps,
    };
  });
}

/** SOL003 5.5.2.10 OperateVnfRequest, with the clause's rules on stopType and gracefulStopTimeout. */
export function parseOperate(b: Json): OperateVnfRequest {
  const to = b.changeStateTo;
  if (to !== 'STARTED' && to !== 'STOPPED') throw badRequest('changeStateTo: must be STARTED or STOPPED');
  const stopType = b.stopType;
  if (stopType !== undefined && stopType !== 'FORCEFUL' && stopType !== 'GRACEFUL') throw badRequest('stopType: must be FORCEFUL or GRACEFUL');
  const timeout = b.gracefulStopTimeout;
  if (to === 'STARTED') {
    if (stopType !== undefined) throw badRequest('stopType: shall be absent when changeStateTo is STARTED');
    if (timeout !== undefined) throw badRequest('gracefulStopTimeout: shall be absent when changeStateTo is STARTED');
  } else if (stopType === 'GRACEFUL') {
    if (timeout === undefined) throw badRequest('gracefulStopTimeout: shall be present when stopType is GRACEFUL');
  } else if (timeout !== undefined) {
    throw badRequest('gracefulStopTimeout: shall be absent when stopType is FORCEFUL (or absent)');
  }
  if (timeout !== undefined && (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 0 || timeout > MAX_GRACEFUL_STOP_S)) {
    throw badRequest(`gracefulStopTimeout: must be an integer number of seconds in [0, ${MAX_GRACEFUL_STOP_S}]`);
  }
  const additionalParams = optObj(b, 'additionalParams');
  return {
    changeStateTo: to,
    ...(to === 'STOPPED' ? { stopType: stopType ?? 'FORCEFUL' } : {}),
    ...(typeof timeout === 'number' ? { gracefulStopTimeout: timeout } : {}),
    ...(additionalParams ? { additionalParams } : {}),
  };
}

export function parseChangeFlavour(b: Json): ChangeVnfFlavourRequest {
  const additionalParams = optObj(b, 'additionalParams');
  return {
    newFlavourId: str(b.newFlavourId, 'newFlavourId'),
    ...(b.instantiationLevelId !== undefined ? { instantiationLevelId: str(b.instantiationLevelId, 'instantiationLevelId') } : {}),
    ...(b.extVirtualLinks !== undefined ? { extVirtualLinks: parseExtVirtualLinks(b.extVirtualLinks) } : {}),
    ...(b.vimConnectionInfo !== undefined ? { vimConnectionInfo: b.vimConnectionInfo } : {}),
    ...(additionalParams ? { additionalParams } : {}),
  };
}

export function parseChangeExtConn(b: Json): ChangeExtVnfConnectivityRequest {
  const links = parseExtVirtualLinks(b.extVirtualLinks);
  if (links.length === 0) throw badRequest('extVirtualLinks: must list at least one external virtual link to change');
  const additionalParams = optObj(b, 'additionalParams');
  return {
    extVirtualLinks: links,
    ...(b.vimConnectionInfo !== undefined ? { vimConnectionInfo: b.vimConnectionInfo } : {}),
    ...(additionalParams ? { additionalParams } : {}),
  };
}

/** The links after a change: an entry replaces the one with its id and any that held one of its CPDs. */
export function mergeLinks(current: ExtVirtualLinkData[], changes: ExtVirtualLinkData[]): ExtVirtualLinkData[] {
  const ids = new Set(changes.map((l) => l.id));
  const cpds = new Set(changes.flatMap((l) => l.extCps.map((c) => c.cpdId)));
  const kept = current
    .filter((l) => !ids.has(l.id))
    .map((l) => ({ ...l, extCps: l.extCps.filter((c) => !cpds.has(c.cpdId)) }))
    .filter((l) => l.extCps.length > 0);
  return [...kept, ...changes];
}

export interface InstantiateVnfRequest {
  flavourId: string;
  instantiationLevelId?: string;
  extVirtualLinks: ExtVirtualLinkData[];
  vimConnectionInfo?: unknown;
  vnfConfigurableProperties?: Json;
  additionalParams: Json;
}

export interface ScaleVnfRequest {
  type: 'SCALE_OUT' | 'SCALE_IN';
  aspectId: string;
  numberOfSteps: number;
}

export interface ScaleVnfToLevelRequest {
  /** aspect -> scale level, from instantiationLevelId's level (resolved by the caller) or scaleInfo */
  instantiationLevelId?: string;
  scaleInfo?: Array<{ aspectId: string; scaleLevel: number }>;
}

export interface HealVnfRequest {
  /** VNFCs to heal: vnfcInstanceId of the request or of additionalParams (ONAP SO, Tacker); none = the unhealthy ones */
  vnfcInstanceIds: string[];
}

/** InstantiateVnfRequest (also read again from a stored operation's params by retry). */
export function parseInstantiate(b: Json): InstantiateVnfRequest {
  const additionalParams = optObj(b, 'additionalParams') ?? {};
  const props = optObj(b, 'vnfConfigurableProperties');
  return {
    flavourId: String(b.flavourId),
    ...(typeof b.instantiationLevelId === 'string' ? { instantiationLevelId: b.instantiationLevelId } : {}),
    extVirtualLinks: b.extVirtualLinks === undefined ? [] : parseExtVirtualLinks(b.extVirtualLinks),
    ...(b.vimConnectionInfo !== undefined ? { vimConnectionInfo: b.vimConnectionInfo } : {}),
    ...(props ? { vnfConfigurableProperties: props } : {}),
    additionalParams,
  };
}

export function parseScale(b: Json): ScaleVnfRequest {
  const steps = b.numberOfSteps === undefined ? 1 : Number(b.numberOfSteps);
  if (!Number.isInteger(steps) || steps < 1) throw badRequest('numberOfSteps: must be a positive integer');
  return { type: b.type === 'SCALE_IN' ? 'SCALE_IN' : 'SCALE_OUT', aspectId: String(b.aspectId), numberOfSteps: steps };
}

export function parseScaleToLevel(b: Json): ScaleVnfToLevelRequest {
  if (typeof b.instantiationLevelId === 'string') return { instantiationLevelId: b.instantiationLevelId };
  if (!Array.isArray(b.scaleInfo)) throw badRequest('instantiationLevelId, scaleInfo: give one of them');
  return {
    scaleInfo: b.scaleInfo.map((s: unknown, i) => {
      if (!isObj(s)) throw badRequest(`scaleInfo[${i}]: must be an object`);
      return { aspectId: String(s.aspectId), scaleLevel: Number(s.scaleLevel) };
    }),
  };
}

export function parseHeal(b: Json): HealVnfRequest {
  const params = isObj(b.additionalParams) ? b.additionalParams : {};
  const raw = b.vnfcInstanceId ?? params.vnfcInstanceId ?? params.vnfcInstanceIds;
  return { vnfcInstanceIds: raw === undefined ? [] : Array.isArray(raw) ? raw.map(String) : [String(raw)] };
}
