import { structCodec } from '../codec/codec';
import { addressUnion, mac, pad, u16, u32, u8 } from '../codec/layout';
import { CodecError } from '../errors';
import { formatAddress, parseCidr } from '../ip';
import { MapType, pinnedMapDefinition, type MapDefinition, type MapOptions } from '../spec';
import { EndpointKeyFamily } from './ipcache';

/** `struct endpoint_key` (packed, 20 bytes): keys of `cilium_lxc` and both sides of `cilium_tunnel_map`. */
export interface EndpointKey {
  /** The address (`ip4` or `ip6` of the C union, chosen by `family`). */
  readonly ip: string;
  readonly family: number;
  /** IPsec key index (tunnel map values). */
  readonly key: number;
}

/** `endpoint_info.flags`. */
export const EndpointFlags = { Host: 1 } as const;

/** `struct endpoint_info` (48 bytes). */
export interface EndpointInfo {
  readonly ifindex: number;
  readonly lxc_id: number;
  readonly flags: number;
  readonly mac: string;
  readonly node_mac: string;
}

export const endpointKey = structCodec<EndpointKey>({
  name: 'endpoint_key',
  size: 20,
  fields: [
    addressUnion('ip', 0, 'family', EndpointKeyFamily.IPv4, EndpointKeyFamily.IPv6, ['ip4', 'ip6']),
    u8('family', 16),
    u8('key', 17),
    pad('pad5', 18, 2),
  ],
});

export const endpointInfo = structCodec<EndpointInfo>({
  name: 'endpoint_info',
  size: 48,
  fields: [
    u32('ifindex', 0),
    pad('unused', 4, 2),
    u16('lxc_id', 6),
    u32('flags', 8),
    mac('mac', 16),
    mac('node_mac', 24),
    pad('pad', 32, 16),
  ],
});

/** The endpoint key for an address; `key` is the IPsec key index (0 without encryption). */
export function endpointKeyFor(address: string, key = 0): EndpointKey {
  const parsed = parseCidr(address);
  if (parsed === undefined || parsed.prefixLength !== parsed.address.length * 8)
    throw new CodecError('endpoint_key', '/ip', `${JSON.stringify(address)} is not an IP address`);
  return {
    ip: formatAddress(parsed.address),
    family: parsed.family === 4 ? EndpointKeyFamily.IPv4 : EndpointKeyFamily.IPv6,
    key,
  };
}

export const LXC_MAP_NAME = 'cilium_lxc';
export const LXC_MAP_DEFAULT_MAX = 65535;
export const TUNNEL_MAP_NAME = 'cilium_tunnel_map';
export const TUNNEL_MAP_DEFAULT_MAX = 65536;

/** `cilium_lxc`: local endpoints by IP. */
export function lxcMap(options: MapOptions = {}): MapDefinition<EndpointKey, EndpointInfo> {
  return pinnedMapDefinition(
    LXC_MAP_NAME,
    MapType.Hash,
    endpointKey,
    endpointInfo,
    LXC_MAP_DEFAULT_MAX,
    options,
  );
}

/**
 * `cilium_tunnel_map`: a remote node's pod CIDR base address (the datapath masks
 * the destination) to the node's IP; the value's `key` is the encryption key.
 */
export function tunnelMap(options: MapOptions = {}): MapDefinition<EndpointKey, EndpointKey> {
  return pinnedMapDefinition(
    TUNNEL_MAP_NAME,
    MapType.Hash,
    endpointKey,
    endpointKey,
    TUNNEL_MAP_DEFAULT_MAX,
    options,
  );
}
