import { structCodec } from '../codec/codec';
import { be16, bits, pad, padBits, u32, u64, u8 } from '../codec/layout';
import { localMapName, MapType, pinnedMapDefinition, type MapDefinition, type MapOptions } from '../spec';

/** Traffic direction bit of `policy_key.egress` (`egress = !dir` with CT_EGRESS = 0). */
export const TrafficDirection = { Ingress: 0, Egress: 1 } as const;

/** `struct policy_key` (Cilium 1.12, bpf/lib/common.h): the per-endpoint hash map's key. */
export interface PolicyKey {
  /** Remote security identity; 0 matches any (host order). */
  readonly sec_label: number;
  /** Destination port (stored in network order); 0 matches any. */
  readonly dport: number;
  /** IP protocol number; 0 matches any. */
  readonly protocol: number;
  /** 1 for egress, 0 for ingress. */
  readonly egress: number;
}

/** `struct policy_entry` (Cilium 1.12). */
export interface PolicyEntry {
  /** L7 proxy port (network order in the map); 0 means no redirect. */
  readonly proxy_port: number;
  readonly deny: number;
  readonly packets: bigint;
  readonly bytes: bigint;
}

export const policyKey = structCodec<PolicyKey>({
  name: 'policy_key',
  size: 8,
  fields: [
    u32('sec_label', 0),
    be16('dport', 4),
    u8('protocol', 6),
    bits('egress', 7, 1, 0, 1),
    padBits('pad', 7, 1, 1, 7),
  ],
});

export const policyEntry = structCodec<PolicyEntry>({
  name: 'policy_entry',
  size: 24,
  fields: [
    be16('proxy_port', 0),
    bits('deny', 2, 1, 0, 1),
    padBits('pad', 2, 1, 1, 7),
    pad('pad0', 3, 1),
    pad('pad1', 4, 2),
    pad('pad2', 6, 2),
    u64('packets', 8),
    u64('bytes', 16),
  ],
});

export const POLICY_MAP_PREFIX = 'cilium_policy_';
/** `bpf-policy-map-max` default; Cilium allows 256..65536. */
export const POLICY_MAP_DEFAULT_MAX = 16384;

/** `cilium_policy_<epid5>`: Cilium 1.12's per-endpoint policy hash map. */
export function policyMap(
  endpointId: number,
  options: MapOptions = {},
): MapDefinition<PolicyKey, PolicyEntry> {
  const name = localMapName(POLICY_MAP_PREFIX, endpointId);
  return pinnedMapDefinition(name, MapType.Hash, policyKey, policyEntry, POLICY_MAP_DEFAULT_MAX, options);
}

/**
 * `struct policy_key` of current Cilium (bpf/lib/policy.h): an LPM trie key so
 * one entry can cover a port range. The prefix runs over sec_label (32 bits),
 * the egress byte (8), protocol (8) and then the port's leading bits.
 */
export interface PolicyKeyV2 {
  readonly prefixlen: number;
  readonly sec_label: number;
  readonly egress: number;
  readonly protocol: number;
  readonly dport: number;
}

/** `struct policy_entry` of current Cilium: counters moved to `cilium_policystats`. */
export interface PolicyEntryV2 {
  readonly proxy_port: number;
  readonly deny: number;
  /** Prefix length of the key that matched, so the datapath can compare precedence. */
  readonly lpm_prefix_length: number;
  readonly auth_type: number;
  readonly has_explicit_auth_type: number;
  readonly precedence: number;
  readonly cookie: number;
}

export const policyKeyV2 = structCodec<PolicyKeyV2>({
  name: 'policy_key_v2',
  size: 12,
  fields: [
    u32('prefixlen', 0),
    u32('sec_label', 4),
    bits('egress', 8, 1, 0, 1),
    padBits('pad', 8, 1, 1, 7),
    u8('protocol', 9),
    be16('dport', 10),
  ],
});

export const policyEntryV2 = structCodec<PolicyEntryV2>({
  name: 'policy_entry_v2',
  size: 12,
  fields: [
    be16('proxy_port', 0),
    bits('deny', 2, 1, 0, 1),
    padBits('reserved', 2, 1, 1, 2),
    bits('lpm_prefix_length', 2, 1, 3, 5),
    bits('auth_type', 3, 1, 0, 7),
    bits('has_explicit_auth_type', 3, 1, 7, 1),
    u32('precedence', 4),
    u32('cookie', 8),
  ],
});

/** Bits of the v2 key that are always matched exactly: identity and direction. */
export const POLICY_V2_STATIC_PREFIX_BITS = 40;
/** Prefix length of a v2 key with a protocol and the whole port given. */
export const POLICY_V2_FULL_PREFIX_BITS = 64;

/**
 * The v2 prefix length for a protocol and a port range expressed as a
 * prefix: `protocol` 0 wildcards protocol and port; `portPrefixBits` 0..16 is how
 * many leading bits of the port are fixed (16 = one port, 0 = any port).
 */
export function policyV2PrefixLength(protocol: number, portPrefixBits: number): number {
  if (protocol === 0) return POLICY_V2_STATIC_PREFIX_BITS;
  return POLICY_V2_STATIC_PREFIX_BITS + 8 + portPrefixBits;
}

/**
 * Splits an inclusive port range into the fewest (port, prefix bits) pairs
 * that cover it exactly, as the LPM policy map needs.
 */
export function portRangeToPrefixes(
  first: number,
  last: number,
): Array<{ port: number; prefixBits: number }> {
  const out: Array<{ port: number; prefixBits: number }> = [];
  let port = first;
  while (port <= last) {
    let size = 1;
    let bitsFree = 0;
    // Grow the block while it stays aligned and inside the range.
    while (bitsFree < 16 && port % (size * 2) === 0 && port + size * 2 - 1 <= last) {
      size *= 2;
      bitsFree++;
    }
    out.push({ port, prefixBits: 16 - bitsFree });
    port += size;
  }
  return out;
}

export const POLICY_V2_MAP_PREFIX = 'cilium_policy_v2_';

/** `cilium_policy_v2_<epid5>`: current Cilium's per-endpoint LPM policy map (port ranges). */
export function policyMapV2(
  endpointId: number,
  options: MapOptions = {},
): MapDefinition<PolicyKeyV2, PolicyEntryV2> {
  const name = localMapName(POLICY_V2_MAP_PREFIX, endpointId);
  return pinnedMapDefinition(
    name,
    MapType.LpmTrie,
    policyKeyV2,
    policyEntryV2,
    POLICY_MAP_DEFAULT_MAX,
    options,
  );
}
