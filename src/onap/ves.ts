// VES 7.2 events of a StatelessNF VNF (ONAP CommonEventFormat 30.2.1): measurements (packets and
// flows per NF instance, store latency) for DCAE TCA, and faults (an instance lost, the store
// unreachable) for closed-loop heal. Every event is validated against the schema before it goes.
import { randomUUID } from 'node:crypto';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => Ajv;

export const VES_SCHEMA_FILE = join(dirname(fileURLToPath(import.meta.url)), 'schemas', 'CommonEventFormat_30.2.1_ONAP.json');
export type VesEvent = { commonEventHeader: Record<string, unknown>; [domainFields: string]: unknown };

/** A validator of `{event}` / `{eventList}` documents against a CommonEventFormat schema file. */
export function vesValidator(file = VES_SCHEMA_FILE): (doc: unknown) => string[] {
  const schema = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  // Draft-04 document; its keywords here are all draft-07 compatible, only the meta-schema differs.
  delete schema.$schema;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const f: ValidateFunction = ajv.compile(schema);
  return (doc) => (f(doc) ? [] : (f.errors ?? []).slice(0, 10).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`));
}

export interface Source {
  /** the VNF (reportingEntityName) */
  vnf: string;
  /** the NF instance or the VNF itself (sourceName) */
  source: string;
  sequence: number;
}

function header(domain: string, eventName: string, s: Source, startUs: number, endUs: number, priority: 'High' | 'Medium' | 'Normal' | 'Low'): Record<string, unknown> {
  return {
    domain,
    eventId: `${domain}-${randomUUID()}`,
    eventName,
    eventType: 'applicationVnf',
    nfNamingCode: 'snf',
    nfVendorName: 'StatelessNF',
    priority,
    reportingEntityName: s.vnf,
    sourceName: s.source,
    sequence: s.sequence,
    startEpochMicrosec: startUs,
    lastEpochMicrosec: endUs,
    version: '4.1',
    vesEventListenerVersion: '7.2.1',
  };
}

export interface InstanceSample {
  rxPacketsDelta: number;
  txPacketsDelta: number;
  /** flows the instance created or refreshed in the interval */
  flows: number;
}

/** `perInstance` values undefined: instances known but no counters sampled (no packets/flows reported). */
export function measurementEvent(s: Source, intervalS: number, perInstance: Record<string, InstanceSample | undefined>, storeLatencyMs: number | undefined, nowMs = Date.now()): VesEvent {
  const endUs = nowMs * 1000;
  const all = Object.keys(perInstance).sort();
  const ids = all.filter((id) => perInstance[id] !== undefined);
  const sample = (id: string) => perInstance[id] as InstanceSample;
  const additionalMeasurements = [
    ...(ids.length ? [{ name: 'snf-flows', hashMap: Object.fromEntries(ids.map((id) => [id, String(sample(id).flows)])) }] : []),
    { name: 'snf-instances', hashMap: { live: String(all.length), ids: all.join(',') } },
    ...(storeLatencyMs !== undefined ? [{ name: 'snf-store', hashMap: { latencyMs: storeLatencyMs.toFixed(3) } }] : []),
  ];
  return {
    commonEventHeader: header('measurement', 'Measurement_StatelessNF_traffic', s, endUs - intervalS * 1e6, endUs, 'Normal'),
    measurementFields: {
      measurementFieldsVersion: '4.0',
      measurementInterval: intervalS,
      // DCAE TCA reads receivedTotalPacketsDelta here, as in the vFW closed loop.
      ...(ids.length
        ? {
            nicPerformanceArray: ids.map((id) => ({
              nicIdentifier: id,
              valuesAreSuspect: 'false',
              receivedTotalPacketsDelta: sample(id).rxPacketsDelta,
              transmittedTotalPacketsDelta: sample(id).txPacketsDelta,
            })),
          }
        : {}),
      additionalMeasurements,
    },
  };
}

export type FaultCondition = 'instanceLost' | 'storeUnreachable';

export function faultEvent(s: Source, condition: FaultCondition, cleared: boolean, detail: Record<string, string>, nowMs = Date.now()): VesEvent {
  const us = nowMs * 1000;
  const severity = cleared ? 'NORMAL' : condition === 'storeUnreachable' ? 'CRITICAL' : 'MAJOR';
  return {
    commonEventHeader: header('fault', `Fault_StatelessNF_${condition}`, s, us, us, cleared ? 'Normal' : 'High'),
    faultFields: {
      faultFieldsVersion: '4.0',
      alarmCondition: condition,
      eventSeverity: severity,
      eventSourceType: condition === 'storeUnreachable' ? 'virtualNetworkFunction' : 'virtualMachine',
      specificProblem: condition === 'instanceLost' ? 'NF instance stopped heartbeating; removed from steering' : 'state store unreachable: firewall fails closed, new NAT/LB flows dropped',
      vfStatus: 'Active',
      alarmAdditionalInformation: detail,
    },
  };
}
