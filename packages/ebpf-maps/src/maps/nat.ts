import { structCodec } from '../codec/codec';
import { be16, ipv4, ipv6, pad, u64, withAliases } from '../codec/layout';
import { MapType, pinnedMapDefinition, type MapDefinition, type MapOptions } from '../spec';
import { ipv4CtTuple, ipv6CtTuple, type Ipv4CtTuple, type Ipv6CtTuple } from './conntrack';

/** `struct ipv4_nat_entry` (bpf/lib/nat.h): `struct nat_entry` then the translated address and port. */
export interface Ipv4NatEntry {
  readonly created: bigint;
  readonly host_local: bigint;
  /**
   * The C union of `to_saddr` (egress entries: the address to SNAT to) and
   * `to_daddr` (ingress entries: the address to reverse-translate to).
   */
  readonly to_saddr: string;
  /** The C union of `to_sport` and `to_dport`. */
  readonly to_sport: number;
}

export const ipv4NatEntry = structCodec<Ipv4NatEntry>({
  name: 'ipv4_nat_entry',
  size: 40,
  fields: [
    u64('created', 0),
    u64('host_local', 8),
    pad('pad1', 16, 8),
    pad('pad2', 24, 8),
    withAliases(ipv4('to_saddr', 32), 'to_daddr'),
    withAliases(be16('to_sport', 36), 'to_dport'),
  ],
});

export const SNAT_MAP_V4_NAME = 'cilium_snat_v4_external';
/** Two thirds of the CT maps' combined size. */
export const SNAT_MAP_DEFAULT_MAX = 524288;

/** `cilium_snat_v4_external`: SNAT (masquerading and NodePort) translations (LRU hash). */
export function snat4Map(options: MapOptions = {}): MapDefinition<Ipv4CtTuple, Ipv4NatEntry> {
  return pinnedMapDefinition(
    SNAT_MAP_V4_NAME,
    MapType.LruHash,
    ipv4CtTuple,
    ipv4NatEntry,
    SNAT_MAP_DEFAULT_MAX,
    options,
  );
}

/** `struct ipv6_nat_entry`: `struct nat_entry` then the translated IPv6 address and port. */
export interface Ipv6NatEntry {
  readonly created: bigint;
  readonly host_local: bigint;
  /** The C union of `to_saddr` (egress entries) and `to_daddr` (ingress entries). */
  readonly to_saddr: string;
  /** The C union of `to_sport` and `to_dport`. */
  readonly to_sport: number;
}

export const ipv6NatEntry = structCodec<Ipv6NatEntry>({
  name: 'ipv6_nat_entry',
  size: 56,
  fields: [
    u64('created', 0),
    u64('host_local', 8),
    pad('pad1', 16, 8),
    pad('pad2', 24, 8),
    withAliases(ipv6('to_saddr', 32), 'to_daddr'),
    withAliases(be16('to_sport', 48), 'to_dport'),
  ],
});

export const SNAT_MAP_V6_NAME = 'cilium_snat_v6_external';

/** `cilium_snat_v6_external`: IPv6 SNAT translations (LRU hash). */
export function snat6Map(options: MapOptions = {}): MapDefinition<Ipv6CtTuple, Ipv6NatEntry> {
  return pinnedMapDefinition(
    SNAT_MAP_V6_NAME,
    MapType.LruHash,
    ipv6CtTuple,
    ipv6NatEntry,
    SNAT_MAP_DEFAULT_MAX,
    options,
  );
}
