import type { MapBackend, OpenOptions } from '../backend/types';
import { CodecError } from '../errors';
import { parseCidr } from '../ip';
import {
  ipcacheKeyCidr,
  ipcacheKeyFor,
  ipcacheMap,
  type IpcacheKey,
  type RemoteEndpointInfo,
} from '../maps/ipcache';
import type { MapOptions } from '../spec';
import { TypedMap } from '../typed-map';

/** What the ipcache says about a CIDR. */
export interface IpcacheEntry {
  readonly cidr: string;
  readonly identity: number;
  /** IPv4 of the node hosting the address, or undefined when none (0.0.0.0 in the map). */
  readonly tunnelEndpoint?: string;
  /** IPsec key index. */
  readonly encryptKey: number;
}

function toValue(entry: Omit<IpcacheEntry, 'cidr'>): RemoteEndpointInfo {
  return {
    sec_label: entry.identity,
    tunnel_endpoint: entry.tunnelEndpoint ?? '0.0.0.0',
    key: entry.encryptKey,
  };
}

function fromEntry(key: IpcacheKey, value: RemoteEndpointInfo): IpcacheEntry {
  return {
    cidr: ipcacheKeyCidr(key),
    identity: value.sec_label,
    ...(value.tunnel_endpoint === '0.0.0.0' ? {} : { tunnelEndpoint: value.tunnel_endpoint }),
    encryptKey: value.key,
  };
}

/** `cilium_ipcache` with the operations the agent needs, in CIDR terms. */
export class IpcacheMap {
  constructor(readonly map: TypedMap<IpcacheKey, RemoteEndpointInfo>) {}

  static open(backend: MapBackend, options: MapOptions & OpenOptions = {}): IpcacheMap {
    return new IpcacheMap(TypedMap.open(backend, ipcacheMap(options), options));
  }

  upsert(cidr: string, entry: { identity: number; tunnelEndpoint?: string; encryptKey?: number }): void {
    this.map.set(ipcacheKeyFor(cidr), toValue({ ...entry, encryptKey: entry.encryptKey ?? 0 }));
  }

  delete(cidr: string): boolean {
    return this.map.delete(ipcacheKeyFor(cidr));
  }

  /**
   * What the datapath finds for an address: the longest matching prefix's
   * identity and tunnel endpoint (the kernel does not say which prefix matched).
   */
  lookup(address: string): Omit<IpcacheEntry, 'cidr'> | undefined {
    const parsed = parseCidr(address);
    if (parsed === undefined || parsed.prefixLength !== parsed.address.length * 8)
      throw new CodecError('ipcache_key', '/ip', `${JSON.stringify(address)} is not an IP address`);
    const key = ipcacheKeyFor(address);
    const value = this.map.get(key);
    if (value === undefined) return undefined;
    const { cidr: _cidr, ...found } = fromEntry(key, value);
    return found;
  }

  /** Every entry, sorted by CIDR text. */
  list(): IpcacheEntry[] {
    return this.map
      .entries()
      .map(([k, v]) => fromEntry(k, v))
      .sort((a, b) => a.cidr.localeCompare(b.cidr));
  }
}
