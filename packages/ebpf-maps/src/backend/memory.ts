import { basename } from 'node:path';
import { Errno, MapError, mapErrorFor } from '../errors';
import { isMapOfMaps, MapType, type MapSpec, type UpdateFlag } from '../spec';
import {
  checkLookupBatchOptions,
  checkCompatible,
  checkPacked,
  DEFAULT_BATCH_SIZE,
  checkSize,
  hex,
  packEntries,
  packKeys,
  unpackEntries,
  valueBufferSize,
} from './checks';
import type {
  LookupBatchOptions,
  MapBackend,
  MapHandle,
  OpenOptions,
  PackedEntries,
  RawEntry,
} from './types';
import { DEFAULT_PIN_ROOT, pinPath } from '../spec';

interface Stored {
  readonly key: Uint8Array;
  value: Uint8Array;
}

/** Map types whose storage the memory backend emulates. */
const supportedTypes = new Set<number>([
  MapType.Hash,
  MapType.LruHash,
  MapType.PerCpuHash,
  MapType.LruPerCpuHash,
  MapType.Array,
  MapType.PerCpuArray,
  MapType.LpmTrie,
  MapType.HashOfMaps,
  MapType.ArrayOfMaps,
]);

const isArray = (type: number): boolean =>
  type === MapType.Array || type === MapType.PerCpuArray || type === MapType.ArrayOfMaps;
const isLru = (type: number): boolean => type === MapType.LruHash || type === MapType.LruPerCpuHash;

/** One map's storage, shared by every handle that opened it (like a kernel map object). */
class MemoryMap {
  /** Insertion order doubles as LRU order: the first entry is the least recently written. */
  readonly entries = new Map<string, Stored>();
  constructor(
    readonly spec: MapSpec,
    readonly id: number,
    readonly valueSize: number,
  ) {
    if (isArray(spec.type)) {
      for (let i = 0; i < spec.maxEntries; i++) {
        const key = new Uint8Array(4);
        new DataView(key.buffer).setUint32(0, i, true);
        this.entries.set(hex(key), { key, value: new Uint8Array(valueSize) });
      }
    }
  }
}

function arrayIndex(key: Uint8Array): number {
  return new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true);
}

/** Whether the first `bits` bits of two byte strings are equal. */
function prefixEqual(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  const whole = Math.floor(bits / 8);
  for (let i = 0; i < whole; i++) if (a[i] !== b[i]) return false;
  const rest = bits % 8;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((a[whole] ?? 0) & mask) === ((b[whole] ?? 0) & mask);
}

function lpmParts(key: Uint8Array): { prefixlen: number; data: Uint8Array } {
  return { prefixlen: new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true), data: key.subarray(4) };
}

class MemoryHandle implements MapHandle {
  private closed = false;
  readonly valueBufferSize: number;

  constructor(
    private readonly backend: MemoryBackend,
    private readonly map: MemoryMap,
    readonly name: string,
    readonly pinnedAt: string | undefined,
  ) {
    this.valueBufferSize = map.valueSize;
  }

  get spec(): MapSpec {
    return this.map.spec;
  }
  get id(): number {
    return this.map.id;
  }

  private fail(operation: string, errno: number, detail?: string): never {
    throw mapErrorFor(this.name, operation, errno, detail);
  }

  private check(operation: string, key: Uint8Array, value?: Uint8Array): void {
    if (this.closed) this.fail(operation, Errno.EBADF, 'handle is closed');
    checkSize(this.name, operation, 'key', key, this.spec.keySize);
    if (value !== undefined) checkSize(this.name, operation, 'value', value, this.valueBufferSize);
  }

  private findLpm(key: Uint8Array): Stored | undefined {
    const { prefixlen, data } = lpmParts(key);
    let best: Stored | undefined;
    let bestLength = -1;
    for (const stored of this.map.entries.values()) {
      const entry = lpmParts(stored.key);
      if (
        entry.prefixlen <= prefixlen &&
        entry.prefixlen > bestLength &&
        prefixEqual(entry.data, data, entry.prefixlen)
      ) {
        best = stored;
        bestLength = entry.prefixlen;
      }
    }
    return best;
  }

  /** The stored LPM entry with exactly this prefix. */
  private exactLpm(key: Uint8Array): string | undefined {
    const { prefixlen, data } = lpmParts(key);
    for (const [id, stored] of this.map.entries) {
      const entry = lpmParts(stored.key);
      if (entry.prefixlen === prefixlen && prefixEqual(entry.data, data, prefixlen)) return id;
    }
    return undefined;
  }

  private checkLpmKey(operation: string, key: Uint8Array): void {
    if (lpmParts(key).prefixlen > (this.spec.keySize - 4) * 8)
      this.fail(
        operation,
        Errno.EINVAL,
        `prefixlen ${lpmParts(key).prefixlen} exceeds ${(this.spec.keySize - 4) * 8} bits`,
      );
  }

  lookup(key: Uint8Array): Uint8Array | undefined {
    this.check('lookup', key);
    const type = this.spec.type;
    if (type === MapType.LpmTrie) {
      this.checkLpmKey('lookup', key);
      return this.findLpm(key)?.value.slice();
    }
    const stored = this.map.entries.get(hex(key));
    if (stored === undefined) return undefined;
    if (isMapOfMaps(type)) return stored.value.slice();
    return stored.value.slice();
  }

  update(key: Uint8Array, value: Uint8Array, flag: UpdateFlag = 'any'): void {
    this.check('update', key, value);
    if (isMapOfMaps(this.spec.type))
      this.fail('update', Errno.EINVAL, 'values of a map of maps are set with setInner');
    this.put('update', key, value.slice(), flag);
  }

  private put(operation: string, key: Uint8Array, value: Uint8Array, flag: UpdateFlag): void {
    const type = this.spec.type;
    const entries = this.map.entries;
    if (isArray(type)) {
      if (arrayIndex(key) >= this.spec.maxEntries)
        this.fail(operation, Errno.E2BIG, `index ${arrayIndex(key)} out of range`);
      if (flag === 'noexist') this.fail(operation, Errno.EEXIST);
      const stored = entries.get(hex(key));
      if (stored) stored.value = value;
      return;
    }
    let id = hex(key);
    if (type === MapType.LpmTrie) {
      this.checkLpmKey(operation, key);
      id = this.exactLpm(key) ?? id;
    }
    const exists = entries.has(id);
    if (exists && flag === 'noexist') this.fail(operation, Errno.EEXIST);
    if (!exists && flag === 'exist') this.fail(operation, Errno.ENOENT);
    if (!exists && entries.size >= this.spec.maxEntries) {
      if (isLru(type)) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      } else {
        this.fail(operation, type === MapType.LpmTrie ? Errno.ENOSPC : Errno.E2BIG);
      }
    }
    // A write makes the entry the most recently used one.
    entries.delete(id);
    entries.set(id, { key: key.slice(), value });
  }

  delete(key: Uint8Array): void {
    this.check('delete', key);
    if (isArray(this.spec.type)) this.fail('delete', Errno.EINVAL, 'array elements cannot be deleted');
    const id = this.spec.type === MapType.LpmTrie ? this.exactLpm(key) : hex(key);
    if (id === undefined || !this.map.entries.delete(id)) this.fail('delete', Errno.ENOENT);
  }

  nextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    if (this.closed) this.fail('next key', Errno.EBADF, 'handle is closed');
    if (key !== undefined) checkSize(this.name, 'next key', 'key', key, this.spec.keySize);
    const ids = [...this.map.entries.keys()];
    const at =
      key === undefined
        ? -1
        : ids.indexOf(this.spec.type === MapType.LpmTrie ? (this.exactLpm(key) ?? '') : hex(key));
    // Like the kernel's hash maps, an unknown key restarts from the first one.
    const next = ids[at + 1];
    return next === undefined ? undefined : this.map.entries.get(next)?.key.slice();
  }

  *keys(): IterableIterator<Uint8Array> {
    let key = this.nextKey(undefined);
    while (key !== undefined) {
      yield key;
      key = this.nextKey(key);
    }
  }

  *entries(): IterableIterator<RawEntry> {
    for (const key of this.keys()) {
      const stored =
        this.spec.type === MapType.LpmTrie
          ? this.map.entries.get(this.exactLpm(key) ?? '')
          : this.map.entries.get(hex(key));
      if (stored) yield [key, stored.value.slice()];
    }
  }

  private checkBatch(operation: string): void {
    if (this.closed) this.fail(operation, Errno.EBADF, 'handle is closed');
  }

  lookupBatch(batchSize = DEFAULT_BATCH_SIZE): RawEntry[] {
    return unpackEntries(this.lookupBatchPacked({ batchSize }), this.spec.keySize, this.valueBufferSize);
  }

  lookupBatchPacked(options: LookupBatchOptions = {}): PackedEntries {
    this.checkBatch('lookup batch');
    checkLookupBatchOptions(this.name, options);
    const all = [...this.entries()];
    return packEntries(this.name, 'lookup batch', all, this.spec.keySize, this.valueBufferSize, options.into);
  }

  updateBatch(entries: readonly RawEntry[]): void {
    this.checkBatch('update batch');
    const packed = packEntries(this.name, 'update batch', entries, this.spec.keySize, this.valueBufferSize);
    this.updateBatchPacked(packed.keys, packed.values, packed.count);
  }

  updateBatchPacked(keys: Uint8Array, values: Uint8Array, count: number): void {
    this.checkBatch('update batch');
    const keySize = this.spec.keySize;
    const valueSize = this.valueBufferSize;
    checkPacked(this.name, 'update batch', count, [
      ['keys', keys, keySize],
      ['values', values, valueSize],
    ]);
    if (isMapOfMaps(this.spec.type))
      this.fail('update batch', Errno.EINVAL, 'values of a map of maps are set with setInner');
    for (let i = 0; i < count; i++) {
      const key = keys.subarray(i * keySize, (i + 1) * keySize);
      const value = values.slice(i * valueSize, (i + 1) * valueSize);
      try {
        this.put('update batch', key, value, 'any');
      } catch (err) {
        // Like the kernel: the entries before the failing one stay written.
        if (err instanceof MapError)
          this.fail('update batch', err.errno, `failed after ${i} of ${count} entries written`);
        throw err;
      }
    }
  }

  deleteBatch(keys: readonly Uint8Array[]): void {
    this.checkBatch('delete batch');
    this.deleteBatchPacked(packKeys(this.name, 'delete batch', keys, this.spec.keySize), keys.length);
  }

  deleteBatchPacked(keys: Uint8Array, count: number): void {
    this.checkBatch('delete batch');
    const keySize = this.spec.keySize;
    checkPacked(this.name, 'delete batch', count, [['keys', keys, keySize]]);
    if (isArray(this.spec.type)) this.fail('delete batch', Errno.ENOTSUPP);
    for (let i = 0; i < count; i++) {
      try {
        this.delete(keys.subarray(i * keySize, (i + 1) * keySize));
      } catch (err) {
        if (err instanceof MapError)
          this.fail('delete batch', err.errno, `failed after ${i} of ${count} keys deleted`);
        throw err;
      }
    }
  }

  setInner(key: Uint8Array, inner: MapHandle, flag: UpdateFlag = 'any'): void {
    this.check('update', key);
    const template = this.spec.innerMap;
    if (!isMapOfMaps(this.spec.type) || template === undefined)
      this.fail('update', Errno.EINVAL, 'not a map of maps');
    if (!(inner instanceof MemoryHandle) || inner.backend !== this.backend)
      this.fail('update', Errno.EBADF, 'inner map belongs to another backend');
    const s = inner.spec;
    const sameShape =
      s.type === template.type &&
      s.keySize === template.keySize &&
      s.valueSize === template.valueSize &&
      s.flags === template.flags &&
      (!isArray(s.type) || s.maxEntries === template.maxEntries);
    if (!sameShape) this.fail('update', Errno.EINVAL, `inner map ${inner.name} does not match the template`);
    const value = new Uint8Array(4);
    new DataView(value.buffer).setUint32(0, inner.id, true);
    this.put('update', key, value, flag);
  }

  openInner(key: Uint8Array): MapHandle | undefined {
    const value = this.lookup(key);
    if (value === undefined) return undefined;
    const id = new DataView(value.buffer, value.byteOffset, 4).getUint32(0, true);
    return id === 0 ? undefined : this.backend.openById(id);
  }

  close(): void {
    this.closed = true;
  }
}

export interface MemoryBackendOptions {
  /** How many values per-CPU maps hold; defaults to 4. */
  readonly possibleCpus?: number;
}

/**
 * Maps in memory with the kernel's semantics (E2BIG on a full hash, LRU
 * eviction, longest-prefix match, array bounds, maps of maps), for tests and
 * for computing what the kernel would hold. Pins live in this backend's own
 * namespace, so two backends never share maps.
 */
export class MemoryBackend implements MapBackend {
  readonly kind = 'memory';
  readonly possibleCpus: number;
  private readonly pins = new Map<string, MemoryMap>();
  private readonly maps = new Map<number, MemoryMap>();
  private nextId = 1;

  constructor(options: MemoryBackendOptions = {}) {
    this.possibleCpus = options.possibleCpus ?? 4;
  }

  open(spec: MapSpec, options: OpenOptions = {}): MapHandle {
    if (!supportedTypes.has(spec.type))
      throw mapErrorFor(spec.name, 'create', Errno.EINVAL, `map type ${spec.type} is not emulated`);
    const path = spec.pinning === 'byName' ? pinPath(spec, options.pinRoot ?? DEFAULT_PIN_ROOT) : undefined;
    if (path !== undefined && this.pins.has(path)) return this.openPinned(path, spec);
    this.validate(spec);
    const map = new MemoryMap(spec, this.nextId++, valueBufferSize(spec, this.possibleCpus));
    this.maps.set(map.id, map);
    if (path !== undefined) this.pins.set(path, map);
    return new MemoryHandle(this, map, spec.name, path);
  }

  private validate(spec: MapSpec): void {
    const invalid = (detail: string): never => {
      throw mapErrorFor(spec.name, 'create', Errno.EINVAL, detail);
    };
    if (spec.keySize <= 0 || spec.valueSize <= 0 || spec.maxEntries <= 0)
      invalid('sizes and max entries must be positive');
    if (isArray(spec.type) && spec.keySize !== 4) invalid('array keys are 4 bytes');
    if (spec.type === MapType.LpmTrie && (spec.flags & 1) === 0) invalid('LPM tries need BPF_F_NO_PREALLOC');
    if (spec.type === MapType.LpmTrie && spec.keySize <= 4) invalid('LPM keys hold a prefixlen and data');
    if (isMapOfMaps(spec.type) && (spec.innerMap === undefined || spec.valueSize !== 4))
      invalid('maps of maps need an inner map and 4-byte values');
  }

  openPinned(path: string, expected?: MapSpec): MapHandle {
    const map = this.pins.get(path);
    if (map === undefined)
      throw mapErrorFor(
        expected?.name ?? basename(path),
        'open pinned',
        Errno.ENOENT,
        `nothing pinned at ${path}`,
      );
    if (expected !== undefined) checkCompatible(path, expected, map.spec);
    return new MemoryHandle(this, map, basename(path), path);
  }

  openById(id: number): MapHandle {
    const map = this.maps.get(id);
    if (map === undefined) throw mapErrorFor(`map id ${id}`, 'open by id', Errno.ENOENT);
    return new MemoryHandle(this, map, map.spec.name, undefined);
  }

  unpin(path: string): void {
    if (!this.pins.delete(path))
      throw mapErrorFor(basename(path), 'unpin', Errno.ENOENT, `nothing pinned at ${path}`);
  }

  isPinned(path: string): boolean {
    return this.pins.has(path);
  }
}
