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
import { checkCompatible, checkSize, valueBufferSize } from './checks';
import { loadLibbpf, type BatchOpts } from './libbpf';
import type { MapBackend, MapHandle, OpenOptions, RawEntry } from './types';

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

  lookupBatch(batchSize = 4096): RawEntry[] {
    this.checkOpen('lookup batch');
    const keySize = this.spec.keySize;
    const valueSize = this.valueBufferSize;
    // The batch token is opaque; hash maps use a bucket index, arrays a key.
    const tokenSize = Math.max(keySize, 8);
    let inBatch: Buffer | null = null;
    const out: RawEntry[] = [];
    for (;;) {
      // Fresh buffers per call, so the entries can be views into them rather than copies.
      const keys = Buffer.allocUnsafe(keySize * batchSize);
      const values = Buffer.allocUnsafe(valueSize * batchSize);
      const outBatch = Buffer.alloc(tokenSize);
      const count = [batchSize];
      const result = this.lib.lookupBatch(this.fd, inBatch, outBatch, keys, values, count, this.batchOpts);
      if (result < 0 && result !== -Errno.ENOENT) this.fail('lookup batch', result);
      const got = count[0] ?? 0;
      for (let i = 0; i < got; i++)
        out.push([
          keys.subarray(i * keySize, (i + 1) * keySize),
          values.subarray(i * valueSize, (i + 1) * valueSize),
        ]);
      if (result === -Errno.ENOENT) return out;
      inBatch = outBatch;
    }
  }

  updateBatch(entries: readonly RawEntry[]): void {
    this.checkOpen('update batch');
    if (entries.length === 0) return;
    const keys = Buffer.allocUnsafe(this.spec.keySize * entries.length);
    const values = Buffer.allocUnsafe(this.valueBufferSize * entries.length);
    entries.forEach(([key, value], i) => {
      checkSize(this.name, 'update batch', 'key', key, this.spec.keySize);
      checkSize(this.name, 'update batch', 'value', value, this.valueBufferSize);
      keys.set(key, i * this.spec.keySize);
      values.set(value, i * this.valueBufferSize);
    });
    const count = [entries.length];
    const result = this.lib.updateBatch(this.fd, keys, values, count, this.batchOpts);
    if (result < 0)
      this.fail('update batch', result, `failed after ${count[0] ?? 0} of ${entries.length} entries written`);
  }

  deleteBatch(keysToDelete: readonly Uint8Array[]): void {
    this.checkOpen('delete batch');
    if (keysToDelete.length === 0) return;
    const keys = Buffer.allocUnsafe(this.spec.keySize * keysToDelete.length);
    keysToDelete.forEach((key, i) => {
      checkSize(this.name, 'delete batch', 'key', key, this.spec.keySize);
      keys.set(key, i * this.spec.keySize);
    });
    const count = [keysToDelete.length];
    const result = this.lib.deleteBatch(this.fd, keys, count, this.batchOpts);
    if (result < 0)
      this.fail(
        'delete batch',
        result,
        `failed after ${count[0] ?? 0} of ${keysToDelete.length} keys deleted`,
      );
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
