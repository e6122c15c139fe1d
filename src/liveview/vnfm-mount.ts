// Mounts the live view on a running VNF manager (under /view on the API's own listener, behind
// its authenticator): every instantiated VNF, the LCM operation history and notification deliveries.
import type { AddressInfo } from 'node:net';
import { closeStore, connectStore, type StoreClient } from '../store/index.js';
import type { Vnfm } from '../vnfm/app.js';
import { LiveViewHandler } from './handler.js';
import { LiveHub, type HubOptions } from './hub.js';
import { isLoopback, ViewConfigError } from './server.js';
import { VnfmSource } from './vnfm-source.js';

export interface MountOptions extends HubOptions {
  /** the StatelessNF state store (seeds or a client the caller owns) */
  store: string | StoreClient;
  /** the local VIM's run root, when it is not the default */
  localRunRoot?: string;
}

export async function mountLiveView(vnfm: Vnfm, o: MountOptions): Promise<{ hub: LiveHub; close(): Promise<void> }> {
  const a = vnfm.server.server.address() as AddressInfo | null;
  if (a && !isLoopback(a.address) && !vnfm.server.auth.enabled) {
    throw new ViewConfigError(`live view: the VNF manager listens on ${a.address} without credentials; configure "auth" before serving the live view beyond loopback`);
  }
  const store = typeof o.store === 'string' ? await connectStore(o.store, { connectionName: 'snf-live-view' }) : o.store;
  if (typeof o.store === 'string') store.on('error', () => {});
  const source = new VnfmSource({
    listVnfs: () => vnfm.repo.listVnfs(),
    listOps: () => vnfm.repo.listOps(),
    deliveries: () => vnfm.notifier.deliveries,
    vimKind: (name) => (name === undefined ? undefined : vnfm.lcm.o.vims[name]?.kind),
    store,
    ...(o.localRunRoot ? { localRunRoot: o.localRunRoot } : {}),
  });
  const hub = new LiveHub(source, o);
  await hub.start();
  const handler = new LiveViewHandler(hub, vnfm.server.auth);
  vnfm.server.addHandler((req, res) => handler.handle(req, res));
  return {
    hub,
    async close() {
      handler.closeStreams();
      await hub.stop();
      if (typeof o.store === 'string') await closeStore(store);
    },
  };
}
