/**
 * The policy resources as users write them: cilium.io/v2 CiliumNetworkPolicy and
 * CiliumClusterwideNetworkPolicy (pkg/policy/api) and networking.k8s.io/v1
 * NetworkPolicy, plus the parts of Pods and Namespaces that make identities.
 */
import type { KubeObject } from '@ciliary/core';
import type { LabelSelectorSpec } from './selector';

export type Entity =
  | 'all'
  | 'world'
  | 'cluster'
  | 'host'
  | 'init'
  | 'ingress'
  | 'unmanaged'
  | 'remote-node'
  | 'health'
  | 'none'
  | 'kube-apiserver';

export const ENTITIES: readonly Entity[] = [
  'all',
  'world',
  'cluster',
  'host',
  'init',
  'ingress',
  'unmanaged',
  'remote-node',
  'health',
  'none',
  'kube-apiserver',
];

/** TCP, UDP and ANY are 1.12; SCTP arrived in 1.13 and is accepted here. */
export type PortProtocolName = 'TCP' | 'UDP' | 'SCTP' | 'ANY';

export interface PortProtocol {
  port: string;
  /** A port range's last port (Cilium 1.16's `endPort`). */
  endPort?: number;
  protocol?: PortProtocolName;
}

export interface HeaderMatch {
  name: string;
  value?: string;
  mismatch?: 'LOG' | 'ADD' | 'DELETE' | 'REPLACE';
  secret?: { name: string; namespace?: string };
}

export interface HttpRule {
  path?: string;
  method?: string;
  host?: string;
  headers?: string[];
  headerMatches?: HeaderMatch[];
}

export interface KafkaRule {
  role?: string;
  apiKey?: string;
  apiVersion?: string;
  clientID?: string;
  topic?: string;
}

export interface FqdnSelector {
  matchName?: string;
  matchPattern?: string;
}

export interface L7Rules {
  http?: HttpRule[];
  kafka?: KafkaRule[];
  dns?: FqdnSelector[];
  l7proto?: string;
  l7?: Array<Record<string, string>>;
}

export interface TlsContext {
  secret: { name: string; namespace?: string };
  trustedCA?: string;
  certificate?: string;
  privateKey?: string;
}

export interface PortRule {
  ports?: PortProtocol[];
  terminatingTLS?: TlsContext;
  originatingTLS?: TlsContext;
  rules?: L7Rules;
}

export interface CidrRule {
  cidr: string;
  except?: string[];
}

export interface IcmpField {
  family?: 'IPv4' | 'IPv6';
  type: number;
}

export interface IcmpRule {
  fields?: IcmpField[];
}

export interface ServiceRef {
  k8sService?: { serviceName?: string; namespace?: string };
  k8sServiceSelector?: { selector: LabelSelectorSpec; namespace?: string };
}

export interface IngressRuleSpec {
  fromEndpoints?: LabelSelectorSpec[];
  fromRequires?: LabelSelectorSpec[];
  fromCIDR?: string[];
  fromCIDRSet?: CidrRule[];
  fromEntities?: Entity[];
  toPorts?: PortRule[];
  icmps?: IcmpRule[];
}

export interface EgressRuleSpec {
  toEndpoints?: LabelSelectorSpec[];
  toRequires?: LabelSelectorSpec[];
  toCIDR?: string[];
  toCIDRSet?: CidrRule[];
  toEntities?: Entity[];
  toServices?: ServiceRef[];
  toGroups?: Array<Record<string, unknown>>;
  toFQDNs?: FqdnSelector[];
  toPorts?: PortRule[];
  icmps?: IcmpRule[];
}

export interface RuleLabel {
  key: string;
  value?: string;
  source?: string;
}

export interface RuleSpec {
  endpointSelector?: LabelSelectorSpec;
  nodeSelector?: LabelSelectorSpec;
  ingress?: IngressRuleSpec[];
  ingressDeny?: IngressRuleSpec[];
  egress?: EgressRuleSpec[];
  egressDeny?: EgressRuleSpec[];
  labels?: RuleLabel[];
  description?: string;
}

export interface CiliumNetworkPolicy extends KubeObject {
  kind: 'CiliumNetworkPolicy' | 'CiliumClusterwideNetworkPolicy';
  spec?: RuleSpec;
  specs?: RuleSpec[];
}

export interface NetworkPolicyPeer {
  podSelector?: LabelSelectorSpec;
  namespaceSelector?: LabelSelectorSpec;
  ipBlock?: { cidr: string; except?: string[] };
}

export interface NetworkPolicyPort {
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  port?: number | string;
  endPort?: number;
}

export interface NetworkPolicy extends KubeObject {
  kind: 'NetworkPolicy';
  spec: {
    podSelector: LabelSelectorSpec;
    policyTypes?: Array<'Ingress' | 'Egress'>;
    ingress?: Array<{ from?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }>;
    egress?: Array<{ to?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }>;
  };
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
}

export interface Pod extends KubeObject {
  kind: 'Pod';
  spec?: {
    nodeName?: string;
    serviceAccountName?: string;
    serviceAccount?: string;
    hostNetwork?: boolean;
    containers?: Array<{ name?: string; ports?: ContainerPort[] }>;
    initContainers?: Array<{ name?: string; ports?: ContainerPort[] }>;
  };
  status?: { podIP?: string; podIPs?: Array<{ ip: string }>; phase?: string };
}

export interface Namespace extends KubeObject {
  kind: 'Namespace';
}

export const POLICY_KIND_NAMES = [
  'CiliumNetworkPolicy',
  'CiliumClusterwideNetworkPolicy',
  'NetworkPolicy',
] as const;
export type PolicyKindName = (typeof POLICY_KIND_NAMES)[number];
