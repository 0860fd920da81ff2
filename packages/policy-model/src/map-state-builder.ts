/**
 * Builds a MapState with Cilium's insert semantics: redirects are preferred
 * between allows on one key (`redirectPreferredInsert`) and denies take
 * precedence over allows (`DenyPreferredInsert`), so that the datapath's
 * four-step look-up never reaches an allow for a packet some deny covers.
 */
import {
  keyPortRange,
  mapKeyCode,
  MapState,
  Protocol,
  type MapEntry,
  type MapKey,
  type MapStateEntry,
} from './map-state';
import type { Direction } from './rule';

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}

function mergeEntries(existing: MapEntry, added: MapEntry): MapEntry {
  if (existing.deny && added.deny)
    return { deny: true, derivedFrom: union(existing.derivedFrom, added.derivedFrom) };
  if (existing.deny) return existing;
  if (added.deny) return added;
  const redirect = existing.redirect ?? added.redirect;
  return {
    deny: false,
    ...(redirect !== undefined ? { redirect } : {}),
    derivedFrom: union(existing.derivedFrom, added.derivedFrom),
  };
}

type Range = readonly [number, number];

function protocolCovers(outer: number, inner: number): boolean {
  return outer === Protocol.ANY || outer === inner;
}

function covers(d: MapKey, a: MapKey): boolean {
  if (d.identity !== 0 && d.identity !== a.identity) return false;
  if (!protocolCovers(d.protocol, a.protocol)) return false;
  const [dl, dh] = keyPortRange(d);
  const [al, ah] = keyPortRange(a);
  return dl <= al && ah <= dh;
}

/** The key of the packets both keys match, or undefined when they are disjoint. */
function intersect(a: MapKey, d: MapKey): MapKey | undefined {
  if (a.identity !== 0 && d.identity !== 0 && a.identity !== d.identity) return undefined;
  if (a.protocol !== Protocol.ANY && d.protocol !== Protocol.ANY && a.protocol !== d.protocol)
    return undefined;
  const [al, ah] = keyPortRange(a);
  const [dl, dh] = keyPortRange(d);
  const lo = Math.max(al, dl);
  const hi = Math.min(ah, dh);
  if (lo > hi) return undefined;
  const identity = a.identity !== 0 ? a.identity : d.identity;
  const protocol = a.protocol !== Protocol.ANY ? a.protocol : d.protocol;
  const base = { identity, direction: a.direction, protocol };
  if (protocol === Protocol.ANY) return { ...base, port: 0 };
  if (lo === 0 && hi === 65535 && a.protocol !== Protocol.ICMP && a.protocol !== Protocol.ICMPv6)
    return { ...base, port: 0 };
  return lo === hi ? { ...base, port: lo } : { ...base, port: lo, endPort: hi };
}

/** Collects candidate entries, then resolves deny precedence once, in `build()`. */
export class MapStateBuilder {
  private readonly entries = new Map<number | string, MapStateEntry>();

  /** Inserts one entry, merging with an entry already under the same key. */
  insert(key: MapKey, value: MapEntry): void {
    const id = mapKeyCode(key);
    const existing = this.entries.get(id);
    this.entries.set(id, { key, value: existing ? mergeEntries(existing.value, value) : value });
  }

  has(key: MapKey): boolean {
    return this.entries.has(mapKeyCode(key));
  }

  build(): MapState {
    const out: MapStateEntry[] = [];
    for (const direction of ['ingress', 'egress'] as const) out.push(...this.resolveDirection(direction));
    return new MapState(out);
  }

  private resolveDirection(direction: Direction): MapStateEntry[] {
    const all = [...this.entries.values()].filter((e) => e.key.direction === direction);
    const denies = all.filter((e) => e.value.deny);
    const denyAll = denies.find((e) => e.key.identity === 0 && e.key.protocol === Protocol.ANY);
    if (denyAll) return [denyAll];
    if (denies.length === 0) return all;
    // Allows wholly inside a deny go: the deny answers for all their packets.
    const allows = all.filter((a) => !a.value.deny && !denies.some((d) => covers(d.key, a.key)));
    const state = new WorkingState([...denies, ...allows]);
    // Where an allow and a deny overlap and the look-up would reach the allow first, a narrower deny is added.
    for (const a of allows) {
      for (const d of denies) {
        const k = intersect(a.key, d.key);
        if (!k || state.isDeny(k) || !state.reachesAllow(k)) continue;
        state.add({ key: k, value: { deny: true, derivedFrom: d.value.derivedFrom } });
      }
    }
    return state.list();
  }
}

/** A direction's entries grouped by identity, for the "would the look-up reach an allow" question. */
class WorkingState {
  private readonly byId = new Map<number | string, MapStateEntry>();
  private readonly byIdentity = new Map<number, MapStateEntry[]>();

  constructor(entries: readonly MapStateEntry[]) {
    for (const e of entries) this.add(e);
  }

  add(e: MapStateEntry): void {
    this.byId.set(mapKeyCode(e.key), e);
    const group = this.byIdentity.get(e.key.identity);
    if (group) group.push(e);
    else this.byIdentity.set(e.key.identity, [e]);
  }

  isDeny(k: MapKey): boolean {
    return this.byId.get(mapKeyCode(k))?.value.deny === true;
  }

  list(): MapStateEntry[] {
    return [...this.byId.values()];
  }

  /**
   * Whether some packet in `k` would hit an allow. The look-up is constant
   * between range boundaries, so checking each boundary is exact. Identity 0
   * stands for identities without entries of their own; protocol ANY for every
   * protocol the entries name plus one they do not.
   */
  reachesAllow(k: MapKey): boolean {
    const own = k.identity === 0 ? [] : (this.byIdentity.get(k.identity) ?? []);
    const wildcard = this.byIdentity.get(0) ?? [];
    const relevant = [...own, ...wildcard];
    const protocols =
      k.protocol !== Protocol.ANY
        ? [k.protocol]
        : [...new Set(relevant.map((e) => e.key.protocol).filter((p) => p !== Protocol.ANY)), 255];
    const [lo, hi] = keyPortRange(k);
    for (const protocol of protocols) {
      const ports = new Set<number>([lo]);
      for (const e of relevant) {
        const [el, eh]: Range = keyPortRange(e.key);
        if (el >= lo && el <= hi) ports.add(el);
        if (eh + 1 >= lo && eh + 1 <= hi) ports.add(eh + 1);
      }
      for (const port of ports) {
        const hit = this.lookup(k.identity, own, wildcard, protocol, port);
        if (hit && !hit.value.deny) return true;
      }
    }
    return false;
  }

  private lookup(
    identity: number,
    own: readonly MapStateEntry[],
    wildcard: readonly MapStateEntry[],
    protocol: number,
    port: number,
  ): MapStateEntry | undefined {
    return (
      (identity !== 0 ? narrowest(own, protocol, port) : undefined) ??
      narrowest(wildcard, protocol, port) ??
      (identity !== 0 ? own.find((e) => e.key.protocol === Protocol.ANY) : undefined) ??
      wildcard.find((e) => e.key.protocol === Protocol.ANY)
    );
  }
}

function narrowest(
  entries: readonly MapStateEntry[],
  protocol: number,
  port: number,
): MapStateEntry | undefined {
  let best: MapStateEntry | undefined;
  let bestWidth = Infinity;
  for (const e of entries) {
    if (e.key.protocol !== protocol) continue;
    const [lo, hi] = keyPortRange(e.key);
    if (port < lo || port > hi) continue;
    const width = hi - lo;
    if (width < bestWidth || (width === bestWidth && e.value.deny)) {
      best = e;
      bestWidth = width;
    }
  }
  return best;
}
