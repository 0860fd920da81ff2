import { structCodec } from '../codec/codec';
import { addressUnion, ipv4, pad, u32, u8 } from '../codec/layout';
import { CodecError } from '../errors';
import { formatAddress, parseCidr } from '../ip';
import { MapType, pinnedMapDefinition, type MapDefinition, type MapOptions } from '../spec';

/** `ENDPOINT_KEY_IPV4` / `ENDPOINT_KEY_IPV6`: the family byte of ipcache and endpoint keys. */
export const EndpointKeyFamily = { IPv4: 1, IPv6: 2 } as const;

/** `struct ipcache_key` (packed, bpf/lib/maps.h): an LPM trie key. */
export interface IpcacheKey {
  /** 32 static bits (pad1, pad2, family) plus the CIDR's prefix length. */
  readonly prefixlen: number;
  readonly family: number;
  /** The address (`ip4` or `ip6` of the C union, chosen by `family`). */
  readonly ip: string;
}

/** `struct remote_endpoint_info`. */
export interface RemoteEndpointInfo {
  readonly sec_label: number;
  /** IPv4 of the node to tunnel to; `0.0.0.0` for none. */
  readonly tunnel_endpoint: string;
  /** IPsec key index. */
  readonly key: number;
}

export const ipcacheKey = structCodec<IpcacheKey>({
  name: 'ipcache_key',
  size: 24,
  fields: [
    u32('prefixlen', 0),
    pad('pad1', 4, 2),
    pad('pad2', 6, 1),
    u8('family', 7),
    addressUnion('ip', 8, 'family', EndpointKeyFamily.IPv4, EndpointKeyFamily.IPv6, ['ip4', 'ip6']),
  ],
});

export const remoteEndpointInfo = structCodec<RemoteEndpointInfo>({
  name: 'remote_endpoint_info',
  size: 12,
  fields: [u32('sec_label', 0), ipv4('tunnel_endpoint', 4), u8('key', 8)],
});

/** Bits of the ipcache key before the address that always match exactly (pad1, pad2, family). */
export const IPCACHE_STATIC_PREFIX_BITS = 32;

/** The key for a CIDR (`10.0.0.0/8`, `fd00::/64`) or a single address. */
export function ipcacheKeyFor(cidr: string): IpcacheKey {
  const parsed = parseCidr(cidr);
  if (parsed === undefined)
    throw new CodecError('ipcache_key', '', `${JSON.stringify(cidr)} is not an IP address or CIDR`);
  return {
    prefixlen: IPCACHE_STATIC_PREFIX_BITS + parsed.prefixLength,
    family: parsed.family === 4 ? EndpointKeyFamily.IPv4 : EndpointKeyFamily.IPv6,
    ip: formatAddress(parsed.address),
  };
}

/** The CIDR text of a key (`10.0.0.0/8`). */
export function ipcacheKeyCidr(key: IpcacheKey): string {
  return `${key.ip}/${key.prefixlen - IPCACHE_STATIC_PREFIX_BITS}`;
}

export const IPCACHE_MAP_NAME = 'cilium_ipcache';
export const IPCACHE_MAP_DEFAULT_MAX = 512000;

/** `cilium_ipcache`: IP/CIDR to security identity and tunnel endpoint (LPM trie). */
export function ipcacheMap(options: MapOptions = {}): MapDefinition<IpcacheKey, RemoteEndpointInfo> {
  return pinnedMapDefinition(
    IPCACHE_MAP_NAME,
    MapType.LpmTrie,
    ipcacheKey,
    remoteEndpointInfo,
    IPCACHE_MAP_DEFAULT_MAX,
    options,
  );
}
