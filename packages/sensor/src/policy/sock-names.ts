/** Names Tetragon prints in KprobeSock and accepts in Family/Protocol/State selectors. */
export const FAMILIES: Readonly<Record<number, string>> = {
  1: 'AF_UNIX',
  2: 'AF_INET',
  10: 'AF_INET6',
  16: 'AF_NETLINK',
  17: 'AF_PACKET',
};
export const SOCK_TYPES: Readonly<Record<number, string>> = {
  1: 'SOCK_STREAM',
  2: 'SOCK_DGRAM',
  3: 'SOCK_RAW',
  4: 'SOCK_RDM',
  5: 'SOCK_SEQPACKET',
  6: 'SOCK_DCCP',
  10: 'SOCK_PACKET',
};
export const PROTOCOLS: Readonly<Record<number, string>> = {
  0: 'IPPROTO_IP',
  1: 'IPPROTO_ICMP',
  6: 'IPPROTO_TCP',
  17: 'IPPROTO_UDP',
  58: 'IPPROTO_ICMPV6',
  132: 'IPPROTO_SCTP',
  136: 'IPPROTO_UDPLITE',
  255: 'IPPROTO_RAW',
  262: 'IPPROTO_MPTCP',
};
export const TCP_STATES: Readonly<Record<number, string>> = {
  1: 'TCP_ESTABLISHED',
  2: 'TCP_SYN_SENT',
  3: 'TCP_SYN_RECV',
  4: 'TCP_FIN_WAIT1',
  5: 'TCP_FIN_WAIT2',
  6: 'TCP_TIME_WAIT',
  7: 'TCP_CLOSE',
  8: 'TCP_CLOSE_WAIT',
  9: 'TCP_LAST_ACK',
  10: 'TCP_LISTEN',
  11: 'TCP_CLOSING',
  12: 'TCP_NEW_SYN_RECV',
};

/** A number for `value`: decimal, 0x hex, or one of `names`. */
export function numberByName(value: string, names: Readonly<Record<number, string>>): number | undefined {
  if (/^(0x[0-9a-f]+|\d+)$/i.test(value)) return Number(value);
  const found = Object.entries(names).find(([, name]) => name === value.toUpperCase());
  return found ? Number(found[0]) : undefined;
}
