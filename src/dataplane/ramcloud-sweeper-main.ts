// The RAMCloud sweeper as a process: `node --import tsx ramcloud-sweeper-main.ts '<store json>'`.
// Started by the local deployment and by the coordinator VDU; stops on SIGTERM.
import { RamcloudSweeper } from './ramcloud-sweeper.js';
import type { RamcloudStoreConfig } from '../ramcloud/plugin-config.js';

function log(event: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ ts: new Date().toISOString(), event, ...fields }));
}

const arg = process.argv[2];
if (!arg) {
  console.error("usage: ramcloud-sweeper-main.ts '{\"kind\":\"ramcloud\",\"coordinator\":\"tcp:host=...,port=...\"}' [intervalMs]");
  process.exit(2);
}
let store: RamcloudStoreConfig;
try {
  store = JSON.parse(arg) as RamcloudStoreConfig;
  if (store.kind !== 'ramcloud') throw new Error('kind: must be ramcloud');
} catch (e) {
  console.error(`store: ${(e as Error).message}`);
  process.exit(2);
}
const intervalMs = Number(process.argv[3] ?? 1000);
const sweeper = new RamcloudSweeper(store, { intervalMs });
let lastError: string | undefined;
let lastDeleted = 0;
const report = setInterval(() => {
  const t = sweeper.totals;
  if (t.deleted !== lastDeleted) log('swept', { passes: t.passes, scanned: t.scanned, deleted: t.deleted });
  if (t.lastError !== lastError) log('error', { error: t.lastError });
  lastDeleted = t.deleted;
  lastError = t.lastError;
}, 5000);
sweeper.start();
log('started', { coordinator: store.coordinator, intervalMs });
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    clearInterval(report);
    void sweeper.stop().then(() => {
      log('stopped', { ...sweeper.totals });
      process.exit(0);
    });
  });
}
