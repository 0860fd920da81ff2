import { basename } from 'node:path';
import { Errno, mapErrorFor } from '../errors';
import { isPerCpu, mapTypeName, perCpuValueStride, type MapSpec } from '../spec';

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
