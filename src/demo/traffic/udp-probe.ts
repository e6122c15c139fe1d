// UDP through the NF: sends `count` datagrams to --target and reports what came back.
//   udp-probe.ts --target 203.0.113.10:7001 --count 5
// Prints {"sent","echoed","refused"}: `refused` counts ICMP port-unreachable errors, which
// the kernel reports on a connected UDP socket as ECONNREFUSED.
import { createSocket } from 'node:dgram';

function arg(name: string, dflt?: string): string {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? process.argv[i + 1] : dflt;
  if (v === undefined) throw new Error(`missing ${name}`);
  return v;
}

async function main(): Promise<void> {
  const [host, port] = arg('--target').split(':');
  const count = Number(arg('--count', '5'));
  const gap = Number(arg('--gap', '100'));
  const s = createSocket('udp4');
  let echoed = 0;
  let refused = 0;
  const errors: string[] = [];
  s.on('message', () => echoed++);
  s.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'ECONNREFUSED') refused++;
    else errors.push(e.message);
  });
  await new Promise<void>((resolve) => s.connect(Number(port), host, () => resolve()));
  for (let i = 0; i < count; i++) {
    s.send(Buffer.from(`probe ${i}`), (e) => {
      if (e && (e as NodeJS.ErrnoException).code === 'ECONNREFUSED') refused++;
    });
    await new Promise((r) => setTimeout(r, gap));
  }
  await new Promise((r) => setTimeout(r, 300));
  console.log(JSON.stringify({ sent: count, echoed, refused, errors }));
  s.close();
}

main().catch((e: unknown) => {
  console.error(`udp-probe: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
