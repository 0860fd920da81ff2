/**
 * networking.k8s.io/v1 NetworkPolicy → one Cilium rule, as Cilium 1.12 does it
 * (pkg/k8s/network_policy.go). Input must have passed `PolicyValidator`.
 */
import type { NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort } from './api-types';
import { LabelKey, LabelSource } from './labels';
import { normalizePort, parseCidrs } from './parse-cilium';
import {
  policyRuleLabels,
  type PeerRule,
  type PolicyRule,
  type PortRuleModel,
  type RuleOrigin,
} from './rule';
import { EndpointSelector, type LabelSelectorSpec, type Requirement } from './selector';

const EMPTY_PEER: PeerRule = {
  endpoints: [],
  requires: [],
  entities: [],
  cidrs: [],
  deferred: [],
  toPorts: [],
  icmps: [],
};

export interface NetworkPolicyOptions {
  /** Honour `endPort` as a port range (Kubernetes 1.25 semantics); Cilium 1.12 ignores it. */
  readonly honorEndPort?: boolean;
}

export function parseNetworkPolicy(policy: NetworkPolicy, options: NetworkPolicyOptions = {}): PolicyRule {
  const honorEndPort = options.honorEndPort ?? false;
  const namespace = policy.metadata.namespace || 'default';
  const origin: RuleOrigin = {
    kind: 'NetworkPolicy',
    namespace,
    name: policy.metadata.name ?? '',
    ...(policy.metadata.uid !== undefined ? { uid: policy.metadata.uid } : {}),
  };
  const spec = policy.spec;
  let ingress = (spec.ingress ?? []).flatMap((r) => translate(namespace, r.from, r.ports, honorEndPort));
  let egress = (spec.egress ?? []).flatMap((r) => translate(namespace, r.to, r.ports, honorEndPort));
  const types = spec.policyTypes ?? [];
  // Kubernetes' default deny becomes an empty rule, which enforces the direction and allows nothing.
  if (ingress.length === 0 && (types.includes('Ingress') || !types.includes('Egress')))
    ingress = [EMPTY_PEER];
  if (egress.length === 0 && types.includes('Egress')) egress = [EMPTY_PEER];
  const subject = EndpointSelector.fromLabelSelector(spec.podSelector, LabelSource.k8s).withMatch(
    LabelSource.k8s,
    LabelKey.podNamespace,
    namespace,
  );
  return {
    origin,
    index: 0,
    labels: policyRuleLabels(origin),
    subject,
    hostRule: false,
    ingress,
    ingressDeny: [],
    egress,
    egressDeny: [],
  };
}

/** Each peer becomes its own rule; a missing or empty peer list allows every source (the wildcard). */
function translate(
  namespace: string,
  peers: readonly NetworkPolicyPeer[] | undefined,
  ports: readonly NetworkPolicyPort[] | undefined,
  honorEndPort: boolean,
): PeerRule[] {
  const toPorts = translatePorts(ports, honorEndPort);
  if (!peers || peers.length === 0)
    return [{ ...EMPTY_PEER, endpoints: [EndpointSelector.wildcard()], toPorts }];
  return peers.map((peer): PeerRule => {
    const selector = peerSelector(namespace, peer);
    if (selector) return { ...EMPTY_PEER, endpoints: [selector], toPorts };
    if (peer.ipBlock) return { ...EMPTY_PEER, cidrs: parseCidrs(undefined, [peer.ipBlock]), toPorts };
    return { ...EMPTY_PEER, toPorts };
  });
}

/**
 * A namespaceSelector (keys under `io.cilium.k8s.namespace.labels.`, empty =
 * any namespace) ANDed with the podSelector in one selector; a podSelector
 * alone stays in the policy's namespace. All keys get source k8s.
 */
function peerSelector(namespace: string, peer: NetworkPolicyPeer): EndpointSelector | undefined {
  if (peer.namespaceSelector) {
    const ns = peer.namespaceSelector;
    const nsLabels: Record<string, string> = {};
    for (const [k, v] of Object.entries(ns.matchLabels ?? {}))
      nsLabels[`${LabelKey.namespaceLabelsPrefix}.${k}`] = v;
    const nsExpressions = (ns.matchExpressions ?? []).map((e) => ({
      ...e,
      key: `${LabelKey.namespaceLabelsPrefix}.${e.key}`,
    }));
    const combined: LabelSelectorSpec = {
      matchLabels: { ...nsLabels, ...(peer.podSelector?.matchLabels ?? {}) },
      matchExpressions: [...nsExpressions, ...(peer.podSelector?.matchExpressions ?? [])],
    };
    let selector = EndpointSelector.fromLabelSelector(combined, LabelSource.k8s);
    if (Object.keys(nsLabels).length === 0 && nsExpressions.length === 0) {
      const anyNamespace: Requirement = {
        source: LabelSource.k8s,
        key: LabelKey.podNamespace,
        operator: 'Exists',
        values: [],
      };
      selector = selector.withExpressions([anyNamespace]);
    }
    return selector;
  }
  if (peer.podSelector)
    return EndpointSelector.fromLabelSelector(peer.podSelector, LabelSource.k8s).withMatch(
      LabelSource.k8s,
      LabelKey.podNamespace,
      namespace,
    );
  return undefined;
}

/**
 * Ports are copied to every rule of the peer list: no port means all ports
 * ("0"), no protocol means TCP; an entry with neither is dropped. `endPort`
 * is dropped too unless asked for (Cilium 1.12 ignores it, #28684).
 */
function translatePorts(
  ports: readonly NetworkPolicyPort[] | undefined,
  honorEndPort: boolean,
): PortRuleModel[] {
  const out: PortRuleModel[] = [];
  for (const p of ports ?? []) {
    if (p.protocol === undefined && p.port === undefined) continue;
    const port = p.port === undefined ? '0' : normalizePort(String(p.port));
    const range = honorEndPort && p.endPort !== undefined && /^\d+$/.test(port) ? { endPort: p.endPort } : {};
    out.push({ ports: [{ port, protocol: p.protocol ?? 'TCP', ...range }] });
  }
  return out;
}
