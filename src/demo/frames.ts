// The few frames the demo sends: IPv4 TCP over Ethernet with correct checksums. Tests use
// their own independent builder (test/support/packets.ts) so they can check this code's peers.

function sum16(buf: Buffer, seed = 0): number {
  let s = seed;
  for (let i = 0; i + 1 < buf.length; i += 2) s += buf.readUInt16BE(i);
  if (buf.length & 1) s += buf[buf.length - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

function ip4(s: string): Buffer {
  return Buffer.from(s.split('.').map(Number));
}

export interface TcpSpec {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  flags: { syn?: boolean; ack?: boolean; fin?: boolean; rst?: boolean; psh?: boolean };
  seq: number;
  ack?: number;
  payload?: Buffer;
}

export function tcpFrame(t: TcpSpec): Buffer {
  const payload = t.payload ?? Buffer.alloc(0);
  const eth = Buffer.alloc(14);
  eth.writeUInt16BE(0x0800, 12);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(40 + payload.length, 2);
  ip[8] = 64;
  ip[9] = 6;
  ip4(t.src).copy(ip, 12);
  ip4(t.dst).copy(ip, 16);
  ip.writeUInt16BE(~sum16(ip) & 0xffff, 10);
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(t.sport, 0);
  tcp.writeUInt16BE(t.dport, 2);
  tcp.writeUInt32BE(t.seq >>> 0, 4);
  tcp.writeUInt32BE((t.ack ?? 0) >>> 0, 8);
  tcp[12] = 5 << 4;
  const f = t.flags;
  tcp[13] = (f.fin ? 1 : 0) | (f.syn ? 2 : 0) | (f.rst ? 4 : 0) | (f.psh ? 8 : 0) | (f.ack ? 16 : 0);
  tcp.writeUInt16BE(65535, 14);
  const pseudo = Buffer.concat([ip.subarray(12, 20), Buffer.from([0, 6]), Buffer.alloc(2)]);
  pseudo.writeUInt16BE(20 + payload.length, 10);
  tcp.writeUInt16BE(~sum16(Buffer.concat([tcp, payload]), sum16(pseudo)) & 0xffff, 16);
  return Buffer.concat([eth, ip, tcp, payload]);
}

export interface TcpView {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
}

export function readTcp(frame: Buffer): TcpView {
  const ip = frame.subarray(14);
  const tcp = ip.subarray((ip[0] & 0x0f) * 4);
  return {
    src: [...ip.subarray(12, 16)].join('.'),
    dst: [...ip.subarray(16, 20)].join('.'),
    sport: tcp.readUInt16BE(0),
    dport: tcp.readUInt16BE(2),
    seq: tcp.readUInt32BE(4),
    ack: tcp.readUInt32BE(8),
  };
}
