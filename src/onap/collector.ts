// Posts VES events to a collector (ONAP DCAE VES collector): one event to /eventListener/v7,
// several to /eventListener/v7/eventBatch. Invalid events are refused here, not by the collector.
import { vesValidator, type VesEvent } from './ves.js';

export interface VesClientOptions {
  /** collector base URL, e.g. https://dcae-ves-collector:8443 */
  url: string;
  username?: string;
  password?: string;
  timeoutMs?: number;
}

export class VesClient {
  private readonly validate = vesValidator();

  constructor(private readonly o: VesClientOptions) {}

  async send(events: VesEvent[]): Promise<void> {
    if (events.length === 0) return;
    const batch = events.length > 1;
    const doc = batch ? { eventList: events } : { event: events[0] };
    const errors = this.validate(doc);
    if (errors.length) throw new Error(`VES: event not valid against CommonEventFormat 30.2.1: ${errors.join('; ')}`);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.o.username !== undefined) headers.authorization = `Basic ${Buffer.from(`${this.o.username}:${this.o.password ?? ''}`).toString('base64')}`;
    const url = `${this.o.url.replace(/\/$/, '')}/eventListener/v7${batch ? '/eventBatch' : ''}`;
    const r = await fetch(url, { method: 'POST', headers, body: JSON.stringify(doc), signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000) });
    const text = await r.text();
    if (!r.ok) throw new Error(`VES: ${url} answered ${r.status}: ${text.slice(0, 300)}`);
  }
}
