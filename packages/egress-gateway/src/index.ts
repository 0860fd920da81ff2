export {
  type CiliumEgressGatewayPolicy,
  type CiliumEgressNATPolicy,
  type CiliumExternalWorkload,
  type EgressPolicyKind,
  type EgressRule,
  type LabelSelector,
  CiliumExternalWorkloadKind,
  EGRESS_POLICY_KINDS,
  FAILOVER_ANNOTATION,
} from './api-types';
export {
  type EgressPolicy,
  type PolicyGateway,
  NAMESPACE_LABELS_PREFIX,
  endpointSelectorOf,
  parseEgressPolicy,
} from './policy';
export {
  type Ipv4Cidr,
  compareIpv4,
  compareIpv4Cidr,
  ipv4ToNumber,
  numberToIPv4,
  parseIpv4Cidr,
} from './ipv4';
export {
  type EgressEndpoint,
  type EgressNode,
  type EndpointOptions,
  endpointFromPod,
  nodeFromKubeNode,
} from './cluster';
export { type HostInterface, type HostInterfaces, type EgressIpDerivation, deriveEgressIP } from './host';
export { readHostInterfaces, defaultRouteFrom } from './system-host';
export {
  type GatewayContext,
  type ResolvedGateways,
  type SourceGateway,
  EXCLUDED_CIDR_GATEWAY,
  GATEWAY_NOT_FOUND,
  nodeLabelSet,
  resolveGateways,
} from './gateway';
export { RendezvousSet, pickGateway, rendezvousScore } from './rendezvous';
export {
  type EgressComputation,
  type PolicyEntry,
  type EgressEntry,
  type EgressState,
  type GatewayOutcome,
  type PolicyOutcome,
  computeEgressEntries,
  selectEndpoints,
} from './entries';
export { type ClusterStateOptions, EGRESS_INPUT_KINDS, EgressClusterState } from './cluster-state';
export {
  type ExternalWorkloadRegistration,
  type VmRegistration,
  ExternalWorkloadError,
  checkExternalWorkload,
  endpointFromExternalWorkload,
  externalWorkloadLabels,
  registerExternalWorkload,
} from './external-workload';
export {
  type EgressGatewayStatus,
  type EgressPolicyMap,
  type EgressPolicyStatus,
  type EgressReconcilerOptions,
  DEFAULT_EGRESS_RESYNC_MS,
  EgressGatewayReconciler,
  egressMapEntry,
} from './reconciler';
export {
  type EgressControllerOptions,
  type EgressControllerStatus,
  EGRESS_WATCHED_KINDS,
  EgressGatewayController,
} from './controller';
