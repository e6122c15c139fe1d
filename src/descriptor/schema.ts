// JSON Schema (draft 2020-12 subset that ajv's default draft-07 mode understands) for
// vnf-descriptors/*.yaml. Structure only: cross-field rules live in semantic.ts.
import type { SchemaObject } from 'ajv';

const ident = { type: 'string', pattern: '^[a-z][a-z0-9_]*$', maxLength: 40 };
const flavourId = { type: 'string', pattern: '^[a-z][a-z0-9-]*$', maxLength: 40 };
const posInt = { type: 'integer', minimum: 1 };
const prefix = { type: 'string', minLength: 3, maxLength: 64 };
const address = { type: 'string', anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }] };
const port = { type: 'integer', minimum: 1, maximum: 65535 };
const portRange = { type: 'array', items: port, minItems: 2, maxItems: 2 };

const natConfig = {
  type: 'object',
  additionalProperties: false,
  required: ['insidePrefixes', 'pool'],
  properties: {
    insidePrefixes: { type: 'array', minItems: 1, items: prefix },
    pool: { type: 'array', minItems: 1, items: address },
    portRange,
    shards: { type: 'integer', minimum: 1, maximum: 4096 },
  },
};

const firewallRule = {
  type: 'object',
  additionalProperties: false,
  required: ['action'],
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 64 },
    action: { enum: ['allow', 'deny'] },
    direction: { enum: ['in', 'out', 'any'] },
    src: { type: 'array', items: prefix },
    dst: { type: 'array', items: prefix },
    proto: { enum: ['tcp', 'udp', 'icmp', 'any'] },
    srcPorts: { type: 'array', items: portRange },
    dstPorts: { type: 'array', items: portRange },
  },
};

const firewallConfig = {
  type: 'object',
  additionalProperties: false,
  required: ['rules'],
  properties: {
    rules: { type: 'array', items: firewallRule },
    defaultAction: { enum: ['allow', 'deny'] },
  },
};

const lbBackend = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'address'],
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 64 },
    address,
    port,
    weight: { type: 'integer', minimum: 1, maximum: 1000 },
    state: { enum: ['active', 'drained'] },
  },
};

const lbConfig = {
  type: 'object',
  additionalProperties: false,
  required: ['vips'],
  properties: {
    vips: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'address', 'port', 'protocol', 'backends'],
        properties: {
          id: { type: 'string', minLength: 1, maxLength: 64 },
          address,
          port,
          protocol: { enum: ['tcp', 'udp'] },
          backends: { type: 'array', minItems: 1, items: lbBackend },
        },
      },
    },
    algorithm: { enum: ['wlc', 'maglev'] },
    maglevTableSize: { type: 'integer', minimum: 7, maximum: 1000003 },
  },
};

const timeouts = {
  type: 'object',
  additionalProperties: false,
  properties: {
    udpMs: posInt,
    tcpEstablishedMs: posInt,
    tcpTransitoryMs: posInt,
    icmpMs: posInt,
    refreshIntervalMs: posInt,
  },
};

// No checksum or size: those are facts of the built image file, never typed in (image-facts.ts).
const swImage = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'version', 'diskFormat', 'containerFormat', 'minDiskGb', 'minRamMb'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', maxLength: 128 },
    version: { type: 'string', minLength: 1 },
    diskFormat: { enum: ['qcow2', 'raw'] },
    containerFormat: { enum: ['bare'] },
    minDiskGb: { type: 'integer', minimum: 0 },
    minRamMb: { type: 'integer', minimum: 0 },
  },
};

const connectionPoint = {
  type: 'object',
  additionalProperties: false,
  required: ['role', 'vnicType', 'order'],
  properties: {
    role: { enum: ['management', 'data'] },
    side: { enum: ['inside', 'outside'] },
    vnicType: { enum: ['normal', 'direct'] },
    order: { type: 'integer', minimum: 0, maximum: 15 },
  },
};

/** What every VDU is sized by: its Nova flavor and Glance image. */
const compute = {
  vcpu: { type: 'integer', minimum: 1, maximum: 128 },
  memoryMb: { type: 'integer', minimum: 512, maximum: 1048576 },
  diskGb: { type: 'integer', minimum: 1, maximum: 4096 },
  image: ident,
};
const computeRequired = Object.keys(compute);
/** Nova flavor names follow Nova's own rule (printable, no leading/trailing space, <= 255). */
const flavorName = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$', maxLength: 255 };

const nfVdu = {
  type: 'object',
  additionalProperties: false,
  required: [...computeRequired, 'dataplane', 'cpuPolicy', 'connectionPoints'],
  properties: {
    ...compute,
    flavorName,
    dataplane: { enum: ['afpacket', 'dpdk'] },
    cpuPolicy: { enum: ['shared', 'dedicated'] },
    hugepages: { enum: ['2MB', '1GB'] },
    connectionPoints: {
      type: 'object',
      minProperties: 1,
      propertyNames: ident,
      additionalProperties: connectionPoint,
    },
  },
};

const storeVdu = {
  type: 'object',
  additionalProperties: false,
  required: [...computeRequired, 'instances', 'volumeGb', 'port'],
  properties: {
    ...compute,
    flavorName,
    instances: { type: 'integer', minimum: 1, maximum: 64 },
    volumeGb: { type: 'integer', minimum: 1, maximum: 16384 },
    port,
  },
};

// rc-coordinator's default port is 11100 and the masters' 11101 (the fork's scripts and
// ../shared/ramcloud/upstream-run.sh); both may be moved.
const ramcloudCoordinatorVdu = {
  type: 'object',
  additionalProperties: false,
  required: computeRequired,
  properties: { ...compute, flavorName, port, controlPort: port },
};

const ramcloudMastersVdu = {
  type: 'object',
  additionalProperties: false,
  required: [...computeRequired, 'instances', 'masterMemoryMb'],
  properties: {
    ...compute,
    // A master's dispatch thread spins on a core of its own; the service threads need another.
    vcpu: { type: 'integer', minimum: 2, maximum: 128 },
    flavorName,
    instances: { type: 'integer', minimum: 1, maximum: 64 },
    // rc-server fails below ~256 MB ("Could not reserve survivor segments": the log cleaner's reserve).
    masterMemoryMb: { type: 'integer', minimum: 256, maximum: 1048576 },
    volumeGb: { type: 'integer', minimum: 1, maximum: 16384 },
    port,
  },
};

/** RAMCloud names: --clusterName and the table are plain words (they land in service locators and paths). */
const ramcloudName = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', maxLength: 64 };

const storeRef = {
  type: 'object',
  required: ['kind'],
  properties: { kind: { enum: ['external', 'vdu', 'ramcloud'] } },
  discriminator: { propertyName: 'kind' },
  oneOf: [
    {
      additionalProperties: false,
      required: ['kind', 'nodes', 'cluster'],
      properties: {
        kind: { const: 'external' },
        nodes: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^[^\\s:]+:[0-9]{1,5}$|^\\[[0-9a-fA-F:.]+\\]:[0-9]{1,5}$' } },
        cluster: { type: 'boolean' },
      },
    },
    {
      additionalProperties: false,
      required: ['kind', 'cluster'],
      properties: { kind: { const: 'vdu' }, cluster: { type: 'boolean' } },
    },
    {
      additionalProperties: false,
      required: ['kind', 'replicas'],
      properties: {
        kind: { const: 'ramcloud' },
        replicas: { type: 'integer', minimum: 0, maximum: 8 },
        clusterName: ramcloudName,
        table: ramcloudName,
      },
    },
  ],
};

const flavour = {
  type: 'object',
  additionalProperties: false,
  required: ['description', 'vdus', 'store', 'scaling', 'instantiationLevels'],
  properties: {
    description: { type: 'string', minLength: 1 },
    vdus: {
      type: 'object',
      additionalProperties: false,
      required: ['nf'],
      properties: { nf: nfVdu, store: storeVdu, coordinator: ramcloudCoordinatorVdu, masters: ramcloudMastersVdu },
    },
    store: storeRef,
    scaling: {
      type: 'object',
      additionalProperties: false,
      required: ['nf_instances'],
      properties: {
        nf_instances: {
          type: 'object',
          additionalProperties: false,
          required: ['min', 'max', 'delta'],
          properties: {
            min: { type: 'integer', minimum: 1, maximum: 256 },
            max: { type: 'integer', minimum: 1, maximum: 256 },
            delta: { type: 'integer', minimum: 1, maximum: 256 },
          },
        },
      },
    },
    instantiationLevels: {
      type: 'object',
      additionalProperties: false,
      required: ['default', 'levels'],
      properties: {
        default: ident,
        levels: {
          type: 'object',
          minProperties: 1,
          propertyNames: ident,
          additionalProperties: {
            type: 'object',
            additionalProperties: false,
            required: ['description', 'nf_instances'],
            properties: { description: { type: 'string', minLength: 1 }, nf_instances: posInt },
          },
        },
      },
    },
  },
};

export const descriptorSchema: SchemaObject = {
  $id: 'https://statelessnf.example/schemas/vnf-descriptor.json',
  type: 'object',
  additionalProperties: false,
  required: [
    'name', 'nf', 'descriptorId', 'descriptorVersion', 'provider', 'productName', 'softwareVersion',
    'releaseDateTime', 'vnfmInfo', 'images', 'flavours', 'config', 'monitoring', 'lcm',
  ],
  properties: {
    name: ident,
    nf: { enum: ['nat', 'firewall', 'lb'] },
    descriptorId: { type: 'string', format: 'uuid' },
    descriptorVersion: { type: 'string', pattern: '^[0-9]+(\\.[0-9]+){0,2}$' },
    provider: { type: 'string', minLength: 1, maxLength: 128 },
    productName: { type: 'string', minLength: 1, maxLength: 128 },
    softwareVersion: { type: 'string', pattern: '^[0-9]+(\\.[0-9]+){0,2}([-+][0-9A-Za-z.-]+)?$' },
    releaseDateTime: { type: 'string', format: 'date-time' },
    vnfmInfo: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
    images: { type: 'object', minProperties: 1, propertyNames: ident, additionalProperties: swImage },
    flavours: { type: 'object', minProperties: 1, propertyNames: flavourId, additionalProperties: flavour },
    config: {
      type: 'object',
      additionalProperties: false,
      properties: { nat: natConfig, firewall: firewallConfig, lb: lbConfig, timeouts },
    },
    monitoring: {
      type: 'object',
      additionalProperties: false,
      required: ['prometheus', 'ves'],
      properties: {
        prometheus: {
          type: 'object',
          additionalProperties: false,
          required: ['port', 'path'],
          properties: { port, path: { type: 'string', pattern: '^/[A-Za-z0-9/_.-]*$' } },
        },
        ves: {
          type: 'object',
          additionalProperties: false,
          required: ['collectorUrl', 'reportingIntervalS'],
          properties: {
            collectorUrl: { type: 'string', format: 'uri', pattern: '^https?://' },
            reportingIntervalS: { type: 'integer', minimum: 1, maximum: 3600 },
          },
        },
      },
    },
    lcm: {
      type: 'object',
      additionalProperties: false,
      required: ['adapterUrl'],
      properties: { adapterUrl: { type: 'string', format: 'uri', pattern: '^https?://' } },
    },
  },
};
