// Assembles the VNFM from its parts: state in Redis, notifier, LCM over the configured VIMs,
// Tacker hooks on the StatelessNF store, the HTTP server. On start it recovers operations a
// previous process left running (they become FAILED_TEMP).
import { closeStore, connectStore, purgeVnf, type StoreClient } from '../store/index.js';
import type { Vim } from '../vim/types.js';
import type { AuthConfig } from './auth.js';
import { HttpGrantClient, type GrantClient } from './grant.js';
import { TackerHooks, type TackerHookOptions } from './hooks.js';
import { Lcm } from './lcm.js';
import { Notifier, type NotifierOptions } from './notify.js';
import { VnfmRepo } from './repo.js';
import { productSchemas } from './schema.js';
import { VnfmServer } from './server.js';
import { VesClient, type VesClientOptions } from '../onap/collector.js';
import { VesReporter } from '../onap/reporter.js';
import { metricsSampler } from '../onap/sampler.js';
import type { VnfdInfo } from './types.js';
import { fetchFromNfvo, loadPackagesDir, mergeCatalogue, type PackageApiConfig } from './catalogue.js';

export interface VnfmOptions {
  /** Redis seeds of the VNFM's own state (may be the StatelessNF store) */
  redis: string | StoreClient;
  /** the StatelessNF state store for hooks and purge (default: the same Redis) */
  store?: string | StoreClient;
  stateName?: string;
  host?: string;
  port?: number;
  publicUrl?: string;
  tls?: { cert: string | Buffer; key: string | Buffer };
  auth?: AuthConfig;
  /** hand-typed VNFDs (the fallback; a package is the source of truth) */
  catalog: VnfdInfo[];
  /** every *.csar / *.zip here is validated and its VNFD loaded at start (docs/vnfm.md) */
  packagesDir?: string;
  /** an NFVO's SOL003 VNF package management API, asked for a VNFD unknown here */
  packageApi?: PackageApiConfig;
  vims: Record<string, Vim>;
  defaultVim?: string;
  grant?: GrantClient | { url: string; authorization?: string };
  notifications?: Omit<NotifierOptions, 'schema'>;
  hooks?: Omit<TackerHookOptions, 'store' | 'purge'>;
  /** report VES events of every INSTANTIATED VNF (faults, store latency, live instances) to this collector */
  ves?: VesClientOptions & { intervalMs?: number };
  purgeOnTerminate?: boolean;
  opTimeoutMs?: number;
  responseValidation?: 'off' | 'log' | 'enforce';
  testCallbacks?: boolean;
  /** items per page of every list (SOL013 paging; default 100) */
  pageSize?: number;
  log?: (msg: string) => void;
}

export interface Vnfm {
  url: string;
  lcm: Lcm;
  notifier: Notifier;
  repo: VnfmRepo;
  server: VnfmServer;
  /** operations found running at start and turned FAILED_TEMP */
  recovered: string[];
  close(): Promise<void>;
}

export async function startVnfm(o: VnfmOptions): Promise<Vnfm> {
  const log = o.log ?? ((m: string) => console.error(m));
  // Before any connection: a refused catalogue leaves nothing open.
  const catalog = new Map(mergeCatalogue(o.catalog, o.packagesDir ? await loadPackagesDir(o.packagesDir, log) : []).map((v) => [v.vnfdId, v]));
  const packageApi = o.packageApi;
  const owned: StoreClient[] = [];
  const connect = async (x: string | StoreClient, name: string): Promise<StoreClient> => {
    if (typeof x !== 'string') return x;
    const c = await connectStore(x, { connectionName: name });
    c.on('error', () => {});
    owned.push(c);
    return c;
  };
  const redis = await connect(o.redis, 'snf-vnfm');
  const store = o.store === undefined ? redis : await connect(o.store, 'snf-vnfm-store');
  const schemas = productSchemas();
  const repo = new VnfmRepo(redis, o.stateName);
  // VNFDs an NFVO served before a restart; what the config and packagesDir give comes first.
  for (const v of await repo.listVnfds()) {
    if (catalog.has(v.vnfdId)) continue;
    catalog.set(v.vnfdId, v);
    log(`vnfm: VNFD ${v.vnfdId} (fetched from the NFVO earlier) loaded from the VNFM store`);
  }
  let server: VnfmServer | undefined;
  const base = () => server?.url ?? '';
  const notifier = new Notifier(repo, base, { ...o.notifications, schema: schemas.lcn, log });
  const purge = async (vnf: string) => {
    await purgeVnf(store, vnf);
  };
  const grant = o.grant && 'grant' in o.grant ? o.grant : o.grant ? new HttpGrantClient({ ...o.grant, schema: schemas.grant }) : undefined;
  const lcm = new Lcm({
    repo,
    notifier,
    catalog,
    fetchVnfd: packageApi ? (id: string) => fetchFromNfvo(packageApi, id, o.packagesDir, log) : undefined,
    vims: o.vims,
    defaultVim: o.defaultVim ?? Object.keys(o.vims)[0] ?? '',
    grant,
    purge,
    purgeOnTerminate: o.purgeOnTerminate,
    opTimeoutMs: o.opTimeoutMs,
    apiBase: () => `${base()}/vnflcm/v2`,
    log,
  });
  server = new VnfmServer({
    lcm,
    notifier,
    hooks: new TackerHooks({ log, ...o.hooks, store, purge }),
    auth: o.auth,
    tls: o.tls,
    host: o.host,
    port: o.port,
    publicUrl: o.publicUrl,
    responseValidation: o.responseValidation,
    testCallbacks: o.testCallbacks,
    ...(o.pageSize !== undefined ? { pageSize: o.pageSize } : {}),
    log,
  });
  const url = await server.listen();
  await notifier.resume();
  const recovered = await lcm.recover();
  const srv = server;
  let vesTimer: NodeJS.Timeout | undefined;
  if (o.ves) {
    const client = new VesClient(o.ves);
    const reporters = new Map<string, VesReporter>();
    const intervalMs = o.ves.intervalMs ?? 10_000;
    vesTimer = setInterval(() => {
      void (async () => {
        for (const rec of await repo.listVnfs()) {
          if (rec.vnf.instantiationState !== 'INSTANTIATED') continue;
          const vnf = rec.internal.storeVnf;
          let r = reporters.get(vnf);
          if (!r) reporters.set(vnf, (r = new VesReporter({ vnf, store, client, intervalMs, sample: metricsSampler(store, vnf) })));
          await r.tick();
        }
      })().catch((e: unknown) => log(`ves: ${(e as Error).message}`));
    }, intervalMs);
  }
  return {
    url,
    lcm,
    notifier,
    repo,
    server: srv,
    recovered,
    async close() {
      clearInterval(vesTimer);
      lcm.close();
      await srv.close();
      await notifier.close();
      for (const c of owned) await closeStore(c);
    },
  };
}
