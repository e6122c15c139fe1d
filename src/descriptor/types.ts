// The shape of a vnf-descriptors/*.yaml file once it passed schema and semantic validation.
// The NF configuration reuses the engine's own types so the descriptor cannot drift from what
// the data plane loads.
import type { FirewallConfig, LbConfig, NatConfig, NfKind, Side, Timeouts } from '../dataplane/types.js';

/**
 * A software image as the descriptor names it. Its checksum and size are not here: they are read
 * off the built image file when a package is made (src/package/image-facts.ts).
 */
export interface SwImage {
  name: string;
  version: string;
  diskFormat: 'qcow2' | 'raw';
  containerFormat: 'bare';
  minDiskGb: number;
  minRamMb: number;
}

export interface ConnectionPoint {
  role: 'management' | 'data';
  /** Which side of the NF a data CP faces. */
  side?: Side;
  /** `direct`: an SR-IOV virtual function; `normal`: a virtio port. */
  vnicType: 'normal' | 'direct';
  order: number;
}

/**
 * The Nova flavor a VDU runs on is taken by name (the operator or a grant provides it); the
 * templates create it only when asked to. Defaults to `<name>-<flavour>-<vdu>` (model.ts).
 */
interface FlavorByName {
  flavorName?: string;
}

export interface NfVdu extends FlavorByName {
  vcpu: number;
  memoryMb: number;
  diskGb: number;
  image: string;
  dataplane: 'afpacket' | 'dpdk';
  cpuPolicy: 'shared' | 'dedicated';
  hugepages?: '2MB' | '1GB';
  connectionPoints: Record<string, ConnectionPoint>;
}

export interface StoreVdu extends FlavorByName {
  vcpu: number;
  memoryMb: number;
  diskGb: number;
  image: string;
  /** Redis nodes: masters + replicas. */
  instances: number;
  /** Persistent volume per node for the Redis append-only file. */
  volumeGb: number;
  port: number;
}

/**
 * The RAMCloud coordinator VDU: rc-coordinator (cluster membership, tablet map) and, next to it,
 * the small Redis that keeps the control plane (tables, registry, heartbeats): RAMCloud holds
 * flow state only.
 */
export interface RamcloudCoordinatorVdu extends FlavorByName {
  vcpu: number;
  memoryMb: number;
  diskGb: number;
  image: string;
  /** The coordinator's TCP port (default 11100). */
  port?: number;
  /** The control-plane Redis port on the same VM (default 6379). */
  controlPort?: number;
}

/**
 * The RAMCloud masters VDU: one rc-server per VM, each a master (the flow-state tablets) and,
 * with replicas > 0, a backup holding other masters' log segments on its volume.
 */
export interface RamcloudMastersVdu extends FlavorByName {
  vcpu: number;
  memoryMb: number;
  diskGb: number;
  image: string;
  instances: number;
  /** RAMCloud's log + hash table on each master (rc-server --totalMasterMemory), below memoryMb. */
  masterMemoryMb: number;
  /** The backup's segment storage per server (a Cinder volume); required when replicas > 0. */
  volumeGb?: number;
  /** rc-server's TCP port (default 11101). */
  port?: number;
}

export type StoreRef =
  | { kind: 'external'; nodes: string[]; cluster: boolean }
  | { kind: 'vdu'; cluster: boolean }
  | {
      kind: 'ramcloud';
      /** Backup copies of every log segment (rc-server --replicas), on other servers than its master. */
      replicas: number;
      /** rc-coordinator / rc-server --clusterName (default: the VNF's name at deploy time). */
      clusterName?: string;
      /** The table holding flow state (default `snf`). */
      table?: string;
    };

export interface ScalingAspect {
  min: number;
  max: number;
  delta: number;
}

export interface InstantiationLevel {
  description: string;
  nf_instances: number;
}

export interface Flavour {
  description: string;
  vdus: { nf: NfVdu; store?: StoreVdu; coordinator?: RamcloudCoordinatorVdu; masters?: RamcloudMastersVdu };
  store: StoreRef;
  scaling: { nf_instances: ScalingAspect };
  instantiationLevels: { default: string; levels: Record<string, InstantiationLevel> };
}

export interface NfConfiguration {
  nat?: NatConfig;
  firewall?: FirewallConfig;
  lb?: LbConfig;
  timeouts?: Partial<Timeouts>;
}

export interface Monitoring {
  prometheus: { port: number; path: string };
  ves: { collectorUrl: string; reportingIntervalS: number };
}

export interface VnfDescriptor {
  /** Short machine name: file and resource names are derived from it. */
  name: string;
  nf: NfKind;
  descriptorId: string;
  descriptorVersion: string;
  provider: string;
  productName: string;
  softwareVersion: string;
  releaseDateTime: string;
  vnfmInfo: string[];
  images: Record<string, SwImage>;
  flavours: Record<string, Flavour>;
  config: NfConfiguration;
  monitoring: Monitoring;
  lcm: { adapterUrl: string };
}

/** One problem found in a descriptor: a dotted field path and what is wrong there. */
export interface DescriptorIssue {
  path: string;
  message: string;
}
