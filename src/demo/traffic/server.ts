// Echo server for the local deployment's server namespace: every TCP byte and UDP datagram is
// sent back as received, on each address:port given.
//   server.ts --tcp 203.0.113.10:7000,203.0.113.11:8080 --udp 203.0.113.10:7001
import { createServer, type Socket } from 'node:net';
import { createSocket } from 'node:dgram';

function endpoints(list: string | undefined): { host: string; port: number }[] {
  if (!list) return [];
  return list.split(',').map((e) => {
    const m = /^(.+):(\d+)$/.exec(e);
    if (!m) throw new Error(`expected host:port, got ${e}`);
    return { host: m[1], port: Number(m[2]) };
  });
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const sockets = new Set<Socket>();
  for (const { host, port } of endpoints(arg('--tcp'))) {
    const srv = createServer((s) => {
      sockets.add(s);
      // Who connected to which address: shows the NAT's translation and the LB's backend choice.
      console.log(JSON.stringify({ event: 'accepted', remote: s.remoteAddress, remotePort: s.remotePort, local: s.localAddress, localPort: s.localPort }));
      s.setNoDelay(true);
      s.on('data', (d) => s.write(d));
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen({ host, port, backlog: 1024 }, () => resolve());
    });
  }
  for (const { host, port } of endpoints(arg('--udp'))) {
    const u = createSocket('udp4');
    u.on('message', (msg, rinfo) => u.send(msg, rinfo.port, rinfo.address));
    u.on('error', () => undefined);
    await new Promise<void>((resolve) => u.bind(port, host, () => resolve()));
  }
  console.log(JSON.stringify({ event: 'listening', pid: process.pid }));
  const bye = () => {
    for (const s of sockets) s.destroy();
    process.exit(0);
  };
  process.once('SIGTERM', bye);
  process.once('SIGINT', bye);
}

main().catch((e: unknown) => {
  console.error(`server: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
