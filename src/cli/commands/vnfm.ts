// `snf vnfm serve`: the SOL003 VNF manager adapter (see docs/vnfm.md); `snf vnfm openapi`
// prints the API document it serves.
import type { Command } from '../main.js';
import { loadConfig } from '../../vnfm/config.js';
import { startVnfm } from '../../vnfm/app.js';
import { productSchemas } from '../../vnfm/schema.js';
import { mountLiveView } from '../../liveview/vnfm-mount.js';

const USAGE = `usage: snf vnfm serve --config FILE [--port N] [--host ADDR] [--redis HOST:PORT]
       snf vnfm openapi [v2|v1]
  serve    run the VNFM: /vnflcm/v2 (SOL003 v3.3.1), /vnflcm/v1 (ONAP SO), /oauth2/token,
           /hooks/tacker/{hook}, /alerts; state in Redis; Ctrl-C stops it
  openapi  print the OpenAPI document of the API`;

function opt(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

export const command: Command = {
  summary: 'SOL003 VNF manager adapter (serve, openapi)',
  async run(args) {
    const [sub, ...rest] = args;
    if (sub === 'openapi') {
      const s = productSchemas();
      console.log(JSON.stringify(rest[0] === 'v1' ? s.v1.doc : s.v2.doc, null, 1));
      return 0;
    }
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
    cfg.host = opt(rest, '--host') ?? cfg.host;
    cfg.redis = opt(rest, '--redis') ?? cfg.redis;
    const vnfm = await startVnfm({ ...cfg, log: (m) => console.error(m) });
    console.log(`snf vnfm: listening on ${vnfm.url} (SOL003 at ${vnfm.url}/vnflcm/v2, ONAP SO at ${vnfm.url}/vnflcm/v1)`);
    const view = await mountLiveView(vnfm, { store: cfg.store ?? cfg.redis, log: (m) => console.error(m) }).catch((e: Error) => void console.error(`snf vnfm: live view not served: ${e.message}`));
    if (view) console.log(`snf vnfm: live view at ${vnfm.url}/view/ (same credentials as the API)`);
    if (vnfm.recovered.length) console.log(`snf vnfm: ${vnfm.recovered.length} operation(s) found running at start are now FAILED_TEMP: ${vnfm.recovered.join(', ')}`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await view?.close();
    await vnfm.close();
    return 0;
  },
};
