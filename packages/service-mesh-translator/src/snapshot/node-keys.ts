import { isGrpcLibrary, PROXYLESS_NODE_KEY, type NodeInfo } from './cache';

/** The pod (or at least the namespace) an xDS client runs as. */
export interface Workload {
  readonly namespace: string;
  readonly pod?: string;
  /** `sidecar` when the node is a per-pod Envoy. */
  readonly role?: string;
}

/**
 * Who a node is, from what sidecar injectors and gRPC bootstrap generators
 * already write: the node id `ROLE~IP~POD.NAMESPACE~NAMESPACE.svc.DOMAIN`
 * (as Istio's agent writes it for sidecars and proxyless gRPC alike), or the
 * node metadata keys `NAMESPACE` and `POD_NAME` (which win when present).
 */
export function workloadOfNode(node: NodeInfo): Workload | undefined {
  const fromId = parseNodeId(node.id);
  const metadata = node.metadata ?? {};
  const namespace = text(metadata['NAMESPACE']) ?? fromId?.namespace;
  if (namespace === undefined) return undefined;
  const pod = text(metadata['POD_NAME']) ?? fromId?.pod;
  const role = fromId?.role ?? text(metadata['ROLE']);
  return { namespace, ...(pod !== undefined ? { pod } : {}), ...(role !== undefined ? { role } : {}) };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function parseNodeId(id: string): { role: string; pod: string; namespace: string } | undefined {
  const parts = id.split('~');
  if (parts.length !== 4) return undefined;
  const [role, , podDotNamespace, domain] = parts as [string, string, string, string];
  const namespace = domain.split('.')[0] ?? '';
  if (role === '' || namespace === '' || !podDotNamespace.endsWith(`.${namespace}`)) return undefined;
  const pod = podDotNamespace.slice(0, -namespace.length - 1);
  return pod === '' ? undefined : { role, pod, namespace };
}

/** The cache key of a sidecar Envoy's own snapshot. */
export function sidecarNodeKey(namespace: string, pod: string): string {
  return `sidecar/${namespace}/${pod}`;
}

/** The cache key of the proxyless snapshot as a namespace's clients see it (its consumer routes applied). */
export function proxylessNamespaceKey(namespace: string): string {
  return `${PROXYLESS_NODE_KEY}/${namespace}`;
}

/**
 * The key function for a whole mesh, one server for every kind of client:
 * - gRPC libraries get the proxyless snapshot of their namespace (where its
 *   consumer routes apply), else the shared proxyless snapshot;
 * - a sidecar Envoy (role `sidecar`) gets its pod's snapshot and nothing
 *   else, so an unknown pod waits instead of receiving node-wide listeners;
 * - any other Envoy (the per-node one) is looked up by id, then `*`.
 */
export function meshNodeKey(node: NodeInfo): string | readonly string[] {
  const workload = workloadOfNode(node);
  if (isGrpcLibrary(node))
    return workload ? [proxylessNamespaceKey(workload.namespace), PROXYLESS_NODE_KEY] : [PROXYLESS_NODE_KEY];
  if (workload?.role === 'sidecar')
    return workload.pod !== undefined ? [sidecarNodeKey(workload.namespace, workload.pod)] : [];
  return node.id;
}
