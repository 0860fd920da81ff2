/**
 * Rendezvous (highest random weight) hashing: each source goes to the gateway
 * with the highest score for the pair. Removing a gateway moves only the
 * sources it had; adding one takes only the sources it now wins; every other
 * source keeps its gateway. The hash is FNV-1a over `gateway \n source` with
 * murmur3's final mix, so scores are stable across processes and machines.
 */
export function rendezvousScore(gateway: string, source: string): number {
  return finish(fnv(prefixState(gateway), source));
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function fnv(state: number, text: string): number {
  let h = state;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h;
}

/** The FNV state after `gateway` and the separator: computed once per gateway. */
function prefixState(gateway: string): number {
  return Math.imul(fnv(FNV_OFFSET, gateway) ^ 0x0a, FNV_PRIME);
}

function finish(state: number): number {
  let h = state;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A fixed set of gateways that assigns sources; build one per set and reuse it for every source. */
export class RendezvousSet<G extends { readonly name: string }> {
  private readonly seeds: ReadonlyArray<{ readonly gateway: G; readonly state: number }>;

  constructor(gateways: readonly G[]) {
    this.seeds = gateways.map((gateway) => ({ gateway, state: prefixState(gateway.name) }));
  }

  /** The gateway a source goes to, or undefined when there is none; ties go to the lower name. */
  pick(source: string): G | undefined {
    let best: G | undefined;
    let bestScore = -1;
    for (const { gateway, state } of this.seeds) {
      const score = finish(fnv(state, source));
      if (score > bestScore || (score === bestScore && best !== undefined && gateway.name < best.name)) {
        best = gateway;
        bestScore = score;
      }
    }
    return best;
  }
}

/** The gateway a source goes to (see {@link RendezvousSet}). */
export function pickGateway<G extends { readonly name: string }>(
  gateways: readonly G[],
  source: string,
): G | undefined {
  return new RendezvousSet(gateways).pick(source);
}
