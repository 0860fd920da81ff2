export {
  type ClusterInfo,
  type IdentityRange,
  CLUSTER_NAME_LABEL,
  MIN_CLUSTER_ID,
  MAX_CLUSTER_ID,
  MAX_CLUSTER_NAME_LENGTH,
  MAX_RESERVED_IDENTITY,
  clusterIdIssues,
  clusterNameIssues,
  validateClusterInfo,
  identityRange,
  identityBelongsTo,
  clusterIdOfIdentity,
} from './cluster';
export {
  BASE_PREFIX,
  SERVICES_PREFIX,
  NODES_PREFIX,
  IDENTITIES_PREFIX,
  IDENTITY_IDS_PREFIX,
  IP_IDENTITIES_PREFIX,
  IPCACHE_PREFIX,
  SYNCED_PREFIX,
  SYNCED_STATE_PREFIXES,
  CLUSTER_CONFIG_PREFIX,
  HEARTBEAT_KEY,
  serviceKey,
  servicesPrefixOf,
  nodeKey,
  nodesPrefixOf,
  identityKey,
  ipcacheKey,
  syncedKey,
  syncedPrefixOf,
  clusterConfigKey,
  parseServiceKey,
} from './keys';
export {
  type ClusterService,
  type L4Addr,
  type L4Protocol,
  type PortConfiguration,
  L4_PROTOCOLS,
  encodeClusterService,
  decodeClusterService,
} from './formats/service';
export { type ClusterNode, type NodeAddress, encodeClusterNode, decodeClusterNode } from './formats/node';
export {
  type IpcacheEntry,
  type NamedPort,
  encodeIpcacheEntry,
  decodeIpcacheEntry,
  ipcacheKeyName,
} from './formats/ipcache';
export {
  type Label,
  formatLabelsForKvstore,
  parseKvstoreLabels,
  labelsFromSecurityLabels,
  parseLabelKey,
  parseIdentityId,
} from './formats/identity';
export {
  type ClusterConfig,
  encodeClusterConfig,
  decodeClusterConfig,
  rfc3339,
} from './formats/cluster-config';
export { canonicalIp, parseCidr, hostPort, compareIps } from './ip';
export {
  type KvStore,
  type KvPair,
  type KvListing,
  type KvWatch,
  type KvWatchEvent,
  type KvWatchHandlers,
  type KvWrite,
  type KvStoreStatus,
  KvStoreError,
} from './kvstore';
export { PrefixMirror, type MirrorHandlers, type PrefixMirrorOptions } from './mirror';
export { KvSync, type DesiredValue, type KvSyncOptions, type KvSyncStatus } from './kv-sync';
export {
  type LocalService,
  type LocalBackend,
  type LocalServiceTable,
  type ServicePort,
  type ServiceAffinity,
  GLOBAL_ANNOTATIONS,
  SHARED_ANNOTATIONS,
  AFFINITY_ANNOTATIONS,
  SERVICE_NAME_LABEL,
  CiliumMeshKinds,
  buildLocalServices,
  ParseMemo,
  sameBackends,
  parseService,
  parseEndpointSlice,
  serviceId,
} from './local-services';
export {
  type ExportInput,
  type ExportState,
  ExportMemo,
  buildExportState,
  toClusterService,
} from './export-state';
export { ClusterExporter, EXPORT_KINDS, type ExporterOptions, type ExporterStatus } from './exporter';
export {
  type RemoteClusterConfig,
  type MeshConfig,
  loadMeshConfig,
  keepLastGood,
  parseRemoteClusterConfig,
} from './mesh-config';
export { RemoteCluster, type RemoteClusterOptions, type RemoteClusterStatus } from './remote-cluster';
export { ClusterMesh, type ClusterMeshOptions, type ClusterMeshStatus } from './cluster-mesh';
export {
  type MergedService,
  type MergedBackend,
  type MergedFrontend,
  type MergeInput,
  type MergeResult,
  type ServiceListJson,
  mergeServices,
  MergeMemo,
  isSelected,
  toServiceListJson,
} from './merge';
