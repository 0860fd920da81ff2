import { structCodec } from '../codec/codec';
import { be16, bits, ipv4, ipv6, padBits, u16, u32, u64, u8, withAliases } from '../codec/layout';
import { MapType, pinnedMapDefinition, type MapDefinition, type MapOptions } from '../spec';

/** `ipv4_ct_tuple.flags` (TUPLE_F_*). */
export const TupleFlags = { Out: 0, In: 1, Related: 2, Service: 4 } as const;

/**
 * `struct ipv4_ct_tuple` (packed, 14 bytes). As the C source notes, the address
 * fields are named for the reply direction and the ports for the original one.
 */
export interface Ipv4CtTuple {
  readonly daddr: string;
  readonly saddr: string;
  readonly dport: number;
  readonly sport: number;
  readonly nexthdr: number;
  readonly flags: number;
}

/** `struct ct_entry` (56 bytes). */
export interface CtEntry {
  readonly rx_packets: bigint;
  /** The C union of `rx_bytes` and, for service entries, `backend_id`. */
  readonly rx_bytes: bigint;
  readonly tx_packets: bigint;
  readonly tx_bytes: bigint;
  /** Expiry, in bpf_mono_now() seconds. */
  readonly lifetime: number;
  readonly rx_closing: number;
  readonly tx_closing: number;
  readonly nat46: number;
  readonly lb_loopback: number;
  readonly seen_non_syn: number;
  readonly node_port: number;
  readonly proxy_redirect: number;
  readonly dsr: number;
  readonly from_l7lb: number;
  /** Network order, like `lb4_service.rev_nat_index`. */
  readonly rev_nat_index: number;
  readonly ifindex: number;
  readonly tx_flags_seen: number;
  readonly rx_flags_seen: number;
  readonly src_sec_id: number;
  readonly last_tx_report: number;
  readonly last_rx_report: number;
}

export const ipv4CtTuple = structCodec<Ipv4CtTuple>({
  name: 'ipv4_ct_tuple',
  size: 14,
  fields: [
    ipv4('daddr', 0),
    ipv4('saddr', 4),
    be16('dport', 8),
    be16('sport', 10),
    u8('nexthdr', 12),
    u8('flags', 13),
  ],
});

/**
 * `struct ipv6_ct_tuple` (packed, 38 bytes): the IPv6 form of {@link Ipv4CtTuple},
 * with the same naming of addresses (reply direction) and ports (original direction).
 */
export interface Ipv6CtTuple {
  readonly daddr: string;
  readonly saddr: string;
  readonly dport: number;
  readonly sport: number;
  readonly nexthdr: number;
  readonly flags: number;
}

export const ipv6CtTuple = structCodec<Ipv6CtTuple>({
  name: 'ipv6_ct_tuple',
  size: 38,
  fields: [
    ipv6('daddr', 0),
    ipv6('saddr', 16),
    be16('dport', 32),
    be16('sport', 34),
    u8('nexthdr', 36),
    u8('flags', 37),
  ],
});

const ctFlagBits = [
  'rx_closing',
  'tx_closing',
  'nat46',
  'lb_loopback',
  'seen_non_syn',
  'node_port',
  'proxy_redirect',
  'dsr',
  'from_l7lb',
];

export const ctEntry = structCodec<CtEntry>({
  name: 'ct_entry',
  size: 56,
  fields: [
    u64('rx_packets', 0),
    withAliases(u64('rx_bytes', 8), 'backend_id'),
    u64('tx_packets', 16),
    u64('tx_bytes', 24),
    u32('lifetime', 32),
    ...ctFlagBits.map((name, bit) => bits(name, 36, 2, bit, 1)),
    padBits('reserved', 36, 2, 9, 7),
    be16('rev_nat_index', 38),
    u16('ifindex', 40),
    u8('tx_flags_seen', 42),
    u8('rx_flags_seen', 43),
    u32('src_sec_id', 44),
    u32('last_tx_report', 48),
    u32('last_rx_report', 52),
  ],
});

export const CT_MAP_TCP4_NAME = 'cilium_ct4_global';
export const CT_MAP_ANY4_NAME = 'cilium_ct_any4_global';
/** 2<<18; Cilium allows 1Ki..16Mi. */
export const CT_MAP_TCP_DEFAULT_MAX = 524288;
/** 2<<17. */
export const CT_MAP_ANY_DEFAULT_MAX = 262144;

/** `cilium_ct4_global`: TCP connection tracking (LRU hash). */
export function ct4TcpMap(options: MapOptions = {}): MapDefinition<Ipv4CtTuple, CtEntry> {
  return pinnedMapDefinition(
    CT_MAP_TCP4_NAME,
    MapType.LruHash,
    ipv4CtTuple,
    ctEntry,
    CT_MAP_TCP_DEFAULT_MAX,
    options,
  );
}

/** `cilium_ct_any4_global`: non-TCP connection tracking (LRU hash). */
export function ct4AnyMap(options: MapOptions = {}): MapDefinition<Ipv4CtTuple, CtEntry> {
  return pinnedMapDefinition(
    CT_MAP_ANY4_NAME,
    MapType.LruHash,
    ipv4CtTuple,
    ctEntry,
    CT_MAP_ANY_DEFAULT_MAX,
    options,
  );
}

export const CT_MAP_TCP6_NAME = 'cilium_ct6_global';
export const CT_MAP_ANY6_NAME = 'cilium_ct_any6_global';

/** `cilium_ct6_global`: IPv6 TCP connection tracking (LRU hash), the same `ct_entry` values as IPv4. */
export function ct6TcpMap(options: MapOptions = {}): MapDefinition<Ipv6CtTuple, CtEntry> {
  return pinnedMapDefinition(
    CT_MAP_TCP6_NAME,
    MapType.LruHash,
    ipv6CtTuple,
    ctEntry,
    CT_MAP_TCP_DEFAULT_MAX,
    options,
  );
}

/** `cilium_ct_any6_global`: IPv6 non-TCP connection tracking (LRU hash). */
export function ct6AnyMap(options: MapOptions = {}): MapDefinition<Ipv6CtTuple, CtEntry> {
  return pinnedMapDefinition(
    CT_MAP_ANY6_NAME,
    MapType.LruHash,
    ipv6CtTuple,
    ctEntry,
    CT_MAP_ANY_DEFAULT_MAX,
    options,
  );
}
