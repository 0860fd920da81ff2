import { be16Codec, structCodec, u32ArrayCodec, u32Codec, u8Codec, type Codec } from '../codec/codec';
import { be16, ipv4, padBits, pad, u16, u32, u64, u8, withAliases, bits, type Field } from '../codec/layout';
import { MapType, pinnedMapDefinition, type MapDefinition, type MapOptions, type MapSpec } from '../spec';

/** `lb4_service.flags` (SVC_FLAG_*). */
export const ServiceFlags = {
  ExternalIp: 1,
  NodePort: 2,
  LocalScope: 4,
  HostPort: 8,
  Affinity: 16,
  LoadBalancer: 32,
  Routable: 64,
  SourceRange: 128,
} as const;

/** `lb4_service.flags2`. */
export const ServiceFlags2 = { LocalRedirect: 1, Nat46x64: 2, L7LoadBalancer: 4 } as const;

/** `lb4_key.scope`. */
export const ServiceScope = { External: 0, Internal: 1 } as const;

/** `lb4_backend.flags`: the backend's state. */
export const BackendState = { Active: 0, Terminating: 1, Quarantined: 2, Maintenance: 3 } as const;

/** `struct lb4_key`. */
export interface Lb4Key {
  readonly address: string;
  readonly dport: number;
  /** 0 is the service (master) entry; 1..count hold the backends. */
  readonly backend_slot: number;
  /** Always 0 in 1.12. */
  readonly proto: number;
  readonly scope: number;
}

/** `struct lb4_service`. */
export interface Lb4Service {
  /**
   * The C union of `backend_id` (slot entries), `affinity_timeout` (the master entry
   * of a service with session affinity) and `l7_lb_proxy_port`.
   */
  readonly backend_id: number;
  /** Number of backend slots (master entry only). */
  readonly count: number;
  /** Stored in network order. */
  readonly rev_nat_index: number;
  readonly flags: number;
  readonly flags2: number;
}

/** `struct lb4_backend` (1.12 layout, `cilium_lb4_backends_v2`). */
export interface Lb4Backend {
  readonly address: string;
  readonly port: number;
  readonly proto: number;
  readonly flags: number;
}

/** `struct lb4_reverse_nat` (packed). */
export interface Lb4ReverseNat {
  readonly address: string;
  readonly port: number;
}

export const lb4Key = structCodec<Lb4Key>({
  name: 'lb4_key',
  size: 12,
  fields: [
    ipv4('address', 0),
    be16('dport', 4),
    u16('backend_slot', 6),
    u8('proto', 8),
    u8('scope', 9),
    pad('pad', 10, 2),
  ],
});

export const lb4Service = structCodec<Lb4Service>({
  name: 'lb4_service',
  size: 12,
  fields: [
    withAliases(u32('backend_id', 0), 'affinity_timeout', 'l7_lb_proxy_port'),
    u16('count', 4),
    be16('rev_nat_index', 6),
    u8('flags', 8),
    u8('flags2', 9),
    pad('pad', 10, 2),
  ],
});

export const lb4Backend = structCodec<Lb4Backend>({
  name: 'lb4_backend',
  size: 8,
  fields: [ipv4('address', 0), be16('port', 4), u8('proto', 6), u8('flags', 7)],
});

export const lb4ReverseNat = structCodec<Lb4ReverseNat>({
  name: 'lb4_reverse_nat',
  size: 6,
  fields: [ipv4('address', 0), be16('port', 4)],
});

/** `__u32 backend_id`, host order. */
export const backendIdKey: Codec<number> = u32Codec;
/** `__u16 rev_nat_index`, network order (the reverse NAT and Maglev outer keys). */
export const revNatIndexKey: Codec<number> = be16Codec;

export const LB_MAP_DEFAULT_MAX = 65536;
export const LB4_SERVICES_MAP_NAME = 'cilium_lb4_services_v2';
export const LB4_BACKENDS_MAP_NAME = 'cilium_lb4_backends_v2';
export const LB4_REVERSE_NAT_MAP_NAME = 'cilium_lb4_reverse_nat';
export const LB4_MAGLEV_MAP_NAME = 'cilium_lb4_maglev';
export const LB4_AFFINITY_MAP_NAME = 'cilium_lb4_affinity';
export const LB_AFFINITY_MATCH_MAP_NAME = 'cilium_lb_affinity_match';
export const LB4_SOURCE_RANGE_MAP_NAME = 'cilium_lb4_source_range';

export function lb4ServicesMap(options: MapOptions = {}): MapDefinition<Lb4Key, Lb4Service> {
  return pinnedMapDefinition(
    LB4_SERVICES_MAP_NAME,
    MapType.Hash,
    lb4Key,
    lb4Service,
    LB_MAP_DEFAULT_MAX,
    options,
  );
}

export function lb4BackendsMap(options: MapOptions = {}): MapDefinition<number, Lb4Backend> {
  return pinnedMapDefinition(
    LB4_BACKENDS_MAP_NAME,
    MapType.Hash,
    backendIdKey,
    lb4Backend,
    LB_MAP_DEFAULT_MAX,
    options,
  );
}

export function lb4ReverseNatMap(options: MapOptions = {}): MapDefinition<number, Lb4ReverseNat> {
  return pinnedMapDefinition(
    LB4_REVERSE_NAT_MAP_NAME,
    MapType.Hash,
    revNatIndexKey,
    lb4ReverseNat,
    LB_MAP_DEFAULT_MAX,
    options,
  );
}

/** The inner map of `cilium_lb4_maglev`: one entry (key 0) holding the table of backend IDs, `__u32[M]`. */
export function maglevInnerSpec(tableSize: number): MapSpec {
  return {
    name: 'cilium_lb4_maglev_inner',
    type: MapType.Array,
    keySize: 4,
    valueSize: tableSize * 4,
    maxEntries: 1,
    flags: 0,
    pinning: 'none',
  };
}

/** The inner map's codecs for a table size. */
export function maglevInnerMap(tableSize: number): MapDefinition<number, number[]> {
  return { spec: maglevInnerSpec(tableSize), key: u32Codec, value: u32ArrayCodec(tableSize) };
}

/**
 * `cilium_lb4_maglev`: a hash of maps from the service's rev_nat_index (network
 * order) to an inner array holding its Maglev table. Values written are inner
 * map file descriptors; values read are inner map IDs.
 */
export function lb4MaglevMap(tableSize: number, options: MapOptions = {}): MapDefinition<number, number> {
  return {
    spec: {
      name: LB4_MAGLEV_MAP_NAME,
      type: MapType.HashOfMaps,
      keySize: 2,
      valueSize: 4,
      maxEntries: options.maxEntries ?? LB_MAP_DEFAULT_MAX,
      flags: 0,
      pinning: 'byName',
      innerMap: maglevInnerSpec(tableSize),
    },
    key: revNatIndexKey,
    value: u32Codec,
  };
}

/** `struct lb4_affinity_key` (packed): a client IP, or a netns cookie for socket-LB. */
export interface Lb4AffinityKey {
  /** Set when `netns_cookie` is 0. */
  readonly client_ip?: string;
  /** Set when `netns_cookie` is 1. */
  readonly client_cookie?: bigint;
  /** Network order. */
  readonly rev_nat_id: number;
  readonly netns_cookie: number;
}

/** `struct lb_affinity_val`. */
export interface LbAffinityVal {
  /** bpf_mono_now() seconds when the client last used the backend. */
  readonly last_used: bigint;
  readonly backend_id: number;
}

/** `struct lb_affinity_match`. */
export interface LbAffinityMatch {
  readonly backend_id: number;
  readonly rev_nat_id: number;
}

const clientUnion: Field = {
  name: 'client',
  offset: 0,
  type: {
    kind: 'union',
    size: 8,
    tag: 'netns_cookie',
    cases: [
      { when: 0, name: 'client_ip', type: { kind: 'ipv4' } },
      { when: 1, name: 'client_cookie', type: { kind: 'u64', order: 'host' } },
    ],
  },
};

export const lb4AffinityKey = structCodec<Lb4AffinityKey>({
  name: 'lb4_affinity_key',
  size: 16,
  fields: [
    clientUnion,
    be16('rev_nat_id', 8),
    bits('netns_cookie', 10, 1, 0, 1),
    padBits('reserved', 10, 1, 1, 7),
    pad('pad1', 11, 1),
    pad('pad2', 12, 4),
  ],
});

export const lbAffinityVal = structCodec<LbAffinityVal>({
  name: 'lb_affinity_val',
  size: 16,
  fields: [u64('last_used', 0), u32('backend_id', 8), pad('pad', 12, 4)],
});

export const lbAffinityMatch = structCodec<LbAffinityMatch>({
  name: 'lb_affinity_match',
  size: 8,
  fields: [u32('backend_id', 0), be16('rev_nat_id', 4), pad('pad', 6, 2)],
});

export function lb4AffinityMap(options: MapOptions = {}): MapDefinition<Lb4AffinityKey, LbAffinityVal> {
  return pinnedMapDefinition(
    LB4_AFFINITY_MAP_NAME,
    MapType.LruHash,
    lb4AffinityKey,
    lbAffinityVal,
    LB_MAP_DEFAULT_MAX,
    options,
  );
}

export function lbAffinityMatchMap(options: MapOptions = {}): MapDefinition<LbAffinityMatch, number> {
  return pinnedMapDefinition(
    LB_AFFINITY_MATCH_MAP_NAME,
    MapType.Hash,
    lbAffinityMatch,
    u8Codec,
    LB_MAP_DEFAULT_MAX,
    options,
  );
}

/** `struct lb4_src_range_key`: LPM key of a service's allowed source CIDRs. */
export interface Lb4SrcRangeKey {
  /** 32 static bits (rev_nat_id, pad) plus the CIDR's prefix length. */
  readonly prefixlen: number;
  /** Network order. */
  readonly rev_nat_id: number;
  readonly addr: string;
}

export const lb4SrcRangeKey = structCodec<Lb4SrcRangeKey>({
  name: 'lb4_src_range_key',
  size: 12,
  fields: [u32('prefixlen', 0), be16('rev_nat_id', 4), pad('pad', 6, 2), ipv4('addr', 8)],
});

export const SOURCE_RANGE_STATIC_PREFIX_BITS = 32;

export function lb4SourceRangeMap(options: MapOptions = {}): MapDefinition<Lb4SrcRangeKey, number> {
  return pinnedMapDefinition(
    LB4_SOURCE_RANGE_MAP_NAME,
    MapType.LpmTrie,
    lb4SrcRangeKey,
    u8Codec,
    LB_MAP_DEFAULT_MAX,
    options,
  );
}
