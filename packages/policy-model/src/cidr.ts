import * as ipaddr from 'ipaddr.js';
import { label, LabelSource, type Label } from './labels';

/** An IP prefix in canonical form (host bits cleared). */
export interface Prefix {
  readonly family: 4 | 6;
  readonly address: bigint;
  readonly length: number;
}

function familyBits(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

function maskOf(family: 4 | 6, length: number): bigint {
  const bits = BigInt(familyBits(family));
  if (length === 0) return 0n;
  return ((1n << BigInt(length)) - 1n) << (bits - BigInt(length));
}

function toBigInt(bytes: readonly number[]): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

function toBytes(value: bigint, count: number): number[] {
  const out = new Array<number>(count);
  for (let i = count - 1; i >= 0; i--) {
    out[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return out;
}

export function makePrefix(family: 4 | 6, address: bigint, length: number): Prefix {
  return { family, address: address & maskOf(family, length), length };
}

/** Parses an IP address (`10.0.0.1`, `2001:db8::1`); IPv4-mapped IPv6 stays IPv6. */
export function parseIp(text: string): { family: 4 | 6; address: bigint } | undefined {
  if (!ipaddr.isValid(text)) return undefined;
  if (ipaddr.IPv4.isValid(text) && !ipaddr.IPv4.isValidFourPartDecimal(text)) return undefined;
  const addr = ipaddr.parse(text);
  return addr.kind() === 'ipv4'
    ? { family: 4, address: toBigInt(addr.toByteArray()) }
    : { family: 6, address: toBigInt(addr.toByteArray()) };
}

/**
 * Parses `ADDR/LEN`, or a bare address as a host prefix (/32, /128), clearing
 * host bits as Go's net.ParseCIDR does. Undefined when it is not a prefix.
 */
export function parsePrefix(text: string): Prefix | undefined {
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!ip) return undefined;
  const max = familyBits(ip.family);
  if (slash < 0) return makePrefix(ip.family, ip.address, max);
  const lenText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText)) return undefined;
  const length = Number(lenText);
  if (length > max) return undefined;
  return makePrefix(ip.family, ip.address, length);
}

export function formatIp(family: 4 | 6, address: bigint): string {
  const bytes = toBytes(address, family === 4 ? 4 : 16);
  return ipaddr.fromByteArray(bytes).toString();
}

export function formatPrefix(p: Prefix): string {
  return `${formatIp(p.family, p.address)}/${p.length}`;
}

export function prefixContains(outer: Prefix, inner: Prefix): boolean {
  return (
    outer.family === inner.family &&
    outer.length <= inner.length &&
    (inner.address & maskOf(outer.family, outer.length)) === outer.address
  );
}

export function prefixContainsIp(p: Prefix, family: 4 | 6, address: bigint): boolean {
  return p.family === family && (address & maskOf(family, p.length)) === p.address;
}

export function comparePrefixes(a: Prefix, b: Prefix): number {
  if (a.family !== b.family) return a.family - b.family;
  if (a.address !== b.address) return a.address < b.address ? -1 : 1;
  return a.length - b.length;
}

/** `allow` minus `except`: the prefixes covering what remains (Cilium's ip.removeCIDR). */
function removePrefix(allow: Prefix, except: Prefix): Prefix[] {
  if (!prefixContains(allow, except)) return [allow];
  const out: Prefix[] = [];
  let current = allow;
  const bits = BigInt(familyBits(allow.family));
  while (current.length < except.length) {
    const childLength = current.length + 1;
    const bit = 1n << (bits - BigInt(childLength));
    const low = makePrefix(current.family, current.address, childLength);
    const high = makePrefix(current.family, current.address | bit, childLength);
    if (prefixContains(low, except)) {
      out.push(high);
      current = low;
    } else {
      out.push(low);
      current = high;
    }
  }
  return out;
}

/**
 * The allowed prefix minus every except (Cilium's `ComputeResultantCIDRSet` for
 * one CIDRRule), sorted.
 */
export function subtractPrefixes(allow: Prefix, excepts: readonly Prefix[]): Prefix[] {
  let current = [allow];
  for (const except of excepts) {
    const next: Prefix[] = [];
    for (const p of current) {
      if (prefixContains(except, p)) continue;
      next.push(...removePrefix(p, except));
    }
    current = next;
  }
  return current.sort(comparePrefixes);
}

/**
 * The `cidr:` label text of a prefix. IPv6 colons become dashes and a leading or
 * trailing dash gets a zero, since selector keys cannot start or end with one.
 */
export function cidrLabelKey(p: Prefix): string {
  let ip = formatIp(p.family, p.address);
  if (p.family === 6) {
    ip = ip.replace(/:/g, '-');
    if (ip.startsWith('-')) ip = `0${ip}`;
    if (ip.endsWith('-')) ip = `${ip}0`;
  }
  return `${ip}/${p.length}`;
}

export function cidrLabel(p: Prefix): Label {
  return label(LabelSource.cidr, cidrLabelKey(p));
}

/**
 * The labels of a CIDR identity (Cilium's `GetCIDRLabels`): `cidr:` for every
 * enclosing prefix from /0 to its own length, plus `reserved:world`. A /0 is
 * only `reserved:world`.
 */
export function cidrIdentityLabels(p: Prefix): Label[] {
  const out: Label[] = [];
  if (p.length > 0) {
    for (let len = 0; len <= p.length; len++) out.push(cidrLabel(makePrefix(p.family, p.address, len)));
  }
  out.push(label(LabelSource.reserved, 'world'));
  return out;
}
