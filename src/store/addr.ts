// Address and prefix syntax for control-table validation. Strict on purpose: what reaches the
// store is read by the C++ data plane, which should never have to guess what a string meant.

import { isIPv4, isIPv6 } from 'node:net';

export type Family = 4 | 6;

export function ipFamily(s: string): Family | undefined {
  if (isIPv4(s)) return 4;
  // Zone ids (fe80::1%eth0) are meaningless in a shared table.
  if (isIPv6(s) && !s.includes('%')) return 6;
  return undefined;
}

/** Address bytes (4 or 16), for ordering and host-bit checks. Assumes a valid address. */
export function ipBytes(s: string): Uint8Array {
  if (isIPv4(s)) return Uint8Array.from(s.split('.').map(Number));
  let text = s;
  const tail: number[] = [];
  const dotted = text.lastIndexOf(':');
  if (text.includes('.')) {
    tail.push(...text.slice(dotted + 1).split('.').map(Number));
    text = text.slice(0, dotted + 1) + '0:0';
  }
  const [head, rest] = text.includes('::') ? text.split('::') : [text, undefined];
  const hs = head ? head.split(':') : [];
  const rs = rest ? rest.split(':') : [];
  const groups = rest === undefined ? hs : [...hs, ...Array(8 - hs.length - rs.length).fill('0'), ...rs];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  if (tail.length) out.set(tail, 12);
  return out;
}

export function compareAddr(a: string, b: string): number {
  const x = ipBytes(a);
  const y = ipBytes(b);
  if (x.length !== y.length) return x.length - y.length;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

/** Returns an error message for a bad CIDR prefix, or undefined when it is fine. */
export function prefixError(s: string): string | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  if (!m) return `must be a CIDR prefix like 10.0.0.0/8 or 2001:db8::/32, got ${JSON.stringify(s)}`;
  const fam = ipFamily(m[1]);
  if (!fam) return `${JSON.stringify(m[1])} is not an IPv4 or IPv6 address`;
  const len = Number(m[2]);
  const max = fam === 4 ? 32 : 128;
  if (len > max) return `prefix length ${len} exceeds ${max}`;
  const b = ipBytes(m[1]);
  for (let bit = len; bit < max; bit++) {
    if (b[bit >> 3] & (0x80 >> (bit & 7))) return `host bits set in ${JSON.stringify(s)} beyond /${len}`;
  }
  return undefined;
}
