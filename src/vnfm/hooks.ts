// Two more sources of lifecycle events besides the SOL003 API:
// - Tacker as the VNFM: its Python hook shim (tosca/scripts/snf_lcm_hook.py) posts each Vnflcm
//   hook here and Tacker itself drives Heat; the adapter does the StatelessNF part of the
//   translation on the state store (DESIGN.md, "Lifecycle translation"): check the store before
//   instantiate, take instances out of steering before scale-in / heal / terminate (their
//   registry records go, the steering controller follows the live set), wait for new instances
//   to register after instantiate / scale-out / heal, purge the VNF's state after terminate.
// - Prometheus Alertmanager in Tacker's plugin format (labels function_type = auto_scale |
//   auto_heal): turned into SCALE / HEAL operations of this VNFM.
import { deregister, liveInstances, readGeneration, type StoreClient } from '../store/index.js';
import { ApiError, badRequest, notFound } from './problem.js';
import type { Lcm } from './lcm.js';
import type { Json } from './types.js';

export interface TackerHookOptions {
  /** the StatelessNF state store (where NF instances register) */
  store?: StoreClient;
  /** how long a removed instance may still carry packets already steered to it */
  inFlightMs?: number;
  /** bound on waiting for new instances to register */
  registerTimeoutMs?: number;
  /** refuse instantiate_start while the VNF has no control tables */
  requireTables?: boolean;
  purge?: (vnf: string) => Promise<void>;
  /** one line per hook handled (and per hook refused): the operator's record of what Tacker asked */
  log?: (msg: string) => void;
}

export const TACKER_HOOKS = new Set([
  'instantiate_start', 'instantiate_end', 'terminate_start', 'terminate_end', 'scale_start', 'scale_end',
  'scale_to_level_start', 'scale_to_level_end', 'heal_start', 'heal_end', 'change_external_connectivity_start',
  'change_external_connectivity_end', 'modify_information_start', 'modify_information_end',
  // Change Current VNF Package (a rolling image update): SOL001's names and Tacker 8.0.0's.
  'change_current_package_start', 'change_current_package_end', 'change_vnfpkg_start', 'change_vnfpkg_end',
]);

function obj(v: unknown): Json {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}

/** The VNF's name in the state store: chosen by the operator, else derived from the instance. */
export function storeVnfName(body: Json): string {
  const req = obj(body.request);
  const inst = obj(body.vnfInstance);
  const params = obj(req.additionalParams);
  const conf = obj(inst.vnfConfigurableProperties);
  const id = typeof body.vnfInstanceId === 'string' ? body.vnfInstanceId : typeof inst.id === 'string' ? inst.id : '';
  const name = [params.snf_vnf, conf.snf_vnf, inst.vnfInstanceName].find((x): x is string => typeof x === 'string' && /^[A-Za-z0-9]/.test(x)) ?? `vnf-${id.slice(0, 8)}`;
  return name.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 48);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class TackerHooks {
  constructor(private readonly o: TackerHookOptions) {}

  private store(): StoreClient {
    if (!this.o.store) throw new ApiError(503, 'the adapter has no state store configured (--store)');
    return this.o.store;
  }

  async handle(hook: string, body: Json): Promise<Json> {
    const inst = typeof body.vnfInstanceId === 'string' ? body.vnfInstanceId : '?';
    try {
      const out = await this.run(hook, body);
      this.o.log?.(`vnfm: tacker hook ${hook} vnf=${String(out.vnf)} instance=${inst}: ${(out.actions as string[]).join('; ') || 'nothing to do'}`);
      return out;
    } catch (err) {
      this.o.log?.(`vnfm: tacker hook ${hook} instance=${inst} refused: ${(err as Error).message}`);
      throw err;
    }
  }

  private async run(hook: string, body: Json): Promise<Json> {
    if (!TACKER_HOOKS.has(hook)) throw notFound(`unknown hook "${hook}" (known: ${[...TACKER_HOOKS].join(', ')})`);
    const vnf = storeVnfName(body);
    const req = obj(body.request);
    const actions: string[] = [];
    const out: Json = { hook, vnf, actions };
    switch (hook) {
      case 'instantiate_start': {
        const t0 = Date.now();
        await this.store().ping();
        actions.push(`store reachable (${Date.now() - t0} ms)`);
        const gen = await readGeneration(this.store(), vnf);
        out.tablesGeneration = gen;
        if (gen === 0 && this.o.requireTables) throw new ApiError(409, `VNF "${vnf}" has no control tables in the store: load them before instantiating`);
        actions.push(gen ? `control tables loaded (generation ${gen})` : 'no control tables yet');
        break;
      }
      case 'instantiate_end':
      case 'change_current_package_end':
      case 'change_vnfpkg_end':
      case 'heal_end':
      case 'scale_to_level_end':
      case 'scale_end': {
        if (hook === 'scale_end' && req.type === 'SCALE_IN') {
          actions.push('scale in: nothing to wait for');
          break;
        }
        const expected = this.expected(body);
        const live = await this.waitRegistered(vnf, expected);
        out.registered = live;
        actions.push(`${live.length} instance(s) registered (expected ${expected})`);
        break;
      }
      case 'scale_start':
      case 'heal_start':
      case 'change_current_package_start':
      case 'change_vnfpkg_start':
      case 'scale_to_level_start': {
        if (hook === 'scale_start' && req.type !== 'SCALE_IN') break;
        const ids = this.leaving(body);
        const removed = await this.unsteer(vnf, (i) => ids.has(i.id) || ids.has(i.addr));
        out.unsteered = removed;
        actions.push(`unsteered ${removed.length} instance(s)`);
        if (removed.length && hook !== 'heal_start') {
          // A failed instance carries nothing; one scaled in (or about to be rebuilt on the new
          // image by a package change) may still have packets in flight.
          await sleep(this.o.inFlightMs ?? 1000);
          actions.push(`waited ${this.o.inFlightMs ?? 1000} ms in-flight window`);
        }
        break;
      }
      case 'terminate_start': {
        const removed = await this.unsteer(vnf, () => true);
        out.unsteered = removed;
        actions.push(`unsteered ${removed.length} instance(s)`);
        break;
      }
      case 'terminate_end': {
        const params = obj(req.additionalParams);
        if (params.snf_purge_state === true || params.purgeState === true) {
          if (!this.o.purge) throw new ApiError(503, 'purge requested but the adapter has no state store');
          await this.o.purge(vnf);
          actions.push('state purged');
        }
        break;
      }
      default:
        actions.push('nothing to do');
    }
    return out;
  }

  /** NF instances that must leave steering: the grant's removeResources and the VNFCs to heal. */
  private leaving(body: Json): Set<string> {
    const ids = new Set<string>();
    const grantReq = obj(body.grantRequest);
    for (const r of (grantReq.removeResources as Json[] | undefined) ?? []) {
      const res = obj(obj(r).resource);
      if (typeof res.resourceId === 'string') ids.add(res.resourceId);
      if (typeof obj(r).id === 'string') ids.add(obj(r).id as string);
    }
    const req = obj(body.request);
    const vnfcIds = (req.vnfcInstanceId as unknown[] | undefined) ?? [];
    const vnfcs = (obj(obj(body.vnfInstance).instantiatedVnfInfo).vnfcResourceInfo as Json[] | undefined) ?? [];
    for (const v of vnfcIds) {
      ids.add(String(v));
      const info = vnfcs.find((x) => x.id === v);
      const rid = obj(info?.computeResource).resourceId;
      if (typeof rid === 'string') ids.add(rid);
    }
    return ids;
  }

  private expected(body: Json): number {
    const params = obj(obj(body.request).additionalParams);
    if (Number.isInteger(params.snf_expected_instances)) return params.snf_expected_instances as number;
    const vnfcs = obj(obj(body.vnfInstance).instantiatedVnfInfo).vnfcResourceInfo;
    return Array.isArray(vnfcs) && vnfcs.length ? vnfcs.length : 1;
  }

  private async waitRegistered(vnf: string, expected: number): Promise<string[]> {
    const deadline = Date.now() + (this.o.registerTimeoutMs ?? 120_000);
    for (;;) {
      const live = await liveInstances(this.store(), vnf);
      if (live.length >= expected) return live.map((i) => i.id);
      if (Date.now() > deadline) throw new ApiError(503, `VNF "${vnf}": ${live.length} of ${expected} instance(s) registered within ${this.o.registerTimeoutMs ?? 120_000} ms`);
      await sleep(200);
    }
  }

  private async unsteer(vnf: string, pick: (i: { id: string; addr: string }) => boolean): Promise<string[]> {
    const live = await liveInstances(this.store(), vnf);
    const gone = live.filter(pick).map((i) => i.id);
    for (const id of gone) await deregister(this.store(), vnf, id);
    return gone;
  }
}

export interface AlertOutcome {
  alert: string;
  vnfInstanceId?: string;
  action: 'scale' | 'heal' | 'skipped';
  opId?: string;
  reason?: string;
}

/** Alertmanager webhook, Tacker Prometheus-plugin labels, into LCM operations. */
export async function handleAlerts(lcm: Lcm, body: Json, only?: 'auto_scale' | 'auto_heal'): Promise<AlertOutcome[]> {
  if (!Array.isArray(body.alerts)) throw badRequest('alerts: expected an Alertmanager webhook body with an "alerts" array');
  const out: AlertOutcome[] = [];
  const heals = new Map<string, { vnfcs: string[]; names: string[] }>();
  for (const a of body.alerts as Json[]) {
    const labels = obj(a.labels) as Record<string, string>;
    const name = labels.alertname ?? String(a.fingerprint ?? '');
    const fn = labels.function_type;
    const vnfId = labels.vnf_instance_id;
    if (a.status !== 'firing' || (fn !== 'auto_scale' && fn !== 'auto_heal') || (only && fn !== only) || !vnfId) {
      out.push({ alert: name, action: 'skipped', reason: 'not a firing auto_scale / auto_heal alert with vnf_instance_id' });
      continue;
    }
    const rec = await lcm.o.repo.getVnf(vnfId);
    if (!rec) {
      out.push({ alert: name, vnfInstanceId: vnfId, action: 'skipped', reason: 'unknown VNF instance' });
      continue;
    }
    const conf = obj(rec.vnf.vnfConfigurableProperties);
    if (fn === 'auto_scale') {
      if (conf.isAutoscaleEnabled !== true) {
        out.push({ alert: name, vnfInstanceId: vnfId, action: 'skipped', reason: 'isAutoscaleEnabled is not true' });
        continue;
      }
      try {
        const type = labels.auto_scale_type === 'SCALE_IN' ? 'SCALE_IN' : 'SCALE_OUT';
        const op = await lcm.scale(vnfId, { type, aspectId: labels.aspect_id, numberOfSteps: 1 }, true);
        out.push({ alert: name, vnfInstanceId: vnfId, action: 'scale', opId: op.op.id });
      } catch (err) {
        out.push({ alert: name, vnfInstanceId: vnfId, action: 'skipped', reason: (err as Error).message });
      }
    } else {
      if (conf.isAutohealEnabled !== true) {
        out.push({ alert: name, vnfInstanceId: vnfId, action: 'skipped', reason: 'isAutohealEnabled is not true' });
        continue;
      }
      // Several instances of one VNF lost at once: one heal operation, as Tacker does.
      const h = heals.get(vnfId) ?? { vnfcs: [], names: [] };
      if (labels.vnfc_info_id) h.vnfcs.push(labels.vnfc_info_id);
      h.names.push(name);
      heals.set(vnfId, h);
    }
  }
  for (const [vnfId, h] of heals) {
    try {
      const op = await lcm.heal(vnfId, { additionalParams: { vnfcInstanceId: h.vnfcs } }, true);
      out.push({ alert: h.names.join(','), vnfInstanceId: vnfId, action: 'heal', opId: op.op.id });
    } catch (err) {
      out.push({ alert: h.names.join(','), vnfInstanceId: vnfId, action: 'skipped', reason: (err as Error).message });
    }
  }
  return out;
}
