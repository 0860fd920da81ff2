import type { IngressProblem } from '../translate/problems';
import { ingressKey } from '../translate/problems';
import type { IngressTranslation } from '../translate/translate';

/**
 * Where an Ingress stands with this controller: `served` (all of it),
 * `degraded` (served, with parts left out or answering 503), `rejected` (a
 * fatal problem keeps it out) or `ignored` (another controller's class).
 */
export type IngressState = 'served' | 'degraded' | 'rejected' | 'ignored';

export const INGRESS_STATES: readonly IngressState[] = ['served', 'degraded', 'rejected', 'ignored'];

/** How many Ingresses are in each state, from a translation's outcome. */
export function countIngressStates(
  translation: Pick<IngressTranslation, 'loadBalancers' | 'skipped'> & {
    readonly problems: readonly IngressProblem[];
  },
): Record<IngressState, number> {
  const served = new Set(translation.loadBalancers.flatMap((lb) => lb.ingresses));
  const withProblems = new Set(translation.problems.map((p) => ingressKey(p.ingress)));
  const rejected = new Set(translation.problems.filter((p) => p.fatal).map((p) => ingressKey(p.ingress)));
  for (const key of served) rejected.delete(key);
  const degraded = [...served].filter((key) => withProblems.has(key)).length;
  return {
    served: served.size - degraded,
    degraded,
    rejected: rejected.size,
    ignored: translation.skipped.length,
  };
}
