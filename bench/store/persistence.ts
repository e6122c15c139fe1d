// What persistence costs the store: the same write load on a fresh redis-server per policy,
// side by side in one run. The data plane's writes are small SET-with-TTL and short scripts on
// new flows, pipelined per batch; redis-benchmark's pipelined SET of 64-byte values stands in.
//   node --import tsx bench/store/persistence.ts [--requests N] [--pipeline P] [--clients C]
import { execFileSync } from 'node:child_process';
import { startRedis } from '../../test/support/redis.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const requests = arg('requests', 200_000);
const pipeline = arg('pipeline', 16);
const clients = arg('clients', 4);

const policies: { name: string; args: string[] }[] = [
  { name: 'none (appendonly no)', args: ['--appendonly', 'no'] },
  { name: 'appendfsync no', args: ['--appendonly', 'yes', '--appendfsync', 'no'] },
  { name: 'appendfsync everysec', args: ['--appendonly', 'yes', '--appendfsync', 'everysec'] },
  { name: 'appendfsync always', args: ['--appendonly', 'yes', '--appendfsync', 'always'] },
];

function bench(port: number): { rps: number; p50: number; p99: number } {
  const out = execFileSync('redis-benchmark', ['-p', String(port), '-t', 'set', '-n', String(requests), '-P', String(pipeline), '-c', String(clients), '-d', '64', '-r', '100000', '--csv'], { encoding: 'utf8' });
  // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  const row = out.trim().split('\n').find((l) => l.startsWith('"SET"'));
  if (!row) throw new Error(`redis-benchmark: no SET row in ${out}`);
  const f = row.split(',').map((c) => c.replace(/"/g, ''));
  return { rps: Number(f[1]), p50: Number(f[4]), p99: Number(f[6]) };
}

const rows: string[] = [];
for (const p of policies) {
  const r = await startRedis({ args: p.args });
  try {
    bench(r.port); // warm-up: AOF file created, allocator warm
    const m = bench(r.port);
    rows.push(`| ${p.name} | ${Math.round(m.rps).toLocaleString('en-US')} | ${m.p50.toFixed(3)} | ${m.p99.toFixed(3)} |`);
  } finally {
    await r.stop();
  }
}
console.log(`SET, ${requests} requests, pipeline ${pipeline}, ${clients} clients, 64-byte values`);
console.log('| persistence | SET/s | p50 ms | p99 ms |\n| --- | ---: | ---: | ---: |');
console.log(rows.join('\n'));
