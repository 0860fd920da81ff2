import { structCodec } from '../codec/codec';
import { be16, bits, ipv6, pad, padBits, u16, u32, u8, withAliases, type Field } from '../codec/layout';
import { MapType, pinnedMapDefinition, type MapDefinition, type MapOptions } from '../spec';
import {
  backendIdKey,
  LB_MAP_DEFAULT_MAX,
  lbAffinityVal,
  maglevInnerSpec,
  revNatIndexKey,
  type Lb4Service,
  type LbAffinityVal,
} from './lb';
import { u32Codec, u8Codec } from '../codec/codec';

/**
 * IPv6 load balancing (bpf/lib/lb.h): the same maps as IPv4 with `union v6addr`
 * addresses. Flags, scopes and backend states are the IPv4 ones
 * (`ServiceFlags`, `ServiceScope`, `BackendState`).
 */

/** `struct lb6_key` (24 bytes). */
export interface Lb6Key {
  readonly address: string;
  readonly dport: number;
  /** 0 is the service (master) entry; 1..count hold the backends. */
  readonly backend_slot: number;
  /** Always 0 in 1.12. */
  readonly proto: number;
  readonly scope: number;
}

/** `struct lb6_service`: the same fields as `lb4_service` (rev_nat_index in network order). */
export type Lb6Service = Lb4Service;

/** `struct lb6_backend` (1.12 layout, `cilium_lb6_backends_v2`). */
export interface Lb6Backend {
  readonly address: string;
  readonly port: number;
  readonly proto: number;
  readonly flags: number;
}

/** `struct lb6_reverse_nat` (packed, 18 bytes). */
export interface Lb6ReverseNat {
  readonly address: string;
  readonly port: number;
}

export const lb6Key = structCodec<Lb6Key>({
  name: 'lb6_key',
  size: 24,
  fields: [
    ipv6('address', 0),
    be16('dport', 16),
    u16('backend_slot', 18),
    u8('proto', 20),
    u8('scope', 21),
    pad('pad', 22, 2),
  ],
});

export const lb6Service = structCodec<Lb6Service>({
  name: 'lb6_service',
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

export const lb6Backend = structCodec<Lb6Backend>({
  name: 'lb6_backend',
  size: 20,
  fields: [ipv6('address', 0), be16('port', 16), u8('proto', 18), u8('flags', 19)],
});

export const lb6ReverseNat = structCodec<Lb6ReverseNat>({
  name: 'lb6_reverse_nat',
  size: 18,
  fields: [ipv6('address', 0), be16('port', 16)],
});

/** `struct lb6_affinity_key` (packed): a client IPv6, or a netns cookie for socket-LB. */
export interface Lb6AffinityKey {
  /** Set when `netns_cookie` is 0. */
  readonly client_ip?: string;
  /** Set when `netns_cookie` is 1. */
  readonly client_cookie?: bigint;
  /** Network order. */
  readonly rev_nat_id: number;
  readonly netns_cookie: number;
}

const client6Union: Field = {
  name: 'client',
  offset: 0,
  type: {
    kind: 'union',
    size: 16,
    tag: 'netns_cookie',
    cases: [
      { when: 0, name: 'client_ip', type: { kind: 'ipv6' } },
      { when: 1, name: 'client_cookie', type: { kind: 'u64', order: 'host' } },
    ],
  },
};

export const lb6AffinityKey = structCodec<Lb6AffinityKey>({
  name: 'lb6_affinity_key',
  size: 24,
  fields: [
    client6Union,
    be16('rev_nat_id', 16),
    bits('netns_cookie', 18, 1, 0, 1),
    padBits('reserved', 18, 1, 1, 7),
    pad('pad1', 19, 1),
    pad('pad2', 20, 4),
  ],
});

/** `struct lb6_src_range_key`: LPM key of a service's allowed IPv6 source CIDRs. */
export interface Lb6SrcRangeKey {
  /** 32 static bits (rev_nat_id, pad) plus the CIDR's prefix length. */
  readonly prefixlen: number;
  /** Network order. */
  readonly rev_nat_id: number;
  readonly addr: string;
}

export const lb6SrcRangeKey = structCodec<Lb6SrcRangeKey>({
  name: 'lb6_src_range_key',
  size: 24,
  fields: [u32('prefixlen', 0), be16('rev_nat_id', 4), pad('pad', 6, 2), ipv6('addr', 8)],
});

export const LB6_SERVICES_MAP_NAME = 'cilium_lb6_services_v2';
export const LB6_BACKENDS_MAP_NAME = 'cilium_lb6_backends_v2';
export const LB6_REVERSE_NAT_MAP_NAME = 'cilium_lb6_reverse_nat';
export const LB6_MAGLEV_MAP_NAME = 'cilium_lb6_maglev';
export const LB6_AFFINITY_MAP_NAME = 'cilium_lb6_affinity';
export const LB6_SOURCE_RANGE_MAP_NAME = 'cilium_lb6_source_range';

export function lb6ServicesMap(options: MapOptions = {}): MapDefinition<Lb6Key, Lb6Service> {
  return pinnedMapDefinition(
    LB6_SERVICES_MAP_NAME,
    MapType.Hash,
    lb6Key,
    lb6Service,
    LB_MAP_DEFAULT_MAX,
    options,
  );
}

export function lb6BackendsMap(options: MapOptions = {}): MapDefinition<number, Lb6Backend> {
  return pinnedMapDefinition(
    LB6_BACKENDS_MAP_NAME,
    MapType.Hash,
    backendIdKey,
    lb6Backend,
    LB_MAP_DEFAULT_MAX,
    options,
  );
}

/** `cilium_lb6_reverse_nat`: keyed by the service's rev_nat_index in network order, like IPv4's. */
export function lb6ReverseNatMap(options: MapOptions = {}): MapDefinition<number, Lb6ReverseNat> {
  return pinnedMapDefinition(
    LB6_REVERSE_NAT_MAP_NAME,
    MapType.Hash,
    revNatIndexKey,
    lb6ReverseNat,
    LB_MAP_DEFAULT_MAX,
    options,
  );
}

/** `cilium_lb6_maglev`: as `cilium_lb4_maglev`, rev_nat_index (network order) to an inner `__u32[M]` table. */
export function lb6MaglevMap(tableSize: number, options: MapOptions = {}): MapDefinition<number, number> {
  return {
    spec: {
      name: LB6_MAGLEV_MAP_NAME,
      type: MapType.HashOfMaps,
      keySize: 2,
      valueSize: 4,
      maxEntries: options.maxEntries ?? LB_MAP_DEFAULT_MAX,
      flags: 0,
      pinning: 'byName',
      innerMap: { ...maglevInnerSpec(tableSize), name: 'cilium_lb6_maglev_inner' },
    },
    key: revNatIndexKey,
    value: u32Codec,
  };
}

export function lb6AffinityMap(options: MapOptions = {}): MapDefinition<Lb6AffinityKey, LbAffinityVal> {
  return pinnedMapDefinition(
    LB6_AFFINITY_MAP_NAME,
    MapType.LruHash,
    lb6AffinityKey,
    lbAffinityVal,
    LB_MAP_DEFAULT_MAX,
    options,
  );
}

export function lb6SourceRangeMap(options: MapOptions = {}): MapDefinition<Lb6SrcRangeKey, number> {
  return pinnedMapDefinition(
    LB6_SOURCE_RANGE_MAP_NAME,
    MapType.LpmTrie,
    lb6SrcRangeKey,
    u8Codec,
    LB_MAP_DEFAULT_MAX,
    options,
  );
}
