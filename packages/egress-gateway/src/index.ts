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
