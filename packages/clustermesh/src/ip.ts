import { isIPv4, isIPv6 } from 'node:net';

/**
 * IP addresses written as Go's net.IP.String() writes them, since they appear
 * in kvstore keys and values: dotted IPv4 (also for IPv4-mapped IPv6), and
 * RFC 5952 IPv6 (lower case, the longest run of zero groups compressed).
 */
// Dotted quad without leading zeros (Go rejects them as ambiguous octal).
const STRICT_IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

export function canonicalIp(text: string): string | undefined {
  if (STRICT_IPV4.test(text)) return text;
  if (isIPv4(text)) return undefined;
  if (!isIPv6(text) || text.includes('%')) return undefined;
  // The WHATWG URL parser serialises IPv6 hosts exactly as RFC 5952 asks.
  const host = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (mapped) {
    const hi = parseInt(mapped[1]!, 16);
    const lo = parseInt(mapped[2]!, 16);
    return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
  }
  return host;
}

export function ipFamily(ip: string): 4 | 6 {
  return ip.includes(':') ? 6 : 4;
}

/** `IP:PORT`, with IPv6 in brackets. */
export function hostPort(ip: string, port: number): string {
  return ipFamily(ip) === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** A parsed CIDR: the network address (host bits cleared, as Go's ParseCIDR returns it) and prefix length. */
export interface Cidr {
  readonly ip: string;
  readonly prefixLength: number;
  readonly family: 4 | 6;
}

export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = canonicalIp(text.slice(0, slash));
  const lengthText = text.slice(slash + 1);
  if (ip === undefined || !/^\d{1,3}$/.test(lengthText)) return undefined;
  const family = ipFamily(ip);
  const prefixLength = Number(lengthText);
  if (prefixLength > (family === 4 ? 32 : 128)) return undefined;
  const bytes = ipBytes(ip);
  const mask = maskBytes(prefixLength, family);
  const network = bytes.map((b, i) => b & (mask[i] ?? 0));
  return { ip: bytesToIp(network, family), prefixLength, family };
}

/** The netmask of a prefix length as bytes (4 for IPv4, 16 for IPv6), as Go's net.IPMask holds it. */
export function maskBytes(prefixLength: number, family: 4 | 6): Uint8Array {
  const mask = new Uint8Array(family === 4 ? 4 : 16);
  for (let i = 0; i < mask.length; i++) {
    const bits = Math.max(0, Math.min(8, prefixLength - i * 8));
    mask[i] = (0xff << (8 - bits)) & 0xff;
  }
  return mask;
}

/** The prefix length of a contiguous netmask, or undefined when it is not contiguous. */
export function prefixLengthOfMask(mask: Uint8Array): number | undefined {
  let length = 0;
  let ended = false;
  for (const byte of mask) {
    for (let bit = 7; bit >= 0; bit--) {
      const set = (byte >> bit) & 1;
      if (set && ended) return undefined;
      if (set) length++;
      else ended = true;
    }
  }
  return length;
}

export function ipBytes(ip: string): Uint8Array {
  if (ipFamily(ip) === 4) return Uint8Array.from(ip.split('.').map(Number));
  const [head = '', tail = ''] = expandEmbeddedV4(ip).split('::') as [string?, string?];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = ip.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const zeros = ip.includes('::') ? 8 - headGroups.length - tailGroups.length : 0;
  const groups = [...headGroups, ...Array<string>(zeros).fill('0'), ...tailGroups];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    const value = parseInt(g, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  });
  return bytes;
}

function expandEmbeddedV4(ip: string): string {
  const match = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (!match) return ip;
  const [a, b, c, d] = match[2]!.split('.').map(Number) as [number, number, number, number];
  return `${match[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

export function bytesToIp(bytes: readonly number[] | Uint8Array, family: 4 | 6): string {
  const list = [...bytes];
  if (family === 4) return list.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((list[i] ?? 0) << 8) | (list[i + 1] ?? 0)).toString(16));
  return canonicalIp(groups.join(':')) ?? groups.join(':');
}

/** Orders IPs numerically, IPv4 before IPv6. */
export function compareIps(a: string, b: string): number {
  const fa = ipFamily(a);
  const fb = ipFamily(b);
  if (fa !== fb) return fa - fb;
  if (fa === 4) return ipv4Number(a) - ipv4Number(b);
  return Buffer.compare(Buffer.from(ipBytes(a)), Buffer.from(ipBytes(b)));
}

function ipv4Number(ip: string): number {
  let n = 0;
  let octet = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      n = n * 256 + octet;
      octet = 0;
    } else octet = octet * 10 + (c - 48);
  }
  return n * 256 + octet;
}
