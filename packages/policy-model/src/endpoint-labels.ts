import { label, LabelKey, LabelSet, LabelSource, type Label } from './labels';

/**
 * One entry of Cilium's identity label filter (`--labels`, pkg/labelsfilter):
 * a regular expression that must match at the start of the key, including or
 * (with `ignore`) excluding the label from the identity.
 */
export interface LabelPrefixRule {
  readonly pattern: string;
  readonly ignore: boolean;
}

/**
 * Cilium 1.12's default filter: namespace and app.kubernetes.io labels count,
 * Kubernetes' bookkeeping labels (pod-template-hash, controller-revision-hash, …)
 * do not, so replicas of one workload share an identity.
 */
export const DEFAULT_LABEL_PREFIXES: readonly LabelPrefixRule[] = [
  { pattern: 'io\\.kubernetes\\.pod\\.namespace', ignore: false },
  { pattern: 'io\\.cilium\\.k8s\\.namespace\\.labels', ignore: false },
  { pattern: 'app\\.kubernetes\\.io', ignore: false },
  { pattern: 'io\\.kubernetes', ignore: true },
  { pattern: 'kubernetes\\.io', ignore: true },
  { pattern: '.*beta\\.kubernetes\\.io', ignore: true },
  { pattern: 'k8s\\.io', ignore: true },
  { pattern: 'pod-template-generation', ignore: true },
  { pattern: 'pod-template-hash', ignore: true },
  { pattern: 'controller-revision-hash', ignore: true },
  { pattern: 'annotation.*', ignore: true },
  { pattern: 'etcd_node', ignore: true },
];

/** Decides which labels are identity-relevant; compiled once per configuration. */
export class LabelFilter {
  private readonly rules: ReadonlyArray<{ expr: RegExp; ignore: boolean }>;

  constructor(prefixes: readonly LabelPrefixRule[] = DEFAULT_LABEL_PREFIXES) {
    this.rules = prefixes.map((p) => ({ expr: new RegExp(`^(?:${p.pattern})`), ignore: p.ignore }));
  }

  /**
   * A label counts unless an ignore rule matches it and no include rule matches
   * a longer stretch of its key (the longest include beats the shortest ignore).
   */
  accepts(key: string): boolean {
    let included = 0;
    let ignored = 0;
    for (const rule of this.rules) {
      const m = rule.expr.exec(key);
      if (!m) continue;
      const length = m[0].length;
      if (rule.ignore) ignored = ignored === 0 ? length : Math.min(ignored, length);
      else included = Math.max(included, length);
    }
    return ignored === 0 || included > ignored;
  }
}

/** What of a Pod, its Namespace and the cluster makes the pod's identity. */
export interface EndpointLabelInput {
  readonly namespace: string;
  readonly podLabels: Readonly<Record<string, string>>;
  /** The Namespace's labels; absent when the Namespace is unknown. */
  readonly namespaceLabels?: Readonly<Record<string, string>>;
  readonly serviceAccount?: string;
  readonly clusterName: string;
}

/**
 * The identity labels of a pod, as Cilium 1.12 derives them: the pod's labels,
 * `io.kubernetes.pod.namespace`, every namespace label as
 * `io.cilium.k8s.namespace.labels.<key>`, the service account and the cluster
 * name, all of source `k8s`, then filtered by the identity label filter.
 */
export function endpointIdentityLabels(input: EndpointLabelInput, filter = new LabelFilter()): LabelSet {
  const out: Label[] = [];
  for (const [k, v] of Object.entries(input.podLabels)) out.push(label(LabelSource.k8s, k, String(v)));
  for (const [k, v] of Object.entries(input.namespaceLabels ?? {}))
    out.push(label(LabelSource.k8s, `${LabelKey.namespaceLabelsPrefix}.${k}`, String(v)));
  out.push(label(LabelSource.k8s, LabelKey.podNamespace, input.namespace));
  if (input.serviceAccount) out.push(label(LabelSource.k8s, LabelKey.serviceAccount, input.serviceAccount));
  out.push(label(LabelSource.k8s, LabelKey.cluster, input.clusterName));
  return new LabelSet(out.filter((l) => filter.accepts(l.key)));
}

/** The labels a namespace shows to selectors: the API server adds `kubernetes.io/metadata.name` since 1.21. */
export function effectiveNamespaceLabels(
  name: string,
  labels: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  return { ...labels, 'kubernetes.io/metadata.name': name };
}
