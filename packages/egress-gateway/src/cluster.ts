import type { KubeObject } from '@ciliary/core';
import {
  effectiveNamespaceLabels,
  endpointIdentityLabels,
  LabelFilter,
  type LabelSet,
} from '@ciliary/policy-model';
import { ipv4ToNumber } from './ipv4';

/** A source of egress traffic: a pod (or an external workload) with its IPv4 addresses and identity labels. */
export interface EgressEndpoint {
  /** `NAMESPACE/NAME`. */
  readonly id: string;
  /** IPv4 addresses only: the egress gateway is IPv4. */
  readonly ips: readonly string[];
  /** The identity labels selectors match (`k8s:` source, namespace labels as `io.cilium.k8s.namespace.labels.*`). */
  readonly labels: LabelSet;
}

/** A node as gateway selection sees it. */
export interface EgressNode {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The node's IPv4 address that other nodes tunnel to (its InternalIP); undefined when it has none. */
  readonly ip?: string;
  /** False when the node's Ready condition is False or Unknown; used by failover policies only. */
  readonly ready: boolean;
}

interface PodShape extends KubeObject {
  spec?: { hostNetwork?: boolean; serviceAccountName?: string; serviceAccount?: string; nodeName?: string };
  status?: { podIP?: string; podIPs?: Array<{ ip?: string }>; phase?: string };
}

interface NodeShape extends KubeObject {
  status?: {
    addresses?: Array<{ type?: string; address?: string }>;
    conditions?: Array<{ type?: string; status?: string }>;
  };
}

export interface EndpointOptions {
  /** `io.cilium.k8s.policy.cluster`; Cilium's default cluster name is `default`. */
  readonly clusterName?: string;
  readonly labelFilter?: LabelFilter;
}

/**
 * A pod as an egress source: its IPv4 addresses and the identity labels Cilium
 * gives it. Host-network pods, finished pods and pods without an IPv4 address
 * are no sources (Cilium manages no endpoint for them): undefined.
 * `namespace` is the pod's Namespace object, when known.
 */
export function endpointFromPod(
  pod: KubeObject,
  namespace: KubeObject | undefined,
  options: EndpointOptions = {},
): EgressEndpoint | undefined {
  const p = pod as PodShape;
  if (p.spec?.hostNetwork === true) return undefined;
  if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') return undefined;
  const ips = [...new Set([p.status?.podIP, ...(p.status?.podIPs ?? []).map((a) => a.ip)].filter(isIpv4))];
  if (ips.length === 0) return undefined;
  const ns = p.metadata.namespace ?? 'default';
  const labels = endpointIdentityLabels(
    {
      namespace: ns,
      podLabels: p.metadata.labels ?? {},
      ...(namespace ? { namespaceLabels: effectiveNamespaceLabels(ns, namespace.metadata.labels) } : {}),
      serviceAccount: p.spec?.serviceAccountName ?? p.spec?.serviceAccount ?? 'default',
      clusterName: options.clusterName ?? 'default',
    },
    options.labelFilter ?? new LabelFilter(),
  );
  return { id: `${ns}/${p.metadata.name ?? ''}`, ips, labels };
}

/**
 * A Node for gateway selection. Its IP is Cilium's `GetK8sNodeIP`: the first
 * InternalIP, else the last ExternalIP (IPv4 only here).
 */
export function nodeFromKubeNode(node: KubeObject): EgressNode {
  const n = node as NodeShape;
  const addresses = (n.status?.addresses ?? []).filter((a) => isIpv4(a.address));
  const internal = addresses.find((a) => a.type === 'InternalIP')?.address;
  const external = addresses.filter((a) => a.type === 'ExternalIP').pop()?.address;
  const ip = internal ?? external;
  const readyCondition = (n.status?.conditions ?? []).find((c) => c.type === 'Ready');
  return {
    name: n.metadata.name ?? '',
    labels: { ...n.metadata.labels },
    ...(ip !== undefined ? { ip } : {}),
    // Manifests often carry no status: a node without a Ready condition counts as ready.
    ready: readyCondition === undefined || readyCondition.status === 'True',
  };
}

function isIpv4(value: string | undefined): value is string {
  return value !== undefined && ipv4ToNumber(value) !== undefined;
}
