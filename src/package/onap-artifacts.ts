// ONAP non-MANO artifacts: the VES event registration (onap_ves_events) and the PM dictionary
// (onap_pm_dictionary) DCAE reads to interpret what NF instances send to the VES collector.
import yaml from 'js-yaml';
import type { VnfDescriptor } from '../descriptor/types.js';

const nfType = (d: VnfDescriptor) => `StatelessNF-${d.nf}`;

/** Engine counters reported in VES measurement events, as named in EngineCounters. */
const MEASUREMENTS: Array<[string, string, string]> = [
  ['rx', 'Frames received by the NF instance', 'frames'],
  ['tx', 'Frames forwarded by the NF instance', 'frames'],
  ['dropped', 'Frames dropped by the NF instance', 'frames'],
  ['newFlows', 'Flows created in the state store', 'flows'],
  ['storeRoundTrips', 'Pipelined round trips to the state store', 'round trips'],
  ['storeErrors', 'Failed state store exchanges', 'errors'],
];

const FAULTS: Array<[string, string, string]> = [
  ['storeUnavailable', 'CRITICAL', 'The state store is unreachable: new flows are dropped (firewall fails closed)'],
  ['instanceHeartbeatLost', 'MAJOR', 'An NF instance stopped heartbeating and was removed from steering'],
];

export function vesEventsYaml(d: VnfDescriptor): string {
  const docs = [
    {
      event: {
        presence: 'required',
        structure: {
          commonEventHeader: {
            presence: 'required',
            structure: {
              domain: { presence: 'required', value: 'measurement' },
              eventName: { presence: 'required', value: `Measurement_${nfType(d)}_Engine` },
              priority: { presence: 'required', value: 'Normal' },
              reportingEntityName: { presence: 'required' },
              sourceName: { presence: 'required' },
              version: { presence: 'required', value: '4.1' },
              vesEventListenerVersion: { presence: 'required', value: '7.2' },
            },
          },
          measurementFields: {
            presence: 'required',
            structure: {
              measurementInterval: { presence: 'required', value: d.monitoring.ves.reportingIntervalS },
              measurementFieldsVersion: { presence: 'required', value: '4.0' },
              additionalMeasurements: {
                presence: 'required',
                array: [{ name: { value: 'engine' }, hashMap: Object.fromEntries(MEASUREMENTS.map(([k]) => [k, { presence: 'required' }])) }],
              },
            },
          },
        },
      },
    },
    ...FAULTS.map(([name, severity, text]) => ({
      event: {
        presence: 'required',
        action: ['any', 'any', `Fault_${nfType(d)}_${name}`, 'RECO-rebuildVnf'],
        structure: {
          commonEventHeader: {
            presence: 'required',
            structure: {
              domain: { presence: 'required', value: 'fault' },
              eventName: { presence: 'required', value: `Fault_${nfType(d)}_${name}` },
              vesEventListenerVersion: { presence: 'required', value: '7.2' },
            },
          },
          faultFields: {
            presence: 'required',
            structure: {
              alarmCondition: { presence: 'required', value: name },
              eventSeverity: { presence: 'required', value: severity },
              specificProblem: { presence: 'required', value: text },
              vfStatus: { presence: 'required', value: 'Active' },
              faultFieldsVersion: { presence: 'required', value: '4.0' },
            },
          },
        },
      },
    })),
  ];
  return docs.map((doc) => `---\n${yaml.dump(doc, { lineWidth: -1 })}`).join('') + '...\n';
}

export function pmDictionaryYaml(d: VnfDescriptor): string {
  const docs = [
    { pmDictionary: { pmDictionaryHeader: { pmDefSchemaVsn: '2.0', pmDefVsn: d.softwareVersion, nfType: nfType(d), vendor: d.provider } } },
    ...MEASUREMENTS.map(([name, desc, unit]) => ({
      pmDictionaryMeasurements: {
        iMeasInfoId: 1,
        iMeasType: MEASUREMENTS.findIndex(([n]) => n === name) + 1,
        measType: name,
        measDescription: desc,
        measCondition: 'Incremented by the engine per batch',
        measResultType: 'integer',
        measResultRange: '0-18446744073709551615',
        measResultUnits: unit,
        measObjClass: 'NF instance',
        measCollectionMethod: 'CC',
        measLastChange: d.softwareVersion,
        measChangeType: 'added',
        measInfoId: 'StatelessNF engine counters',
        measFamily: 'Engine',
      },
    })),
  ];
  return docs.map((doc) => `---\n${yaml.dump(doc, { lineWidth: -1 })}`).join('') + '...\n';
}
