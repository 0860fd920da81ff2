import { endianness } from 'node:os';

/** What one endpoint's programs are told at load time (struct ep_config in bpf/include/common.h). */
export interface EndpointProgramConfig {
  /** Endpoint ID (1..65535); names the endpoint's policy map and tags its notifications. */
  readonly endpointId: number;
  /** The endpoint's security identity. */
  readonly identity: number;
  readonly ipv4: string;
  /** Interface index of the host-side veth the programs attach to. */
  readonly ifindex: number;
  readonly mac: string;
  readonly nodeMac: string;
  /** Emit a trace only when a connection is created (Cilium's monitor aggregation) rather than per packet. */
  readonly monitorAggregation: boolean;
}

export const EP_CONFIG_SIZE = 32;

/** Encodes struct ep_config: host-order integers, the IPv4 address in network order, raw MACs. */
export function encodeEndpointConfig(config: EndpointProgramConfig): Buffer {
  const buf = Buffer.alloc(EP_CONFIG_SIZE);
  const le = endianness() === 'LE';
  const u32 = (value: number, offset: number): void => {
    if (le) buf.writeUInt32LE(value >>> 0, offset);
    else buf.writeUInt32BE(value >>> 0, offset);
  };
  u32(config.endpointId, 0);
  u32(config.identity, 4);
  ipv4Bytes(config.ipv4).copy(buf, 8);
  u32(config.ifindex, 12);
  macBytes(config.mac).copy(buf, 16);
  macBytes(config.nodeMac).copy(buf, 22);
  u32(config.monitorAggregation ? 1 : 0, 28);
  return buf;
}

export function ipv4Bytes(ip: string): Buffer {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`invalid IPv4 address "${ip}"`);
  }
  return Buffer.from(parts);
}

export function macBytes(mac: string): Buffer {
  const parts = mac.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p)))
    throw new Error(`invalid MAC address "${mac}"`);
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}
