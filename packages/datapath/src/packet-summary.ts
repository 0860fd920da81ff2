/** What a captured packet says about itself, as far as the first 128 bytes tell. */
export interface PacketSummary {
  readonly src?: string;
  readonly dst?: string;
  /** IP protocol number. */
  readonly protocol?: number;
  readonly srcPort?: number;
  readonly dstPort?: number;
  /** TCP flags by name (SYN, ACK, FIN, RST, PSH, URG). */
  readonly tcpFlags?: readonly string[];
  /** ICMP type name or number. */
  readonly icmp?: string;
  /** One line, as cilium monitor ends its lines: `10.0.0.1:3000 -> 10.0.0.2:80 tcp SYN`. */
  readonly text: string;
}

const ICMP_TYPES: Record<number, string> = {
  0: 'EchoReply',
  3: 'DestinationUnreachable',
  8: 'EchoRequest',
  11: 'TimeExceeded',
};

const TCP_FLAG_NAMES: Array<[number, string]> = [
  [0x02, 'SYN'],
  [0x10, 'ACK'],
  [0x01, 'FIN'],
  [0x04, 'RST'],
  [0x08, 'PSH'],
  [0x20, 'URG'],
];

function ipv4(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

function u16(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] ?? 0) << 8) | (bytes[offset + 1] ?? 0);
}

/** Reads Ethernet, IPv4 and the L4 header from captured bytes; missing parts are left out. */
export function summarizePacket(bytes: Uint8Array): PacketSummary {
  if (bytes.length < 14) return { text: 'truncated frame' };
  const ethertype = u16(bytes, 12);
  if (ethertype === 0x0806) return { text: 'ARP' };
  if (ethertype !== 0x0800) return { text: `ethertype 0x${ethertype.toString(16).padStart(4, '0')}` };
  if (bytes.length < 34) return { text: 'truncated IPv4 header' };
  const ihl = ((bytes[14] ?? 0) & 0x0f) * 4;
  const protocol = bytes[23] ?? 0;
  const src = ipv4(bytes, 26);
  const dst = ipv4(bytes, 30);
  const l4 = 14 + ihl;
  if ((protocol === 6 || protocol === 17 || protocol === 132) && bytes.length >= l4 + 4) {
    const srcPort = u16(bytes, l4);
    const dstPort = u16(bytes, l4 + 2);
    const name = protocol === 6 ? 'tcp' : protocol === 17 ? 'udp' : 'sctp';
    if (protocol === 6 && bytes.length >= l4 + 14) {
      const flags = bytes[l4 + 13] ?? 0;
      const tcpFlags = TCP_FLAG_NAMES.filter(([bit]) => flags & bit).map(([, n]) => n);
      return {
        src,
        dst,
        protocol,
        srcPort,
        dstPort,
        tcpFlags,
        text: `${src}:${srcPort} -> ${dst}:${dstPort} ${name} ${tcpFlags.join(', ')}`.trimEnd(),
      };
    }
    return { src, dst, protocol, srcPort, dstPort, text: `${src}:${srcPort} -> ${dst}:${dstPort} ${name}` };
  }
  if (protocol === 1 && bytes.length > l4) {
    const type = bytes[l4] ?? 0;
    const icmp = ICMP_TYPES[type] ?? `type ${type}`;
    return { src, dst, protocol, icmp, text: `${src} -> ${dst} ${icmp}` };
  }
  return { src, dst, protocol, text: `${src} -> ${dst} proto ${protocol}` };
}
