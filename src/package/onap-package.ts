// ONAP SDC Heat package: a flat zip of MANIFEST.json, the base and incremental modules with
// their env files, and the DCAE artifacts (VES event registration, PM dictionary).
//
// How the DCAE artifacts travel. Both are multi-document YAML by specification (VNFRQTS
// chapter 8, VES Event Registration 3.2: one event / one measurement per YAML document). A Heat
// package cannot carry them as loose .yaml files: SDC and VVP treat every top-level .yaml as a
// Heat template (VVP R-95303 test_00_valid_yaml halts on a multi-document file), and
// sub-directories are not allowed (R-511776). SDC, for its part, takes them like this for a
// Heat VSP (onap/sdc, openecomp-be):
//  - VES events: SDC's Heat MANIFEST.json has no VES type (FileData.Type); a Heat VSP gets its
//    VES registration per component through "Monitoring" uploads, and that upload is a ZIP
//    holding only .yml/.yaml files (MonitoringUploadsManagerImpl, VES_ZIP_SHOULD_CONTAIN_YML_ONLY).
//  - PM dictionary: a VF deployment artifact of type PM_DICTIONARY, a .yaml/.yml file
//    (catalog-be configuration.yaml acceptedTypes), checked by SDC's PM dictionary validator.
// So each ships as a zip inside the package, listed in MANIFEST.json as OTHER (SDC keeps it with
// the VSP): `<stem>_ves_events.zip` is uploaded as is at VSP > component nf > Monitoring > VES,
// and the .yaml inside `<stem>_pm_dictionary.zip` is added to the VF as its PM_DICTIONARY
// deployment artifact. docs/packaging.md walks through it.
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

/** The DCAE artifact archives in the package and the YAML file each holds. */
export const onapArtifactNames = {
  ves: (d: VnfDescriptor) => `${stem(d)}_ves_events.zip`,
  vesYaml: (d: VnfDescriptor) => `${stem(d)}_ves_events.yaml`,
  pm: (d: VnfDescriptor) => `${stem(d)}_pm_dictionary.zip`,
  pmYaml: (d: VnfDescriptor) => `${stem(d)}_pm_dictionary.yaml`,
};

export async function onapFiles(d: VnfDescriptor, flavourId: string): Promise<FileMap> {
  const mtime = new Date(d.releaseDateTime);
  const files: FileMap = new Map();
  for (const [name, body] of onapModules(d, flavourId)) files.set(name, Buffer.from(body, 'utf8'));
  const single = (name: string, body: string) => writeZip(new Map([[name, Buffer.from(body, 'utf8')]]), mtime);
  files.set(onapArtifactNames.ves(d), await single(onapArtifactNames.vesYaml(d), vesEventsYaml(d)));
  files.set(onapArtifactNames.pm(d), await single(onapArtifactNames.pmYaml(d), pmDictionaryYaml(d)));
  const manifest: OnapManifest = {
    name: stem(d),
    description: `${d.productName} ${d.softwareVersion} (flavour ${flavourId}): base module + one incremental module per NF instance`,
    version: HOT_VERSION,
    data: [
      { file: onapFileNames.base(d), type: 'HEAT', isBase: 'true', data: [{ file: onapFileNames.baseEnv(d), type: 'HEAT_ENV' }] },
      { file: onapFileNames.incr(d), type: 'HEAT', isBase: 'false', data: [{ file: onapFileNames.incrEnv(d), type: 'HEAT_ENV' }] },
      { file: onapArtifactNames.ves(d), type: 'OTHER' },
      { file: onapArtifactNames.pm(d), type: 'OTHER' },
    ],
  };
  files.set('MANIFEST.json', Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8'));
  return files;
}

export async function buildOnapZip(d: VnfDescriptor, flavourId: string): Promise<Buffer> {
  return writeZip(await onapFiles(d, flavourId), new Date(d.releaseDateTime));
}
