// LCM notifications to subscribers. Each subscription has its own ordered queue (an outbox list
// in Redis, so a restart delivers what the previous process had not) and delivery loop, so one
// slow or dead subscriber neither reorders another's notifications nor blocks an operation: the
// LCM only enqueues. A failed POST is retried with bounded exponential backoff;
// after the last attempt the notification is dropped and logged (SOL003 leaves it to the VNFM).
import { randomUUID } from 'node:crypto';
import type { VnfmRepo } from './repo.js';
import type { ApiSchemas } from './schema.js';
import type { Json, LcmOperation, OpState, Subscription, SubscriptionAuth } from './types.js';

export type NotificationType = 'VnfLcmOperationOccurrenceNotification' | 'VnfIdentifierCreationNotification' | 'VnfIdentifierDeletionNotification';

/** One event, before it is addressed to a subscription. */
export interface LcmEvent {
  notificationType: NotificationType;
  vnfInstanceId: string;
  vnfdId: string;
  vnfInstanceName?: string;
  operation?: LcmOperation;
  operationState?: OpState;
  vnfLcmOpOccId?: string;
  isAutomaticInvocation?: boolean;
  affectedVnfcs?: Json[];
  error?: Json;
}

export interface NotifierOptions {
  /** delivery attempts per notification (default 5) */
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** per request */
  timeoutMs?: number;
  /** validate every notification against ONAP SO's LCN schema before sending it */
  schema?: ApiSchemas;
  log?: (msg: string) => void;
}

export interface DeliveryRecord {
  subscriptionId: string;
  notificationId: string;
  attempts: number;
  delivered: boolean;
  error?: string;
}

export function matches(sub: Subscription, e: LcmEvent): boolean {
  const f = sub.filter;
  if (!f) return true;
  if (f.notificationTypes?.length && !f.notificationTypes.includes(e.notificationType)) return false;
  if (e.notificationType === 'VnfLcmOperationOccurrenceNotification') {
    if (f.operationTypes?.length && !f.operationTypes.includes(e.operation ?? '')) return false;
    if (f.operationStates?.length && !f.operationStates.includes(e.operationState ?? '')) return false;
  }
  const v = f.vnfInstanceSubscriptionFilter;
  if (v?.vnfInstanceIds?.length && !v.vnfInstanceIds.includes(e.vnfInstanceId)) return false;
  if (v?.vnfdIds?.length && !v.vnfdIds.includes(e.vnfdId)) return false;
  if (v?.vnfInstanceNames?.length && !v.vnfInstanceNames.includes(e.vnfInstanceName ?? '')) return false;
  return true;
}

/** Client side of the subscription's authentication: Basic, or an OAuth2 client-credentials token. */
export class CallbackAuth {
  private readonly tokens = new Map<string, { token: string; expires: number }>();

  async header(auth: SubscriptionAuth | undefined, timeoutMs: number): Promise<Record<string, string>> {
    if (!auth) return {};
    const o = auth.paramsOauth2ClientCredentials;
    if (auth.authType.includes('OAUTH2_CLIENT_CREDENTIALS') && o?.tokenEndpoint) {
      return { authorization: `Bearer ${await this.token(o.tokenEndpoint, o.clientId ?? '', o.clientPassword ?? '', timeoutMs)}` };
    }
    const b = auth.paramsBasic;
    if (auth.authType.includes('BASIC') && b?.userName !== undefined) {
      return { authorization: `Basic ${Buffer.from(`${b.userName}:${b.password ?? ''}`).toString('base64')}` };
    }
    return {};
  }

  private async token(endpoint: string, id: string, secret: string, timeoutMs: number): Promise<string> {
    const key = `${endpoint}\n${id}`;
    const hit = this.tokens.get(key);
    if (hit && hit.expires > Date.now()) return hit.token;
    const r = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}` },
      body: 'grant_type=client_credentials',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await r.json().catch(() => ({}))) as { access_token?: string; expires_in?: number };
    if (!r.ok || !body.access_token) throw new Error(`token endpoint ${endpoint} answered ${r.status}`);
    // Renew a little before the server says it expires.
    this.tokens.set(key, { token: body.access_token, expires: Date.now() + Math.max(0, (body.expires_in ?? 300) - 10) * 1000 });
    return body.access_token;
  }

  forget(auth: SubscriptionAuth | undefined): void {
    const o = auth?.paramsOauth2ClientCredentials;
    if (o?.tokenEndpoint) this.tokens.delete(`${o.tokenEndpoint}\n${o.clientId ?? ''}`);
  }
}

interface Queue {
  /** notifications pushed to the outbox and not yet popped by this process */
  pending: number;
  running: boolean;
}

export class Notifier {
  readonly auth = new CallbackAuth();
  readonly deliveries: DeliveryRecord[] = [];
  private readonly queues = new Map<string, Queue>();
  private chain: Promise<void> = Promise.resolve();
  private readonly idleWaiters: Array<() => void> = [];
  private closed = false;
  private readonly o: Required<Omit<NotifierOptions, 'schema'>> & { schema?: ApiSchemas };

  constructor(
    private readonly repo: VnfmRepo,
    /** base URL of the API, e.g. http://127.0.0.1:8080, for the notification links */
    private readonly baseUrl: () => string,
    opts: NotifierOptions = {},
  ) {
    this.o = {
      attempts: opts.attempts ?? 5,
      baseDelayMs: opts.baseDelayMs ?? 500,
      maxDelayMs: opts.maxDelayMs ?? 10_000,
      timeoutMs: opts.timeoutMs ?? 5000,
      log: opts.log ?? (() => {}),
      schema: opts.schema,
    };
  }

  /** Enqueues `e` for every matching subscription; never waits for delivery. */
  publish(e: LcmEvent): Promise<void> {
    // Chained so two events published back to back reach every queue in the same order.
    this.chain = this.chain.then(() => this.dispatch(e)).catch((err: unknown) => this.o.log(`notify: ${(err as Error).message}`));
    return this.chain;
  }

  private async dispatch(e: LcmEvent): Promise<void> {
    const subs = await this.repo.listSubs();
    for (const sub of subs) {
      if (!matches(sub, e)) continue;
      const body = this.render(sub, e);
      const errors = this.o.schema?.definition(e.notificationType, body) ?? [];
      if (errors.length) {
        this.o.log(`notify: ${e.notificationType} not valid against the LCN schema, not sent: ${errors.join('; ')}`);
        continue;
      }
      await this.repo.outboxPush(sub.id, body);
      this.kick(sub.id, 1);
    }
  }

  private kick(subId: string, added: number): void {
    const q = this.queues.get(subId) ?? { pending: 0, running: false };
    this.queues.set(subId, q);
    q.pending += added;
    if (!q.running) void this.drain(subId, q);
  }

  /** Delivers what a previous process left in the outboxes. */
  async resume(): Promise<void> {
    for (const sub of await this.repo.listSubs()) {
      const n = await this.repo.outboxLength(sub.id);
      if (n > 0) this.kick(sub.id, n);
    }
  }

  render(sub: Subscription, e: LcmEvent): Json {
    const api = `${this.baseUrl()}/vnflcm/${sub.dialect ?? 'v2'}`;
    const links: Json = { vnfInstance: { href: `${api}/vnf_instances/${e.vnfInstanceId}` }, subscription: { href: `${api}/subscriptions/${sub.id}` } };
    const base: Json = { id: randomUUID(), notificationType: e.notificationType, subscriptionId: sub.id, timeStamp: new Date().toISOString(), vnfInstanceId: e.vnfInstanceId };
    if (e.notificationType !== 'VnfLcmOperationOccurrenceNotification') return { ...base, _links: links };
    const result = ['COMPLETED', 'FAILED_TEMP', 'FAILED', 'ROLLED_BACK'].includes(e.operationState ?? '');
    return {
      ...base,
      notificationStatus: result ? 'RESULT' : 'START',
      operationState: e.operationState,
      operation: e.operation,
      isAutomaticInvocation: e.isAutomaticInvocation ?? false,
      vnfLcmOpOccId: e.vnfLcmOpOccId,
      ...(sub.verbosity !== 'SHORT' && e.affectedVnfcs?.length ? { affectedVnfcs: e.affectedVnfcs } : {}),
      ...(e.error ? { error: e.error } : {}),
      _links: { ...links, vnfLcmOpOcc: { href: `${api}/vnf_lcm_op_occs/${e.vnfLcmOpOccId}` } },
    };
  }

  private async drain(subId: string, q: Queue): Promise<void> {
    q.running = true;
    try {
      while (!this.closed) {
        const body = await this.repo.outboxHead<Json>(subId);
        if (!body) break;
        // Re-read: a deleted subscription gets nothing more, a changed one its new auth.
        const sub = await this.repo.getSub(subId);
        if (!sub) {
          await this.repo.outboxClear(subId);
          break;
        }
        // Undelivered at shutdown: it stays in the outbox for the next process (at least once).
        if (!(await this.deliver(sub, body))) break;
        await this.repo.outboxPop(subId);
      }
    } catch (err) {
      this.o.log(`notify: outbox of ${subId}: ${(err as Error).message}`);
    } finally {
      q.running = false;
      q.pending = 0;
      if (![...this.queues.values()].some((x) => x.running)) this.idleWaiters.splice(0).forEach((f) => f());
    }
  }

  private async deliver(sub: Subscription, body: Json): Promise<boolean> {
    const rec: DeliveryRecord = { subscriptionId: sub.id, notificationId: String(body.id), attempts: 0, delivered: false };
    for (let i = 0; i < this.o.attempts && !this.closed; i++) {
      rec.attempts = i + 1;
      try {
        const headers = { 'content-type': 'application/json', accept: 'application/json', version: sub.dialect === 'v1' ? '1.3.0' : '2.0.0', ...(await this.auth.header(sub.authentication, this.o.timeoutMs)) };
        const r = await fetch(sub.callbackUri, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(this.o.timeoutMs) });
        await r.arrayBuffer();
        if (r.status === 401) this.auth.forget(sub.authentication);
        if (r.ok) {
          rec.delivered = true;
          break;
        }
        rec.error = `HTTP ${r.status}`;
      } catch (err) {
        rec.error = (err as Error).message;
      }
      if (i + 1 < this.o.attempts) await sleep(Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** i));
    }
    if (!rec.delivered) this.o.log(`notify: ${String(body.notificationType)} ${rec.notificationId} to ${sub.callbackUri} dropped after ${rec.attempts} attempts: ${rec.error ?? ''}`);
    this.deliveries.push(rec);
    if (this.deliveries.length > 1000) this.deliveries.splice(0, this.deliveries.length - 1000);
    // A notification given up on is gone; one interrupted by shutdown is not.
    return rec.delivered || !this.closed;
  }

  /** SOL003: the VNFM tests the callback URI with a GET before it creates the subscription. */
  async testCallback(uri: string, auth: SubscriptionAuth | undefined, version: string): Promise<void> {
    // SOL013 4.8: every request carries the API version, the test GET too.
    const headers = { accept: 'application/json', version, ...(await this.auth.header(auth, this.o.timeoutMs)) };
    const r = await fetch(uri, { method: 'GET', headers, signal: AbortSignal.timeout(this.o.timeoutMs) });
    await r.arrayBuffer();
    if (!r.ok) throw new Error(`GET ${uri} answered ${r.status}`);
  }

  /** Resolves when every queue is empty (tests, graceful shutdown). */
  async idle(): Promise<void> {
    await this.chain;
    if (![...this.queues.values()].some((x) => x.running)) return;
    await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  /** Stops retrying; waits (bounded) for deliveries in flight so their outbox entries are settled. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.race([this.idle(), new Promise((r) => setTimeout(r, this.o.timeoutMs))]);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
