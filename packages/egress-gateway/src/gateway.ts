import { EndpointSelector, label, LabelSet, LabelSource } from '@ciliary/policy-model';
import type { EgressNode } from './cluster';
import { deriveEgressIP, type EgressIpDerivation, type HostInterfaces } from './host';
import { IPV4_ZERO } from './ipv4';
import type { EgressPolicy } from './policy';
import { RendezvousSet } from './rendezvous';

/** Gateway IP of an entry whose policy has no gateway node (Cilium's GatewayNotFoundIPv4). */
export const GATEWAY_NOT_FOUND = IPV4_ZERO;
/** Gateway IP of an excluded-CIDR entry: traffic skips the egress gateway (Cilium's ExcludedCIDRIPv4). */
export const EXCLUDED_CIDR_GATEWAY = '0.0.0.1';

/** Where one source's traffic goes: the gateway node's IP and, on the gateway itself, the egress IP. */
export interface SourceGateway {
  readonly gatewayIP: string;
  readonly egressIP: string;
  /** The gateway node's name; undefined for a CiliumEgressNATPolicy or when no node matches. */
  readonly node?: string;
}

/** A policy's gateways resolved against the current nodes: answers which gateway a source uses. */
export interface ResolvedGateways {
  readonly mode: 'egressSourceIP' | 'single' | 'failover';
  /** Nodes the nodeSelector matches that have an IPv4 address, by name. */
  readonly candidates: readonly EgressNode[];
  /** The candidates that serve traffic: the first one (single) or the healthy ones (failover). */
  readonly active: readonly EgressNode[];
  /** How the local node derived its egress IP, when it is one of the active gateways. */
  readonly local?: EgressIpDerivation;
  gatewayFor(sourceIP: string): SourceGateway;
}

export interface GatewayContext {
  /** Every node, in any order. */
  readonly nodes: readonly EgressNode[];
  readonly localNode: string;
  /** The local node's interfaces; undefined when unknown. */
  readonly host: HostInterfaces | undefined;
  /** Gateways reported unhealthy besides their Ready condition (failover policies only). */
  readonly unhealthyNodes?: ReadonlySet<string>;
}

/** Node labels as a label set selectors match (`k8s:` source; selector keys without source match any). */
export function nodeLabelSet(node: EgressNode): LabelSet {
  return new LabelSet(Object.entries(node.labels).map(([k, v]) => label(LabelSource.k8s, k, v)));
}

/**
 * Resolves a policy's gateways as Cilium does (pkg/egressgateway/policy.go
 * `regenerateGatewayConfig`): nodes in name order, the first one the
 * nodeSelector matches is the gateway (the rule Cilium settled on in 1.14;
 * 1.12 kept the last match). Only the gateway node itself knows the egress IP;
 * every other node stores 0.0.0.0. With failover every matching node is a
 * gateway and healthy gateways share the sources by rendezvous hashing.
 */
export function resolveGateways(policy: EgressPolicy, context: GatewayContext): ResolvedGateways {
  const gw = policy.gateway;
  if (gw.type === 'egressSourceIP') {
    const fixed: SourceGateway = { gatewayIP: gw.egressSourceIP, egressIP: gw.egressSourceIP };
    return { mode: 'egressSourceIP', candidates: [], active: [], gatewayFor: () => fixed };
  }
  const selector = EndpointSelector.fromLabelSelector(gw.nodeSelector);
  const candidates = [...context.nodes]
    .filter((n) => n.ip !== undefined && selector.matches(nodeLabelSet(n)))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const active = policy.failover
    ? candidates.filter((n) => n.ready && !(context.unhealthyNodes?.has(n.name) ?? false))
    : candidates.slice(0, 1);
  const isLocalActive = active.some((n) => n.name === context.localNode);
  const local = isLocalActive ? deriveEgressIP(gw, context.host) : undefined;
  const via = (node: EgressNode | undefined): SourceGateway =>
    node === undefined
      ? { gatewayIP: GATEWAY_NOT_FOUND, egressIP: IPV4_ZERO }
      : {
          gatewayIP: node.ip ?? GATEWAY_NOT_FOUND,
          egressIP: node.name === context.localNode && local ? local.egressIP : IPV4_ZERO,
          node: node.name,
        };
  const base = { mode: policy.failover ? 'failover' : 'single', candidates, active } as const;
  if (!policy.failover) {
    const only = via(active[0]);
    return { ...base, ...(local ? { local } : {}), gatewayFor: () => only };
  }
  const perNode = new Map(active.map((n) => [n.name, via(n)]));
  const none = via(undefined);
  const ring = new RendezvousSet(active);
  return {
    ...base,
    ...(local ? { local } : {}),
    gatewayFor: (sourceIP) => {
      const node = ring.pick(sourceIP);
      return node === undefined ? none : (perNode.get(node.name) ?? none);
    },
  };
}
