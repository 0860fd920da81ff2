import { Command, Option } from 'commander';
import {
  DEFAULT_PIN_ROOT,
  KernelBackend,
  KeyNotFoundError,
  TypedMap,
  type MapDefinition,
} from '@ciliary/ebpf-maps';
import type { CliIo } from '../io';
import { renderJson, type OutputFormat } from '../output';

// What every `ciliary bpf MAP ...` command shares: options, opening pinned maps, parsing and printing.

export interface MapFlags {
  pinRoot: string;
  output: OutputFormat;
}

export const outputOption = (): Option =>
  new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table');

/** A subcommand with the options every map command shares. */
export function mapCommand(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .option('--pin-root <dir>', 'bpffs directory of the pinned maps', DEFAULT_PIN_ROOT)
    .addOption(outputOption());
}

/** Opens a pinned map of any size; never creates one (the datapath owns them). */
export function openPinned<K, V>(definition: MapDefinition<K, V>, pinRoot: string): TypedMap<K, V> {
  return TypedMap.openPinned(new KernelBackend(), definition, pinRoot);
}

/**
 * Opens the IPv4 and IPv6 maps of a kind that are pinned (a node runs one family
 * or both), in that order; when neither is, the IPv4 map's error says what is missing.
 */
export function openFamilies<K, V>(
  definitions: ReadonlyArray<MapDefinition<K, V>>,
  pinRoot: string,
): Array<TypedMap<K, V>> {
  const opened: Array<TypedMap<K, V>> = [];
  let firstMissing: unknown;
  for (const definition of definitions) {
    try {
      opened.push(openPinned(definition, pinRoot));
    } catch (err) {
      if (!(err instanceof KeyNotFoundError)) throw err;
      firstMissing ??= err;
    }
  }
  if (opened.length === 0) throw firstMissing;
  return opened;
}

/** `IP:PORT`, IPv6 in brackets, as Cilium prints L3n4 addresses. */
export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** JSON cannot hold bigints: u64 counters print as decimal strings. */
export function jsonSafe(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
}

export function print(io: CliIo, flags: MapFlags, rows: unknown[], table: () => string): void {
  io.stdout(flags.output === 'json' ? renderJson(jsonSafe(rows)) : table());
}

export function parseInteger(text: string, what: string, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) > max)
    throw new Error(`invalid ${what} "${text}": use an integer 0..${max}`);
  return Number(text);
}

export const protocols: Record<string, number> = { any: 0, icmp: 1, tcp: 6, udp: 17, icmpv6: 58, sctp: 132 };
export const protocolNames = new Map(Object.entries(protocols).map(([k, v]) => [v, k.toUpperCase()]));
export const protoName = (n: number): string => (n === 0 ? 'ANY' : (protocolNames.get(n) ?? String(n)));

export function parseProtocol(text: string): number {
  const known = protocols[text.toLowerCase()];
  return known ?? parseInteger(text, '--proto', 255);
}

/** Parses `IP:PORT`, IPv6 as `[IP]:PORT`. */
export function parseHostPort(text: string, what: string): { address: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d+)$/.exec(text);
  if (!match) throw new Error(`invalid ${what} "${text}": use IP:PORT ([IP]:PORT for IPv6)`);
  const [, v6, v4, port] = match;
  return { address: v6 ?? v4 ?? '', port: parseInteger(port ?? '', `${what} port`, 0xffff) };
}

/** Decimal or `0x` hexadecimal, as flags are usually written. */
export function parseFlagsValue(text: string, what: string, max: number): number {
  return /^0x[0-9a-f]+$/i.test(text) && Number(text) <= max ? Number(text) : parseInteger(text, what, max);
}
