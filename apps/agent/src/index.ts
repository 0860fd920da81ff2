export {
  startAgent,
  AGENT_VERSION,
  AGENT_KINDS,
  DEFAULT_AGENT_SOCKET,
  DEFAULT_AGENT_METRICS,
  DEFAULT_DATAPATH,
  type AgentOptions,
} from './agent';
export { DatapathSubsystem, type DatapathSettings } from './datapath-subsystem';
export { desiredDatapath } from './desired-datapath';
export {
  EgressGatewaySubsystem,
  EGRESS_ENTRIES_ROUTE,
  EGRESS_STATUS_ROUTE,
  type EgressGatewaySettings,
} from './egress-subsystem';
export { PolicySubsystem, type PolicyListing, type PolicySettings } from './policy-subsystem';
export {
  ClusterMeshSubsystem,
  CLUSTERMESH_STATUS_ROUTE,
  CLUSTERMESH_SERVICES_ROUTE,
  type ClusterMeshSettings,
} from './clustermesh-subsystem';
export {
  EnvoyConfigSubsystem,
  ENVOY_CONFIG_KINDS,
  ENVOY_CONFIG_ROUTE,
  DEFAULT_SECRETS_NAMESPACE,
  defaultXdsAddress,
  type EnvoyConfigSettings,
} from './envoy-config-subsystem';
export { computeEnvoyConfig, type EnvoyConfigInput, type HeldBackConfig } from './envoy-config';
export { DEFAULT_SENSOR_ADDRESS, SENSOR_POLICIES_ROUTE, type SensorSettings } from './sensor-subsystem';
