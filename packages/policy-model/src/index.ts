export type {
  CiliumNetworkPolicy,
  ContainerPort,
  EgressRuleSpec,
  Entity,
  IngressRuleSpec,
  L7Rules,
  Namespace,
  NetworkPolicy,
  Pod,
  PolicyKindName,
  PortRule,
  RuleSpec,
} from './api-types';
export { ENTITIES, POLICY_KIND_NAMES } from './api-types';
export { type Label, LabelKey, LabelSet, LabelSource, formatLabel, label, parseLabel } from './labels';
export {
  EndpointSelector,
  extendedKey,
  type LabelSelectorSpec,
  type Requirement,
  type SelectorKey,
  type SelectorOperator,
} from './selector';
export {
  type Prefix,
  cidrIdentityLabels,
  cidrLabel,
  cidrLabelKey,
  formatIp,
  formatPrefix,
  parseIp,
  parsePrefix,
  prefixContains,
  subtractPrefixes,
} from './cidr';
export {
  type Identity,
  type IdentityAllocator,
  IdentityError,
  LOCAL_IDENTITY_FLAG,
  MIN_ALLOCATED_IDENTITY,
  RangeIdentityAllocator,
  ReservedIdentity,
  clusterIdOf,
  clusterIdentityRange,
  isLocalIdentity,
  isReservedIdentity,
  reservedIdentities,
} from './identity';
export {
  DEFAULT_LABEL_PREFIXES,
  type EndpointLabelInput,
  LabelFilter,
  type LabelPrefixRule,
  effectiveNamespaceLabels,
  endpointIdentityLabels,
} from './endpoint-labels';
export { DEFAULT_POLICY_CONFIG, type EnforcementMode, type PolicyConfig, policyConfig } from './config';
export {
  type CidrSelection,
  type Direction,
  type L7Parser,
  type PeerRule,
  type PolicyRule,
  type PortRuleModel,
  type PortSpec,
  type RuleOrigin,
  formatRuleOrigin,
  policyRuleLabels,
} from './rule';
export { parseCiliumPolicy } from './parse-cilium';
export { type NetworkPolicyOptions, parseNetworkPolicy } from './parse-network-policy';
export {
  type DirectionPolicy,
  type L4Filter,
  type PerSelectorPolicy,
  type SelectorPolicy,
  entitySelectors,
  resolveSelectorPolicy,
  ruleSelectsIdentity,
} from './resolve';
export {
  type LookupResult,
  type MapEntry,
  type MapKey,
  MapState,
  type MapStateDiff,
  type MapStateEntry,
  type MatchType,
  Protocol,
  formatKeyPort,
  keyPortRange,
  mapKeyId,
  protocolName,
  protocolNumber,
} from './map-state';
export { MapStateBuilder } from './map-state-builder';
export {
  DerivedFrom,
  type EndpointPorts,
  type NamedPort,
  type NamedPorts,
  computeMapState,
  derivedFromLabel,
  resolveNamedPort,
} from './to-map-state';
export { SelectorCache } from './selector-cache';
export {
  type EndpointPolicyChange,
  type EndpointView,
  PolicyEngine,
  type PolicyEngineOptions,
  type PodView,
  policyKey,
} from './engine';
export {
  type Decision,
  type DirectionVerdict,
  type Flow,
  FlowParseError,
  type FlowPeer,
  type FlowVerdict,
  UnknownEndpointError,
  flowVerdict,
  formatFlow,
  parseFlow,
} from './verdict';
export {
  type PolicyDocument,
  type PolicyIssue,
  PolicyValidator,
  isPolicyModelKind,
  validate,
} from './validate/validator';
export { describeIdentity } from './describe';
export {
  type DirectionVerdictReport,
  type EndpointMapReport,
  type IdentityReport,
  type MapEntryReport,
  type VerdictReport,
  endpointMapReport,
  identityReports,
  verdictReport,
} from './report';
