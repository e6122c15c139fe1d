// Control-plane access to the state store: one import for callers outside src/store.
export { connectStore, connectFromConfig, closeStore, parseSeed, isCluster, type StoreClient, type ConnectOptions } from './connect.js';
export { ctlKeys, regKeys, vnfKeyMatcher, assertName } from './keys.js';
export {
  writeTables,
  readTables,
  readTablesSnapshot,
  readGeneration,
  setBackendState,
  watchTables,
  type TablesSnapshot,
  type WatchOptions,
} from './control-tables.js';
export { normalizeTables, TableValidationError, DEFAULT_TIMEOUTS, type NormalizedTables } from './validate.js';
export { heartbeat, liveInstances, deregister, type InstanceInfo, type LiveInstance } from './registry.js';
export { purgeVnf, type PurgeOptions, type PurgeProgress } from './purge.js';
export { parseStoreUrl, parseStoreSeeds, redact, StoreUrlError, type StoreTarget, type StoreTls, type StoreMode } from './url.js';
export { aclRules, aclUser, aclFileLine, applyAclUser, type StoreRole } from './acl.js';
export { resolvePrimary, watchPrimary, engineStoreConfig, type PrimaryWatch } from './sentinel.js';
export { makeStoreCerts, redisTlsArgs, type StoreCerts } from './tls-certs.js';
export { nativeStoreConfig } from './native-config.js';
