export { loadBpfObject, LoadedBpfObject, type BpfObjectConfig, type BpfLink } from './bpf-object';
export {
  EndpointLoader,
  defaultObjectPath,
  DEFAULT_PIN_ROOT,
  POLICY_MAP_PREFIX,
  policyMapPath,
  type DatapathSpec,
  type LoadedEndpointPrograms,
} from './loader';
export { encodeEndpointConfig, type EndpointProgramConfig } from './endpoint-config';
export { attachTc, detachTc, queryTc, type TcDirection } from './tc';
export { BpfLoadError, TcAttachError } from './errors';
export { RingBufferReader, RingBufferError } from './ring-buffer-reader';
export {
  EndpointNetworkManager,
  DEFAULT_ROUTER,
  netnsName,
  hostVethName,
  type PodNetworkSpec,
  type PodNetwork,
  type NodeRouterSpec,
} from './endpoint-network';
export { NetworkCommandError, runCommand, type CommandRunner } from './command';
export { toMonitorEvent, formatMonitorEvent, type MonitorEvent, type MonitorEventType } from './monitor';
export { summarizePacket, type PacketSummary } from './packet-summary';
export { policyMapEntries, policyKeyId, type PolicyRule, type PolicyMapEntry } from './policy-map-entries';
export {
  DatapathManager,
  type DatapathManagerOptions,
  type DesiredDatapath,
  type DesiredEndpoint,
  type EndpointStatus,
} from './datapath-manager';
export { EndpointRegistry, type EndpointRecord } from './endpoint-registry';
