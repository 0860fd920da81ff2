import type { MapSpec, UpdateFlag } from '../spec';

/** A raw key/value pair as the kernel stores it. */
export type RawEntry = readonly [key: Uint8Array, value: Uint8Array];

/**
 * Entries packed back to back, the layout batch syscalls take and give: entry
 * `i`'s key is at `i * keySize` of `keys` and its value at
 * `i * valueBufferSize` of `values`.
 */
export interface PackedEntries {
  readonly keys: Uint8Array;
  readonly values: Uint8Array;
  readonly count: number;
}

export interface LookupBatchOptions {
  /** Entries asked for per syscall (default 4096); grown when one hash bucket holds more. */
  readonly batchSize?: number;
  /**
   * Buffers to read into, reused across reads like a C loop's: the result's
   * `keys` and `values` are views of them when every entry fits, and fresh
   * larger buffers holding everything when not. Fresh memory on every read
   * costs page faults that reuse avoids.
   */
  readonly into?: { readonly keys: Uint8Array; readonly values: Uint8Array };
}

/**
 * An open map: a live handle, raw bytes in and out. Per-CPU maps take and give
 * `possibleCpus` values back to back, each padded to 8 bytes (the kernel's
 * layout). Every failure is a typed {@link MapError} carrying errno and the map's name.
 */
export interface MapHandle {
  readonly spec: MapSpec;
  /** The pin name (or the kernel's name of a map opened by id). */
  readonly name: string;
  /** Kernel map ID (the memory backend numbers its maps the same way). */
  readonly id: number;
  /** Where the map is pinned, if it is. */
  readonly pinnedAt: string | undefined;
  /** Bytes of a value as this handle reads and writes it (value size, or the per-CPU stride times the CPUs). */
  readonly valueBufferSize: number;
  /** The value, or undefined when the key is absent (LPM tries: the longest matching prefix). */
  lookup(key: Uint8Array): Uint8Array | undefined;
  update(key: Uint8Array, value: Uint8Array, flag?: UpdateFlag): void;
  /** Throws {@link KeyNotFoundError} when the key is absent. */
  delete(key: Uint8Array): void;
  /** The key after `key` in the map's order, the first key for undefined; undefined at the end. */
  nextKey(key: Uint8Array | undefined): Uint8Array | undefined;
  keys(): IterableIterator<Uint8Array>;
  /** Every entry; entries deleted while iterating are skipped. */
  entries(): IterableIterator<RawEntry>;
  /** Reads every entry with BPF_MAP_LOOKUP_BATCH; {@link NotSupportedError} where the kernel has no batch op for the type. */
  lookupBatch(batchSize?: number): RawEntry[];
  /** Writes the entries with BPF_MAP_UPDATE_BATCH (the kernel allows no NOEXIST/EXIST flags per element here). */
  updateBatch(entries: readonly RawEntry[]): void;
  /** Deletes the keys with BPF_MAP_DELETE_BATCH; every key must exist (arrays: {@link NotSupportedError}). */
  deleteBatch(keys: readonly Uint8Array[]): void;
  /**
   * Reads every entry with BPF_MAP_LOOKUP_BATCH into two packed buffers, no
   * per-entry objects: the fast path for reading whole maps.
   */
  lookupBatchPacked(options?: LookupBatchOptions): PackedEntries;
  /**
   * Writes `count` entries from packed buffers (`count * keySize` key bytes,
   * `count * valueBufferSize` value bytes) with BPF_MAP_UPDATE_BATCH, copying
   * nothing: the fast path for bulk writes. On failure the error says how many
   * entries were written (the first ones).
   */
  updateBatchPacked(keys: Uint8Array, values: Uint8Array, count: number): void;
  /** Deletes `count` keys packed back to back with BPF_MAP_DELETE_BATCH; every key must exist. */
  deleteBatchPacked(keys: Uint8Array, count: number): void;
  /** Map of maps: points `key` at `inner` (a map opened by the same backend from the inner template). */
  setInner(key: Uint8Array, inner: MapHandle, flag?: UpdateFlag): void;
  /** Map of maps: the inner map at `key`, opened, or undefined. */
  openInner(key: Uint8Array): MapHandle | undefined;
  close(): void;
}

export interface OpenOptions {
  /** Directory for `pinning: 'byName'` specs; defaults to Cilium's `/sys/fs/bpf/tc/globals`. */
  readonly pinRoot?: string;
}

/**
 * Where maps live: the kernel, or memory with the kernel's semantics. The same
 * test suite runs against both.
 */
export interface MapBackend {
  readonly kind: 'kernel' | 'memory';
  /** The number of possible CPUs: how many values a per-CPU map holds per key. */
  readonly possibleCpus: number;
  /**
   * Creates the map, or for a `byName` spec reuses the map pinned at
   * `<pinRoot>/<name>` when it is compatible (type, sizes, max entries, flags)
   * and fails with {@link InvalidArgumentError} when it is not.
   */
  open(spec: MapSpec, options?: OpenOptions): MapHandle;
  /** Opens a pinned map by path; when `expected` is given its shape must match. */
  openPinned(path: string, expected?: MapSpec): MapHandle;
  openById(id: number): MapHandle;
  /** Removes a pin; the map lives on while handles or outer maps hold it. */
  unpin(path: string): void;
  /** Whether something is pinned at `path`. */
  isPinned(path: string): boolean;
}
