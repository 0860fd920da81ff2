/**
 * An IPv4 address as an unsigned 32-bit number, or undefined when `text` is not
 * a dotted quad (four decimal parts 0-255 without leading zeros, as Node's `isIPv4`).
 */
export function ipv4ToNumber(text: string): number | undefined {
  let value = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46; // a final '.' closes the last part
    if (c === 46) {
      if (digits === 0 || part > 255) return undefined;
      value = value * 256 + part;
      parts++;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return undefined; // leading zero
      part = part * 10 + (c - 48);
      if (++digits > 3) return undefined;
    } else return undefined;
  }
  return parts === 4 ? value : undefined;
}

export function numberToIPv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

export interface Ipv4Cidr {
  /** The network address as a number, host bits cleared. */
  readonly network: number;
  readonly prefixLength: number;
  /** Canonical text: `10.0.0.0/8`. */
  readonly text: string;
}

/** Parses `a.b.c.d/n` (the slash is required, as Cilium's CRD pattern wants); host bits are cleared. */
export function parseIpv4Cidr(text: string): Ipv4Cidr | string {
  const slash = text.indexOf('/');
  if (slash < 0) return `${JSON.stringify(text)} is not a CIDR: the prefix length (/N) is missing`;
  const address = ipv4ToNumber(text.slice(0, slash));
  if (address === undefined) {
    const looksV6 = text.slice(0, slash).includes(':');
    return looksV6
      ? `${JSON.stringify(text)} is an IPv6 CIDR: the egress gateway handles IPv4 only`
      : `${JSON.stringify(text)} is not a CIDR: ${JSON.stringify(text.slice(0, slash))} is not an IPv4 address`;
  }
  const lengthText = text.slice(slash + 1);
  if (!/^\d{1,2}$/.test(lengthText) || Number(lengthText) > 32)
    return `${JSON.stringify(text)} is not a CIDR: the prefix length must be 0 to 32`;
  const prefixLength = Number(lengthText);
  const size = 2 ** (32 - prefixLength);
  const network = Math.floor(address / size) * size;
  return { network, prefixLength, text: `${numberToIPv4(network)}/${prefixLength}` };
}

/** Orders IPv4 addresses numerically. */
export function compareIpv4(a: string, b: string): number {
  return (ipv4ToNumber(a) ?? 0) - (ipv4ToNumber(b) ?? 0);
}

/** Orders IPv4 CIDRs by network address, then by prefix length. */
export function compareIpv4Cidr(a: string, b: string): number {
  const [addrA = '', lenA = '0'] = a.split('/');
  const [addrB = '', lenB = '0'] = b.split('/');
  return compareIpv4(addrA, addrB) || Number(lenA) - Number(lenB);
}

export const IPV4_ZERO = '0.0.0.0';
