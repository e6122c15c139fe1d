// Minimal Heat REST calls (plain fetch) for the package tests: create, update (scale), delete,
// and poll a stack to a terminal status against the sandbox from test/support/openstack-sandbox.ts.
import yaml from 'js-yaml';

export interface StackRef {
  name: string;
  id: string;
}

interface StackBody {
  stack_status: string;
  stack_status_reason?: string;
  outputs?: Array<{ output_key: string; output_value: unknown; output_error?: string }>;
}

async function call(url: string, method: string, body?: unknown): Promise<{ status: number; json: unknown; text: string }> {
  const r = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await r.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: r.status, json, text };
}

export interface CreateInput {
  name: string;
  template: string;
  files: Record<string, string>;
  resourceRegistry: Record<string, string>;
  parameters: Record<string, unknown>;
}

export async function createStack(heatUrl: string, input: CreateInput): Promise<StackRef> {
  const r = await call(`${heatUrl}/stacks`, 'POST', {
    stack_name: input.name,
    template: yaml.load(input.template, { schema: yaml.JSON_SCHEMA }),
    files: input.files,
    environment: { resource_registry: input.resourceRegistry },
    parameters: input.parameters,
    timeout_mins: 20,
  });
  if (r.status !== 201) throw new Error(`create ${input.name}: HTTP ${r.status}: ${r.text.slice(0, 2000)}`);
  return { name: input.name, id: (r.json as { stack: { id: string } }).stack.id };
}

export async function updateStackParameters(heatUrl: string, s: StackRef, parameters: Record<string, unknown>): Promise<void> {
  // PATCH keeps the template, files and environment: only the parameters change.
  const r = await call(`${heatUrl}/stacks/${s.name}/${s.id}`, 'PATCH', { parameters });
  if (r.status !== 202) throw new Error(`update ${s.name}: HTTP ${r.status}: ${r.text.slice(0, 2000)}`);
}

/** Signals a resource (an OS::Heat::ScalingPolicy: Tacker v1's way to scale). */
export async function signalResource(heatUrl: string, s: StackRef, resource: string): Promise<void> {
  const r = await call(`${heatUrl}/stacks/${s.name}/${s.id}/resources/${resource}/signal`, 'POST', {});
  if (r.status !== 200) throw new Error(`signal ${s.name}/${resource}: HTTP ${r.status}: ${r.text.slice(0, 2000)}`);
}

/**
 * Polls a resource's metadata until Heat's `scaling_in_progress` flag is off. An
 * AutoScalingGroup keeps it on from a policy signal until its resize has finished, and ignores
 * every policy signal meanwhile (heat/scaling/cooldown.py, `_check_scaling_allowed`); its
 * current_size output counts members still being created, so it does not say the resize is over.
 */
export async function waitForScalingDone(heatUrl: string, s: StackRef, resource: string, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const r = await call(`${heatUrl}/stacks/${s.name}/${s.id}/resources/${resource}/metadata`, 'GET');
    if (r.status !== 200) throw new Error(`metadata ${s.name}/${resource}: HTTP ${r.status}: ${r.text.slice(0, 2000)}`);
    const md = (r.json as { metadata?: { scaling_in_progress?: boolean } }).metadata ?? {};
    if (md.scaling_in_progress !== true) return;
    last = JSON.stringify(md);
    await new Promise((res) => setTimeout(res, 500));
  }
  throw new Error(`${s.name}/${resource}: still scaling after ${timeoutMs} ms: ${last}`);
}

/** Polls a stack output until it equals `want` (signals resize groups asynchronously). */
export async function waitForOutput(heatUrl: string, s: StackRef, key: string, want: unknown, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const st = await getStack(heatUrl, s);
    last = st?.outputs?.find((o) => o.output_key === key)?.output_value;
    if (JSON.stringify(last) === JSON.stringify(want)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${s.name}: output ${key} is ${JSON.stringify(last)}, not ${JSON.stringify(want)}, after ${timeoutMs} ms`);
}

export async function deleteStack(heatUrl: string, s: StackRef): Promise<void> {
  const r = await call(`${heatUrl}/stacks/${s.name}/${s.id}`, 'DELETE');
  if (r.status !== 204) throw new Error(`delete ${s.name}: HTTP ${r.status}: ${r.text.slice(0, 2000)}`);
}

export async function getStack(heatUrl: string, s: StackRef): Promise<StackBody | undefined> {
  const r = await call(`${heatUrl}/stacks/${s.name}/${s.id}`, 'GET');
  if (r.status === 404) return undefined;
  if (r.status !== 200) throw new Error(`get ${s.name}: HTTP ${r.status}: ${r.text.slice(0, 2000)}`);
  return (r.json as { stack: StackBody }).stack;
}

/** Polls until the action finishes; resolves with the stack on `want`, throws on anything else. */
export async function waitFor(heatUrl: string, s: StackRef, want: string, timeoutMs = 600_000): Promise<StackBody | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = await getStack(heatUrl, s);
    if (!st) {
      if (want === 'DELETE_COMPLETE') return undefined;
      throw new Error(`${s.name}: stack disappeared while waiting for ${want}`);
    }
    if (st.stack_status === want) return st;
    // Heat answers 202/204 before the action starts: the previous action's *_COMPLETE may still
    // show for a moment. Only a failure, or the wanted action ending otherwise, is final.
    const action = want.split('_')[0];
    if (st.stack_status.endsWith('_FAILED') || (st.stack_status.startsWith(`${action}_`) && !st.stack_status.endsWith('_IN_PROGRESS'))) {
      throw new Error(`${s.name}: ${st.stack_status}: ${st.stack_status_reason ?? ''}`);
    }
    if (Date.now() > deadline) throw new Error(`${s.name}: still ${st.stack_status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function output(st: StackBody | undefined, key: string): unknown {
  const o = st?.outputs?.find((x) => x.output_key === key);
  if (!o) throw new Error(`stack has no output ${key}`);
  if (o.output_error) throw new Error(`output ${key}: ${o.output_error}`);
  return o.output_value;
}

/** Non-Heat resource types a set of templates uses (what needs a facade here). */
export function foreignTypes(templates: string[]): string[] {
  const types = new Set<string>();
  for (const t of templates) {
    const doc = yaml.load(t, { schema: yaml.JSON_SCHEMA }) as { resources?: Record<string, { type?: string }> };
    for (const r of Object.values(doc.resources ?? {})) {
      if (r.type && r.type.startsWith('OS::') && !r.type.startsWith('OS::Heat::')) types.add(r.type);
    }
  }
  return [...types].sort();
}
