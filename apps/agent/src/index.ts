export { startAgent, AGENT_KINDS, DEFAULT_DATAPATH, type AgentOptions } from './agent';
export {
  AGENT_VERSION,
  DEFAULT_AGENT_SOCKET,
  DEFAULT_AGENT_METRICS,
  CLUSTERMESH_SERVICES_ROUTE,
  CLUSTERMESH_STATUS_ROUTE,
  DEFAULT_SECRETS_NAMESPACE,
  DEFAULT_SENSOR_ADDRESS,
  EGRESS_ENTRIES_ROUTE,
  EGRESS_STATUS_ROUTE,
  ENVOY_CONFIG_ROUTE,
  SENSOR_POLICIES_ROUTE,
} from './api';
export { DatapathSubsystem, type DatapathSettings } from './datapath-subsystem';
export { desiredDatapath } from './desired-datapath';
export { EgressGatewaySubsystem, type EgressGatewaySettings } from './egress-subsystem';
export { PolicySubsystem, type PolicyListing, type PolicySettings } from './policy-subsystem';
export { ClusterMeshSubsystem, type ClusterMeshSettings } from './clustermesh-subsystem';
export {
  EnvoyConfigSubsystem,
  ENVOY_CONFIG_KINDS,
  defaultXdsAddress,
  type EnvoyConfigSettings,
} from './envoy-config-subsystem';
export { computeEnvoyConfig, type EnvoyConfigInput, type HeldBackConfig } from './envoy-config';
export { type SensorSettings } from './sensor-subsystem';
