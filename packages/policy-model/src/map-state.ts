/**
 * Per-endpoint policy-map state in Cilium's key semantics (pkg/policy/mapstate.go):
 * {identity, direction, protocol, port or range} → {allow | deny, proxy redirect}.
 * Identity 0 is "any identity", protocol 0 with port 0 is "any protocol and
 * port" (an L3-only key), port 0 with a protocol is every port of it.
 */
import type { Direction, L7Parser } from './rule';

export const Protocol = { ANY: 0, ICMP: 1, TCP: 6, UDP: 17, ICMPv6: 58, SCTP: 132 } as const;

const PROTOCOL_NAMES = new Map<number, string>([
  [0, 'ANY'],
  [1, 'ICMP'],
  [6, 'TCP'],
  [17, 'UDP'],
  [58, 'ICMPv6'],
  [132, 'SCTP'],
]);

export function protocolName(protocol: number): string {
  return PROTOCOL_NAMES.get(protocol) ?? String(protocol);
}

export function protocolNumber(name: string): number | undefined {
  const upper = name.toUpperCase();
  for (const [n, text] of PROTOCOL_NAMES) if (text.toUpperCase() === upper) return n;
  return undefined;
}

export interface MapKey {
  /** Remote identity; 0 = any. */
  readonly identity: number;
  readonly direction: Direction;
  /** IP protocol number; 0 = any (then port is 0 too). */
  readonly protocol: number;
  /** Destination port (ICMP: the type); 0 with a TCP/UDP/SCTP protocol = all ports. */
  readonly port: number;
  /** Last port of a range (beyond 1.12, for the LPM policy map). */
  readonly endPort?: number;
}

export interface MapEntry {
  readonly deny: boolean;
  /** The L7 parser traffic is redirected to (http, kafka, dns, an l7proto); absent = no proxy. */
  readonly redirect?: L7Parser;
  /** The rules that produced the entry (`CiliumNetworkPolicy ns/name`, `allow-localhost-ingress`, …). */
  readonly derivedFrom: readonly string[];
}

export interface MapStateEntry {
  readonly key: MapKey;
  readonly value: MapEntry;
}

/** Which of the datapath's four look-ups matched (bpf/lib/policy.h `__policy_can_access`). */
export type MatchType = 'L3L4' | 'L4' | 'L3' | 'all';

export interface LookupResult {
  readonly key: MapKey;
  readonly value: MapEntry;
  readonly match: MatchType;
}

export interface MapStateDiff {
  readonly upserts: readonly MapStateEntry[];
  readonly deletes: readonly MapKey[];
}

const ALL_PORTS_PROTOCOLS = new Set<number>([Protocol.TCP, Protocol.UDP, Protocol.SCTP]);

export function mapKeyId(k: MapKey): string {
  return `${k.direction}/${k.identity}/${k.protocol}/${k.port}${k.endPort !== undefined ? `-${k.endPort}` : ''}`;
}

/**
 * A compact identifier of a key for internal maps: a number (identity, direction,
 * protocol and port fit in 50 bits), or a string for the rare port range.
 */
export function mapKeyCode(k: MapKey): number | string {
  const code = ((k.identity * 2 + (k.direction === 'egress' ? 1 : 0)) * 256 + k.protocol) * 65536 + k.port;
  return k.endPort === undefined ? code : `${code}-${k.endPort}`;
}

/** The port range a key covers, inclusive. */
export function keyPortRange(k: MapKey): readonly [number, number] {
  if (k.protocol === Protocol.ANY) return [0, 65535];
  if (k.endPort !== undefined) return [k.port, k.endPort];
  if (k.port === 0 && ALL_PORTS_PROTOCOLS.has(k.protocol)) return [0, 65535];
  return [k.port, k.port];
}

function isRangeKey(k: MapKey): boolean {
  return k.protocol !== Protocol.ANY && keyPortRange(k)[0] !== keyPortRange(k)[1];
}

/** Renders a key's port part: `80/TCP`, `8000-8080/TCP`, `ANY`, `TCP` (all ports), `8/ICMP`. */
export function formatKeyPort(k: MapKey): string {
  if (k.protocol === Protocol.ANY) return 'ANY';
  const name = protocolName(k.protocol);
  if (k.endPort !== undefined) return `${k.port}-${k.endPort}/${name}`;
  if (k.port === 0 && ALL_PORTS_PROTOCOLS.has(k.protocol)) return name;
  return `${k.port}/${name}`;
}

export function compareMapKeys(a: MapKey, b: MapKey): number {
  if (a.direction !== b.direction) return a.direction === 'ingress' ? -1 : 1;
  return (
    a.identity - b.identity ||
    a.protocol - b.protocol ||
    a.port - b.port ||
    (a.endPort ?? 0) - (b.endPort ?? 0)
  );
}

function sameEntry(a: MapEntry, b: MapEntry): boolean {
  return (
    a.deny === b.deny &&
    a.redirect === b.redirect &&
    a.derivedFrom.length === b.derivedFrom.length &&
    a.derivedFrom.every((d, i) => d === b.derivedFrom[i])
  );
}

interface RangeEntry {
  readonly identity: number;
  readonly protocol: number;
  readonly lo: number;
  readonly hi: number;
  readonly entry: MapStateEntry;
}

/** One direction's entries: exact keys by identity then `protocol<<16 | port` (small integers), ranges apart. */
class DirectionIndex {
  private readonly exact = new Map<number, Map<number, MapStateEntry>>();
  private readonly ranges: RangeEntry[] = [];

  add(e: MapStateEntry): void {
    if (isRangeKey(e.key)) {
      const [lo, hi] = keyPortRange(e.key);
      this.ranges.push({ identity: e.key.identity, protocol: e.key.protocol, lo, hi, entry: e });
      return;
    }
    let byPort = this.exact.get(e.key.identity);
    if (!byPort) this.exact.set(e.key.identity, (byPort = new Map()));
    byPort.set((e.key.protocol << 16) | e.key.port, e);
  }

  /** Narrowest covering range wins; between equal widths a deny wins. */
  private range(identity: number, protocol: number, port: number): MapStateEntry | undefined {
    let best: RangeEntry | undefined;
    for (const r of this.ranges) {
      if (r.identity !== identity || r.protocol !== protocol || port < r.lo || port > r.hi) continue;
      if (!best) best = r;
      else {
        const width = r.hi - r.lo;
        const bestWidth = best.hi - best.lo;
        if (width < bestWidth || (width === bestWidth && r.entry.value.deny)) best = r;
      }
    }
    return best?.entry;
  }

  private portLookup(
    byPort: Map<number, MapStateEntry> | undefined,
    identity: number,
    code: number,
    protocol: number,
    port: number,
  ): MapStateEntry | undefined {
    const hit = byPort?.get(code);
    if (hit || this.ranges.length === 0) return hit;
    return this.range(identity, protocol, port);
  }

  lookup(identity: number, protocol: number, port: number): LookupResult | undefined {
    const own = this.exact.get(identity);
    const any = this.exact.get(0);
    const code = (protocol << 16) | port;
    let hit = this.portLookup(own, identity, code, protocol, port);
    if (hit) return { key: hit.key, value: hit.value, match: 'L3L4' };
    hit = this.portLookup(any, 0, code, protocol, port);
    if (hit) return { key: hit.key, value: hit.value, match: 'L4' };
    hit = own?.get(0);
    if (hit) return { key: hit.key, value: hit.value, match: 'L3' };
    hit = any?.get(0);
    if (hit) return { key: hit.key, value: hit.value, match: 'all' };
    return undefined;
  }
}

/** An endpoint's final map state: immutable, sorted, with the datapath's look-up. */
export class MapState {
  readonly entries: readonly MapStateEntry[];
  private readonly byId = new Map<number | string, MapStateEntry>();
  private readonly ingress = new DirectionIndex();
  private readonly egress = new DirectionIndex();

  constructor(entries: Iterable<MapStateEntry>) {
    this.entries = [...entries].sort((a, b) => compareMapKeys(a.key, b.key));
    for (const e of this.entries) {
      this.byId.set(mapKeyCode(e.key), e);
      (e.key.direction === 'ingress' ? this.ingress : this.egress).add(e);
    }
  }

  get size(): number {
    return this.entries.length;
  }

  get(key: MapKey): MapEntry | undefined {
    return this.byId.get(mapKeyCode(key))?.value;
  }

  /**
   * Looks a packet up as the datapath does: identity+port, then any identity+port,
   * then identity alone, then the allow-all key. Undefined = no entry (dropped).
   */
  lookup(direction: Direction, identity: number, protocol: number, port: number): LookupResult | undefined {
    return (direction === 'ingress' ? this.ingress : this.egress).lookup(identity, protocol, port);
  }

  /** What to write and delete to turn `previous` into this state. */
  diffFrom(previous: MapState | undefined): MapStateDiff {
    const upserts: MapStateEntry[] = [];
    const deletes: MapKey[] = [];
    for (const e of this.entries) {
      const old = previous?.byId.get(mapKeyCode(e.key));
      if (!old || !sameEntry(old.value, e.value)) upserts.push(e);
    }
    for (const old of previous?.entries ?? []) if (!this.byId.has(mapKeyCode(old.key))) deletes.push(old.key);
    return { upserts, deletes };
  }

  equals(other: MapState): boolean {
    if (other.size !== this.size) return false;
    return this.entries.every((e) => {
      const o = other.byId.get(mapKeyCode(e.key));
      return o !== undefined && sameEntry(o.value, e.value);
    });
  }
}
