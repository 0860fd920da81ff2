export { type Issue, type Result, formatIssue, nestIssues, ok, failed } from './issues';
export { CiliaryError, ValidationError, isValidationError, errorMessage } from './errors';
export { type Clock, type TimerHandle, systemClock } from './clock';
export { Debounced } from './debounce';
export { type Logger, silentLogger } from './logger';
export { MAX_YAML_FLOW_NESTING, yamlFlowNesting, yamlNestingProblem } from './yaml-nesting';
export { type BackoffOptions, backoffDelay } from './backoff';
export { type ObjectMeta, type KubeObject, isKubeObject } from './kube-object';
export {
  type ResourceKind,
  type KnownKindName,
  Kinds,
  apiVersionOf,
  kindId,
  listPath,
  findKind,
} from './resource-kind';
export {
  type ResourceEvent,
  type ResourceHandler,
  type ResourceSource,
  type ResourceSourceStatus,
  type KindStatus,
  type Unsubscribe,
  resourceKey,
} from './resource-source';
export {
  type ReconcileTarget,
  type ReconcilerOptions,
  type ReconcilerStatus,
  type EntryState,
  Reconciler,
} from './reconciler';
