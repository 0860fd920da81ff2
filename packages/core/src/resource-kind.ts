/**
 * A Kubernetes resource type the agent or operator consumes: enough to list and
 * watch it through the API server and to recognise it in a manifest file.
 */
export interface ResourceKind {
  /** API group; '' for the core group. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** Lower-case plural used in API paths, e.g. `ciliumnetworkpolicies`. */
  readonly plural: string;
  readonly namespaced: boolean;
}

/** `v1` for the core group, `GROUP/VERSION` otherwise, as in a manifest's apiVersion. */
export function apiVersionOf(kind: ResourceKind): string {
  return kind.group === '' ? kind.version : `${kind.group}/${kind.version}`;
}

/** A stable identifier such as `cilium.io/v2/CiliumNetworkPolicy`. */
export function kindId(kind: Pick<ResourceKind, 'group' | 'version' | 'kind'>): string {
  return `${kind.group === '' ? 'core' : kind.group}/${kind.version}/${kind.kind}`;
}

/** The list path on the API server, e.g. `/apis/cilium.io/v2/ciliumnetworkpolicies`. */
export function listPath(kind: ResourceKind): string {
  const base = kind.group === '' ? `/api/${kind.version}` : `/apis/${kind.group}/${kind.version}`;
  return `${base}/${kind.plural}`;
}

function k(group: string, version: string, kind: string, plural: string, namespaced: boolean): ResourceKind {
  return { group, version, kind, plural, namespaced };
}

/**
 * The kinds ciliary knows about. Apps pick the subset they watch; nothing is
 * registered globally.
 */
export const Kinds = {
  Namespace: k('', 'v1', 'Namespace', 'namespaces', false),
  Node: k('', 'v1', 'Node', 'nodes', false),
  Pod: k('', 'v1', 'Pod', 'pods', true),
  Service: k('', 'v1', 'Service', 'services', true),
  ServiceAccount: k('', 'v1', 'ServiceAccount', 'serviceaccounts', true),
  Secret: k('', 'v1', 'Secret', 'secrets', true),
  Endpoints: k('', 'v1', 'Endpoints', 'endpoints', true),
  EndpointSlice: k('discovery.k8s.io', 'v1', 'EndpointSlice', 'endpointslices', true),
  NetworkPolicy: k('networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies', true),
  Ingress: k('networking.k8s.io', 'v1', 'Ingress', 'ingresses', true),
  IngressClass: k('networking.k8s.io', 'v1', 'IngressClass', 'ingressclasses', false),
  CiliumNetworkPolicy: k('cilium.io', 'v2', 'CiliumNetworkPolicy', 'ciliumnetworkpolicies', true),
  CiliumClusterwideNetworkPolicy: k(
    'cilium.io',
    'v2',
    'CiliumClusterwideNetworkPolicy',
    'ciliumclusterwidenetworkpolicies',
    false,
  ),
  CiliumEnvoyConfig: k('cilium.io', 'v2', 'CiliumEnvoyConfig', 'ciliumenvoyconfigs', true),
  CiliumClusterwideEnvoyConfig: k(
    'cilium.io',
    'v2',
    'CiliumClusterwideEnvoyConfig',
    'ciliumclusterwideenvoyconfigs',
    false,
  ),
  CiliumEgressGatewayPolicy: k(
    'cilium.io',
    'v2',
    'CiliumEgressGatewayPolicy',
    'ciliumegressgatewaypolicies',
    false,
  ),
  CiliumEgressNATPolicy: k(
    'cilium.io',
    'v2alpha1',
    'CiliumEgressNATPolicy',
    'ciliumegressnatpolicies',
    false,
  ),
  TracingPolicy: k('cilium.io', 'v1alpha1', 'TracingPolicy', 'tracingpolicies', false),
  TracingPolicyNamespaced: k(
    'cilium.io',
    'v1alpha1',
    'TracingPolicyNamespaced',
    'tracingpoliciesnamespaced',
    true,
  ),
  GatewayClass: k('gateway.networking.k8s.io', 'v1', 'GatewayClass', 'gatewayclasses', false),
  Gateway: k('gateway.networking.k8s.io', 'v1', 'Gateway', 'gateways', true),
  HTTPRoute: k('gateway.networking.k8s.io', 'v1', 'HTTPRoute', 'httproutes', true),
  GRPCRoute: k('gateway.networking.k8s.io', 'v1', 'GRPCRoute', 'grpcroutes', true),
  ReferenceGrant: k('gateway.networking.k8s.io', 'v1beta1', 'ReferenceGrant', 'referencegrants', true),
} as const satisfies Record<string, ResourceKind>;

export type KnownKindName = keyof typeof Kinds;

/** Finds the kind of a manifest by its apiVersion and kind fields. */
export function findKind(
  kinds: readonly ResourceKind[],
  apiVersion: string,
  kindName: string,
): ResourceKind | undefined {
  return kinds.find((kind) => apiVersionOf(kind) === apiVersion && kind.kind === kindName);
}
