import { basename } from 'node:path';
import { Errno, mapErrorFor } from '../errors';
import { isPerCpu, mapTypeName, perCpuValueStride, type MapSpec } from '../spec';
import type { LookupBatchOptions, PackedEntries, RawEntry } from './types';

/** The size of a value buffer for a map: per-CPU maps hold one padded value per possible CPU. */
export function valueBufferSize(spec: MapSpec, possibleCpus: number): number {
  return isPerCpu(spec.type) ? perCpuValueStride(spec.valueSize) * possibleCpus : spec.valueSize;
}

/** Rejects a buffer of the wrong size before it reaches the kernel (which would read past it). */
export function checkSize(
  name: string,
  operation: string,
  what: string,
  bytes: Uint8Array,
  size: number,
): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== size)
    throw mapErrorFor(
      name,
      operation,
      Errno.EINVAL,
      `${what} must be ${size} bytes, got ${bytes?.length ?? 'none'}`,
    );
}

/**
 * Rejects a packed batch whose buffers do not hold exactly `count` elements of
 * their size (the kernel would read `count` elements whatever the buffer's length).
 */
export function checkPacked(
  name: string,
  operation: string,
  count: number,
  buffers: ReadonlyArray<readonly [what: string, bytes: Uint8Array, elementSize: number]>,
): void {
  if (!Number.isSafeInteger(count) || count < 0)
    throw mapErrorFor(name, operation, Errno.EINVAL, `count must be an integer >= 0, got ${String(count)}`);
  for (const [what, bytes, elementSize] of buffers)
    checkSize(name, operation, `${what} (${count} x ${elementSize} bytes)`, bytes, count * elementSize);
}

/** Entries asked for per BPF_MAP_LOOKUP_BATCH call unless the caller says otherwise. */
export const DEFAULT_BATCH_SIZE = 4096;

/** Checks a batch lookup's options; gives the batch size. */
export function checkLookupBatchOptions(name: string, options: LookupBatchOptions): number {
  const { batchSize = DEFAULT_BATCH_SIZE, into } = options;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1)
    throw mapErrorFor(name, 'lookup batch', Errno.EINVAL, `batch size must be >= 1, got ${batchSize}`);
  if (into !== undefined && !(into.keys instanceof Uint8Array && into.values instanceof Uint8Array))
    throw mapErrorFor(name, 'lookup batch', Errno.EINVAL, '`into` must hold keys and values Uint8Arrays');
  return batchSize;
}

/**
 * Packs raw entries back to back, checking each key's and value's size, into
 * `into` when they fit there.
 */
export function packEntries(
  name: string,
  operation: string,
  entries: readonly RawEntry[],
  keySize: number,
  valueSize: number,
  into?: { readonly keys: Uint8Array; readonly values: Uint8Array },
): PackedEntries {
  const fits =
    into !== undefined &&
    into.keys.length >= keySize * entries.length &&
    into.values.length >= valueSize * entries.length;
  const keys = fits
    ? into.keys.subarray(0, keySize * entries.length)
    : new Uint8Array(keySize * entries.length);
  const values = fits
    ? into.values.subarray(0, valueSize * entries.length)
    : new Uint8Array(valueSize * entries.length);
  entries.forEach(([key, value], i) => {
    checkSize(name, operation, 'key', key, keySize);
    checkSize(name, operation, 'value', value, valueSize);
    keys.set(key, i * keySize);
    values.set(value, i * valueSize);
  });
  return { keys, values, count: entries.length };
}

/** Packs keys back to back, checking each one's size. */
export function packKeys(
  name: string,
  operation: string,
  keys: readonly Uint8Array[],
  keySize: number,
): Uint8Array {
  const packed = new Uint8Array(keySize * keys.length);
  keys.forEach((key, i) => {
    checkSize(name, operation, 'key', key, keySize);
    packed.set(key, i * keySize);
  });
  return packed;
}

/** The entries of packed buffers as views into them (no copies). */
export function unpackEntries(packed: PackedEntries, keySize: number, valueSize: number): RawEntry[] {
  const out: RawEntry[] = new Array<RawEntry>(packed.count);
  for (let i = 0; i < packed.count; i++)
    out[i] = [
      packed.keys.subarray(i * keySize, (i + 1) * keySize),
      packed.values.subarray(i * valueSize, (i + 1) * valueSize),
    ];
  return out;
}

/** Differences between the spec asked for and a pinned map, as cilium/ebpf's ErrMapIncompatible reports them. */
export function incompatibilities(want: MapSpec, have: Omit<MapSpec, 'name' | 'pinning'>): string[] {
  const out: string[] = [];
  if (want.type !== have.type) out.push(`type ${mapTypeName(have.type)}, want ${mapTypeName(want.type)}`);
  if (want.keySize !== have.keySize) out.push(`key size ${have.keySize}, want ${want.keySize}`);
  if (want.valueSize !== have.valueSize) out.push(`value size ${have.valueSize}, want ${want.valueSize}`);
  if (want.maxEntries !== have.maxEntries)
    out.push(`max entries ${have.maxEntries}, want ${want.maxEntries}`);
  if (want.flags !== have.flags) out.push(`flags ${have.flags}, want ${want.flags}`);
  return out;
}

export function checkCompatible(path: string, want: MapSpec, have: Omit<MapSpec, 'name' | 'pinning'>): void {
  const problems = incompatibilities(want, have);
  if (problems.length > 0)
    throw mapErrorFor(
      want.name || basename(path),
      'open pinned',
      Errno.EINVAL,
      `pinned map ${path} is incompatible: ${problems.join('; ')}`,
    );
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
