import { expect } from '@jest/globals';
import { parseIPv4, parseIPv6, type Field, type ScalarType, type StructLayout } from '../../src';

/**
 * How bpftool prints a field it formats with the C struct's BTF: integers as
 * host-order numbers (so network-order fields appear byte-swapped), bitfields
 * as hex strings, arrays as lists. Derived from the field's meaning, not from
 * the encoded bytes, so a codec that put bytes in the wrong order would differ.
 */
function scalarView(type: ScalarType, value: unknown): { name?: string; view: unknown } {
  switch (type.kind) {
    case 'uint': {
      const n = value as number;
      if (type.order === 'host' || type.size === 1) return { view: n };
      if (type.size === 2) return { view: ((n & 0xff) << 8) | (n >> 8) };
      return { view: Buffer.from(Uint32Array.of(n).buffer).readUInt32BE(0) };
    }
    case 'u64': {
      const n = value as bigint;
      return { view: Number(type.order === 'host' ? n : swap64(n)) };
    }
    case 'ipv4':
      return { view: Buffer.from(parseIPv4(value as string) ?? []).readUInt32LE(0) };
    case 'ipv6':
      return { name: 'addr', view: [...(parseIPv6(value as string) ?? [])] };
    case 'mac': {
      const bytes = Buffer.alloc(8);
      Buffer.from((value as string).split(':').map((h) => parseInt(h, 16))).copy(bytes);
      return { view: Number(bytes.readBigUInt64LE(0)) };
    }
  }
}

function swap64(n: bigint): bigint {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return b.readBigUInt64BE(0);
}

/**
 * The (C member names, bpftool value) pairs expected for a decoded value. A
 * field lists its union aliases too: bpftool prints two anonymous structs of a
 * union under the same "" key, and JSON keeps only the last.
 */
export function expectedView(
  layout: StructLayout,
  value: Record<string, unknown>,
): Array<[string[], unknown]> {
  const out: Array<[string[], unknown]> = [];
  for (const field of layout.fields as Field[]) {
    const type = field.type;
    if (type.kind === 'pad' || (type.kind === 'bits' && type.padding)) continue;
    if (type.kind === 'bits') out.push([[field.name], `0x${(value[field.name] as number).toString(16)}`]);
    else if (type.kind === 'union') {
      const chosen = type.cases.find((c) => c.when === value[type.tag]);
      if (!chosen) continue;
      const { name, view } = scalarView(chosen.type, value[chosen.name]);
      // Address unions print as `ip4` (the IPv4 view) or `addr` (inside `ip6`).
      const cName = name ?? field.aliases?.[0] ?? chosen.name;
      out.push([[cName], view]);
    } else if (type.kind === 'ipv6') {
      // A `union v6addr` member prints as an object: its u32 view under "" and its bytes under `addr`.
      out.push([
        [field.name, ...(field.aliases ?? [])],
        expect.objectContaining({ addr: scalarView(type, value[field.name]).view }),
      ]);
    } else out.push([[field.name, ...(field.aliases ?? [])], scalarView(type, value[field.name]).view]);
  }
  return out;
}

/** Flattens bpftool's formatted JSON: nested and anonymous ("") members, first occurrence of a name wins. */
export function flattenFormatted(formatted: unknown, out = new Map<string, unknown>()): Map<string, unknown> {
  if (formatted === null || typeof formatted !== 'object' || Array.isArray(formatted)) return out;
  for (const [name, value] of Object.entries(formatted)) {
    if (name !== '' && !out.has(name)) out.set(name, value);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) flattenFormatted(value, out);
  }
  return out;
}
