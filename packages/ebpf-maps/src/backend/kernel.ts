import { existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { Errno, mapErrorFor, MapError } from '../errors';
import {
  DEFAULT_PIN_ROOT,
  isMapOfMaps,
  pinPath,
  updateFlagValue,
  type MapSpec,
  type MapType,
  type UpdateFlag,
} from '../spec';
import {
  checkLookupBatchOptions,
  checkCompatible,
  DEFAULT_BATCH_SIZE,
  checkPacked,
  checkSize,
  packEntries,
  packKeys,
  unpackEntries,
  valueBufferSize,
} from './checks';
import { loadLibbpf, type BatchOpts } from './libbpf';
import type {
  LookupBatchOptions,
  MapBackend,
  MapHandle,
  OpenOptions,
  PackedEntries,
  RawEntry,
} from './types';

/** Growable key and value buffers that batch lookups read into, entry after entry. */
class BatchBuffers {
  count = 0;
  private readonly capacity: number;

  constructor(
    private readonly keySize: number,
    private readonly valueSize: number,
    private readonly keys: Uint8Array,
    private readonly values: Uint8Array,
  ) {
    this.capacity = Math.min(Math.floor(keys.length / keySize), Math.floor(values.length / valueSize));
  }

  static allocate(keySize: number, valueSize: number, capacity: number): BatchBuffers {
    return new BatchBuffers(
      keySize,
      valueSize,
      Buffer.allocUnsafe(keySize * capacity),
      Buffer.allocUnsafe(valueSize * capacity),
    );
  }

  /** These buffers, or larger ones holding the entries read so far, with room for `more` entries. */
  withRoomFor(more: number): BatchBuffers {
    if (this.room() >= more) return this;
    const capacity = Math.max(this.capacity * 2, this.count + more);
    const grown = BatchBuffers.allocate(this.keySize, this.valueSize, capacity);
    grown.keys.set(this.keys.subarray(0, this.count * this.keySize));
    grown.values.set(this.values.subarray(0, this.count * this.valueSize));
    grown.count = this.count;
    return grown;
  }

  /** How many more entries fit. */
  room(): number {
    return this.capacity - this.count;
  }

  keysFrom(entry: number): Uint8Array {
    return this.keys.subarray(entry * this.keySize);
  }

  valuesFrom(entry: number): Uint8Array {
    return this.values.subarray(entry * this.valueSize);
  }

  result(): PackedEntries {
    return {
      keys: this.keys.subarray(0, this.count * this.keySize),
      values: this.values.subarray(0, this.count * this.valueSize),
      count: this.count,
    };
  }
}

type BoundLibbpf = ReturnType<typeof loadLibbpf>;

/** `struct bpf_map_info` is 88 bytes in the kernels this targets; the kernel fills what it knows. */
const MAP_INFO_SIZE = 88;

interface MapInfo {
  readonly type: MapType;
  readonly id: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly name: string;
}

class KernelHandle implements MapHandle {
  private open = true;
  readonly valueBufferSize: number;
  private readonly batchOpts: BatchOpts;
  /** The in/out element count of batch calls (libbpf writes back how many it processed). */
  private readonly counter = [0];

  constructor(
    private readonly backend: KernelBackend,
    private readonly lib: BoundLibbpf,
    /** The map's file descriptor, for callers that hand it to libbpf or a BPF object. */
    readonly fd: number,
    readonly spec: MapSpec,
    readonly id: number,
    readonly name: string,
    readonly pinnedAt: string | undefined,
  ) {
    this.valueBufferSize = valueBufferSize(spec, backend.possibleCpus);
    this.batchOpts = { sz: lib.batchOptsSize, elem_flags: 0n, flags: 0n };
  }

  private fail(operation: string, result: number, detail?: string): never {
    throw mapErrorFor(this.name, operation, -result, detail);
  }

  private checkOpen(operation: string): void {
    if (!this.open) throw mapErrorFor(this.name, operation, Errno.EBADF, 'handle is closed');
  }

  private checkKey(operation: string, key: Uint8Array): void {
    this.checkOpen(operation);
    checkSize(this.name, operation, 'key', key, this.spec.keySize);
  }

  lookup(key: Uint8Array): Uint8Array | undefined {
    this.checkKey('lookup', key);
    const value = Buffer.allocUnsafe(this.valueBufferSize);
    const result = this.lib.lookup(this.fd, key, value);
    if (result === -Errno.ENOENT) return undefined;
    if (result < 0) this.fail('lookup', result);
    return value;
  }

  update(key: Uint8Array, value: Uint8Array, flag: UpdateFlag = 'any'): void {
    this.checkKey('update', key);
    checkSize(this.name, 'update', 'value', value, this.valueBufferSize);
    const result = this.lib.update(this.fd, key, value, updateFlagValue[flag]);
    if (result < 0) this.fail('update', result);
  }

  delete(key: Uint8Array): void {
    this.checkKey('delete', key);
    const result = this.lib.delete(this.fd, key);
    if (result < 0) this.fail('delete', result);
  }

  nextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    if (key === undefined) this.checkOpen('next key');
    else this.checkKey('next key', key);
    const next = Buffer.allocUnsafe(this.spec.keySize);
    const result = this.lib.nextKey(this.fd, key ?? null, next);
    if (result === -Errno.ENOENT) return undefined;
    if (result < 0) this.fail('next key', result);
    return next;
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
      // LPM lookups match the longest prefix, which for a key taken from the map is the entry itself.
      const value = this.lookup(key);
      if (value !== undefined) yield [key, value];
    }
  }

  lookupBatch(batchSize = DEFAULT_BATCH_SIZE): RawEntry[] {
    return unpackEntries(this.lookupBatchPacked({ batchSize }), this.spec.keySize, this.valueBufferSize);
  }

  lookupBatchPacked(options: LookupBatchOptions = {}): PackedEntries {
    this.checkOpen('lookup batch');
    const batchSize = checkLookupBatchOptions(this.name, options);
    const keySize = this.spec.keySize;
    const valueSize = this.valueBufferSize;
    // The batch token is opaque: hash maps use a bucket index, arrays and tries a key.
    const tokenSize = Math.max(keySize, 8);
    let tokens = [Buffer.alloc(tokenSize), Buffer.alloc(tokenSize)] as const;
    let inBatch: Buffer | null = null;
    let chunk = batchSize;
    let packed =
      options.into === undefined
        ? BatchBuffers.allocate(keySize, valueSize, chunk)
        : new BatchBuffers(keySize, valueSize, options.into.keys, options.into.values);
    for (;;) {
      if (packed.room() === 0) packed = packed.withRoomFor(chunk);
      // Like a C loop over fixed buffers, ask for what still fits before growing them.
      const asked = Math.min(chunk, packed.room());
      const outBatch = tokens[0];
      this.counter[0] = asked;
      const result = this.lib.lookupBatch(
        this.fd,
        inBatch,
        outBatch,
        packed.keysFrom(packed.count),
        packed.valuesFrom(packed.count),
        this.counter,
        this.batchOpts,
      );
      const got = this.counter[0] ?? 0;
      // ENOSPC with nothing read: the next hash bucket holds more entries than asked for.
      if (result === -Errno.ENOSPC && got === 0 && (asked < chunk || chunk < this.spec.maxEntries)) {
        if (asked === chunk) chunk = Math.min(chunk * 2, this.spec.maxEntries);
        packed = packed.withRoomFor(chunk);
        continue;
      }
      if (result < 0 && result !== -Errno.ENOENT) this.fail('lookup batch', result);
      packed.count += got;
      if (result === -Errno.ENOENT) return packed.result();
      inBatch = outBatch;
      tokens = [tokens[1], tokens[0]];
    }
  }

  updateBatch(entries: readonly RawEntry[]): void {
    this.checkOpen('update batch');
    const packed = packEntries(this.name, 'update batch', entries, this.spec.keySize, this.valueBufferSize);
    this.updateBatchPacked(packed.keys, packed.values, packed.count);
  }

  updateBatchPacked(keys: Uint8Array, values: Uint8Array, count: number): void {
    this.checkOpen('update batch');
    checkPacked(this.name, 'update batch', count, [
      ['keys', keys, this.spec.keySize],
      ['values', values, this.valueBufferSize],
    ]);
    if (count === 0) return;
    this.counter[0] = count;
    const result = this.lib.updateBatch(this.fd, keys, values, this.counter, this.batchOpts);
    if (result < 0)
      this.fail('update batch', result, `failed after ${this.counter[0] ?? 0} of ${count} entries written`);
  }

  deleteBatch(keysToDelete: readonly Uint8Array[]): void {
    this.checkOpen('delete batch');
    const keys = packKeys(this.name, 'delete batch', keysToDelete, this.spec.keySize);
    this.deleteBatchPacked(keys, keysToDelete.length);
  }

  deleteBatchPacked(keys: Uint8Array, count: number): void {
    this.checkOpen('delete batch');
    checkPacked(this.name, 'delete batch', count, [['keys', keys, this.spec.keySize]]);
    if (count === 0) return;
    this.counter[0] = count;
    const result = this.lib.deleteBatch(this.fd, keys, this.counter, this.batchOpts);
    if (result < 0)
      this.fail('delete batch', result, `failed after ${this.counter[0] ?? 0} of ${count} keys deleted`);
  }

  setInner(key: Uint8Array, inner: MapHandle, flag: UpdateFlag = 'any'): void {
    this.checkKey('update', key);
    if (!isMapOfMaps(this.spec.type))
      throw mapErrorFor(this.name, 'update', Errno.EINVAL, 'not a map of maps');
    if (!(inner instanceof KernelHandle))
      throw mapErrorFor(this.name, 'update', Errno.EBADF, 'inner map belongs to another backend');
    const value = Buffer.alloc(4);
    value.writeUInt32LE(inner.fd);
    const result = this.lib.update(this.fd, key, value, updateFlagValue[flag]);
    if (result < 0) this.fail('update', result, `cannot set inner map ${inner.name}`);
  }

  openInner(key: Uint8Array): MapHandle | undefined {
    const value = this.lookup(key);
    if (value === undefined) return undefined;
    return this.backend.openById(Buffer.from(value.buffer, value.byteOffset, 4).readUInt32LE(0));
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.lib.close(this.fd);
  }
}

/**
 * Maps in the kernel, through libbpf (bound with koffi). Every call is a
 * synchronous bpf() syscall: map operations take microseconds and run on the
 * caller's thread.
 */
export class KernelBackend implements MapBackend {
  readonly kind = 'kernel';
  readonly possibleCpus: number;
  private readonly lib: BoundLibbpf;

  constructor(options: { libbpfPath?: string } = {}) {
    try {
      this.lib = loadLibbpf(options.libbpfPath);
    } catch (err) {
      throw new MapError('libbpf', 'load', Errno.ENOENT, `cannot load libbpf.so.1: ${String(err)}`, {
        cause: err,
      });
    }
    this.possibleCpus = this.lib.numPossibleCpus();
  }

  open(spec: MapSpec, options: OpenOptions = {}): MapHandle {
    const path = spec.pinning === 'byName' ? pinPath(spec, options.pinRoot ?? DEFAULT_PIN_ROOT) : undefined;
    if (path !== undefined && existsSync(path)) return this.openPinned(path, spec);
    const fd = this.create(spec);
    try {
      if (path !== undefined) {
        mkdirSync(dirname(path), { recursive: true });
        const result = this.lib.objPin(fd, path);
        if (result < 0) throw mapErrorFor(spec.name, 'pin', -result, `cannot pin at ${path}`);
      }
      return new KernelHandle(this, this.lib, fd, spec, this.info(fd, spec.name).id, spec.name, path);
    } catch (err) {
      this.lib.close(fd);
      throw err;
    }
  }

  private create(spec: MapSpec): number {
    let innerFd = 0;
    if (isMapOfMaps(spec.type)) {
      if (spec.innerMap === undefined)
        throw mapErrorFor(spec.name, 'create', Errno.EINVAL, 'a map of maps needs an inner map spec');
      innerFd = this.create(spec.innerMap);
    }
    try {
      const fd = this.lib.mapCreate(spec.type, spec.name, spec.keySize, spec.valueSize, spec.maxEntries, {
        sz: this.lib.createOptsSize,
        btf_fd: 0,
        btf_key_type_id: 0,
        btf_value_type_id: 0,
        btf_vmlinux_value_type_id: 0,
        inner_map_fd: innerFd,
        map_flags: spec.flags,
        map_extra: 0n,
        numa_node: 0,
        map_ifindex: 0,
      });
      if (fd < 0) throw mapErrorFor(spec.name, 'create', -fd);
      return fd;
    } finally {
      if (innerFd > 0) this.lib.close(innerFd);
    }
  }

  private info(fd: number, name: string): MapInfo {
    const buffer = Buffer.alloc(MAP_INFO_SIZE);
    const length = [MAP_INFO_SIZE];
    const result = this.lib.objGetInfoByFd(fd, buffer, length);
    if (result < 0) throw mapErrorFor(name, 'get info', -result);
    const nameBytes = buffer.subarray(24, 40);
    const end = nameBytes.indexOf(0);
    return {
      type: buffer.readUInt32LE(0) as MapType,
      id: buffer.readUInt32LE(4),
      keySize: buffer.readUInt32LE(8),
      valueSize: buffer.readUInt32LE(12),
      maxEntries: buffer.readUInt32LE(16),
      flags: buffer.readUInt32LE(20),
      name: nameBytes.subarray(0, end < 0 ? 16 : end).toString('latin1'),
    };
  }

  openPinned(path: string, expected?: MapSpec): MapHandle {
    const name = expected?.name ?? basename(path);
    const fd = this.lib.objGet(path);
    if (fd < 0) throw mapErrorFor(name, 'open pinned', -fd, `cannot open ${path}`);
    return this.handleFor(fd, name, path, expected);
  }

  openById(id: number): MapHandle {
    const fd = this.lib.mapGetFdById(id);
    if (fd < 0) throw mapErrorFor(`map id ${id}`, 'open by id', -fd);
    return this.handleFor(fd, undefined, undefined, undefined);
  }

  private handleFor(
    fd: number,
    name: string | undefined,
    path: string | undefined,
    expected: MapSpec | undefined,
  ): MapHandle {
    try {
      const info = this.info(fd, name ?? `fd ${fd}`);
      if (expected !== undefined && path !== undefined) checkCompatible(path, expected, info);
      const spec: MapSpec = expected ?? {
        name: name ?? info.name,
        type: info.type,
        keySize: info.keySize,
        valueSize: info.valueSize,
        maxEntries: info.maxEntries,
        flags: info.flags,
        pinning: path === undefined ? 'none' : 'byName',
      };
      return new KernelHandle(this, this.lib, fd, spec, info.id, name ?? info.name, path);
    } catch (err) {
      this.lib.close(fd);
      throw err;
    }
  }

  unpin(path: string): void {
    try {
      unlinkSync(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const errno =
        code === 'ENOENT'
          ? Errno.ENOENT
          : code === 'EACCES' || code === 'EPERM'
            ? Errno.EACCES
            : Errno.EINVAL;
      throw mapErrorFor(basename(path), 'unpin', errno, `cannot unpin ${path}`);
    }
  }

  isPinned(path: string): boolean {
    return existsSync(path);
  }
}
