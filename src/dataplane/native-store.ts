// The store as the native engine takes it: a Redis URL resolved into nodes, user and TLS
// (store/native-config.ts), RAMCloud turned into its plugin's path and config
// (ramcloud/plugin-config.ts); the local store as it is.
import type { StoreConfig } from '../model/tables.js';
import { nativeStoreConfig } from '../store/native-config.js';
import { ramcloudPluginConfig, type PluginStoreConfig } from '../ramcloud/plugin-config.js';

export type NativeStoreConfig = Exclude<StoreConfig, { kind: 'ramcloud' }> | PluginStoreConfig;

export function engineNativeStore(store: StoreConfig): NativeStoreConfig {
  if (store.kind === 'redis') return nativeStoreConfig(store);
  if (store.kind === 'ramcloud') return ramcloudPluginConfig(store);
  return store;
}
