// Nova (compute API v2.1) client: the calls the VIM and the operator tools need — servers,
// flavors, reboot and rebuild. Microversion 2.1 unless the caller asks for another.
import type { Session } from './session.js';

export interface Server {
  id: string;
  name: string;
  status: string;
  addresses?: Record<string, Array<{ addr: string; version: number; 'OS-EXT-IPS:type'?: string; 'OS-EXT-IPS-MAC:mac_addr'?: string }>>;
  flavor?: { id?: string; original_name?: string };
  image?: { id: string } | string;
  metadata?: Record<string, string>;
  fault?: { code: number; message: string };
  [key: string]: unknown;
}

export interface Flavor {
  id: string;
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
  'OS-FLV-EXT-DATA:ephemeral'?: number;
  'os-flavor-access:is_public'?: boolean;
  [key: string]: unknown;
}

export interface FlavorCreate {
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
  id?: string;
  'os-flavor-access:is_public'?: boolean;
}

const enc = encodeURIComponent;

export class NovaClient {
  static readonly service = 'compute';
  constructor(
    readonly session: Session,
    readonly microversion = '2.1',
  ) {}

  private req<T>(method: 'GET' | 'POST' | 'DELETE', path: string, json?: unknown, query?: Record<string, string | undefined>) {
    return this.session.request<T>(NovaClient.service, method, path, {
      json,
      query,
      headers: { 'openstack-api-version': `compute ${this.microversion}`, 'x-openstack-nova-api-version': this.microversion },
    });
  }

  async listServers(query: Record<string, string | undefined> = {}): Promise<Server[]> {
    return (await this.req<{ servers: Server[] }>('GET', '/servers/detail', undefined, query)).body.servers;
  }

  async getServer(id: string): Promise<Server> {
    return (await this.req<{ server: Server }>('GET', `/servers/${enc(id)}`)).body.server;
  }

  async reboot(id: string, type: 'SOFT' | 'HARD' = 'SOFT'): Promise<void> {
    await this.req('POST', `/servers/${enc(id)}/action`, { reboot: { type } });
  }

  /** Rebuild keeps the server's id and ports: a heal that the steering layer does not notice. */
  async rebuild(id: string, imageRef: string, opts: { name?: string; metadata?: Record<string, string> } = {}): Promise<Server> {
    return (await this.req<{ server: Server }>('POST', `/servers/${enc(id)}/action`, { rebuild: { imageRef, ...opts } })).body.server;
  }

  async deleteServer(id: string): Promise<void> {
    await this.req('DELETE', `/servers/${enc(id)}`);
  }

  async listFlavors(): Promise<Flavor[]> {
    return (await this.req<{ flavors: Flavor[] }>('GET', '/flavors/detail')).body.flavors;
  }

  async getFlavor(id: string): Promise<Flavor> {
    return (await this.req<{ flavor: Flavor }>('GET', `/flavors/${enc(id)}`)).body.flavor;
  }

  async createFlavor(f: FlavorCreate): Promise<Flavor> {
    return (await this.req<{ flavor: Flavor }>('POST', '/flavors', { flavor: f })).body.flavor;
  }
}
