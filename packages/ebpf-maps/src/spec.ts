import type { Codec } from './codec/codec';

/** Kernel map types (enum bpf_map_type), the ones Cilium uses. */
export const MapType = {
  Hash: 1,
  Array: 2,
  ProgArray: 3,
  PerfEventArray: 4,
  PerCpuHash: 5,
  PerCpuArray: 6,
  LruHash: 9,
  LruPerCpuHash: 10,
  LpmTrie: 11,
  ArrayOfMaps: 12,
  HashOfMaps: 13,
  RingBuf: 27,
} as const;
export type MapType = (typeof MapType)[keyof typeof MapType];

export function mapTypeName(type: number): string {
  const entry = Object.entries(MapType).find(([, value]) => value === type);
  return entry === undefined ? `type ${type}` : entry[0];
}

/** Map creation flags (BPF_F_*). */
export const MapFlags = {
  NoPrealloc: 1,
  NoCommonLru: 2,
  RdonlyProg: 1 << 7,
  WronlyProg: 1 << 8,
} as const;

/** Update flags of BPF_MAP_UPDATE_ELEM. */
export type UpdateFlag = 'any' | 'noexist' | 'exist';
export const updateFlagValue: Record<UpdateFlag, number> = { any: 0, noexist: 1, exist: 2 };

/** Cilium's bpffs directory for global maps: `DefaultMapRoot` + `tc/globals`. */
export const DEFAULT_PIN_ROOT = '/sys/fs/bpf/tc/globals';

/**
 * A map as plain data, in the shape of cilium/ebpf's MapSpec: what to create,
 * or what a pinned map must look like to be reused. Opening one through a
 * backend gives a live handle.
 */
export interface MapSpec {
  /** The pin name, e.g. `cilium_policy_00042` (the kernel keeps only the first 15 characters as the map's name). */
  readonly name: string;
  readonly type: MapType;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  /** `byName` pins at `<pin root>/<name>` and reuses a compatible map already pinned there. */
  readonly pinning: 'none' | 'byName';
  /** The template of the inner maps of an ARRAY_OF_MAPS / HASH_OF_MAPS. */
  readonly innerMap?: MapSpec;
}

/** A spec with the codecs of its key and value: what typed maps are opened from. */
export interface MapDefinition<K, V> {
  readonly spec: MapSpec;
  readonly key: Codec<K>;
  readonly value: Codec<V>;
}

export function pinPath(spec: Pick<MapSpec, 'name'>, pinRoot: string = DEFAULT_PIN_ROOT): string {
  return `${pinRoot.replace(/\/+$/, '')}/${spec.name}`;
}

/** Per-endpoint map names: `cilium_policy_` + endpoint 42 gives `cilium_policy_00042` (Cilium's `LocalMapName`). */
export function localMapName(prefix: string, id: number): string {
  return `${prefix}${String(id).padStart(5, '0')}`;
}

/** Whether a map type keeps one value per possible CPU. */
export function isPerCpu(type: number): boolean {
  return type === MapType.PerCpuHash || type === MapType.PerCpuArray || type === MapType.LruPerCpuHash;
}

export function isMapOfMaps(type: number): boolean {
  return type === MapType.ArrayOfMaps || type === MapType.HashOfMaps;
}

/** The kernel's layout of per-CPU values: each CPU's value is rounded up to 8 bytes. */
export function perCpuValueStride(valueSize: number): number {
  return Math.ceil(valueSize / 8) * 8;
}

/** Sizing options every map factory takes; defaults are Cilium 1.12's. */
export interface MapOptions {
  readonly maxEntries?: number;
  /** Cilium's `--preallocate-bpf-maps` (Helm `bpf.preallocateMaps`, default false). */
  readonly preallocate?: boolean;
}

/**
 * The flags Cilium gives a map: hash maps get BPF_F_NO_PREALLOC unless maps are
 * preallocated (`CONDITIONAL_PREALLOC`), LPM tries always need it, LRU maps and arrays get none.
 */
export function conditionalPreallocFlags(type: MapType, preallocate = false): number {
  if (type === MapType.LpmTrie) return MapFlags.NoPrealloc;
  if (type === MapType.Hash || type === MapType.PerCpuHash) return preallocate ? 0 : MapFlags.NoPrealloc;
  return 0;
}

/** A map pinned by name with its key and value codecs: the definition every Cilium map here has. */
export function pinnedMapDefinition<K, V>(
  name: string,
  type: MapType,
  key: Codec<K>,
  value: Codec<V>,
  maxEntries: number,
  options: MapOptions = {},
): MapDefinition<K, V> {
  return { spec: pinnedSpec(name, type, key, value, maxEntries, options), key, value };
}

/** Builds a pinned spec from the codecs' sizes. */
export function pinnedSpec(
  name: string,
  type: MapType,
  key: Codec<unknown>,
  value: Codec<unknown>,
  maxEntries: number,
  options: MapOptions = {},
): MapSpec {
  return {
    name,
    type,
    keySize: key.size,
    valueSize: value.size,
    maxEntries: options.maxEntries ?? maxEntries,
    flags: conditionalPreallocFlags(type, options.preallocate),
    pinning: 'byName',
  };
}
