import type { LabelPrefixRule } from './endpoint-labels';
import { DEFAULT_LABEL_PREFIXES } from './endpoint-labels';

/** Cilium's `--enable-policy` modes. */
export type EnforcementMode = 'default' | 'always' | 'never';

/** The agent settings that change policy answers; defaults are Cilium 1.12 with its Helm chart's values. */
export interface PolicyConfig {
  /** `cluster-name`, carried by every endpoint as `k8s:io.cilium.k8s.policy.cluster`. */
  readonly clusterName: string;
  /** `cluster-id` (0–255): picks the range identities are allocated from. */
  readonly clusterId: number;
  readonly enforcementMode: EnforcementMode;
  /** `allow-localhost`: `auto` is `always` in Kubernetes mode, so the local host may always reach its pods. */
  readonly allowLocalhost: boolean;
  /** Helm's `remoteNodeIdentity: true`; when off, remote nodes count as the host. */
  readonly enableRemoteNodeIdentity: boolean;
  /** `enable-host-firewall` (off): nodeSelector rules only apply when it is on. */
  readonly enableHostFirewall: boolean;
  /** Read NetworkPolicy `endPort` as a port range; Cilium 1.12 ignores it. */
  readonly networkPolicyEndPort: boolean;
  /** The identity label filter (`--labels`). */
  readonly labelPrefixes: readonly LabelPrefixRule[];
}

export const DEFAULT_POLICY_CONFIG: PolicyConfig = {
  clusterName: 'default',
  clusterId: 0,
  enforcementMode: 'default',
  allowLocalhost: true,
  enableRemoteNodeIdentity: true,
  enableHostFirewall: false,
  networkPolicyEndPort: false,
  labelPrefixes: DEFAULT_LABEL_PREFIXES,
};

export function policyConfig(overrides: Partial<PolicyConfig> = {}): PolicyConfig {
  return { ...DEFAULT_POLICY_CONFIG, ...overrides };
}
