// ONAP SDC Heat package: a flat zip of MANIFEST.json, the base and incremental modules with
// their env files, and the VES / PM artifacts DCAE uses.
import type { VnfDescriptor } from '../descriptor/types.js';
import { HOT_VERSION } from './heat-tacker.js';
import { onapFileNames, onapModules } from './heat-onap.js';
import { stem } from './model.js';
import { pmDictionaryYaml, vesEventsYaml } from './onap-artifacts.js';
import { writeZip, type FileMap } from './zip.js';

export interface OnapManifestEntry {
  file: string;
  type: string;
  isBase?: 'true' | 'false';
  data?: OnapManifestEntry[];
}

export interface OnapManifest {
  name: string;
  description: string;
  version: string;
  data: OnapManifestEntry[];
}

export const onapArtifactNames = {
  ves: (d: VnfDescriptor) => `${stem(d)}_ves_events.yaml`,
  pm: (d: VnfDescriptor) => `${stem(d)}_pm_dictionary.yaml`,
};

export function onapFiles(d: VnfDescriptor, flavourId: string): FileMap {
  const files: FileMap = new Map();
  for (const [name, body] of onapModules(d, flavourId)) files.set(name, Buffer.from(body, 'utf8'));
  files.set(onapArtifactNames.ves(d), Buffer.from(vesEventsYaml(d), 'utf8'));
  files.set(onapArtifactNames.pm(d), Buffer.from(pmDictionaryYaml(d), 'utf8'));
  const manifest: OnapManifest = {
    name: stem(d),
    description: `${d.productName} ${d.softwareVersion} (flavour ${flavourId}): base module + one incremental module per NF instance`,
    version: HOT_VERSION,
    data: [
      { file: onapFileNames.base(d), type: 'HEAT', isBase: 'true', data: [{ file: onapFileNames.baseEnv(d), type: 'HEAT_ENV' }] },
      { file: onapFileNames.incr(d), type: 'HEAT', isBase: 'false', data: [{ file: onapFileNames.incrEnv(d), type: 'HEAT_ENV' }] },
      { file: onapArtifactNames.ves(d), type: 'VES_EVENTS' },
      { file: onapArtifactNames.pm(d), type: 'PM_DICTIONARY' },
    ],
  };
  files.set('MANIFEST.json', Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8'));
  return files;
}

export async function buildOnapZip(d: VnfDescriptor, flavourId: string): Promise<Buffer> {
  return writeZip(onapFiles(d, flavourId), new Date(d.releaseDateTime));
}
