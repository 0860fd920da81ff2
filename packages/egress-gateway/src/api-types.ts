import type { KubeObject, ResourceKind } from '@ciliary/core';

/** A Kubernetes LabelSelector as users write it. */
export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: ReadonlyArray<{
    readonly key: string;
    readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    readonly values?: readonly string[];
  }>;
}

/** One source selector: pods matching both selectors (either may be left out, not both). */
export interface EgressRule {
  readonly namespaceSelector?: LabelSelector;
  readonly podSelector?: LabelSelector;
}

/** `cilium.io/v2` CiliumEgressGatewayPolicy (cluster-scoped, short name `cegp`). */
export interface CiliumEgressGatewayPolicy extends KubeObject {
  readonly spec: {
    readonly selectors: readonly EgressRule[];
    readonly destinationCIDRs: readonly string[];
    /** Not in Cilium 1.12: accepted as Cilium 1.14 defines it. */
    readonly excludedCIDRs?: readonly string[];
    readonly egressGateway: {
      readonly nodeSelector: LabelSelector;
      readonly interface?: string;
      readonly egressIP?: string;
    };
  };
}

/** `cilium.io/v2alpha1` CiliumEgressNATPolicy, the legacy form (deprecated in 1.12, removed in 1.13). */
export interface CiliumEgressNATPolicy extends KubeObject {
  readonly spec: {
    readonly egress: readonly EgressRule[];
    readonly destinationCIDRs: readonly string[];
    readonly egressSourceIP: string;
  };
}

/** `cilium.io/v2` CiliumExternalWorkload: a VM outside the cluster, named as the VM's hostname. */
export interface CiliumExternalWorkload extends KubeObject {
  readonly spec?: {
    readonly 'ipv4-alloc-cidr'?: string;
    readonly 'ipv6-alloc-cidr'?: string;
  };
  readonly status?: {
    /** The VM's numeric identity, written once the VM registered. */
    readonly id?: number;
    /** The VM's IP, written once the VM registered. */
    readonly ip?: string;
  };
}

/** The CiliumExternalWorkload kind (core's `Kinds` does not list it). */
export const CiliumExternalWorkloadKind: ResourceKind = {
  group: 'cilium.io',
  version: 'v2',
  kind: 'CiliumExternalWorkload',
  plural: 'ciliumexternalworkloads',
  namespaced: false,
};

/** Opt-in per policy: every node the nodeSelector matches is a gateway, with failover between them. */
export const FAILOVER_ANNOTATION = 'egress.ciliary.io/failover';

export const EGRESS_POLICY_KINDS = ['CiliumEgressGatewayPolicy', 'CiliumEgressNATPolicy'] as const;
export type EgressPolicyKind = (typeof EGRESS_POLICY_KINDS)[number];
