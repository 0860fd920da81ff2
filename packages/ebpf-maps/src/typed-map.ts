import type { ReconcileTarget } from '@ciliary/core';
import type { MapBackend, MapHandle, OpenOptions } from './backend/types';
import { CodecError, Errno, KeyNotFoundError, mapErrorFor } from './errors';
import {
  DEFAULT_PIN_ROOT,
  isPerCpu,
  mapTypeName,
  perCpuValueStride,
  pinPath,
  type MapDefinition,
  type UpdateFlag,
} from './spec';

/**
 * Opens an existing pinned map for reading or hand edits, whatever its size:
 * type, key and value sizes must match the definition (they fix the layout),
 * max entries and flags may differ (they are node configuration).
 */
export function openPinnedLayout<K, V>(
  backend: MapBackend,
  definition: MapDefinition<K, V>,
  pinRoot: string = DEFAULT_PIN_ROOT,
): { handle: MapHandle; definition: MapDefinition<K, V> } {
  const path = pinPath(definition.spec, pinRoot);
  const handle = backend.openPinned(path);
  const want = definition.spec;
  const have = handle.spec;
  if (have.type !== want.type || have.keySize !== want.keySize || have.valueSize !== want.valueSize) {
    handle.close();
    throw mapErrorFor(
      want.name,
      'open pinned',
      Errno.EINVAL,
      `${path} is a ${mapTypeName(have.type)} with ${have.keySize}-byte keys and ${have.valueSize}-byte values, ` +
        `want a ${mapTypeName(want.type)} with ${want.keySize}-byte keys and ${want.valueSize}-byte values`,
    );
  }
  return { handle, definition: { ...definition, spec: { ...have, name: want.name } } };
}

/** A CodecError of one entry of a batch, its paths prefixed with the entry's index and part (`/3/key/dport`). */
function entryCodecError(err: unknown, index: number, part: 'key' | 'value'): unknown {
  if (!(err instanceof CodecError)) return err;
  const prefix = `/${index}/${part}`;
  const issues = err.issues.map((issue) => ({ ...issue, path: `${prefix}${issue.path}` }));
  const only = issues.length === 1 ? issues[0] : undefined;
  return new CodecError(
    err.struct,
    only?.path ?? prefix,
    only?.message ?? issues.map((issue) => `${issue.path}: ${issue.message}`).join('; '),
    { cause: err, issues },
  );
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A map handle with its key and value codecs: typed get/set/delete/list over
 * the raw handle. Per-CPU maps use {@link PerCpuTypedMap}.
 */
export class TypedMap<K, V> {
  /**
   * Keys and values are encoded into these reused buffers: a fresh small typed
   * array handed to the kernel costs V8 a backing-store allocation each time,
   * several times the syscall itself. Handles copy what they are given.
   */
  private readonly keyScratch: Uint8Array;
  private readonly valueScratch: Uint8Array;

  constructor(
    readonly handle: MapHandle,
    readonly definition: MapDefinition<K, V>,
  ) {
    this.keyScratch = new Uint8Array(definition.key.size);
    this.valueScratch = new Uint8Array(definition.value.size);
  }

  private encodeKey(key: K): Uint8Array {
    this.definition.key.encodeInto(key, this.keyScratch, 0);
    return this.keyScratch;
  }

  /** Opens (creating or reusing the pinned map) through a backend. */
  static open<K, V>(
    backend: MapBackend,
    definition: MapDefinition<K, V>,
    options?: OpenOptions,
  ): TypedMap<K, V> {
    return new TypedMap(backend.open(definition.spec, options), definition);
  }

  /** Opens an existing pinned map of any size with this layout (see {@link openPinnedLayout}). */
  static openPinned<K, V>(
    backend: MapBackend,
    definition: MapDefinition<K, V>,
    pinRoot?: string,
  ): TypedMap<K, V> {
    const opened = openPinnedLayout(backend, definition, pinRoot);
    return new TypedMap(opened.handle, opened.definition);
  }

  get name(): string {
    return this.handle.name;
  }

  get(key: K): V | undefined {
    const value = this.handle.lookup(this.encodeKey(key));
    return value === undefined ? undefined : this.definition.value.decode(value);
  }

  set(key: K, value: V, flag: UpdateFlag = 'any'): void {
    const encodedKey = this.encodeKey(key);
    this.definition.value.encodeInto(value, this.valueScratch, 0);
    this.handle.update(encodedKey, this.valueScratch, flag);
  }

  /** Deletes the key; false when it was not there. */
  delete(key: K): boolean {
    try {
      this.handle.delete(this.encodeKey(key));
      return true;
    } catch (err) {
      if (err instanceof KeyNotFoundError) return false;
      throw err;
    }
  }

  /** Every entry, decoded. Throws a CodecError for an entry that does not decode (see `rawEntries`). */
  entries(): Array<[K, V]> {
    return [...this.handle.entries()].map(([k, v]) => [
      this.definition.key.decode(k),
      this.definition.value.decode(v),
    ]);
  }

  /**
   * Writes many entries with one batch syscall, encoding them straight into
   * the packed buffers the kernel reads. Throws a CodecError naming the entry
   * (`/3/key/dport`) before anything is written when one does not encode.
   */
  setMany(entries: ReadonlyArray<readonly [K, V]>): void {
    const { key: keyCodec, value: valueCodec } = this.definition;
    const keys = new Uint8Array(keyCodec.size * entries.length);
    const values = new Uint8Array(valueCodec.size * entries.length);
    let index = 0;
    let part: 'key' | 'value' = 'key';
    try {
      for (; index < entries.length; index++) {
        const [key, value] = entries[index] as readonly [K, V];
        part = 'key';
        keyCodec.encodeInto(key, keys, index * keyCodec.size);
        part = 'value';
        valueCodec.encodeInto(value, values, index * valueCodec.size);
      }
    } catch (err) {
      throw entryCodecError(err, index, part);
    }
    this.handle.updateBatchPacked(keys, values, entries.length);
  }

  /** Reads every entry with batch syscalls, decoding straight from the packed buffers. */
  getAll(): Array<[K, V]> {
    const { key: keyCodec, value: valueCodec } = this.definition;
    const packed = this.handle.lookupBatchPacked();
    const out = new Array<[K, V]>(packed.count);
    for (let i = 0; i < packed.count; i++)
      out[i] = [
        keyCodec.decodeAt(packed.keys, i * keyCodec.size),
        valueCodec.decodeAt(packed.values, i * valueCodec.size),
      ];
    return out;
  }

  close(): void {
    this.handle.close();
  }
}

/** A per-CPU map: each key holds one value per possible CPU. */
export class PerCpuTypedMap<K, V> {
  private readonly stride: number;
  /** Reused encoding buffers, as in {@link TypedMap}. */
  private readonly keyScratch: Uint8Array;
  private readonly valuesScratch: Uint8Array;

  constructor(
    readonly handle: MapHandle,
    readonly definition: MapDefinition<K, V>,
    readonly possibleCpus: number,
  ) {
    if (!isPerCpu(definition.spec.type)) throw new Error(`${definition.spec.name} is not a per-CPU map`);
    this.stride = perCpuValueStride(definition.spec.valueSize);
    this.keyScratch = new Uint8Array(definition.key.size);
    this.valuesScratch = new Uint8Array(this.stride * possibleCpus);
  }

  private encodeKey(key: K): Uint8Array {
    this.definition.key.encodeInto(key, this.keyScratch, 0);
    return this.keyScratch;
  }

  static open<K, V>(
    backend: MapBackend,
    definition: MapDefinition<K, V>,
    options?: OpenOptions,
  ): PerCpuTypedMap<K, V> {
    return new PerCpuTypedMap(backend.open(definition.spec, options), definition, backend.possibleCpus);
  }

  /** Opens an existing pinned per-CPU map of any size with this layout (see {@link openPinnedLayout}). */
  static openPinned<K, V>(
    backend: MapBackend,
    definition: MapDefinition<K, V>,
    pinRoot?: string,
  ): PerCpuTypedMap<K, V> {
    const opened = openPinnedLayout(backend, definition, pinRoot);
    return new PerCpuTypedMap(opened.handle, opened.definition, backend.possibleCpus);
  }

  private decodeAll(bytes: Uint8Array): V[] {
    return Array.from({ length: this.possibleCpus }, (_, cpu) =>
      this.definition.value.decodeAt(bytes, cpu * this.stride),
    );
  }

  get(key: K): V[] | undefined {
    const value = this.handle.lookup(this.encodeKey(key));
    return value === undefined ? undefined : this.decodeAll(value);
  }

  /** Writes one value per CPU; `values.length` must equal the possible CPUs. */
  set(key: K, values: readonly V[], flag: UpdateFlag = 'any'): void {
    if (values.length !== this.possibleCpus)
      throw new Error(
        `${this.handle.name}: ${values.length} per-CPU values given, the map holds ${this.possibleCpus}`,
      );
    const encodedKey = this.encodeKey(key);
    // Clears the padding between CPUs' values, which encodeInto leaves alone.
    this.valuesScratch.fill(0);
    values.forEach((v, cpu) => this.definition.value.encodeInto(v, this.valuesScratch, cpu * this.stride));
    this.handle.update(encodedKey, this.valuesScratch, flag);
  }

  entries(): Array<[K, V[]]> {
    return [...this.handle.entries()].map(([k, v]) => [this.definition.key.decode(k), this.decodeAll(v)]);
  }

  close(): void {
    this.handle.close();
  }
}

/** What the core `Reconciler` needs to keep a typed map equal to a desired set. */
export interface MapReconcileBinding<K, V> {
  readonly target: ReconcileTarget<K, V>;
  /** Keys are identified by their encoded bytes, so equal keys compare equal whatever their spelling. */
  readonly keyId: (key: K) => string;
  /** Compares encoded values (the default JSON comparison cannot handle the bigints of u64 fields). */
  readonly valueEquals: (a: V, b: V) => boolean;
}

export interface ReconcileBindingOptions<V> {
  /**
   * Overrides the value comparison, e.g. to ignore counters the datapath bumps
   * (policy entries' packets/bytes), so resyncs do not reset them.
   */
  readonly valueEquals?: (a: V, b: V) => boolean;
}

/**
 * Binds a typed map as a `ReconcileTarget` for the core `Reconciler`:
 * `update` writes with ANY, `delete` of an absent key succeeds (the goal is
 * absence), `list` decodes every entry.
 */
export function reconcileBinding<K, V>(
  map: TypedMap<K, V>,
  options: ReconcileBindingOptions<V> = {},
): MapReconcileBinding<K, V> {
  const { key: keyCodec, value: valueCodec } = map.definition;
  return {
    target: {
      update: async (key, value) => map.set(key, value),
      delete: async (key) => void map.delete(key),
      list: async () => map.entries(),
    },
    keyId: (key) => Buffer.from(keyCodec.encode(key)).toString('hex'),
    valueEquals: options.valueEquals ?? ((a, b) => bytesEqual(valueCodec.encode(a), valueCodec.encode(b))),
  };
}
