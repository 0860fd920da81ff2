import type { ReconcileTarget } from '@ciliary/core';
import type { MapBackend, MapHandle, OpenOptions } from './backend/types';
import { Errno, KeyNotFoundError, mapErrorFor } from './errors';
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
  constructor(
    readonly handle: MapHandle,
    readonly definition: MapDefinition<K, V>,
  ) {}

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
    const value = this.handle.lookup(this.definition.key.encode(key));
    return value === undefined ? undefined : this.definition.value.decode(value);
  }

  set(key: K, value: V, flag: UpdateFlag = 'any'): void {
    this.handle.update(this.definition.key.encode(key), this.definition.value.encode(value), flag);
  }

  /** Deletes the key; false when it was not there. */
  delete(key: K): boolean {
    try {
      this.handle.delete(this.definition.key.encode(key));
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

  /** Writes many entries with one batch syscall. */
  setMany(entries: ReadonlyArray<readonly [K, V]>): void {
    this.handle.updateBatch(
      entries.map(([k, v]) => [this.definition.key.encode(k), this.definition.value.encode(v)]),
    );
  }

  /** Reads every entry with batch syscalls. */
  getAll(): Array<[K, V]> {
    return this.handle
      .lookupBatch()
      .map(([k, v]) => [this.definition.key.decode(k), this.definition.value.decode(v)]);
  }

  close(): void {
    this.handle.close();
  }
}

/** A per-CPU map: each key holds one value per possible CPU. */
export class PerCpuTypedMap<K, V> {
  private readonly stride: number;
  constructor(
    readonly handle: MapHandle,
    readonly definition: MapDefinition<K, V>,
    readonly possibleCpus: number,
  ) {
    if (!isPerCpu(definition.spec.type)) throw new Error(`${definition.spec.name} is not a per-CPU map`);
    this.stride = perCpuValueStride(definition.spec.valueSize);
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
    const value = this.handle.lookup(this.definition.key.encode(key));
    return value === undefined ? undefined : this.decodeAll(value);
  }

  /** Writes one value per CPU; `values.length` must equal the possible CPUs. */
  set(key: K, values: readonly V[], flag: UpdateFlag = 'any'): void {
    if (values.length !== this.possibleCpus)
      throw new Error(
        `${this.handle.name}: ${values.length} per-CPU values given, the map holds ${this.possibleCpus}`,
      );
    const buffer = new Uint8Array(this.stride * this.possibleCpus);
    values.forEach((v, cpu) => this.definition.value.encodeInto(v, buffer, cpu * this.stride));
    this.handle.update(this.definition.key.encode(key), buffer, flag);
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
