/** The metadata every Kubernetes object carries; only what ciliary reads is typed. */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller?: boolean;
  }>;
  creationTimestamp?: string;
  deletionTimestamp?: string;
}

/** Any Kubernetes object as users write it in YAML. Typed further by the package that owns the kind. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export function isKubeObject(value: unknown): value is KubeObject {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v['apiVersion'] === 'string' && typeof v['kind'] === 'string' && typeof v['metadata'] === 'object'
  );
}
