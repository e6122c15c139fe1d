// The OpenStack VIM: a VNF deployment is one Heat stack built from the package's HOT.
// - instantiate: create the stack (template + files + environment from the request)
// - scale: PATCH the aspect's size parameter, or signal its ScalingPolicy
// - heal: mark the instance's resource unhealthy, then update the stack: Heat replaces it
// - terminate: delete the stack
// Each reports progress and the Heat events of that operation only.
import {
  HeatClient,
  StackOperationError,
  type HeatEvent,
  type Stack,
  type StackProgress,
  type StackAction,
  type StackPatch,
  type StackRef,
  type StackResource,
} from '../../openstack/index.js';
import {
  VimRequestError,
  type DeploymentId,
  type ChangeRequest,
  type InstantiateRequest,
  type OperateRequest,
  type OperationOptions,
  type OperationResult,
  type ScaleRequest,
  type Vim,
  type VimEvent,
  type VimInstance,
  type VimProgress,
} from '../types.js';
import { buildParameters, discoverAspects, findAspect, getPath, parseHot, parseParamValue, sizeParameters, type AspectInfo } from './template.js';

export interface OpenStackVimOptions {
  /** stack status poll interval */
  pollMs?: number;
  /** default bound of one operation */
  timeoutMs?: number;
  /** Heat's own timeout for create/update, in minutes */
  stackTimeoutMins?: number;
  /** tags put on every stack this VIM creates */
  tags?: string[];
}

// Group members are nested two levels down: top stack -> group's stack -> member stack.
const NESTED_DEPTH = 2;

export class OpenStackVim implements Vim {
  readonly kind = 'openstack';
  private readonly pollMs: number;
  private readonly timeoutMs: number;

  constructor(
    readonly heat: HeatClient,
    private readonly opts: OpenStackVimOptions = {},
  ) {
    this.pollMs = opts.pollMs ?? 1000;
    this.timeoutMs = opts.timeoutMs ?? 30 * 60_000;
  }

  static idOf(ref: StackRef): DeploymentId {
    return `${ref.name}/${ref.id}`;
  }

  private async ref(id: DeploymentId): Promise<StackRef> {
    const i = id.lastIndexOf('/');
    if (i > 0) return { name: id.slice(0, i), id: id.slice(i + 1) };
    return this.heat.resolve(id);
  }

  async instantiate(req: InstantiateRequest, o: OperationOptions = {}): Promise<OperationResult> {
    const hotIn = req.artifacts.hot;
    if (!hotIn) throw new VimRequestError('instantiate: the request has no HOT artifacts (artifacts.hot)');
    if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(req.name)) {
      throw new VimRequestError(`instantiate: "${req.name}" is not a valid stack name (letter first, then letters, digits, _ . -)`);
    }
    const hot = parseHot(hotIn.template);
    const parameters = buildParameters(hot, req, discoverAspects(hot));
    const env = hotIn.environment ?? {};
    const ref = await this.heat.createStack({
      stack_name: req.name,
      // Heat gets the template as written; the parsed form only served to find the aspects.
      template: hotIn.template,
      files: hotIn.files ?? {},
      environment: env,
      parameters: { ...(env.parameters ?? {}), ...parameters },
      timeout_mins: this.opts.stackTimeoutMins,
      disable_rollback: true,
      tags: [...(this.opts.tags ?? ['statelessnf']), `flavour=${req.flavourId}`].map((t) => t.replace(/,/g, '_')),
    });
    return this.follow('instantiate', ref, 'CREATE', o, new Set());
  }

  async scale(id: DeploymentId, req: ScaleRequest, o: OperationOptions = {}): Promise<OperationResult> {
    if ((req.delta === undefined) === (req.target === undefined)) throw new VimRequestError('scale: give exactly one of delta and target');
    const ref = await this.ref(id);
    const [stack, aspect] = await Promise.all([this.heat.getStack(ref), this.aspect(ref, req.aspect)]);
    const members = await this.groupMembers(ref, aspect.group);
    const current = members.length;
    const target = req.target ?? current + (req.delta ?? 0);
    if (!Number.isInteger(target) || target < aspect.min || target > aspect.max) {
      throw new VimRequestError(`scale: aspect "${aspect.id}" to ${target} instances is outside [${aspect.min}, ${aspect.max}] (now ${current})`);
    }
    const known = await this.heat.eventIds(ref, NESTED_DEPTH);
    if ((req.method ?? 'parameter') === 'signal') return this.scaleBySignal(id, ref, aspect, current, target, known, o);

    if (!aspect.sizeParam) throw new VimRequestError(`scale: the size of aspect "${aspect.id}" is not a parameter; use method "signal"`);
    const params = Object.fromEntries(Object.entries(stack.parameters ?? {}).map(([k, v]) => [k, parseParamValue(v)]));
    if (Number(getPath(params, aspect.sizeParam)) === target && current !== target) {
      // The parameter already says `target` (a signal moved the group since): Heat would see no change.
      throw new VimRequestError(`scale: aspect "${aspect.id}" has ${current} instances but its parameter already says ${target}; scale with method "signal"`);
    }
    await this.heat.patchStack(ref, { parameters: sizeParameters(aspect.sizeParam, target, params) });
    return this.follow('scale', ref, 'UPDATE', o, known, stack);
  }

  async heal(id: DeploymentId, instanceId: string, o: OperationOptions = {}): Promise<OperationResult> {
    const ref = await this.ref(id);
    const all = await this.heat.resources(ref, { nestedDepth: NESTED_DEPTH });
    const target =
      all.find((r) => r.physical_resource_id === instanceId) ?? all.find((r) => r.resource_name === instanceId && stackOf(r)?.id === ref.id);
    if (!target) throw new VimRequestError(`heal: no instance "${instanceId}" in ${ref.name}`);
    const owner = stackOf(target) ?? ref;
    const [stack, known] = await Promise.all([this.heat.getStack(ref), this.heat.eventIds(ref, NESTED_DEPTH)]);
    this.emit(o, { operation: 'heal', deploymentId: id, phase: 'started', status: 'MARK_UNHEALTHY', message: `marking ${target.resource_name} unhealthy`, elapsedMs: 0 });
    await this.heat.markUnhealthy(owner, target.resource_name, `healed by StatelessNF VNFM: instance ${instanceId}`);
    // An update with nothing changed walks every nested stack; Heat replaces what is CHECK_FAILED.
    await this.heat.patchStack(ref, {});
    return this.follow('heal', ref, 'UPDATE', o, known, stack);
  }

  async terminate(id: DeploymentId, o: OperationOptions = {}): Promise<OperationResult> {
    const ref = await this.ref(id);
    const known = await this.heat.eventIds(ref, 0);
    await this.heat.deleteStack(ref);
    return this.follow('terminate', ref, 'DELETE', o, known);
  }

  /**
   * Stop = stack suspend (Nova suspends every server: the NF instances stop heartbeating and the
   * steering controller drops them), start = resume. Heat has no graceful variant: a GRACEFUL
   * stop is the same suspend. A stack already in the asked state is left alone (a retry).
   */
  async operate(id: DeploymentId, req: OperateRequest, o: OperationOptions = {}): Promise<OperationResult> {
    const ref = await this.ref(id);
    const stack = await this.heat.getStack(ref);
    const action: StackAction = req.state === 'STOPPED' ? 'SUSPEND' : 'RESUME';
    if (stack.stack_status === `${action}_COMPLETE`) return { deploymentId: id, status: stack.stack_status, events: [], instances: await this.instances(id) };
    if (req.state === 'STARTED' && !stack.stack_status.startsWith('SUSPEND')) {
      // Never suspended (e.g. a rollback of a stop that did not get to suspend): nothing to resume.
      return { deploymentId: id, status: stack.stack_status, events: [], instances: await this.instances(id) };
    }
    const known = await this.heat.eventIds(ref, NESTED_DEPTH);
    await this.heat.action(ref, req.state === 'STOPPED' ? 'suspend' : 'resume');
    return this.follow('operate', ref, action, o, known, stack);
  }

  /**
   * One stack update (PATCH: what the request does not set stays as it is). A new flavour sends
   * its template, files and environment; parameters the new template does not declare are
   * cleared, or Heat would refuse them.
   */
  async change(id: DeploymentId, req: ChangeRequest, o: OperationOptions = {}): Promise<OperationResult> {
    if (req.artifacts && !req.artifacts.hot) throw new VimRequestError('change: the new flavour has no HOT artifacts (artifacts.hot)');
    const ref = await this.ref(id);
    const stack = await this.heat.getStack(ref);
    const current = Object.fromEntries(Object.entries(stack.parameters ?? {}).map(([k, v]) => [k, parseParamValue(v)]));
    const hotIn = req.artifacts?.hot;
    const hot = parseHot(hotIn ? hotIn.template : await this.heat.template(ref));
    const parameters = buildParameters(hot, req, discoverAspects(hot), hotIn ? undefined : current.nfv);
    const patch: StackPatch = { parameters: { ...(hotIn?.environment?.parameters ?? {}), ...parameters } };
    if (hotIn) {
      const env = hotIn.environment ?? {};
      patch.template = hotIn.template;
      patch.files = hotIn.files ?? {};
      patch.environment = env;
      const declared = new Set(Object.keys(hot.parameters ?? {}));
      patch.clear_parameters = Object.keys(stack.parameters ?? {}).filter((k) => !k.startsWith('OS::') && !declared.has(k));
      if (req.flavourId) patch.tags = [...(this.opts.tags ?? ['statelessnf']), `flavour=${req.flavourId}`].map((t) => t.replace(/,/g, '_'));
    }
    const known = await this.heat.eventIds(ref, NESTED_DEPTH);
    await this.heat.patchStack(ref, patch);
    return this.follow('change', ref, 'UPDATE', o, known, stack);
  }

  async instances(id: DeploymentId): Promise<VimInstance[]> {
    const ref = await this.ref(id);
    const [aspects, all] = await Promise.all([this.aspects(ref), this.heat.resources(ref, { nestedDepth: NESTED_DEPTH, withDetail: true })]);
    const groups = new Map(aspects.map((a) => [a.group, a]));
    const topGroups = new Map(
      all.filter((r) => stackOf(r)?.id === ref.id && groups.has(r.resource_name)).map((r) => [r.physical_resource_id, groups.get(r.resource_name)!]),
    );
    const out: VimInstance[] = [];
    for (const r of all) {
      const owner = stackOf(r);
      // Convergence lists a removed member as DELETE_COMPLETE until the traversal is cleaned up.
      if (!owner || r.resource_status === 'DELETE_COMPLETE') continue;
      const aspect = topGroups.get(owner.id);
      if (aspect) {
        // A group member: its own stack holds the server(s).
        const inner = all.filter((x) => stackOf(x)?.id === r.physical_resource_id);
        out.push(instanceOf(r, inner, aspect));
      } else if (owner.id === ref.id && r.resource_type === 'OS::Nova::Server') {
        out.push(instanceOf(r, [r]));
      }
    }
    return out;
  }

  /** Aspects of the deployed stack's template. */
  async aspects(ref: StackRef): Promise<AspectInfo[]> {
    return discoverAspects(parseHot(await this.heat.template(ref)));
  }

  private async aspect(ref: StackRef, name: string): Promise<AspectInfo> {
    return findAspect(await this.aspects(ref), name);
  }

  /** Live members of a group (its nested stack's resources). */
  private async groupMembers(ref: StackRef, group: string): Promise<StackResource[]> {
    const res = await this.heat.resource(ref, group);
    if (!res.physical_resource_id) return [];
    const nested = await this.heat.resolve(res.physical_resource_id);
    return (await this.heat.resources(nested)).filter((r) => !r.resource_status.startsWith('DELETE'));
  }

  private async scaleBySignal(
    id: DeploymentId,
    ref: StackRef,
    aspect: AspectInfo,
    current: number,
    target: number,
    known: Set<string>,
    o: OperationOptions,
  ): Promise<OperationResult> {
    const delta = target - current;
    const policy = delta > 0 ? aspect.scaleOut : aspect.scaleIn;
    if (delta === 0) return { deploymentId: id, status: 'UNCHANGED', events: [], instances: await this.instances(id) };
    if (!policy) throw new VimRequestError(`scale: aspect "${aspect.id}" has no ScalingPolicy to scale ${delta > 0 ? 'out' : 'in'}`);
    if (delta % policy.adjustment !== 0) {
      throw new VimRequestError(`scale: ${delta} is not a multiple of ${policy.resource}'s adjustment ${policy.adjustment}`);
    }
    const start = Date.now();
    const timeoutMs = o.timeoutMs ?? this.timeoutMs;
    const seen = new Set(known);
    const events: VimEvent[] = [];
    const groupRes = await this.heat.resource(ref, aspect.group);
    const groupStack = await this.heat.resolve(groupRes.physical_resource_id);
    const progress = async (status: string, message: string) => {
      for (const e of await this.heat.events(ref, { nestedDepth: NESTED_DEPTH })) {
        if (seen.has(e.id)) continue;
        seen.add(e.id);
        const ev = toVimEvent(e);
        events.push(ev);
        this.emit(o, { operation: 'scale', deploymentId: id, phase: 'progress', status: e.resource_status, message: ev.reason, elapsedMs: Date.now() - start, event: ev });
      }
      this.emit(o, { operation: 'scale', deploymentId: id, phase: 'progress', status, message, elapsedMs: Date.now() - start });
    };
    this.emit(o, { operation: 'scale', deploymentId: id, phase: 'started', status: 'SIGNAL', message: `${policy.resource} x${delta / policy.adjustment}`, elapsedMs: 0 });
    let size = current;
    const signalEvents = async () =>
      (await this.heat.events(ref, { resourceName: policy.resource })).filter((e) => e.resource_status.startsWith('SIGNAL_'));
    for (let i = 0; i < delta / policy.adjustment; i++) {
      const want = size + policy.adjustment;
      const before = new Set((await signalEvents()).map((e) => e.id));
      await this.heat.signal(ref, policy.resource, { snf: 'scale', aspect: aspect.id });
      // Heat handles a signal asynchronously: the policy's SIGNAL_COMPLETE event is written only
      // after the group's resize finished. Updating the stack earlier would cancel the resize.
      for (;;) {
        await sleep(this.pollMs, o.signal);
        const done = (await signalEvents()).find((e) => !before.has(e.id));
        const [gs, members] = await Promise.all([this.heat.getStack(groupStack), this.groupMembers(ref, aspect.group)]);
        await progress(gs.stack_status, `${aspect.id}: ${members.length} instances`);
        const failed = done?.resource_status === 'SIGNAL_FAILED' || gs.stack_status.endsWith('FAILED');
        if (failed || (done && members.length !== want)) {
          const reason = done?.resource_status_reason || gs.stack_status_reason || '';
          const err = new StackOperationError(groupStack, failed ? (done?.resource_status ?? gs.stack_status) : 'SIGNAL_IGNORED', `${policy.resource}: ${reason} (${members.length} of ${want} instances)`, gs, []);
          this.emit(o, { operation: 'scale', deploymentId: id, phase: 'failed', status: err.status, message: err.message, elapsedMs: Date.now() - start });
          throw err;
        }
        if (done && !gs.stack_status.endsWith('IN_PROGRESS')) break;
        if (Date.now() - start > timeoutMs) {
          throw new StackOperationError(groupStack, 'TIMEOUT', `scale by signal not done after ${timeoutMs} ms (${members.length} of ${want})`, gs, []);
        }
      }
      size = want;
    }
    if (aspect.sizeParam) {
      // Any later stack update (a heal, a parameter scale) resets the group to its desired_capacity,
      // so record the new size in the parameter; the group already has it, nothing is resized.
      const stack = await this.heat.getStack(ref);
      const params = Object.fromEntries(Object.entries(stack.parameters ?? {}).map(([k, v]) => [k, parseParamValue(v)]));
      await this.heat.patchStack(ref, { parameters: sizeParameters(aspect.sizeParam, size, params) });
      const res = await this.heat.waitFor(ref, 'UPDATE', { pollMs: this.pollMs, timeoutMs, before: stack, signal: o.signal });
      if (res.stack.stack_status !== 'UPDATE_COMPLETE') throw new StackOperationError(ref, res.stack.stack_status, res.stack.stack_status_reason ?? '', res.stack, res.events);
      await progress(res.stack.stack_status, `${aspect.id}: size parameter set to ${size}`);
    }
    const instances = await this.instances(id);
    this.emit(o, { operation: 'scale', deploymentId: id, phase: 'completed', status: 'SIGNAL_COMPLETE', message: `${aspect.id}: ${size} instances`, elapsedMs: Date.now() - start });
    return { deploymentId: id, status: 'SIGNAL_COMPLETE', events, instances };
  }

  private emit(o: OperationOptions, p: VimProgress): void {
    o.onProgress?.(p);
  }

  /** Waits for the stack action, translating Heat progress into VIM progress. */
  private async follow(
    operation: VimProgress['operation'],
    ref: StackRef,
    action: StackAction,
    o: OperationOptions,
    known: Set<string>,
    before?: Stack,
  ): Promise<OperationResult> {
    const deploymentId = OpenStackVim.idOf(ref);
    this.emit(o, { operation, deploymentId, phase: 'started', status: `${action}_IN_PROGRESS`, message: `${operation} ${ref.name}`, elapsedMs: 0 });
    const onProgress = (p: StackProgress) =>
      this.emit(o, {
        operation,
        deploymentId,
        phase: 'progress',
        status: p.event ? p.event.resource_status : p.status,
        message: p.event ? `${p.event.resource_name}: ${p.event.resource_status_reason ?? ''}` : p.reason,
        elapsedMs: p.elapsedMs,
        event: p.event ? toVimEvent(p.event) : undefined,
      });
    try {
      const res = await this.heat.waitFor(ref, action, {
        pollMs: this.pollMs,
        timeoutMs: o.timeoutMs ?? this.timeoutMs,
        nestedDepth: action === 'DELETE' ? 0 : NESTED_DEPTH,
        knownEvents: known,
        before,
        onProgress,
        signal: o.signal,
      });
      const instances = action === 'DELETE' ? [] : await this.instances(deploymentId);
      this.emit(o, { operation, deploymentId, phase: 'completed', status: res.stack.stack_status, message: res.stack.stack_status_reason ?? '', elapsedMs: 0 });
      return { deploymentId, status: res.stack.stack_status, events: res.events.map(toVimEvent), instances };
    } catch (err) {
      const status = err instanceof StackOperationError ? err.status : 'ERROR';
      this.emit(o, { operation, deploymentId, phase: 'failed', status, message: (err as Error).message, elapsedMs: 0 });
      throw err;
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'))), { once: true });
  });
}

/** The stack a resource belongs to, from its "stack" link (…/stacks/<name>/<id>). */
function stackOf(r: StackResource): StackRef | undefined {
  const href = r.links?.find((l) => l.rel === 'stack')?.href;
  const m = href ? /\/stacks\/([^/]+)\/([^/?#]+)/.exec(href) : null;
  return m ? { name: decodeURIComponent(m[1]), id: decodeURIComponent(m[2]) } : undefined;
}

function toVimEvent(e: HeatEvent): VimEvent {
  return {
    id: e.id,
    time: e.event_time,
    resource: e.resource_name,
    resourceId: e.physical_resource_id ?? undefined,
    resourceType: e.resource_type,
    status: e.resource_status,
    reason: e.resource_status_reason ?? '',
  };
}

function statusOf(s: string): VimInstance['status'] {
  if (s === 'CHECK_FAILED') return 'unhealthy';
  if (s === 'SUSPEND_COMPLETE' || s === 'SUSPEND_IN_PROGRESS') return 'stopped';
  if (s.startsWith('DELETE')) return 'deleting';
  if (s.endsWith('FAILED')) return 'failed';
  if (s.endsWith('IN_PROGRESS') || s === 'INIT_COMPLETE') return 'building';
  if (s.endsWith('COMPLETE')) return 'ok';
  return 'unknown';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Addresses by network from server resources' `networks` attribute ({net: [addr, ...]}). */
function instanceOf(r: StackResource, inner: StackResource[], aspect?: AspectInfo): VimInstance {
  const addresses: Record<string, string[]> = {};
  for (const s of inner.filter((x) => x.resource_type === 'OS::Nova::Server')) {
    const nets = s.attributes?.networks;
    if (!isRecord(nets)) continue;
    for (const [net, list] of Object.entries(nets)) {
      if (Array.isArray(list)) (addresses[net] ??= []).push(...list.filter((a): a is string => typeof a === 'string'));
    }
  }
  const status = [r, ...inner].some((x) => x.resource_status === 'CHECK_FAILED') ? 'CHECK_FAILED' : r.resource_status;
  return {
    id: r.physical_resource_id,
    aspect: aspect?.id,
    vdu: aspect?.vdu ?? (r.resource_type === 'OS::Nova::Server' ? r.resource_name : undefined),
    status: statusOf(status),
    vimStatus: status,
    addresses,
  };
}

