// `snf vnfm serve`: the SOL003 VNF manager adapter (see docs/vnfm.md); `snf vnfm openapi`
// prints the API document it serves.
import type { Command } from '../main.js';
import { readFile } from 'node:fs/promises';
import { loadConfig, packagesDirOf } from '../../vnfm/config.js';
import { PackageRefused, storePackage, vnfdFromPackage } from '../../vnfm/catalogue.js';
import { startVnfm } from '../../vnfm/app.js';
import { Authenticator } from '../../vnfm/auth.js';
import { checkExposure } from '../../vnfm/exposure.js';
import { echo } from '../../util/echo.js';
import { productSchemas } from '../../vnfm/schema.js';
import { mountLiveView } from '../../liveview/vnfm-mount.js';

const USAGE = `usage: snf vnfm serve --config FILE [--port N] [--host ADDR] [--redis HOST:PORT] [--insecure]
       snf vnfm onboard CSAR --config FILE
       snf vnfm openapi [v2|v1]
  serve    run the VNFM: /vnflcm/v2 (SOL003 v3.3.1), /vnflcm/v1 (ONAP SO), /oauth2/token,
           /hooks/tacker/{hook}, /alerts; state in Redis; Ctrl-C stops it. A non-loopback
           --host needs "auth" in the config, or --insecure to serve it unauthenticated
  onboard  validate a CSAR (snf package build) and copy it into the config's packagesDir;
           prints its vnfdId. A running VNFM loads it at its next start
  openapi  print the OpenAPI document of the API`;

function opt(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

export const command: Command = {
  summary: 'SOL003 VNF manager adapter (serve, onboard, openapi)',
  async run(args) {
    const [sub, ...rest] = args;
    if (sub === 'openapi') {
      const s = productSchemas();
      console.log(JSON.stringify(rest[0] === 'v1' ? s.v1.doc : s.v2.doc, null, 1));
      return 0;
    }
    if (sub === 'onboard') return onboard(rest);
    if (sub !== 'serve') {
      console.error(USAGE);
      return 2;
    }
    const file = opt(rest, '--config');
    if (!file) {
      console.error(`snf vnfm serve: --config is required\n${USAGE}`);
      return 2;
    }
    const cfg = loadConfig(file);
    const port = opt(rest, '--port');
    if (port !== undefined) {
      if (!/^\d+$/.test(port) || Number(port) > 65535) {
        console.error('snf vnfm serve: --port must be 0..65535');
        return 2;
      }
      cfg.port = Number(port);
    }
    const host = opt(rest, '--host');
    if (host !== undefined && (host === '' || host.startsWith('-'))) {
      console.error(echo`snf vnfm serve: --host: expected an address or host name, got '${host}'`);
      return 2;
    }
    cfg.host = host ?? cfg.host;
    cfg.redis = opt(rest, '--redis') ?? cfg.redis;
    const insecure = rest.includes('--insecure');
    // Decided before anything starts: a refused exposure connects to nothing and listens nowhere.
    const exposure = await checkExposure({ host: cfg.host, authEnabled: new Authenticator(cfg.auth).enabled, tls: !!cfg.tls, insecure });
    if (!exposure.allowed) {
      console.error(`snf vnfm serve: ${exposure.reason}`);
      return 1;
    }
    const log = (m: string) => console.error(m);
    for (const w of exposure.warnings) log(`snf vnfm: ${w}`);
    // Caught from here on: a SIGTERM that arrives while the live view is still being mounted
    // (its store connection takes a while on a loaded box) must stop us cleanly, not kill us.
    const stopped = new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    const vnfm = await startVnfm({ ...cfg, log });
    const open = exposure.unauthenticated ? ' WITHOUT AUTHENTICATION (--insecure)' : '';
    console.log(`snf vnfm: listening on ${vnfm.url}${open} (SOL003 at ${vnfm.url}/vnflcm/v2, ONAP SO at ${vnfm.url}/vnflcm/v1)`);
    const view = await mountLiveView(vnfm, { store: cfg.store ?? cfg.redis, log }).catch((e: Error) => void log(`snf vnfm: live view not served: ${e.message}`));
    if (view) console.log(`snf vnfm: live view at ${vnfm.url}/view/ (same credentials as the API)`);
    if (vnfm.recovered.length) console.log(`snf vnfm: ${vnfm.recovered.length} operation(s) found running at start are now FAILED_TEMP: ${vnfm.recovered.join(', ')}`);
    await stopped;
    await view?.close();
    await vnfm.close();
    return 0;
  },
};

/** Validates first, writes only a package that passed: a refused one changes nothing. */
async function onboard(args: string[]): Promise<number> {
  const file = opt(args, '--config');
  const csar = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--config');
  if (!file || !csar) {
    console.error(`snf vnfm onboard: ${!csar ? 'CSAR (the package file) is required' : '--config is required'}\n${USAGE}`);
    return 2;
  }
  let dir: string | undefined;
  try {
    dir = packagesDirOf(file);
  } catch (err) {
    console.error(`snf vnfm onboard: --config: ${(err as Error).message}`);
    return 2;
  }
  if (!dir) {
    console.error(echo`snf vnfm onboard: ${file}: "packagesDir" is not set (the folder the VNFM loads packages from)`);
    return 2;
  }
  let buf: Buffer;
  try {
    buf = await readFile(csar);
  } catch (err) {
    console.error(`snf vnfm onboard: CSAR: ${(err as Error).message}`);
    return 1;
  }
  try {
    const vnfd = await vnfdFromPackage(buf, csar);
    const target = await storePackage(dir, vnfd.vnfdId, buf);
    console.error(`snf vnfm onboard: ${vnfd.vnfProductName} ${vnfd.vnfSoftwareVersion} (flavours ${Object.keys(vnfd.flavours).join(', ')}) stored as ${target}; a running VNFM loads it at its next start`);
    console.log(vnfd.vnfdId);
    return 0;
  } catch (err) {
    if (err instanceof PackageRefused) {
      console.error(`snf vnfm onboard: ${csar}: package refused:\n${err.reasons.map((r) => `  - ${r}`).join('\n')}`);
      return 1;
    }
    throw err;
  }
}
