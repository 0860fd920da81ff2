/**
 * Rendezvous (highest random weight) hashing: each source goes to the gateway
 * with the highest score for the pair. Removing a gateway moves only the
 * sources it had; adding one takes only the sources it now wins; every other
 * source keeps its gateway. The hash is FNV-1a with murmur3's final mix, so
 * scores are stable across processes and machines.
 */
export function rendezvousScore(gateway: string, source: string): number {
  let h = 0x811c9dc5;
  const text = `${gateway}\n${source}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The gateway (by name) a source goes to, or undefined when there is none; ties go to the lower name. */
export function pickGateway<G extends { readonly name: string }>(
  gateways: readonly G[],
  source: string,
): G | undefined {
  let best: G | undefined;
  let bestScore = -1;
  for (const gateway of gateways) {
    const score = rendezvousScore(gateway.name, source);
    if (score > bestScore || (score === bestScore && best !== undefined && gateway.name < best.name)) {
      best = gateway;
      bestScore = score;
    }
  }
  return best;
}
