import { BlockList, isIPv6 } from 'node:net';
import { isRecord } from '../util';

type Json = Record<string, unknown>;

/** What a listener knows of a connection when it picks a filter chain. */
export interface ConnectionInfo {
  /** The address the client dialed (after original_dst, for redirected connections). */
  readonly destinationAddress: string;
  readonly destinationPort: number;
  /** SNI, when the client sent TLS. */
  readonly serverName?: string;
  /** `tls` or `raw_buffer`; defaults to `raw_buffer`. */
  readonly transportProtocol?: string;
}

export type FilterChainDecision =
  | { readonly chain: 'none' }
  | { readonly chain: 'default'; readonly filterChain: Json }
  | { readonly chain: 'matched'; readonly index: number; readonly filterChain: Json };

interface Candidate {
  readonly index: number;
  readonly chain: Json;
  readonly match: Json;
}

function records(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

/**
 * Keeps the candidates that match one criterion most specifically, as Envoy
 * does at each step: those whose criterion matches with the best score; when
 * none matches, those that leave the criterion unset; else nobody.
 */
function narrow(candidates: Candidate[], score: (match: Json) => number | 'unset' | 'no'): Candidate[] {
  const scored = candidates.map((c) => ({ c, s: score(c.match) }));
  const matching = scored.filter((x): x is { c: Candidate; s: number } => typeof x.s === 'number');
  if (matching.length > 0) {
    const best = Math.max(...matching.map((x) => x.s));
    return matching.filter((x) => x.s === best).map((x) => x.c);
  }
  return scored.filter((x) => x.s === 'unset').map((x) => x.c);
}

function prefixScore(address: string): (match: Json) => number | 'unset' | 'no' {
  const family = isIPv6(address) ? 'ipv6' : 'ipv4';
  return (match) => {
    const ranges = records(match['prefixRanges']);
    if (ranges.length === 0) return 'unset';
    let best = -1;
    for (const range of ranges) {
      const prefix = String(range['addressPrefix'] ?? '');
      if ((isIPv6(prefix) ? 'ipv6' : 'ipv4') !== family) continue;
      const length = typeof range['prefixLen'] === 'number' ? range['prefixLen'] : 0;
      const block = new BlockList();
      block.addSubnet(prefix, length, family);
      if (block.check(address, family)) best = Math.max(best, length);
    }
    return best < 0 ? 'no' : best;
  };
}

/** Exact names beat wildcards, and longer wildcards beat shorter ones. */
function serverNameScore(serverName: string | undefined): (match: Json) => number | 'unset' | 'no' {
  return (match) => {
    const names = Array.isArray(match['serverNames']) ? match['serverNames'].map(String) : [];
    if (names.length === 0) return 'unset';
    if (serverName === undefined) return 'no';
    let best = -1;
    for (const name of names) {
      if (name === serverName) best = Math.max(best, Number.MAX_SAFE_INTEGER);
      else if (name.startsWith('*') && serverName.endsWith(name.slice(1))) best = Math.max(best, name.length);
    }
    return best < 0 ? 'no' : best;
  };
}

/**
 * Which filter chain of a Listener (proto3 JSON) takes a connection, by
 * Envoy's order of criteria: destination port, destination address (longest
 * prefix), server name (SNI), transport protocol; the default filter chain
 * when none matches. Source-side criteria and application protocols are not
 * looked at: ciliary's listeners do not use them.
 */
export function selectFilterChain(listener: Json, connection: ConnectionInfo): FilterChainDecision {
  let candidates: Candidate[] = records(listener['filterChains']).map((chain, index) => ({
    index,
    chain,
    match: isRecord(chain['filterChainMatch']) ? chain['filterChainMatch'] : {},
  }));
  const transport = connection.transportProtocol ?? 'raw_buffer';
  const steps: Array<(match: Json) => number | 'unset' | 'no'> = [
    (m) =>
      m['destinationPort'] === undefined
        ? 'unset'
        : m['destinationPort'] === connection.destinationPort
          ? 1
          : 'no',
    prefixScore(connection.destinationAddress),
    serverNameScore(connection.serverName),
    (m) => (m['transportProtocol'] === undefined ? 'unset' : m['transportProtocol'] === transport ? 1 : 'no'),
  ];
  for (const step of steps) candidates = narrow(candidates, step);
  const chosen = candidates[0];
  if (chosen) return { chain: 'matched', index: chosen.index, filterChain: chosen.chain };
  const fallback = listener['defaultFilterChain'];
  return isRecord(fallback) ? { chain: 'default', filterChain: fallback } : { chain: 'none' };
}
