/**
 * The policy model after parsing: Cilium's api.Rule with the implicit
 * namespace rules applied, CIDRs resolved (except subtracted), ports
 * normalised. Every user kind (CNP, CCNP, NetworkPolicy) becomes these rules.
 */
import type { Entity, L7Rules, PolicyKindName } from './api-types';
import type { Prefix } from './cidr';
import { label, LabelKey, LabelSource, type Label } from './labels';
import type { EndpointSelector } from './selector';

/** Which object a rule came from. */
export interface RuleOrigin {
  readonly kind: PolicyKindName;
  /** Absent for cluster-wide policies. */
  readonly namespace?: string;
  readonly name: string;
  readonly uid?: string;
}

/** `CiliumNetworkPolicy shop/allow-web`, `CiliumClusterwideNetworkPolicy deny-all`. */
export function formatRuleOrigin(origin: RuleOrigin): string {
  return origin.namespace === undefined
    ? `${origin.kind} ${origin.name}`
    : `${origin.kind} ${origin.namespace}/${origin.name}`;
}

/** The labels Cilium attaches to a policy's rules (`GetPolicyLabels`), plus the rule's own labels. */
export function policyRuleLabels(origin: RuleOrigin, extra: readonly Label[] = []): Label[] {
  const out = [
    label(LabelSource.k8s, LabelKey.policyDerivedFrom, origin.kind),
    label(LabelSource.k8s, LabelKey.policyName, origin.name),
  ];
  if (origin.namespace !== undefined)
    out.push(label(LabelSource.k8s, LabelKey.policyNamespace, origin.namespace));
  out.push(label(LabelSource.k8s, LabelKey.policyUid, origin.uid ?? ''));
  return [...out, ...extra];
}

export type L4ProtocolName = 'TCP' | 'UDP' | 'SCTP' | 'ANY';

/** One port of a toPorts block: a number (as text) or a lower-cased IANA name, maybe a range. */
export interface PortSpec {
  readonly port: string;
  readonly endPort?: number;
  readonly protocol: L4ProtocolName;
}

/** Which L7 proxy parser a port rule needs: http, kafka, dns or an `l7proto` name. */
export type L7Parser = string;

export interface PortRuleModel {
  readonly ports: readonly PortSpec[];
  /** Present only when the rule has L7 rules; their presence makes the entry a proxy redirect. */
  readonly l7?: L7Rules;
  readonly parser?: L7Parser;
}

export interface IcmpSpec {
  readonly family: 'IPv4' | 'IPv6';
  readonly type: number;
}

/** A CIDR member of a rule after `except` was subtracted. */
export interface CidrSelection {
  /** What the user wrote, e.g. `10.0.0.0/8 except 10.96.0.0/12`. */
  readonly text: string;
  readonly prefixes: readonly Prefix[];
}

/** Peers that Cilium 1.12 resolves through data ciliary does not model (DNS answers, cloud groups). */
export type DeferredPeer = 'toFQDNs' | 'toServices' | 'toGroups';

/** One ingress, ingressDeny, egress or egressDeny entry, direction-neutral. */
export interface PeerRule {
  readonly endpoints: readonly EndpointSelector[];
  readonly requires: readonly EndpointSelector[];
  readonly entities: readonly Entity[];
  readonly cidrs: readonly CidrSelection[];
  /** toFQDNs/toServices/toGroups: an L3 member that selects no identity here. */
  readonly deferred: readonly DeferredPeer[];
  readonly toPorts: readonly PortRuleModel[];
  readonly icmps: readonly IcmpSpec[];
}

export interface PolicyRule {
  readonly origin: RuleOrigin;
  /** Index of the spec in the object (`spec` is 0, `specs[i]` is i, or i+1 when both exist). */
  readonly index: number;
  readonly labels: readonly Label[];
  /** The endpoints the rule applies to (endpointSelector, or nodeSelector for host rules). */
  readonly subject: EndpointSelector;
  /** A nodeSelector rule: it applies to the host identity only. */
  readonly hostRule: boolean;
  readonly ingress: readonly PeerRule[];
  readonly ingressDeny: readonly PeerRule[];
  readonly egress: readonly PeerRule[];
  readonly egressDeny: readonly PeerRule[];
  readonly description?: string;
}

export type Direction = 'ingress' | 'egress';
