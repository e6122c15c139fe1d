// Glance (image API v2) client: create an image record, upload its data, read it back.
import { OpenStackOperationError } from './errors.js';
import type { Session } from './session.js';

export interface Image {
  id: string;
  name?: string;
  status: string;
  disk_format?: string;
  container_format?: string;
  visibility?: string;
  size?: number | null;
  checksum?: string | null;
  os_hash_value?: string | null;
  [key: string]: unknown;
}

export interface ImageCreate {
  name: string;
  disk_format: 'qcow2' | 'raw' | 'vmdk' | 'vdi' | 'iso' | 'ami' | 'ari' | 'aki' | 'vhd' | 'vhdx' | 'ploop';
  container_format: 'bare' | 'ovf' | 'ova' | 'ami' | 'ari' | 'aki' | 'docker' | 'compressed';
  visibility?: 'public' | 'private' | 'shared' | 'community';
  min_disk?: number;
  min_ram?: number;
  tags?: string[];
  /** additional image properties */
  [property: string]: unknown;
}

const enc = encodeURIComponent;

export class GlanceClient {
  static readonly service = 'image';
  constructor(readonly session: Session) {}

  private async base(): Promise<string> {
    const ep = await this.session.endpoint(GlanceClient.service);
    return /\/v2$/.test(ep) ? ep : `${ep}/v2`;
  }

  async createImage(img: ImageCreate): Promise<Image> {
    return (await this.session.request<Image>(GlanceClient.service, 'POST', `${await this.base()}/images`, { json: img })).body;
  }

  async getImage(id: string): Promise<Image> {
    return (await this.session.request<Image>(GlanceClient.service, 'GET', `${await this.base()}/images/${enc(id)}`)).body;
  }

  /** PUT /images/{id}/file (204). Large images need a longer timeout than API calls. */
  async uploadData(id: string, data: Uint8Array, timeoutMs = 30 * 60_000): Promise<void> {
    await this.session.request(GlanceClient.service, 'PUT', `${await this.base()}/images/${enc(id)}/file`, {
      body: data,
      headers: { 'content-type': 'application/octet-stream' },
      expect: 'none',
      timeoutMs,
    });
  }

  async deleteImage(id: string): Promise<void> {
    await this.session.request(GlanceClient.service, 'DELETE', `${await this.base()}/images/${enc(id)}`, { expect: 'none' });
  }

  /** Creates the image, uploads the data and checks Glance marked it active. */
  async createAndUpload(img: ImageCreate, data: Uint8Array): Promise<Image> {
    const created = await this.createImage(img);
    await this.uploadData(created.id, data);
    const got = await this.getImage(created.id);
    if (got.status !== 'active') throw new OpenStackOperationError(`image ${created.id}`, got.status, 'not active after upload');
    return got;
  }
}
