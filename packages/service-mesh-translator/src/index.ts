export { EnvoyCodec, UnknownTypeError, type EncodedMessage } from './envoy/codec';
export { loadEnvoyRoot, envoyProtoIncludeDirs, ENVOY_PROTO_FILES, ProtoLoadError } from './envoy/protos';
export { TypeUrls, type KnownTypeUrl, typeUrlOf, typeNameOfUrl } from './envoy/type-urls';
export { type ResourceType, ResourceTypeRegistry, envoyResourceTypes } from './resources/resource-types';
export { type ResourceReference } from './resources/references';
export { Snapshot, type SnapshotResource } from './snapshot/snapshot';
export { buildSnapshot, createSnapshot, type ResourceInput, type SnapshotBuild } from './snapshot/build';
export {
  type SnapshotCache,
  type NodeInfo,
  type NodeKeyFunction,
  NodeSnapshotCache,
  proxylessAwareNodeKey,
  isGrpcLibrary,
  DEFAULT_NODE_KEY,
  PROXYLESS_NODE_KEY,
} from './snapshot/cache';
export {
  type Workload,
  workloadOfNode,
  meshNodeKey,
  sidecarNodeKey,
  proxylessNamespaceKey,
} from './snapshot/node-keys';
export { type MeshPod, type ContainerPort, readMeshPods } from './sidecar/pods';
export {
  type SidecarPorts,
  DEFAULT_SIDECAR_PORTS,
  INBOUND_LISTENER,
  OUTBOUND_LISTENER,
  PASSTHROUGH_CLUSTER,
  inboundClusterName,
  outboundRouteName,
} from './sidecar/sidecar-resources';
export { buildSidecarSnapshots, type SidecarSnapshots } from './sidecar/sidecar-snapshots';
export {
  type EnvoyConfig,
  type ServiceListener,
  type BackendService,
  type EnvoyResourceSpec,
  parseEnvoyConfig,
  describeObject,
  CEC_RESOURCE_TYPES,
} from './cec/model';
export { qualifiedName } from './cec/qualify';
export { ADS_CONFIG_SOURCE } from './cec/inject';
export {
  translateEnvoyConfigs,
  type ServiceRedirect,
  type EnvoyConfigTranslation,
  type EnvoyConfigTranslationOptions,
} from './cec/translate';
export {
  ServiceDirectory,
  type MeshService,
  type ServicePort,
  type Backend,
  assignmentName,
  clusterLoadAssignment,
  backendServiceAssignments,
} from './eds/endpoints';
export { proxylessListenerName, proxylessResources, serviceCluster } from './proxyless/service-listeners';
export { type RouteParentStatus, type RouteCondition } from './gamma/gamma';
export {
  translateGateways,
  type GatewayInput,
  type GatewayTranslation,
  type GatewayStatus,
  type ListenerStatus,
  type Condition,
} from './gateway/translate';
export { CILIUM_GATEWAY_CONTROLLER } from './gateway/model';
export { intersectHostnames } from './gateway/hostnames';
export {
  translateServiceMesh,
  buildServiceMeshSnapshots,
  snapshotCacheEntries,
  type ServiceMeshInput,
  type ServiceMeshOptions,
  type ServiceMeshTranslation,
  type ServiceMeshSnapshots,
  type SidecarTranslation,
} from './mesh';
export { evaluateRoute, type HttpRequest, type RouteDecision } from './routing/evaluate';
export { selectFilterChain, type ConnectionInfo, type FilterChainDecision } from './routing/filter-chains';
