// The NF side of test/integration/io/dpdk.test.ts, run inside the NF's network namespace
// (`ip netns exec <ns> node --import tsx dpdk-nf.ts '<json>'`): opens a Dataplane with
// io.kind 'dpdk' and serves its counters over stdin/stdout, one JSON line per command.
// `restart` replaces the Dataplane by a new one in the same process. Exits when told `stop`,
// when stdin closes (the test died) or after `lifetimeMs`.
import { createInterface } from 'node:readline';
import { Dataplane } from '../../../src/dataplane/dataplane.js';

const arg = JSON.parse(process.argv[2] ?? '{}');
const say = (o: unknown) => process.stdout.write(JSON.stringify(o) + '\n');
let dp: Dataplane;
try {
  dp = new Dataplane(arg.engine, arg.io);
  dp.start();
} catch (e) {
  say({ error: (e as Error).message });
  process.exit(2);
}
say({ ready: true, pid: process.pid });
const bye = (code: number) => {
  try {
    dp.stop();
  } finally {
    process.exit(code);
  }
};
setTimeout(() => bye(3), arg.lifetimeMs ?? 60_000);
const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (line === 'counters') say({ counters: dp.counters() });
  else if (line === 'restart') {
    // A second Dataplane in the same process: EAL stays, the vdevs are unplugged and plugged again.
    try {
      dp.stop();
      dp = new Dataplane(arg.engine, arg.io);
      dp.start();
      say({ restarted: true });
    } catch (e) {
      say({ error: (e as Error).message });
    }
  }
  else if (line === 'stop') bye(0);
});
rl.on('close', () => bye(0));
