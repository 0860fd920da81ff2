import type { Identity } from './identity';
import { formatLabel, LabelKey, LabelSource } from './labels';

const BOILERPLATE = [LabelKey.cluster, LabelKey.serviceAccount];

/**
 * A short, still exact-enough name for an identity: reserved labels as they are,
 * a CIDR identity by its own prefix, a workload by its labels without the ones
 * every pod carries (cluster, service account, namespace labels).
 */
export function describeIdentity(identity: Identity): string {
  const labels = identity.labels.labels;
  const cidrs = labels.filter((l) => l.source === LabelSource.cidr);
  if (cidrs.length > 0) {
    const longest = cidrs.reduce((a, b) =>
      Number(b.key.split('/')[1]) > Number(a.key.split('/')[1]) ? b : a,
    );
    return formatLabel(longest);
  }
  const shown = labels.filter(
    (l) =>
      l.source !== LabelSource.k8s ||
      !(
        BOILERPLATE.includes(l.key as (typeof BOILERPLATE)[number]) ||
        l.key.startsWith(`${LabelKey.namespaceLabelsPrefix}.`)
      ),
  );
  return (shown.length > 0 ? shown : labels).map(formatLabel).join(',');
}
