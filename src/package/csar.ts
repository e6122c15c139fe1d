// SOL004 CSAR assembly (TOSCA-Metadata + ETSI entries) as Tacker onboards it: Definitions/ with
// the SOL001 types, BaseHOT/<flavour>/, Scripts/ (LCM hook shim), UserData/ (Tacker LCM user data), Files/ (ChangeLog, licences,
// the VNF's own tests, NF config, ONAP non-MANO artifacts), and a manifest with a SHA-256 digest
// of every other file.
import { echo } from '../util/echo.js';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import type { VnfDescriptor } from '../descriptor/types.js';
import { asset, assetText } from './assets.js';
import { baseHot } from './heat-tacker.js';
import { appendSignature, renderManifest } from './manifest.js';
import { TOSCA_META_PATH, renderToscaMeta } from './meta.js';
import { HOOK_SCRIPT, USERDATA_SCRIPT, flavourIds, stem } from './model.js';
import { pmDictionaryYaml, vesEventsYaml } from './onap-artifacts.js';
import { cmsSign } from './sign.js';
import { COMMON_TYPES_FILE, SOL001_FILES, flavourTemplate, toscaFileNames, topTemplate, typesTemplate, type ImageSet } from './tosca.js';
import { PackageError } from './errors.js';
import { IMAGE_DIR, writeZip, type FileMap } from './zip.js';

export interface SigningInput {
  keyPem: string;
  certPem: string;
}

export interface CsarInputs {
  /** The real image file behind each descriptor image key: the VNFD carries its checksum and size. */
  images: ImageSet;
  /** Ship the image files in the CSAR (SOL004 software image artifacts; Tacker registers them in Glance). */
  embedImages?: boolean;
  signing?: SigningInput;
}

export const csarPaths = {
  manifest: (d: VnfDescriptor) => `${stem(d)}.mf`,
  changeLog: 'Files/ChangeLog.txt',
  certificate: (d: VnfDescriptor) => `Files/Certificates/${stem(d)}.cert`,
  vesEvents: (d: VnfDescriptor) => `Files/Events/${stem(d)}_ves_events.yaml`,
  pmDictionary: (d: VnfDescriptor) => `Files/Measurements/${stem(d)}_pm_dictionary.yaml`,
  /** SOL004 ETSI-Entry-Licenses and ETSI-Entry-Tests name folders (ONAP's VNF SDK requires both). */
  licenses: 'Files/Licenses',
  tests: 'Files/Tests',
};

/** What the CSAR ships in its licence and test folders, path in the package -> repository file. */
const LICENSE_FILES: Record<string, string> = {
  [`${csarPaths.licenses}/LICENSE-Apache-2.0.txt`]: 'LICENSE',
  [`${csarPaths.licenses}/NOTICE.txt`]: 'tosca/licenses/NOTICE.txt',
};
const TEST_FILES: Record<string, string> = {
  [`${csarPaths.tests}/README.txt`]: 'tosca/tests/README.txt',
  [`${csarPaths.tests}/snf_instance_check.py`]: 'tosca/tests/snf_instance_check.py',
};

/** RFC 3339 with an explicit offset, as SOL004 wants vnf_release_date_time. */
function rfc3339(iso: string): string {
  return new Date(iso).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

function text(s: string): Buffer {
  return Buffer.from(s, 'utf8');
}

/** Every file of the CSAR except TOSCA.meta and the manifest. */
/** Where an embedded image lives in the CSAR, one file per image however many VDUs use it. */
export function imagePath(d: VnfDescriptor, key: string): string {
  const img = d.images[key];
  return `${IMAGE_DIR}${img.name}.${img.diskFormat}`;
}

export function csarArtifacts(d: VnfDescriptor, images: ImageSet, embedImages = false): FileMap {
  const files: FileMap = new Map();
  for (const f of SOL001_FILES) files.set(`Definitions/${f}`, asset(`tosca/sol001/${f}`));
  files.set(`Definitions/${COMMON_TYPES_FILE}`, asset(`tosca/${COMMON_TYPES_FILE}`));
  files.set(`Definitions/${toscaFileNames.types(d)}`, text(typesTemplate(d)));
  files.set(`Definitions/${toscaFileNames.top(d)}`, text(topTemplate(d)));
  for (const id of flavourIds(d)) {
    files.set(`Definitions/${toscaFileNames.flavour(d, id)}`, text(flavourTemplate(d, id, images, embedImages ? (k) => `../${imagePath(d, k)}` : undefined)));
    for (const [path, body] of baseHot(d, id)) files.set(path, text(body));
  }
  files.set(USERDATA_SCRIPT, asset('tosca/userdata/statelessnf_userdata.py'));
  files.set(HOOK_SCRIPT, text(assetText('tosca/scripts/snf_lcm_hook.py').replace('__SNF_DEFAULT_ADAPTER_URL__', d.lcm.adapterUrl)));
  files.set(csarPaths.changeLog, text(changeLog(d)));
  for (const [path, src] of Object.entries({ ...LICENSE_FILES, ...TEST_FILES })) files.set(path, asset(src));
  files.set(`Files/snf/${stem(d)}_descriptor.yaml`, text(yaml.dump(d, { lineWidth: -1, noRefs: true })));
  files.set(`Files/snf/${stem(d)}_nf_config.json`, text(`${JSON.stringify(d.config, null, 2)}\n`));
  files.set(csarPaths.vesEvents(d), text(vesEventsYaml(d)));
  files.set(csarPaths.pmDictionary(d), text(pmDictionaryYaml(d)));
  if (embedImages) {
    for (const key of Object.keys(d.images)) {
      const f = images[key];
      if (!f) throw new PackageError(echo`images.${key}: no image file given to embed`);
      files.set(imagePath(d, key), readFileSync(f.path));
    }
  }
  return files;
}

function changeLog(d: VnfDescriptor, source = d): string {
  return [
    `${d.productName} VNF package change log`,
    '',
    `${rfc3339(d.releaseDateTime)}  software ${d.softwareVersion}, VNFD ${d.descriptorVersion} (${d.descriptorId}, built from descriptor ${source.descriptorId})`,
    `  Flavours: ${flavourIds(d).join(', ')}. Generated by snf package build from the VNF descriptor '${d.name}'.`,
    '',
  ].join('\n');
}

/**
 * The VNFD id of one build: a name-based UUID (RFC 4122 v5) in the descriptor id's namespace,
 * over everything the package carries. An NFVO keeps one package per VNFD id (Tacker refuses a
 * second upload with VnfPackageVnfdIdDuplicate), so a changed build (new image, new template)
 * gets a new id, while the same inputs give the same id and the same bytes.
 */
export function buildVnfdId(d: VnfDescriptor, images: ImageSet, embedImages = false): string {
  const h = createHash('sha256');
  // An embedded image is covered by its SHA-256 in the VNFD: no need to hash its bytes again.
  for (const [path, body] of [...csarArtifacts(d, images)].sort(([a], [b]) => (a < b ? -1 : 1))) {
    h.update(`${path}\0${body.length}\0`).update(body);
  }
  if (embedImages) h.update('embedded images');
  return uuidV5(d.descriptorId, h.digest('hex'));
}

function uuidV5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const b = createHash('sha1').update(ns).update(name).digest().subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = b.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export async function buildCsar(source: VnfDescriptor, inputs: CsarInputs): Promise<Buffer> {
  const { images, signing, embedImages = false } = inputs;
  const d: VnfDescriptor = { ...source, descriptorId: buildVnfdId(source, images, embedImages) };
  const files = csarArtifacts(d, images, embedImages);
  files.set(csarPaths.changeLog, text(changeLog(d, source)));
  const meta: Record<string, string> = {
    'TOSCA-Meta-File-Version': '1.0',
    'CSAR-Version': '1.1',
    'Created-by': d.provider,
    'Entry-Definitions': `Definitions/${toscaFileNames.top(d)}`,
    'ETSI-Entry-Manifest': csarPaths.manifest(d),
    'ETSI-Entry-Change-Log': csarPaths.changeLog,
    'ETSI-Entry-Licenses': csarPaths.licenses,
    'ETSI-Entry-Tests': csarPaths.tests,
  };
  if (signing) {
    files.set(csarPaths.certificate(d), text(signing.certPem));
    meta['ETSI-Entry-Certificate'] = csarPaths.certificate(d);
  }
  files.set(TOSCA_META_PATH, text(renderToscaMeta(meta)));
  let manifest = renderManifest(
    {
      vnf_provider_id: d.provider,
      vnf_product_name: d.productName,
      vnf_release_date_time: rfc3339(d.releaseDateTime),
      // SOL004 v2.6.1 names these four and no others for a VNF (compatible_specification_versions
      // came later, and ONAP's VNF SDK refuses it).
      vnf_package_version: d.descriptorVersion,
    },
    files,
    { onap_ves_events: [csarPaths.vesEvents(d)], onap_pm_dictionary: [csarPaths.pmDictionary(d)] },
  );
  if (signing) manifest = appendSignature(manifest, await cmsSign(manifest, signing.keyPem, signing.certPem));
  files.set(csarPaths.manifest(d), text(manifest));
  return writeZip(files, new Date(d.releaseDateTime));
}
