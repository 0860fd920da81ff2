/**
 * Layouts of C structs as plain data: every field with its byte offset, width,
 * byte order and, for bitfields, the bit position. The codecs are driven by
 * these descriptions, and the layout test compares them with the BTF that clang
 * emits for the same structs, so a layout cannot drift from C unnoticed.
 */

/** `host` is the CPU's order (the BPF target's on this host); `network` is big-endian. */
export type ByteOrder = 'host' | 'network';

export type ScalarType =
  | { readonly kind: 'uint'; readonly size: 1 | 2 | 4; readonly order: ByteOrder; readonly signed?: boolean }
  | { readonly kind: 'u64'; readonly order: ByteOrder }
  /** 4 bytes in network order, shown as dotted text. */
  | { readonly kind: 'ipv4' }
  /** 16 bytes, shown as RFC 5952 text. */
  | { readonly kind: 'ipv6' }
  /** Cilium's `mac_t`: a u64 whose first 6 bytes in memory are the address. */
  | { readonly kind: 'mac' };

export interface UnionCase {
  /** The value of the tag field that selects this case. */
  readonly when: number;
  /** The name the member has in decoded objects (the C member name). */
  readonly name: string;
  readonly type: ScalarType;
}

export type FieldType =
  | ScalarType
  /** A C bitfield inside a storage unit of `size` bytes (host order); bit 0 is the least significant. */
  | {
      readonly kind: 'bits';
      readonly size: 1 | 2 | 4;
      readonly bit: number;
      readonly width: number;
      /** Padding bits: written as zero and not decoded. */
      readonly padding?: boolean;
    }
  /** Bytes written as zero and not decoded. */
  | { readonly kind: 'pad'; readonly size: number }
  /** A C union whose member is chosen by another field of the struct (an address family, a flag). */
  | {
      readonly kind: 'union';
      readonly size: number;
      readonly tag: string;
      readonly cases: readonly UnionCase[];
    };

export interface Field {
  /** The C member name. */
  readonly name: string;
  readonly offset: number;
  readonly type: FieldType;
  /** Other C members at the same place (untagged unions), listed for the layout check. */
  readonly aliases?: readonly string[];
}

export interface StructLayout {
  /** The C struct name, e.g. `policy_key`. */
  readonly name: string;
  readonly size: number;
  readonly fields: readonly Field[];
}

export function sizeOf(type: FieldType): number {
  switch (type.kind) {
    case 'uint':
    case 'bits':
      return type.size;
    case 'u64':
    case 'mac':
      return 8;
    case 'ipv4':
      return 4;
    case 'ipv6':
      return 16;
    case 'pad':
    case 'union':
      return type.size;
  }
}

// Small constructors that keep the layout tables readable.
export const u8 = (name: string, offset: number): Field => ({
  name,
  offset,
  type: { kind: 'uint', size: 1, order: 'host' },
});
export const s8 = (name: string, offset: number): Field => ({
  name,
  offset,
  type: { kind: 'uint', size: 1, order: 'host', signed: true },
});
export const u16 = (name: string, offset: number, order: ByteOrder = 'host'): Field => ({
  name,
  offset,
  type: { kind: 'uint', size: 2, order },
});
export const be16 = (name: string, offset: number): Field => u16(name, offset, 'network');
export const u32 = (name: string, offset: number, order: ByteOrder = 'host'): Field => ({
  name,
  offset,
  type: { kind: 'uint', size: 4, order },
});
export const s32 = (name: string, offset: number): Field => ({
  name,
  offset,
  type: { kind: 'uint', size: 4, order: 'host', signed: true },
});
export const u64 = (name: string, offset: number, order: ByteOrder = 'host'): Field => ({
  name,
  offset,
  type: { kind: 'u64', order },
});
export const ipv4 = (name: string, offset: number): Field => ({ name, offset, type: { kind: 'ipv4' } });
/** A `union v6addr` holding an IPv6 address: 16 bytes in network order. */
export const ipv6 = (name: string, offset: number): Field => ({ name, offset, type: { kind: 'ipv6' } });
export const mac = (name: string, offset: number): Field => ({ name, offset, type: { kind: 'mac' } });
export const pad = (name: string, offset: number, size: number): Field => ({
  name,
  offset,
  type: { kind: 'pad', size },
});
export const bits = (name: string, offset: number, size: 1 | 2 | 4, bit: number, width: number): Field => ({
  name,
  offset,
  type: { kind: 'bits', size, bit, width },
});
export const padBits = (
  name: string,
  offset: number,
  size: 1 | 2 | 4,
  bit: number,
  width: number,
): Field => ({
  name,
  offset,
  type: { kind: 'bits', size, bit, width, padding: true },
});
export const withAliases = (field: Field, ...aliases: string[]): Field => ({ ...field, aliases });

/**
 * A 16-byte address union (`union v6addr` with an IPv4 view) selected by a
 * family field; `cMembers` names the union's C members (`ip4`, `ip6`).
 */
export function addressUnion(
  name: string,
  offset: number,
  tag: string,
  v4When: number,
  v6When: number,
  cMembers: readonly string[],
): Field {
  return {
    name,
    offset,
    aliases: cMembers,
    type: {
      kind: 'union',
      size: 16,
      tag,
      cases: [
        { when: v4When, name, type: { kind: 'ipv4' } },
        { when: v6When, name, type: { kind: 'ipv6' } },
      ],
    },
  };
}
