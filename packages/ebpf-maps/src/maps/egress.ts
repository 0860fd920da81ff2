import { structCodec } from '../codec/codec';
import { ipv4, u32 } from '../codec/layout';
import { CodecError } from '../errors';
import { formatAddress, parseCidr, parseIPv4 } from '../ip';
import { MapType, pinnedMapDefinition, type MapDefinition, type MapOptions } from '../spec';

/** `struct egress_gw_policy_key`: LPM over the full source IP, then the destination CIDR. */
export interface EgressGwPolicyKey {
  /** 32 (the whole source IP) plus the destination CIDR's prefix length. */
  readonly prefixlen: number;
  readonly saddr: string;
  readonly daddr: string;
}

/** `struct egress_gw_policy_entry`. */
export interface EgressGwPolicyEntry {
  readonly egress_ip: string;
  readonly gateway_ip: string;
}

export const egressGwPolicyKey = structCodec<EgressGwPolicyKey>({
  name: 'egress_gw_policy_key',
  size: 12,
  fields: [u32('prefixlen', 0), ipv4('saddr', 4), ipv4('daddr', 8)],
});

export const egressGwPolicyEntry = structCodec<EgressGwPolicyEntry>({
  name: 'egress_gw_policy_entry',
  size: 8,
  fields: [ipv4('egress_ip', 0), ipv4('gateway_ip', 4)],
});

export const EGRESS_STATIC_PREFIX_BITS = 32;

/** The key for a pod's source IP and a destination CIDR. */
export function egressGwPolicyKeyFor(sourceIp: string, destinationCidr: string): EgressGwPolicyKey {
  const cidr = parseCidr(destinationCidr);
  if (parseIPv4(sourceIp) === undefined)
    throw new CodecError(
      'egress_gw_policy_key',
      '/saddr',
      `${JSON.stringify(sourceIp)} is not an IPv4 address`,
    );
  if (cidr === undefined || cidr.family !== 4)
    throw new CodecError(
      'egress_gw_policy_key',
      '/daddr',
      `${JSON.stringify(destinationCidr)} is not an IPv4 CIDR`,
    );
  return {
    prefixlen: EGRESS_STATIC_PREFIX_BITS + cidr.prefixLength,
    saddr: sourceIp,
    daddr: formatAddress(cidr.address),
  };
}

export function egressGwPolicyKeyCidr(key: EgressGwPolicyKey): string {
  return `${key.daddr}/${key.prefixlen - EGRESS_STATIC_PREFIX_BITS}`;
}

export const EGRESS_POLICY_MAP_NAME = 'cilium_egress_gw_policy_v4';
/** 1<<14. */
export const EGRESS_POLICY_MAP_DEFAULT_MAX = 16384;

/** `cilium_egress_gw_policy_v4`: (source IP, destination CIDR) to egress IP and gateway node (LPM trie). */
export function egressPolicyMap(
  options: MapOptions = {},
): MapDefinition<EgressGwPolicyKey, EgressGwPolicyEntry> {
  return pinnedMapDefinition(
    EGRESS_POLICY_MAP_NAME,
    MapType.LpmTrie,
    egressGwPolicyKey,
    egressGwPolicyEntry,
    EGRESS_POLICY_MAP_DEFAULT_MAX,
    options,
  );
}
