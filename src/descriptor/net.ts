// Address and prefix syntax checks the JSON Schema formats cannot express (CIDR lengths, host bits).
import { isIP } from 'node:net';

/** Returns why `text` is not a CIDR prefix, or undefined when it is one. */
export function prefixError(text: string): string | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return 'must be a prefix in CIDR notation (address/length)';
  const addr = text.slice(0, slash);
  const lenText = text.slice(slash + 1);
  const family = isIP(addr);
  if (family === 0) return `'${addr}' is not an IPv4 or IPv6 address`;
  if (!/^[0-9]{1,3}$/.test(lenText)) return `prefix length '${lenText}' is not a number`;
  const len = Number(lenText);
  const max = family === 4 ? 32 : 128;
  if (len > max) return `prefix length ${len} exceeds ${max} for IPv${family}`;
  return undefined;
}

export function ipFamily(addr: string): 4 | 6 | 0 {
  return isIP(addr) as 4 | 6 | 0;
}

/** `host:port` or `[v6]:port`; returns why it is not one, or undefined. */
export function endpointError(text: string): string | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:\s]+)):([0-9]{1,5})$/.exec(text);
  if (!m) return 'must be host:port';
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return `port ${port} is outside 1..65535`;
  if (m[1] !== undefined && isIP(m[1]) !== 6) return `'${m[1]}' is not an IPv6 address`;
  return undefined;
}

export function isPrime(n: number): boolean {
  if (n < 2 || !Number.isInteger(n)) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}
