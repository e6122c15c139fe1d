// `snf up`: the local deployment, the product's embedded default.
import type { Command } from '../main.js';
import type { NfKind } from '../../dataplane/types.js';
import { LocalDeployment } from '../../vim/local/deployment.js';
import { names, NET } from '../../vim/local/topology.js';
import { deploymentName, int, parseArgs, progress, requireRoot, runCommand, str, UsageError } from '../../vim/local/cli-args.js';
import { closeShells } from '../../vim/local/sh.js';
import { STORE_MODES, type StoreMode } from '../../vim/local/store-nodes.js';

function isStoreMode(v: string): v is StoreMode {
  return (STORE_MODES as readonly string[]).includes(v);
}
import { readFileSync } from 'node:fs';
import { checkAuthConfig, isLoopback, parseListen, startViewServer, ViewConfigError } from '../../liveview/server.js';
import { LocalSource } from '../../liveview/local-source.js';
import type { AuthConfig } from '../../vnfm/auth.js';

const USAGE = `usage: snf up [--nf nat|firewall|lb|firewall,nat] [--instances N]
              [--store unix:/path|host:port|ramcloud | --store-mode single|sentinel|cluster [--store-tls]]
              [--io afpacket|af_xdp|dpdk] [--spray] [--baseline] [--name NAME]
              [--view [HOST:]PORT [--view-auth FILE]]

Builds one VNF on this machine: client, server and two steering network namespaces, N NF
instance namespaces (each an NF process on two veth legs), kernel ECMP steering (or per-packet
spraying with --spray), and a Redis on a UNIX socket unless --store names one. State lives in
/run/snf/<name>/ (default name: snf). --baseline keeps flow state inside each instance (the
coupled baseline, for comparison). --store-mode picks the store it starts: single (default, one
Redis), sentinel (a primary, a replica and 3 Sentinels: failover in about a second) or cluster
(3 masters + 3 replicas); all persist (append-only file). The store it starts has ACL users per
role (instances: flows and heartbeats, tables read-only; control plane: tables) with random
passwords kept root-only in the run directory, and refuses clients without them; --store-tls
makes it serve TLS only (a CA and certificate made for this deployment) and every client checks
it against that CA. --store ramcloud keeps flow state in RAMCloud instead (a coordinator and a
master from the build 'sudo bash scripts/setup.sh --ramcloud' makes, and a sweeper expiring
flows), the control plane on the Redis it starts (docs/ramcloud.md).
Then: snf status | scale | kill | flows | down.
--view serves the live view (a web page, server-sent events and Prometheus metrics at
/view/) on HOST:PORT (host 127.0.0.1 unless given) and stays in the foreground until Ctrl-C; the
deployment keeps running after it. Beyond loopback it needs --view-auth FILE: JSON like the
VNF manager's "auth" section (basic, oauth2Clients, staticTokens). See docs/liveview.md.`;

const SPEC = { nf: true, instances: true, store: true, 'store-mode': true, 'store-tls': false, io: true, spray: false, baseline: false, name: true, view: true, 'view-auth': true };

/** --view and --view-auth, checked before anything is built. */
export function parseView(viewArg: string | undefined, authFile: string | undefined): { host: string; port: number; auth?: AuthConfig } | undefined {
  if (viewArg === undefined) {
    if (authFile !== undefined) throw new UsageError('--view-auth: only meaningful with --view');
    return undefined;
  }
  try {
    const at = parseListen(viewArg, '--view');
    let auth: AuthConfig | undefined;
    if (authFile !== undefined) {
      let raw: unknown;
      try {
        raw = JSON.parse(readFileSync(authFile, 'utf8'));
      } catch (e) {
        throw new ViewConfigError(`--view-auth: cannot read ${authFile} as JSON: ${(e as Error).message}`);
      }
      auth = checkAuthConfig(raw, `--view-auth ${authFile}`);
    }
    if (!isLoopback(at.host) && !auth) throw new ViewConfigError(`--view: ${at.host} is not a loopback address; serving the live view beyond loopback needs --view-auth FILE`);
    return { ...at, ...(auth ? { auth } : {}) };
  } catch (e) {
    if (e instanceof ViewConfigError) throw new UsageError(e.message);
    throw e;
  }
}
const KINDS: NfKind[] = ['nat', 'firewall', 'lb'];

export function parseChain(v: string | undefined): NfKind[] {
  if (v === undefined) return ['firewall', 'nat'];
  const chain = v.split(',').map((s) => s.trim());
  for (const k of chain) if (!KINDS.includes(k as NfKind)) throw new UsageError(`--nf: unknown NF '${k}' (nat, firewall, lb, or a chain like firewall,nat)`);
  if (new Set(chain).size !== chain.length) throw new UsageError('--nf: an NF appears twice in the chain');
  if (chain.includes('lb') && chain.includes('nat')) throw new UsageError('--nf: lb and nat in one chain are not supported by the local topology');
  return chain as NfKind[];
}

function parseStore(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (v === 'ramcloud' || /^unix:\/.+/.test(v) || /^[^:\s/]+:\d{1,5}$/.test(v)) return v;
  throw new UsageError(`--store: expected unix:/path/to/redis.sock, host:port or ramcloud, got '${v}'`);
}

export const command: Command = {
  summary: 'start a local deployment: NF instances in network namespaces, ECMP steering, Redis',
  run: (args) =>
    runCommand('up', USAGE, async () => {
      const p = parseArgs(args, SPEC);
      if (p.flags.has('help')) {
        console.log(USAGE);
        return 0;
      }
      if (p.positional.length) throw new UsageError(`unexpected argument '${p.positional[0]}'`);
      const chain = parseChain(str(p, 'nf'));
      const instances = int(p, 'instances', 3, 1, 64);
      const storeArg = parseStore(str(p, 'store'));
      const ramcloud = storeArg === 'ramcloud';
      const store = ramcloud ? undefined : storeArg;
      if (ramcloud && p.flags.has('baseline')) throw new UsageError('--store ramcloud: --baseline keeps flow state inside the instances; choose one');
      if (ramcloud && str(p, 'store-mode') !== undefined) throw new UsageError('--store ramcloud: --store-mode picks a Redis flow store; RAMCloud replaces it');
      if (ramcloud && p.flags.has('store-tls')) throw new UsageError("--store ramcloud: RAMCloud's transports carry no TLS (docs/ramcloud.md)");
      const storeMode = str(p, 'store-mode') ?? 'single';
      if (!isStoreMode(storeMode)) throw new UsageError(`--store-mode: expected ${STORE_MODES.join(', ')}, got '${storeMode}'`);
      if (store && storeMode !== 'single') throw new UsageError(`--store-mode ${storeMode}: starts the deployment's own store; it cannot be combined with --store`);
      if (p.flags.has('baseline') && storeMode !== 'single') throw new UsageError(`--store-mode ${storeMode}: --baseline keeps flow state inside the instances, no store to make redundant`);
      const storeTls = p.flags.has('store-tls');
      if (storeTls && store) throw new UsageError(`--store-tls: certificates are made only for the store the deployment starts; give an operator's store without --store-tls (its own TLS is not set up by snf up)`);
      if (storeTls && p.flags.has('baseline')) throw new UsageError('--store-tls: --baseline keeps flow state inside the instances; there is no data-plane store traffic to protect');
      const io = str(p, 'io') ?? 'afpacket';
      if (io !== 'afpacket' && io !== 'af_xdp' && io !== 'dpdk') throw new UsageError(`--io: expected afpacket, af_xdp or dpdk, got '${io}'`);
      const name = deploymentName(p);
      const view = parseView(str(p, 'view'), str(p, 'view-auth'));
      requireRoot('up');
      const t0 = Date.now();
      const d = await LocalDeployment.up(
        { name, chain, instances, io, ...(store ? { store } : {}), storeMode, storeTls, mode: p.flags.has('spray') ? 'spray' : 'hash', dataStore: p.flags.has('baseline') ? 'local' : ramcloud ? 'ramcloud' : 'redis', echoServer: true },
        progress,
      );
      await d.close();
      closeShells();
      const n = names(name);
      const target = chain.includes('lb') ? `${NET.vip.address}:8080` : `${NET.server.host}:7000`;
      console.log(`
${name}: ${chain.join(' -> ')} on ${instances} instances, ${d.state.mode === 'spray' ? 'per-packet spraying' : 'ECMP by L4 hash'}, store ${d.state.store.ramcloud ? `ramcloud ${d.state.store.ramcloud.coordinator} (flows), control ` : ''}${d.state.store.mode && d.state.store.mode !== 'single' ? `${d.state.store.mode} ` : ''}${d.state.store.seed}${d.access() ? `, ACL users${storeTls ? ', TLS only' : ''}` : ''} (${((Date.now() - t0) / 1000).toFixed(1)} s)
  client namespace  ${n.client}  (${NET.client.host})
  server namespace  ${n.server}  (${NET.server.host})
  echo server       ${chain.includes('lb') ? `VIP ${NET.vip.address}:8080 -> backends ${NET.backends.join(', ')}` : `${NET.server.host} tcp 7000, udp 7001`}
  try               ip netns exec ${n.client} node --import tsx src/demo/traffic/client.ts --target ${target} --connections 50 --duration 30
  then              snf status --watch | snf kill i1 | snf scale out 2 | snf flows | snf down`);
      if (!view) return 0;
      const server = await startViewServer({ source: new LocalSource(d), ...view, log: (m) => console.error(m) });
      console.log(`  live view         ${server.url}${view.auth ? ' (credentials required)' : ''}  (Ctrl-C stops the view; the deployment stays)`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
      closeShells();
      return 0;
    }),
};
