export {
  MapError,
  KeyNotFoundError,
  KeyExistsError,
  MapFullError,
  PermissionDeniedError,
  NotSupportedError,
  InvalidArgumentError,
  CodecError,
  Errno,
  errnoName,
  mapErrorFor,
} from './errors';
export { parseIPv4, parseIPv6, formatIPv4, formatIPv6, parseCidr, formatCidr, type ParsedCidr } from './ip';
export {
  type ByteOrder,
  type Field,
  type FieldType,
  type ScalarType,
  type StructLayout,
  sizeOf,
} from './codec/layout';
export {
  type Codec,
  type StructCodec,
  structCodec,
  scalarCodec,
  u32Codec,
  u8Codec,
  be16Codec,
  u32ArrayCodec,
} from './codec/codec';
export {
  MapType,
  MapFlags,
  type UpdateFlag,
  type MapSpec,
  type MapDefinition,
  type MapOptions,
  DEFAULT_PIN_ROOT,
  pinPath,
  localMapName,
  mapTypeName,
  isPerCpu,
  isMapOfMaps,
  perCpuValueStride,
  conditionalPreallocFlags,
} from './spec';
export * from './maps/policy';
export * from './maps/ipcache';
export * from './maps/lb';
export * from './maps/lb6';
export * from './maps/conntrack';
export * from './maps/nat';
export * from './maps/egress';
export * from './maps/endpoint';
export * from './maps/metrics';
export * from './maps/programs';
export * from './events/notify';
export { dropReasonText, DropReason } from './events/drop-reasons';
export {
  type LookupBatchOptions,
  type MapBackend,
  type MapHandle,
  type OpenOptions,
  type PackedEntries,
  type RawEntry,
} from './backend/types';
export { MemoryBackend, type MemoryBackendOptions } from './backend/memory';
export { KernelBackend } from './backend/kernel';
export {
  TypedMap,
  PerCpuTypedMap,
  reconcileBinding,
  openPinnedLayout,
  type MapReconcileBinding,
  type ReconcileBindingOptions,
} from './typed-map';
export { IpcacheMap, type IpcacheEntry } from './ops/ipcache';
export { PolicyMap, policyEntryEquals, type PolicyVerdict, type PolicyMapDiff } from './ops/policy';
export {
  LoadBalancerMaps,
  serviceEntries,
  frontendKey,
  type Frontend,
  type ServiceBackend,
  type ServiceSpec,
  type ServiceEntries,
  type LoadBalancerMapsOptions,
} from './ops/lb';
export { murmur3x64128 } from './maglev/murmur3';
export {
  maglevTable,
  maglevBackendName,
  maglevSeeds,
  runLengthEncode,
  MAGLEV_TABLE_SIZES,
  DEFAULT_MAGLEV_TABLE_SIZE,
  DEFAULT_MAGLEV_SEED,
  type MaglevBackend,
  type MaglevNaming,
  type MaglevOptions,
  type MaglevSeeds,
} from './maglev/maglev';
