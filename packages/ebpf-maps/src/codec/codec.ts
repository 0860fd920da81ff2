import { endianness } from 'node:os';
import type { Issue } from '@ciliary/core';
import { CodecError } from '../errors';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../ip';
import {
  sizeOf,
  type ByteOrder,
  type Field,
  type FieldType,
  type ScalarType,
  type StructLayout,
  type UnionCase,
} from './layout';

/** Encodes values of one C type to its exact bytes and back. */
export interface Codec<T> {
  /** The C type name. */
  readonly name: string;
  readonly size: number;
  /** The bytes of `value`; throws a {@link CodecError} listing every field that does not fit. */
  encode(value: T): Uint8Array;
  encodeInto(value: T, target: Uint8Array, offset: number): void;
  /** Decodes exactly `size` bytes; throws a {@link CodecError} for any other length or undecodable content. */
  decode(bytes: Uint8Array): T;
  /** Decodes `size` bytes at `offset` of a larger buffer (batches, per-CPU values, event records). */
  decodeAt(bytes: Uint8Array, offset: number): T;
}

export interface StructCodec<T> extends Codec<T> {
  readonly layout: StructLayout;
}

/** True on the little-endian hosts Cilium runs on (x86_64, arm64): `host` fields are little-endian there. */
const hostLittleEndian = endianness() === 'LE';

function littleEndian(order: ByteOrder): boolean {
  return order === 'host' ? hostLittleEndian : false;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

type Problems = Issue[];

function problem(problems: Problems, path: string, message: string): void {
  problems.push({ path, message });
}

function checkInteger(value: unknown, min: number, max: number, path: string, problems: Problems): number {
  if (typeof value === 'bigint' && value >= BigInt(min) && value <= BigInt(max)) return Number(value);
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    problem(problems, path, `expected an integer, got ${describe(value)}`);
    return 0;
  }
  if (value < min || value > max) {
    problem(problems, path, `${value} is out of range ${min}..${max}`);
    return 0;
  }
  return value;
}

const U64_MAX = (1n << 64n) - 1n;

function checkU64(value: unknown, path: string, problems: Problems): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value !== 'bigint') {
    problem(problems, path, `expected a bigint (u64), got ${describe(value)}`);
    return 0n;
  }
  if (value < 0n || value > U64_MAX) {
    problem(problems, path, `${value} is out of range 0..2^64-1`);
    return 0n;
  }
  return value;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  return `${typeof value} ${String(value)}`;
}

function writeScalar(
  type: ScalarType,
  value: unknown,
  dv: DataView,
  bytes: Uint8Array,
  at: number,
  path: string,
  problems: Problems,
): void {
  switch (type.kind) {
    case 'uint': {
      const bitsWide = type.size * 8;
      const min = type.signed ? -(2 ** (bitsWide - 1)) : 0;
      const max = type.signed ? 2 ** (bitsWide - 1) - 1 : 2 ** bitsWide - 1;
      const n = checkInteger(value, min, max, path, problems);
      const le = littleEndian(type.order);
      if (type.size === 1) dv.setUint8(at, n & 0xff);
      else if (type.size === 2) dv.setUint16(at, n & 0xffff, le);
      else dv.setUint32(at, n >>> 0, le);
      return;
    }
    case 'u64':
      dv.setBigUint64(at, checkU64(value, path, problems), littleEndian(type.order));
      return;
    case 'ipv4': {
      const parsed = typeof value === 'string' ? parseIPv4(value) : undefined;
      if (parsed === undefined) problem(problems, path, `expected an IPv4 address, got ${describe(value)}`);
      else bytes.set(parsed, at);
      return;
    }
    case 'ipv6': {
      const parsed = typeof value === 'string' ? parseIPv6(value) : undefined;
      if (parsed === undefined) problem(problems, path, `expected an IPv6 address, got ${describe(value)}`);
      else bytes.set(parsed, at);
      return;
    }
    case 'mac': {
      const parsed = typeof value === 'string' ? parseMac(value) : undefined;
      if (parsed === undefined)
        problem(problems, path, `expected a MAC address aa:bb:cc:dd:ee:ff, got ${describe(value)}`);
      else bytes.set(parsed, at);
      return;
    }
  }
}

function readScalar(type: ScalarType, dv: DataView, bytes: Uint8Array, at: number): unknown {
  switch (type.kind) {
    case 'uint': {
      const le = littleEndian(type.order);
      if (type.size === 1) return type.signed ? dv.getInt8(at) : dv.getUint8(at);
      if (type.size === 2) return type.signed ? dv.getInt16(at, le) : dv.getUint16(at, le);
      return type.signed ? dv.getInt32(at, le) : dv.getUint32(at, le);
    }
    case 'u64':
      return dv.getBigUint64(at, littleEndian(type.order));
    case 'ipv4':
      return formatIPv4(bytes, at);
    case 'ipv6':
      return formatIPv6(bytes, at);
    case 'mac':
      return formatMac(bytes, at);
  }
}

function parseMac(text: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(text)) return undefined;
  return Uint8Array.from(text.split(':').map((h) => parseInt(h, 16)));
}

function formatMac(bytes: Uint8Array, at: number): string {
  return Array.from(bytes.subarray(at, at + 6), (b) => b.toString(16).padStart(2, '0')).join(':');
}

function readStorage(dv: DataView, at: number, size: 1 | 2 | 4): number {
  if (size === 1) return dv.getUint8(at);
  if (size === 2) return dv.getUint16(at, hostLittleEndian);
  return dv.getUint32(at, hostLittleEndian);
}

function writeStorage(dv: DataView, at: number, size: 1 | 2 | 4, value: number): void {
  if (size === 1) dv.setUint8(at, value);
  else if (size === 2) dv.setUint16(at, value, hostLittleEndian);
  else dv.setUint32(at, value >>> 0, hostLittleEndian);
}

type FieldEncoder = (
  record: Record<string, unknown>,
  dv: DataView,
  bytes: Uint8Array,
  base: number,
  problems: Problems,
) => void;
type FieldDecoder = (out: Record<string, unknown>, dv: DataView, bytes: Uint8Array, base: number) => void;

/** A fast path for plain integers, the bulk of every struct; everything else goes through writeScalar. */
function integerEncoder(
  name: string,
  offset: number,
  type: Extract<ScalarType, { kind: 'uint' }>,
): FieldEncoder {
  const bitsWide = type.size * 8;
  const min = type.signed ? -(2 ** (bitsWide - 1)) : 0;
  const max = type.signed ? 2 ** (bitsWide - 1) - 1 : 2 ** bitsWide - 1;
  const le = littleEndian(type.order);
  const path = `/${name}`;
  return (record, dv, _bytes, base, problems) => {
    const value = record[name];
    const n =
      typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
        ? value
        : checkInteger(value, min, max, path, problems);
    if (type.size === 1) dv.setUint8(base + offset, n & 0xff);
    else if (type.size === 2) dv.setUint16(base + offset, n & 0xffff, le);
    else dv.setUint32(base + offset, n >>> 0, le);
  };
}

function integerDecoder(
  name: string,
  offset: number,
  type: Extract<ScalarType, { kind: 'uint' }>,
): FieldDecoder {
  const le = littleEndian(type.order);
  if (type.size === 1)
    return type.signed
      ? (out, dv, _b, base) => void (out[name] = dv.getInt8(base + offset))
      : (out, dv, _b, base) => void (out[name] = dv.getUint8(base + offset));
  if (type.size === 2)
    return type.signed
      ? (out, dv, _b, base) => void (out[name] = dv.getInt16(base + offset, le))
      : (out, dv, _b, base) => void (out[name] = dv.getUint16(base + offset, le));
  return type.signed
    ? (out, dv, _b, base) => void (out[name] = dv.getInt32(base + offset, le))
    : (out, dv, _b, base) => void (out[name] = dv.getUint32(base + offset, le));
}

function unionCase(type: Extract<FieldType, { kind: 'union' }>, tag: unknown): UnionCase | undefined {
  return type.cases.find((c) => c.when === tag);
}

/** Builds the field's encoder once per codec, so encoding does no dispatch on the field's kind. */
function fieldEncoder(field: Field): FieldEncoder | undefined {
  const type = field.type;
  const offset = field.offset;
  const path = `/${field.name}`;
  switch (type.kind) {
    case 'pad':
      return undefined;
    case 'bits': {
      if (type.padding) return undefined;
      const width = type.width;
      const mask = ((2 ** width - 1) * 2 ** type.bit) >>> 0;
      const shift = type.bit;
      return (record, dv, _bytes, base, problems) => {
        const n = checkInteger(record[field.name], 0, 2 ** width - 1, path, problems);
        const current = readStorage(dv, base + offset, type.size);
        writeStorage(dv, base + offset, type.size, ((current & ~mask) | (n << shift)) >>> 0);
      };
    }
    case 'union': {
      const allowed = type.cases.map((c) => c.when).join(' or ');
      return (record, dv, bytes, base, problems) => {
        const tag = record[type.tag];
        const chosen = unionCase(type, tag);
        if (chosen === undefined) {
          problem(
            problems,
            `/${type.tag}`,
            `selects no member of ${field.name}: expected ${allowed}, got ${describe(tag)}`,
          );
          return;
        }
        writeScalar(chosen.type, record[chosen.name], dv, bytes, base + offset, `/${chosen.name}`, problems);
      };
    }
    case 'uint':
      return integerEncoder(field.name, offset, type);
    default:
      return (record, dv, bytes, base, problems) =>
        writeScalar(type, record[field.name], dv, bytes, base + offset, path, problems);
  }
}

function fieldDecoder(field: Field, struct: string): FieldDecoder | undefined {
  const type = field.type;
  const offset = field.offset;
  switch (type.kind) {
    case 'pad':
      return undefined;
    case 'bits': {
      if (type.padding) return undefined;
      const mask = 2 ** type.width - 1;
      const shift = type.bit;
      return (out, dv, _bytes, base) =>
        void (out[field.name] = (readStorage(dv, base + offset, type.size) >>> shift) & mask);
    }
    case 'union': {
      const allowed = type.cases.map((c) => c.when).join(' or ');
      return (out, dv, bytes, base) => {
        const tag = out[type.tag];
        const chosen = unionCase(type, tag);
        if (chosen === undefined)
          throw new CodecError(
            struct,
            `/${type.tag}`,
            `${String(tag)} selects no member of ${field.name} (expected ${allowed})`,
          );
        out[chosen.name] = readScalar(chosen.type, dv, bytes, base + offset);
      };
    }
    case 'uint':
      return integerDecoder(field.name, offset, type);
    default:
      return (out, dv, bytes, base) => void (out[field.name] = readScalar(type, dv, bytes, base + offset));
  }
}

/** A codec for a C struct described by `layout`. Decoded objects use the C member names. */
export function structCodec<T>(layout: StructLayout): StructCodec<T> {
  for (const field of layout.fields) {
    if (field.offset + sizeOf(field.type) > layout.size)
      throw new Error(`layout ${layout.name}: ${field.name} ends beyond the struct's ${layout.size} bytes`);
  }
  const present = <F>(f: F | undefined): f is F => f !== undefined;
  const encoders = layout.fields.map(fieldEncoder).filter(present);
  // Unions read their tag, so they are decoded after every plain field.
  const ordered = [
    ...layout.fields.filter((f) => f.type.kind !== 'union'),
    ...layout.fields.filter((f) => f.type.kind === 'union'),
  ];
  const decoders = ordered.map((f) => fieldDecoder(f, layout.name)).filter(present);
  const encodeInto = (value: T, target: Uint8Array, offset: number): void => {
    if (typeof value !== 'object' || value === null)
      throw new CodecError(layout.name, '', `expected an object, got ${describe(value)}`);
    const record = value as Record<string, unknown>;
    const dv = view(target);
    target.fill(0, offset, offset + layout.size);
    const problems: Problems = [];
    for (const encode of encoders) encode(record, dv, target, offset, problems);
    if (problems.length > 0) throw codecErrorFrom(layout.name, problems);
  };
  const decodeAt = (bytes: Uint8Array, offset: number): T => {
    if (!(bytes instanceof Uint8Array))
      throw new CodecError(layout.name, '', `expected bytes, got ${describe(bytes)}`);
    if (offset < 0 || bytes.length - offset < layout.size)
      throw new CodecError(
        layout.name,
        '',
        `needs ${layout.size} bytes, got ${Math.max(0, bytes.length - offset)}`,
      );
    const dv = view(bytes);
    const out: Record<string, unknown> = {};
    for (const decode of decoders) decode(out, dv, bytes, offset);
    return out as T;
  };
  return {
    name: layout.name,
    size: layout.size,
    layout,
    encodeInto,
    encode(value) {
      const out = new Uint8Array(layout.size);
      encodeInto(value, out, 0);
      return out;
    },
    decodeAt,
    decode(bytes) {
      if (bytes instanceof Uint8Array && bytes.length !== layout.size)
        throw new CodecError(layout.name, '', `needs exactly ${layout.size} bytes, got ${bytes.length}`);
      return decodeAt(bytes, 0);
    },
  };
}

function codecErrorFrom(struct: string, problems: Problems): CodecError {
  const first = problems[0] as Issue;
  if (problems.length === 1) return new CodecError(struct, first.path, first.message, { issues: problems });
  const message = problems.map((p) => `${p.path}: ${p.message}`).join('; ');
  return new CodecError(struct, '', message, { issues: problems });
}

/** A codec for a single scalar key or value (`__u32 backend_id`, `__be16 rev_nat_index`). */
export function scalarCodec(name: string, type: ScalarType): Codec<unknown> {
  const layout: StructLayout = { name, size: sizeOf(type), fields: [{ name: 'value', offset: 0, type }] };
  const inner = structCodec<{ value: unknown }>(layout);
  return {
    name,
    size: layout.size,
    encode: (value) => inner.encode({ value }),
    encodeInto: (value, target, offset) => inner.encodeInto({ value }, target, offset),
    decode: (bytes) => inner.decode(bytes).value,
    decodeAt: (bytes, offset) => inner.decodeAt(bytes, offset).value,
  };
}

export const u32Codec = scalarCodec('__u32', { kind: 'uint', size: 4, order: 'host' }) as Codec<number>;
export const u8Codec = scalarCodec('__u8', { kind: 'uint', size: 1, order: 'host' }) as Codec<number>;
export const be16Codec = scalarCodec('__be16', { kind: 'uint', size: 2, order: 'network' }) as Codec<number>;

/** A fixed-length array of host-order u32 (the Maglev inner map's value, `__u32[M]`). */
export function u32ArrayCodec(length: number): Codec<number[]> {
  const size = length * 4;
  const name = `__u32[${length}]`;
  const decodeAt = (bytes: Uint8Array, offset: number): number[] => {
    if (bytes.length - offset < size)
      throw new CodecError(name, '', `needs ${size} bytes, got ${bytes.length - offset}`);
    const dv = view(bytes);
    return Array.from({ length }, (_, i) => dv.getUint32(offset + i * 4, hostLittleEndian));
  };
  const encodeInto = (value: number[], target: Uint8Array, offset: number): void => {
    if (!Array.isArray(value) || value.length !== length)
      throw new CodecError(name, '', `expected an array of ${length} numbers`);
    const dv = view(target);
    const problems: Problems = [];
    value.forEach((v, i) =>
      dv.setUint32(offset + i * 4, checkInteger(v, 0, 0xffffffff, `/${i}`, problems), hostLittleEndian),
    );
    if (problems.length > 0) throw codecErrorFrom(name, problems);
  };
  return {
    name,
    size,
    encodeInto,
    encode(value) {
      const out = new Uint8Array(size);
      encodeInto(value, out, 0);
      return out;
    },
    decodeAt,
    decode(bytes) {
      if (bytes.length !== size)
        throw new CodecError(name, '', `needs exactly ${size} bytes, got ${bytes.length}`);
      return decodeAt(bytes, 0);
    },
  };
}
