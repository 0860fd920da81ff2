import type { Command } from 'commander';
import {
  ct4AnyMap,
  ct4TcpMap,
  ct6AnyMap,
  ct6TcpMap,
  snat4Map,
  snat6Map,
  TupleFlags,
  type CtEntry,
  type Ipv4CtTuple,
  type Ipv4NatEntry,
  type TypedMap,
} from '@ciliary/ebpf-maps';
import type { CliIo } from '../io';
import {
  hostPort,
  mapCommand,
  openPinned,
  parseFlagsValue,
  parseHostPort,
  parseProtocol,
  print,
  protoName,
  type MapFlags,
} from './bpf-helpers';

// Conntrack and SNAT entries by tuple. The tuple is given as the listings print it
// (`PROTO SRC:SPORT DST:DPORT`, IN with --flags in), so a line can be copied back.

type Tuple = Ipv4CtTuple;
const protoTcp = 6;

/** One `cilium bpf ct list` line (without the newline). */
export function ctLine(r: Tuple & CtEntry): string {
  return (
    `${protoName(r.nexthdr)} ${r.flags & TupleFlags.In ? 'IN' : 'OUT'} ${hostPort(r.saddr, r.sport)} -> ${hostPort(r.daddr, r.dport)} ` +
    `expires=${r.lifetime} RxPackets=${r.rx_packets} RxBytes=${r.rx_bytes} TxPackets=${r.tx_packets} ` +
    `TxBytes=${r.tx_bytes} Flags=${r.seen_non_syn ? 'seen_non_syn ' : ''}RevNAT=${r.rev_nat_index} SourceSecurityID=${r.src_sec_id}`
  );
}

/** One `cilium bpf nat list` line (without the newline). */
export function natLine(r: Tuple & Ipv4NatEntry): string {
  return (
    `${protoName(r.nexthdr)} ${r.flags & TupleFlags.In ? 'IN' : 'OUT'} ${hostPort(r.saddr, r.sport)} -> ${hostPort(r.daddr, r.dport)} ` +
    `XLATE_${r.flags & TupleFlags.In ? 'DST' : 'SRC'} ${hostPort(r.to_saddr, r.to_sport)} Created=${r.created}sec HostLocal=${r.host_local}`
  );
}

function parseTupleFlags(text: string): number {
  const named: Record<string, number> = { out: TupleFlags.Out, in: TupleFlags.In };
  return named[text.toLowerCase()] ?? parseFlagsValue(text, '--flags', 0xff);
}

function tupleFrom(proto: string, source: string, destination: string, flags: { flags: string }): Tuple {
  const src = parseHostPort(source, 'source');
  const dst = parseHostPort(destination, 'destination');
  if (src.address.includes(':') !== dst.address.includes(':'))
    throw new Error(`source ${source} and destination ${destination} are not of one address family`);
  return {
    saddr: src.address,
    sport: src.port,
    daddr: dst.address,
    dport: dst.port,
    nexthdr: parseProtocol(proto),
    flags: parseTupleFlags(flags.flags),
  };
}

const isIpv6 = (tuple: Tuple): boolean => tuple.saddr.includes(':');

function withTuple(command: Command): Command {
  return command
    .argument('<proto>', 'tcp, udp, icmp, icmpv6, sctp or a number')
    .argument('<source>', 'SRC:SPORT as listed ([IP]:PORT for IPv6)')
    .argument('<destination>', 'DST:DPORT as listed')
    .option('--flags <flags>', 'tuple flags: out, in or a number (TUPLE_F_*)', 'out');
}

/** TCP tuples live in cilium_ct{4,6}_global, every other protocol in cilium_ct_any{4,6}_global. */
function ctMapFor(tuple: Tuple, pinRoot: string): TypedMap<Tuple, CtEntry> {
  const tcp = tuple.nexthdr === protoTcp;
  const definition = isIpv6(tuple) ? (tcp ? ct6TcpMap() : ct6AnyMap()) : tcp ? ct4TcpMap() : ct4AnyMap();
  return openPinned<Tuple, CtEntry>(definition, pinRoot);
}

function natMapFor(tuple: Tuple, pinRoot: string): TypedMap<Tuple, Ipv4NatEntry> {
  return openPinned<Tuple, Ipv4NatEntry>(isIpv6(tuple) ? snat6Map() : snat4Map(), pinRoot);
}

type TupleFlagsArg = MapFlags & { flags: string };

/** `ct get|delete`: no `update`, the datapath creates and ages connections itself. */
export function ctTupleCommands(io: CliIo): Command[] {
  const get = withTuple(mapCommand('get', 'show the entry of one tuple')).action(
    (proto: string, source: string, destination: string, flags: TupleFlagsArg) => {
      const tuple = tupleFrom(proto, source, destination, flags);
      const map = ctMapFor(tuple, flags.pinRoot);
      const found = map.get(tuple);
      if (found === undefined) throw new Error(`no connection ${source} -> ${destination} in ${map.name}`);
      const row = { map: map.name, ...tuple, ...found };
      print(io, flags, [row], () => `${ctLine(row)}\n`);
    },
  );
  const remove = withTuple(mapCommand('delete', 'delete the entry of one tuple')).action(
    (proto: string, source: string, destination: string, flags: TupleFlagsArg) => {
      const tuple = tupleFrom(proto, source, destination, flags);
      const map = ctMapFor(tuple, flags.pinRoot);
      if (!map.delete(tuple)) throw new Error(`no connection ${source} -> ${destination} in ${map.name}`);
    },
  );
  return [get, remove];
}

/** `nat get|delete`: no `update`, SNAT entries are allocated by the datapath with their CT entries. */
export function natTupleCommands(io: CliIo): Command[] {
  const get = withTuple(mapCommand('get', 'show the translation of one tuple')).action(
    (proto: string, source: string, destination: string, flags: TupleFlagsArg) => {
      const tuple = tupleFrom(proto, source, destination, flags);
      const map = natMapFor(tuple, flags.pinRoot);
      const found = map.get(tuple);
      if (found === undefined) throw new Error(`no translation ${source} -> ${destination} in ${map.name}`);
      const row = { ...tuple, ...found };
      print(io, flags, [row], () => `${natLine(row)}\n`);
    },
  );
  const remove = withTuple(mapCommand('delete', 'delete the translation of one tuple')).action(
    (proto: string, source: string, destination: string, flags: TupleFlagsArg) => {
      const tuple = tupleFrom(proto, source, destination, flags);
      const map = natMapFor(tuple, flags.pinRoot);
      if (!map.delete(tuple)) throw new Error(`no translation ${source} -> ${destination} in ${map.name}`);
    },
  );
  return [get, remove];
}
