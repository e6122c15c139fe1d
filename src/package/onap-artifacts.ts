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

/**
 * PM dictionary in the VES Event Registration 3.2 format (VNFRQTS chapter 8 "PM Dictionary"):
 * the first YAML document is the PM Dictionary Schema (pmMetaData keywords with presence and
 * allowed values), each following document one measurement (pmMetaData: pmHeader + pmFields)
 * that SDC's PM dictionary validator checks against that schema.
 */
export function pmDictionaryYaml(d: VnfDescriptor): string {
  const req = (comment: string, value?: unknown[]) => ({ presence: 'required', ...(value ? { value } : {}), comment });
  const schema = {
    pmMetaData: {
      presence: 'required',
      structure: {
        pmHeader: {
          presence: 'required',
          structure: {
            nfType: req('NF type these measurements apply to'),
            pmDefSchemaVsn: req('PM Dictionary Schema version (VES Event Registration 3.2)', ['2.0']),
            pmDefVsn: req('vendor-defined PM Dictionary version: the NF software version'),
          },
        },
        pmFields: {
          presence: 'required',
          structure: {
            iMeasInfoId: req('integer identifier of the measurement group'),
            iMeasType: req('integer identifier of the measurement within its group'),
            measChangeType: req('type of change at measLastChange', ['added', 'modified', 'deleted']),
            measCollectionMethod: req('collection method', ['CC', 'SI', 'DER', 'Gauge', 'Average']),
            measCondition: req('condition causing the measurement to be updated'),
            measDescription: req('what the measurement tells'),
            measFamily: req('abbreviation of the measurement family'),
            measInfoId: req('name of the measurement group'),
            measLastChange: req('PM Dictionary version when the measurement last changed'),
            measObjClass: req('measured object class', ['NFINSTANCE']),
            measResultRange: { presence: 'optional', comment: 'range of the result' },
            measResultType: req('data type of the result', ['uint64']),
            measResultUnits: req('unit of the result', ['ethernetFrames', 'number']),
            measType: req('measurement name, vendor specific names start with VS.'),
          },
        },
      },
    },
  };
  const header = { nfType: nfType(d), pmDefSchemaVsn: '2.0', pmDefVsn: d.softwareVersion };
  const docs = [
    schema,
    ...MEASUREMENTS.map(([name, desc, unit], i) => ({
      pmMetaData: {
        pmHeader: header,
        pmFields: {
          iMeasInfoId: 1,
          iMeasType: i + 1,
          measChangeType: 'added',
          measCollectionMethod: 'CC',
          measCondition: 'Incremented by the engine per batch',
          measDescription: desc,
          measFamily: 'Engine',
          measInfoId: 'StatelessNF engine counters',
          measLastChange: d.softwareVersion,
          measObjClass: 'NFINSTANCE',
          measResultRange: '0-18446744073709551615',
          measResultType: 'uint64',
          measResultUnits: unit === 'frames' ? 'ethernetFrames' : 'number',
          measType: `VS.Engine.${name}`,
        },
      },
    })),
  ];
  return docs.map((doc) => `---\n${yaml.dump(doc, { lineWidth: -1 })}`).join('') + '...\n';
}
