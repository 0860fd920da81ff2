import { isIPv4, isIPv6 } from 'node:net';

/** Parses a dotted IPv4 address into its 4 bytes; undefined when it is not one. */
export function parseIPv4(text: string): Uint8Array | undefined {
  if (!isIPv4(text)) return undefined;
  return Uint8Array.from(text.split('.').map(Number));
}

export function formatIPv4(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** Parses an IPv6 address (also `::ffff:1.2.3.4` forms) into its 16 bytes; undefined when it is not one. */
export function parseIPv6(text: string): Uint8Array | undefined {
  if (!isIPv6(text)) return undefined;
  let normalized = text;
  const lastColon = text.lastIndexOf(':');
  const v4 = parseIPv4(text.slice(lastColon + 1));
  if (v4 !== undefined) {
    const hi = (((v4[0] ?? 0) << 8) | (v4[1] ?? 0)).toString(16);
    const lo = (((v4[2] ?? 0) << 8) | (v4[3] ?? 0)).toString(16);
    normalized = `${text.slice(0, lastColon + 1)}${hi}:${lo}`;
  }
  const [left = '', right] = normalized.split('::');
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const leftGroups = groups(left);
  const words =
    right === undefined
      ? leftGroups
      : [
          ...leftGroups,
          ...new Array<string>(8 - leftGroups.length - groups(right).length).fill('0'),
          ...groups(right),
        ];
  const bytes = new Uint8Array(16);
  words.forEach((word, i) => {
    const value = parseInt(word, 16);
    bytes[2 * i] = value >> 8;
    bytes[2 * i + 1] = value & 0xff;
  });
  return bytes;
}

/** Formats 16 bytes as RFC 5952 text: lower case, longest run of zero groups (two or more) as `::`. */
export function formatIPv6(bytes: Uint8Array, offset = 0): string {
  const words = Array.from(
    { length: 8 },
    (_, i) => ((bytes[offset + 2 * i] ?? 0) << 8) | (bytes[offset + 2 * i + 1] ?? 0),
  );
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':');
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLength))}`;
}

export type IpFamily = 4 | 6;

export interface ParsedCidr {
  readonly family: IpFamily;
  /** The network address bytes (4 or 16), host bits cleared. */
  readonly address: Uint8Array;
  readonly prefixLength: number;
}

/** Parses `10.0.0.0/8`, `fd00::/64` or a bare address (full-length prefix). Host bits are cleared. */
export function parseCidr(text: string): ParsedCidr | undefined {
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const v4 = parseIPv4(addressText);
  const address = v4 ?? parseIPv6(addressText);
  if (address === undefined) return undefined;
  const bits = address.length * 8;
  const lengthText = slash < 0 ? String(bits) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lengthText)) return undefined;
  const prefixLength = Number(lengthText);
  if (prefixLength > bits) return undefined;
  return { family: v4 ? 4 : 6, address: maskBytes(address, prefixLength), prefixLength };
}

/** The bytes with every bit after the first `prefixLength` cleared. */
export function maskBytes(bytes: Uint8Array, prefixLength: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, prefixLength - i * 8));
    out[i] = (out[i] ?? 0) & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

/** Text of 4 (IPv4) or 16 (IPv6) address bytes. */
export function formatAddress(bytes: Uint8Array): string {
  return bytes.length === 4 ? formatIPv4(bytes) : formatIPv6(bytes);
}

export function formatCidr(cidr: ParsedCidr): string {
  return `${formatAddress(cidr.address)}/${cidr.prefixLength}`;
}
