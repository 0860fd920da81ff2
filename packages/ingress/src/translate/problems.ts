/** Why an Ingress is not (fully) served; each becomes a Kubernetes Event on the Ingress. */
export type ProblemReason =
  | 'InvalidIngress'
  | 'ServiceNotFound'
  | 'ServicePortNotFound'
  | 'SecretNotFound'
  | 'InvalidSecret'
  | 'Conflict'
  | 'InvalidName';

export interface IngressRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
}

/**
 * A problem with one Ingress. `fatal` problems keep the whole Ingress out of
 * the configuration; the others leave out (or answer 503 for) only the part concerned.
 */
export interface IngressProblem {
  readonly ingress: IngressRef;
  readonly reason: ProblemReason;
  readonly message: string;
  readonly fatal: boolean;
}

export function ingressKey(ref: Pick<IngressRef, 'namespace' | 'name'>): string {
  return `${ref.namespace}/${ref.name}`;
}

/** The reference problems carry, without an empty uid. */
export function ingressRef(ingress: {
  namespace: string;
  name: string;
  uid?: string | undefined;
}): IngressRef {
  return { namespace: ingress.namespace, name: ingress.name, ...(ingress.uid ? { uid: ingress.uid } : {}) };
}
