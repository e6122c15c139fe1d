// Heat orchestration API v1 client: stacks (create, preview, PATCH update, delete, show,
// outputs), events, resources (list, mark unhealthy, signal), and waiting for a stack
// operation to finish while reporting its progress and its events.
import { OpenStackHttpError, OpenStackOperationError } from './errors.js';
import type { Session } from './session.js';

export type StackAction = 'CREATE' | 'UPDATE' | 'DELETE' | 'ROLLBACK' | 'SUSPEND' | 'RESUME' | 'CHECK' | 'ADOPT' | 'SNAPSHOT' | 'RESTORE';

export interface StackRef {
  name: string;
  id: string;
}

export interface Link {
  href: string;
  rel: string;
}

export interface StackOutput {
  output_key: string;
  output_value?: unknown;
  description?: string;
  output_error?: string;
}

export interface Stack extends StackRef {
  stack_name: string;
  stack_status: string;
  stack_status_reason?: string;
  creation_time?: string;
  updated_time?: string | null;
  deletion_time?: string | null;
  parameters?: Record<string, string>;
  outputs?: StackOutput[];
  tags?: string[] | null;
  parent?: string | null;
  links?: Link[];
  timeout_mins?: number | null;
  disable_rollback?: boolean;
}

export interface HeatEvent {
  id: string;
  event_time: string;
  resource_name: string;
  logical_resource_id?: string;
  physical_resource_id?: string | null;
  resource_status: string;
  resource_status_reason?: string | null;
  resource_type?: string;
  links?: Link[];
}

export interface StackResource {
  resource_name: string;
  logical_resource_id?: string;
  physical_resource_id: string;
  resource_type: string;
  resource_status: string;
  resource_status_reason?: string;
  updated_time?: string;
  required_by?: string[];
  links?: Link[];
  parent_resource?: string;
  attributes?: Record<string, unknown>;
}

export interface HeatEnvironment {
  parameters?: Record<string, unknown>;
  parameter_defaults?: Record<string, unknown>;
  resource_registry?: Record<string, unknown>;
  event_sinks?: unknown[];
}

export interface StackCreateRequest {
  stack_name: string;
  /** a HOT document: YAML/JSON text or the parsed object */
  template: string | Record<string, unknown>;
  /** nested templates and get_file contents, keyed as the template references them */
  files?: Record<string, string>;
  environment?: HeatEnvironment;
  /** environment files, merged by Heat in order */
  environment_files?: string[];
  parameters?: Record<string, unknown>;
  timeout_mins?: number;
  disable_rollback?: boolean;
  tags?: string[];
}

/** PATCH update: everything not given is kept from the existing stack. */
export interface StackPatch {
  template?: string | Record<string, unknown>;
  files?: Record<string, string>;
  environment?: HeatEnvironment;
  parameters?: Record<string, unknown>;
  clear_parameters?: string[];
  timeout_mins?: number;
  tags?: string[];
}

export interface StackProgress {
  stack: StackRef;
  action: StackAction;
  status: string;
  reason: string;
  elapsedMs: number;
  /** set when the progress report is a new Heat event */
  event?: HeatEvent;
}

export interface WaitOptions {
  timeoutMs?: number;
  pollMs?: number;
  /** depth of nested stacks whose events are reported (AutoScalingGroup members need 2) */
  nestedDepth?: number;
  onProgress?: (p: StackProgress) => void;
  signal?: AbortSignal;
  /** event ids that existed before the operation: not reported again */
  knownEvents?: Set<string>;
  /** stack as it was before an update: completion requires a state newer than this */
  before?: Pick<Stack, 'stack_status' | 'updated_time'>;
}

export interface WaitResult {
  stack: Stack;
  events: HeatEvent[];
}

/** A stack operation ended FAILED (or timed out); carries the stack and the operation's events. */
export class StackOperationError extends OpenStackOperationError {
  readonly heatStack: Stack | undefined;
  readonly events: HeatEvent[];
  constructor(ref: StackRef, status: string, reason: string, stack: Stack | undefined, events: HeatEvent[]) {
    const failed = events.filter((e) => e.resource_status.endsWith('FAILED') && e.resource_status_reason);
    const cause = failed.length ? ` [${failed.map((e) => `${e.resource_name}: ${e.resource_status_reason}`).slice(-3).join('; ')}]` : '';
    super(`stack ${ref.name}`, status, `${reason}${cause}`);
    this.name = 'StackOperationError';
    this.heatStack = stack;
    this.events = events;
  }
}

const enc = encodeURIComponent;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      },
      { once: true },
    );
  });
}

export class HeatClient {
  static readonly service = 'orchestration';
  constructor(
    readonly session: Session,
    readonly defaults: { pollMs?: number; timeoutMs?: number } = {},
  ) {}

  private path(ref: StackRef | string): string {
    return typeof ref === 'string' ? `/stacks/${enc(ref)}` : `/stacks/${enc(ref.name)}/${enc(ref.id)}`;
  }

  private async call<T>(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, r: Parameters<Session['request']>[3] = {}): Promise<T> {
    return (await this.session.request<T>(HeatClient.service, method, path, r)).body;
  }

  async listStacks(query: Record<string, string | number | boolean | undefined> = {}): Promise<Stack[]> {
    const b = await this.call<{ stacks: Array<Stack> }>('GET', '/stacks', { query });
    return (b?.stacks ?? []).map(normStack);
  }

  async createStack(req: StackCreateRequest): Promise<StackRef> {
    const b = await this.call<{ stack: { id: string } }>('POST', '/stacks', { json: wire(req) });
    return { name: req.stack_name, id: b.stack.id };
  }

  /** Validates and renders the stack without creating anything. */
  async previewStack(req: StackCreateRequest): Promise<Record<string, unknown>> {
    const b = await this.call<{ stack: Record<string, unknown> }>('POST', '/stacks/preview', { json: wire(req) });
    return b.stack;
  }

  async validateTemplate(req: Pick<StackCreateRequest, 'template' | 'files' | 'environment'>): Promise<Record<string, unknown>> {
    return this.call<Record<string, unknown>>('POST', '/validate', { json: req, idempotent: true });
  }

  /** PATCH: keeps the existing template, parameters and environment except what the patch sets. */
  async patchStack(ref: StackRef, patch: StackPatch): Promise<void> {
    await this.call('PATCH', this.path(ref), { json: wire(patch), expect: 'none' });
  }

  /** Stack actions: suspend (Nova suspends every server) and resume; Heat answers at once, waitFor follows. */
  async action(ref: StackRef, what: 'suspend' | 'resume'): Promise<void> {
    await this.call('POST', `${this.path(ref)}/actions`, { json: { [what]: null }, expect: 'none' });
  }

  async deleteStack(ref: StackRef): Promise<void> {
    await this.call('DELETE', this.path(ref), { expect: 'none' });
  }

  /** By name, id or ref. Heat redirects a name-only lookup to the stack's canonical URL. */
  async getStack(ref: StackRef | string): Promise<Stack> {
    const b = await this.call<{ stack: Stack }>('GET', this.path(ref));
    return normStack(b.stack);
  }

  async resolve(ref: StackRef | string): Promise<StackRef> {
    if (typeof ref !== 'string') return ref;
    const s = await this.getStack(ref);
    return { name: s.stack_name, id: s.id };
  }

  async template(ref: StackRef): Promise<Record<string, unknown>> {
    return this.call<Record<string, unknown>>('GET', `${this.path(ref)}/template`);
  }

  async environment(ref: StackRef): Promise<HeatEnvironment> {
    return this.call<HeatEnvironment>('GET', `${this.path(ref)}/environment`);
  }

  /** Output values by key (resolved by Heat). */
  async outputs(ref: StackRef): Promise<Record<string, unknown>> {
    const s = await this.getStack(ref);
    return Object.fromEntries((s.outputs ?? []).map((o) => [o.output_key, o.output_value]));
  }

  async output(ref: StackRef, key: string): Promise<StackOutput> {
    const b = await this.call<{ output: StackOutput }>('GET', `${this.path(ref)}/outputs/${enc(key)}`);
    return b.output;
  }

  async events(
    ref: StackRef,
    q: { nestedDepth?: number; resourceName?: string; marker?: string; limit?: number; sortDir?: 'asc' | 'desc' } = {},
  ): Promise<HeatEvent[]> {
    const path = q.resourceName ? `${this.path(ref)}/resources/${enc(q.resourceName)}/events` : `${this.path(ref)}/events`;
    const b = await this.call<{ events: HeatEvent[] }>('GET', path, {
      query: { nested_depth: q.nestedDepth, marker: q.marker, limit: q.limit, sort_dir: q.sortDir ?? 'asc', sort_keys: 'created_at' },
    });
    return b?.events ?? [];
  }

  async resources(ref: StackRef, q: { nestedDepth?: number; withDetail?: boolean; type?: string } = {}): Promise<StackResource[]> {
    const b = await this.call<{ resources: StackResource[] }>('GET', `${this.path(ref)}/resources`, {
      query: { nested_depth: q.nestedDepth, with_detail: q.withDetail, type: q.type },
    });
    return b?.resources ?? [];
  }

  async resource(ref: StackRef, name: string): Promise<StackResource> {
    const b = await this.call<{ resource: StackResource }>('GET', `${this.path(ref)}/resources/${enc(name)}`);
    return b.resource;
  }

  /** Marks a resource (un)healthy: the next stack update replaces a resource marked unhealthy. */
  async markUnhealthy(ref: StackRef, resourceName: string, reason: string, unhealthy = true): Promise<void> {
    await this.call('PATCH', `${this.path(ref)}/resources/${enc(resourceName)}`, {
      json: { mark_unhealthy: unhealthy, resource_status_reason: reason },
      expect: 'none',
      idempotent: true,
    });
  }

  /** Signals a resource (ScalingPolicy, WaitConditionHandle, SoftwareDeployment). */
  async signal(ref: StackRef, resourceName: string, data?: unknown): Promise<void> {
    await this.call('POST', `${this.path(ref)}/resources/${enc(resourceName)}/signal`, {
      json: data ?? {},
      expect: 'none',
    });
  }

  /** A template with the exact interface (facade) of a resource type. */
  async resourceTypeTemplate(type: string, templateType: 'hot' | 'cfn' = 'hot'): Promise<Record<string, unknown>> {
    return this.call('GET', `/resource_types/${enc(type)}/template`, { query: { template_type: templateType } });
  }

  /** Ids of the events that exist now: an operation's events are the ones not in this set. */
  async eventIds(ref: StackRef, nestedDepth = 0): Promise<Set<string>> {
    return new Set((await this.events(ref, { nestedDepth })).map((e) => e.id));
  }

  /**
   * Polls until the stack's `action` finishes. COMPLETE resolves with the stack and the new events;
   * FAILED (or a timeout) rejects with StackOperationError carrying them. DELETE also completes
   * when the stack is gone (404).
   */
  async waitFor(ref: StackRef, action: StackAction, o: WaitOptions = {}): Promise<WaitResult> {
    const pollMs = o.pollMs ?? this.defaults.pollMs ?? 1000;
    const timeoutMs = o.timeoutMs ?? this.defaults.timeoutMs ?? 30 * 60_000;
    const start = Date.now();
    const seen = new Set(o.knownEvents ?? []);
    const events: HeatEvent[] = [];
    let sawInProgress = false;
    let last: Stack | undefined;
    const report = (status: string, reason: string, event?: HeatEvent) =>
      o.onProgress?.({ stack: ref, action, status, reason, elapsedMs: Date.now() - start, event });

    const collect = async (): Promise<void> => {
      let list: HeatEvent[];
      try {
        list = await this.events(ref, { nestedDepth: o.nestedDepth });
      } catch (err) {
        if (err instanceof OpenStackHttpError && err.status === 404) return;
        throw err;
      }
      for (const e of list) {
        if (seen.has(e.id)) continue;
        seen.add(e.id);
        events.push(e);
        report(last?.stack_status ?? `${action}_IN_PROGRESS`, e.resource_status_reason ?? '', e);
      }
    };

    // Listing nested events is the heaviest poll for Heat: do it at most once a second and at the end.
    let lastCollect = 0;
    for (;;) {
      let stack: Stack | undefined;
      try {
        stack = await this.getStack(ref);
      } catch (err) {
        if (action === 'DELETE' && err instanceof OpenStackHttpError && err.status === 404) {
          report('DELETE_COMPLETE', 'stack gone');
          return { stack: { ...(last ?? emptyStack(ref)), stack_status: 'DELETE_COMPLETE' }, events };
        }
        throw err;
      }
      const changed = !last || last.stack_status !== stack.stack_status || last.stack_status_reason !== stack.stack_status_reason;
      last = stack;
      const finished = !stack.stack_status.endsWith('IN_PROGRESS');
      if (finished || Date.now() - lastCollect >= 1000) {
        lastCollect = Date.now();
        await collect();
      }
      if (changed) report(stack.stack_status, stack.stack_status_reason ?? '');
      const [act, ...rest] = stack.stack_status.split('_');
      const status = rest.join('_');
      const fresh =
        sawInProgress ||
        !o.before ||
        stack.updated_time !== o.before.updated_time ||
        stack.stack_status !== o.before.stack_status;
      if (status === 'IN_PROGRESS') sawInProgress = true;
      else if (fresh && (act === action || (action !== 'DELETE' && act === 'ROLLBACK'))) {
        if (status === 'COMPLETE' && act === action) return { stack, events };
        if (status === 'FAILED' || act === 'ROLLBACK') {
          throw new StackOperationError(ref, stack.stack_status, stack.stack_status_reason ?? '', stack, events);
        }
      }
      if (Date.now() - start > timeoutMs) {
        throw new StackOperationError(ref, 'TIMEOUT', `${action} not finished after ${timeoutMs} ms (last status ${stack.stack_status})`, stack, events);
      }
      await sleep(pollMs, o.signal);
    }
  }
}

// Heat takes tags as one comma-separated string.
function wire<T extends { tags?: string[] }>(req: T): Omit<T, 'tags'> & { tags?: string } {
  const { tags, ...rest } = req;
  return tags ? { ...rest, tags: tags.join(',') } : rest;
}

function emptyStack(ref: StackRef): Stack {
  return { ...ref, stack_name: ref.name, stack_status: 'UNKNOWN' };
}

function normStack(s: Stack): Stack {
  return { ...s, name: s.stack_name, id: s.id };
}
