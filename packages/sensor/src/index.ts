export {
  Sensor,
  SensorError,
  DEFAULT_SENSOR_PIN_DIR,
  defaultObjectDir,
  type SensorOptions,
  type SensorStats,
  type EventListener,
} from './sensor';
export { KernelTime, systemBootClock, type BootClock } from './kernel/boot-clock';
export type { LoadedObject, ObjectLoader } from './kernel/object-loader';
export { nodeName } from './node-name';
export {
  ProcessTracker,
  type ProcFacts,
  type ProcessTrackerOptions,
  type ContainerResolver,
} from './process/process-tracker';
export { scanProc, readProcEntry, parseStat, type ProcEntry, type ProcScanOptions } from './process/procfs';
export {
  MSG_OP,
  decodeProcessRecord,
  RecordError,
  type ExecKey,
  type ExecRecord,
  type CloneRecord,
  type ExitRecord,
  type ProcessRecord,
} from './wire/process-records';
export {
  compileTracingPolicy,
  TRACING_POLICY_API_VERSION,
  type CompiledPolicy,
  type HookPlan,
  type ArgOutput,
  type OutputType,
  type TracingPolicyKind,
  type TracepointAttach,
} from './policy/compile';
export {
  PolicyManager,
  PolicyLoadError,
  PolicyCgroupsError,
  type LoadedPolicyInfo,
} from './policy/policy-manager';
export { CGROUP_FILTER_MAX, type CgroupSetChange } from './policy/cgroup-filter';
export { systemKernelFacts, type KernelFacts } from './policy/kernel-facts';
export {
  parseTracepointFormat,
  type TracepointFormat,
  type TracepointField,
} from './policy/tracepoint-format';
export { planCall, syscallName, KERNEL_FUNCTIONS, type CallPlan } from './policy/calls';
export { encodeHookConfig, HOOK_CONFIG_SIZE, type HookConfig } from './policy/hook-config';
export { decodeGeneric, decodeArguments, permission, type GenericRecord } from './wire/generic-records';
export { PodIndex, podContainers, workloadOf, type PodContainer } from './pods/pod-index';
export { podInfo, maybeExecProbe, type ProcessInContainer } from './pods/pod-info';
export { PodAssociation, type PodAssociationOptions, type PodAssociationStats } from './pods/pod-association';
export {
  containerIdFromCgroupName,
  containerIdFromCgroupPath,
  containerIdFromRuntimeId,
  cgroupFacts,
  dockerId,
  DOCKER_ID_LENGTH,
} from './pods/container-id';
export { ContainerCgroups } from './pods/container-cgroups';
export { cgroup2Mount, cgroupIdOf } from './pods/cgroup-fs';
export { parseTracingPolicyYaml } from './tracing-policy-yaml';
export { NamespacedPolicyCgroups } from './pods/namespaced-policies';
