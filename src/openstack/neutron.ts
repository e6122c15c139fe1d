// Neutron (networking API v2.0) client: networks, ports and the networking-sfc port pairs and
// port pair groups the steering layer uses to spread traffic over the VNF's instances.
import type { Session } from './session.js';

export interface Network {
  id: string;
  name: string;
  status?: string;
  subnets?: string[];
  admin_state_up?: boolean;
  [key: string]: unknown;
}

export interface Port {
  id: string;
  name: string;
  network_id: string;
  mac_address?: string;
  fixed_ips?: Array<{ ip_address: string; subnet_id: string }>;
  device_id?: string;
  status?: string;
  port_security_enabled?: boolean;
  [key: string]: unknown;
}

export interface PortPair {
  id: string;
  name: string;
  ingress: string;
  egress: string;
  service_function_parameters?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface PortPairGroup {
  id: string;
  name: string;
  port_pairs: string[];
  port_pair_group_parameters?: Record<string, unknown>;
  [key: string]: unknown;
}

type Query = Record<string, string | undefined>;
const enc = encodeURIComponent;

export class NeutronClient {
  static readonly service = 'network';
  constructor(readonly session: Session) {}

  // The catalog lists Neutron without its version; the API lives under /v2.0.
  private async base(): Promise<string> {
    const ep = await this.session.endpoint(NeutronClient.service);
    return /\/v2\.0$/.test(ep) ? ep : `${ep}/v2.0`;
  }

  private async req<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, json?: unknown, query?: Query): Promise<T> {
    return (await this.session.request<T>(NeutronClient.service, method, `${await this.base()}${path}`, { json, query, expect: method === 'DELETE' ? 'none' : 'json' })).body;
  }

  async listNetworks(query: Query = {}): Promise<Network[]> {
    return (await this.req<{ networks: Network[] }>('GET', '/networks', undefined, query)).networks;
  }
  async getNetwork(id: string): Promise<Network> {
    return (await this.req<{ network: Network }>('GET', `/networks/${enc(id)}`)).network;
  }
  async createNetwork(n: Partial<Network> & { name: string }): Promise<Network> {
    return (await this.req<{ network: Network }>('POST', '/networks', { network: n })).network;
  }
  async deleteNetwork(id: string): Promise<void> {
    await this.req('DELETE', `/networks/${enc(id)}`);
  }

  async listPorts(query: Query = {}): Promise<Port[]> {
    return (await this.req<{ ports: Port[] }>('GET', '/ports', undefined, query)).ports;
  }
  async getPort(id: string): Promise<Port> {
    return (await this.req<{ port: Port }>('GET', `/ports/${enc(id)}`)).port;
  }
  async createPort(p: Partial<Port> & { network_id: string }): Promise<Port> {
    return (await this.req<{ port: Port }>('POST', '/ports', { port: p })).port;
  }
  async updatePort(id: string, p: Partial<Port>): Promise<Port> {
    return (await this.req<{ port: Port }>('PUT', `/ports/${enc(id)}`, { port: p })).port;
  }
  async deletePort(id: string): Promise<void> {
    await this.req('DELETE', `/ports/${enc(id)}`);
  }

  async listPortPairs(query: Query = {}): Promise<PortPair[]> {
    return (await this.req<{ port_pairs: PortPair[] }>('GET', '/sfc/port_pairs', undefined, query)).port_pairs;
  }
  async createPortPair(pp: { name: string; ingress: string; egress: string; description?: string; service_function_parameters?: Record<string, unknown> }): Promise<PortPair> {
    return (await this.req<{ port_pair: PortPair }>('POST', '/sfc/port_pairs', { port_pair: pp })).port_pair;
  }
  async deletePortPair(id: string): Promise<void> {
    await this.req('DELETE', `/sfc/port_pairs/${enc(id)}`);
  }

  async listPortPairGroups(query: Query = {}): Promise<PortPairGroup[]> {
    return (await this.req<{ port_pair_groups: PortPairGroup[] }>('GET', '/sfc/port_pair_groups', undefined, query)).port_pair_groups;
  }
  async createPortPairGroup(g: { name: string; port_pairs: string[]; description?: string; port_pair_group_parameters?: Record<string, unknown> }): Promise<PortPairGroup> {
    return (await this.req<{ port_pair_group: PortPairGroup }>('POST', '/sfc/port_pair_groups', { port_pair_group: g })).port_pair_group;
  }
  /** Replaces the group's members: how instances join or leave the chain on scale and heal. */
  async setPortPairGroupMembers(id: string, portPairs: string[]): Promise<PortPairGroup> {
    return (await this.req<{ port_pair_group: PortPairGroup }>('PUT', `/sfc/port_pair_groups/${enc(id)}`, { port_pair_group: { port_pairs: portPairs } })).port_pair_group;
  }
  async deletePortPairGroup(id: string): Promise<void> {
    await this.req('DELETE', `/sfc/port_pair_groups/${enc(id)}`);
  }
}
