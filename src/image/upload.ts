// `snf image upload`: the built image into Glance (image API v2) with the facts the VNF
// descriptors and templates rely on: name, disk/container format, min_disk, min_ram. Glance
// computes its own os_hash_value (sha512 by default) and checksum (md5); we check the size it
// recorded and keep our sha256 as a property, since that is what the SOL004 manifest and the
// VNFD carry.
import { readFileSync } from 'node:fs';
import type { GlanceClient, Image } from '../openstack/index.js';
import type { ImageFacts } from './build.js';
import { ImageError } from './errors.js';

export interface UploadOptions {
  visibility?: 'public' | 'private' | 'shared' | 'community';
  /** Image name in Glance (default: the facts' name, which the descriptors reference). */
  name?: string;
}

export async function uploadImage(glance: GlanceClient, facts: ImageFacts, o: UploadOptions = {}): Promise<Image> {
  const data = readFileSync(facts.file);
  if (data.length !== facts.sizeBytes) throw new ImageError(`${facts.file}: ${data.length} bytes, but its facts say ${facts.sizeBytes}: rebuild it`);
  const img = await glance.createAndUpload(
    {
      name: o.name ?? facts.name,
      disk_format: facts.diskFormat,
      container_format: facts.containerFormat,
      visibility: o.visibility ?? 'private',
      min_disk: facts.minDiskGb,
      min_ram: facts.minRamMb,
      hw_disk_bus: 'virtio',
      hw_vif_model: 'virtio',
      os_distro: 'debian',
      os_version: '12',
      snf_version: facts.version,
      snf_sha256: facts.sha256,
    },
    data,
  );
  if (typeof img.size === 'number' && img.size !== facts.sizeBytes) {
    throw new ImageError(`Glance recorded ${img.size} bytes for image ${img.id}, the file has ${facts.sizeBytes}`);
  }
  return img;
}
