// Redis ACL users per role, so that a compromised or buggy component can only touch what its
// job needs. Three key families (README.md here and native/store/README.md):
//   flows     snf:<vnf>:*          written by the data plane (scripts called by SHA)
//   tables    snf:{<vnf>:ctl}:*    written by the control plane, read by instances
//   registry  snf:{<vnf>:reg}:*    heartbeats written by instances, read by steering
// Redis 7 checks every key a script touches against the calling user, so EVAL cannot be used
// to reach around these rules.
import { assertName } from './keys.js';
import { REDIS_MODULE_COMMANDS } from './redis-module.js';
import type { StoreClient } from './connect.js';
import { isCluster } from './connect.js';

export type StoreRole = 'dataplane' | 'control';

// INFO: ioredis' ready check and cluster detection. CLUSTER SLOTS/NODES: slot maps. CLIENT
// ID/TRACKING/SETNAME: the engine's coherent cache and connection names. Everything else that
// could reconfigure or inspect the server (CONFIG, DEBUG, KEYS, FLUSHALL, ACL ...) stays denied.
// `-@dangerous` first takes away what the categories brought in (KEYS, FLUSHALL, CLIENT KILL, ...);
// the named commands after it are the only ones given back.
const COMMON = ['+@connection', '-@dangerous', '+info', '+cluster|slots', '+cluster|nodes', '+cluster|info', '+client|id', '+client|tracking', '+client|setname', '+client|getname'];

/**
 * ACL rules (the words after `ACL SETUSER <name>`) for one role of one VNF, without the
 * password: callers add `on >password` (or `#sha256`).
 */
export function aclRules(vnf: string, role: StoreRole, opts: { module?: boolean } = {}): string[] {
  assertName('vnf', vnf);
  const flows = `snf:${vnf}:*`;
  const tables = `snf:{${vnf}:ctl}:*`;
  const registry = `snf:{${vnf}:reg}:*`;
  const changed = `snf:${vnf}:ctl:changed`;
  if (role === 'dataplane') {
    return [
      'resetkeys',
      'resetchannels',
      `~${flows}`,
      `~${registry}`,
      `%R~${tables}`,
      `&${changed}`,
      // The engine's cache listens for invalidations on this channel (CLIENT TRACKING REDIRECT).
      '&__redis__:invalidate',
      '-@all',
      '+@read',
      '+@write',
      '+@transaction',
      '+@scripting',
      '+@pubsub',
      '-script|flush',
      '-script|kill',
      '-function',
      // Instances only listen for table changes; announcing one is the control plane's job.
      '-publish',
      '-spublish',
      // The store module's commands (redis-module.ts), named only where it is loaded: Redis
      // refuses a rule for a command it does not know, and 7.0 puts module commands in no category.
      ...(opts.module ? REDIS_MODULE_COMMANDS.map((c) => `+${c}`) : []),
      ...COMMON,
    ];
  }
  return [
    'resetkeys',
    'resetchannels',
    `~${tables}`,
    `~${registry}`,
    // Inspection (`snf flows`) and purge read and delete flow keys; SCAN needs the pattern too.
    `~${flows}`,
    `&${changed}`,
    '-@all',
    '+@read',
    '+@write',
    '+@transaction',
    '+@scripting',
    '+@pubsub',
    '+@keyspace',
    '-script|flush',
    '-script|kill',
    '-function',
    ...COMMON,
  ];
}

/** Conventional user names: `snf-<role>-<vnf>`. */
export function aclUser(vnf: string, role: StoreRole): string {
  assertName('vnf', vnf);
  return `snf-${role}-${vnf}`;
}

function quoteOk(password: string): string {
  // Lines of an ACL file are split on spaces; a password is one `>` word.
  if (!/^[\x21-\x7e]{16,256}$/.test(password)) throw new Error('acl password: must be 16..256 printable ASCII characters without spaces');
  return password;
}

/** One `user ...` line of an ACL file (redis.conf `aclfile`), as the templates write it. */
export function aclFileLine(name: string, rules: string[], password: string): string {
  return ['user', name, 'reset', 'on', `>${quoteOk(password)}`, ...rules].join(' ');
}

/**
 * Creates or replaces the role's user on every master (ACLs are per node: a cluster does not
 * replicate them, and replicas need the same users before a failover promotes them, so callers
 * managing replicas run this on those too).
 */
export async function applyAclUser(client: StoreClient, vnf: string, role: StoreRole, password: string, opts: { name?: string; module?: boolean } = {}): Promise<void> {
  const args = ['SETUSER', opts.name ?? aclUser(vnf, role), 'reset', 'on', `>${quoteOk(password)}`, ...aclRules(vnf, role, { module: opts.module })];
  const nodes = isCluster(client) ? client.nodes('all') : [client];
  for (const n of nodes) await n.call('ACL', ...args);
}
