export {
  type IngressControllerConfig,
  type LoadBalancerMode,
  type IngressServiceType,
  DEFAULT_INGRESS_CONFIG,
  ingressConfig,
} from './config';
export { Annotations, DEFAULT_CLASS_ANNOTATION, INGRESS_LABEL, annotation } from './model/annotations';
export {
  type Ingress,
  type IngressPath,
  type IngressRule,
  type IngressTls,
  type PathType,
  type ServiceBackend,
  parseIngress,
  pathProblem,
  describeIngress,
} from './model/ingress';
export {
  type IngressClass,
  type ClassSelection,
  parseIngressClass,
  selectIngress,
  isServedClass,
} from './model/ingress-class';
export { type IngressOptions, type KeepAlive, DEFAULT_KEEP_ALIVE } from './model/options';
export { Names, PLACEHOLDER_ENDPOINT } from './translate/names';
export { type IngressProblem, type IngressRef, type ProblemReason, ingressKey } from './translate/problems';
export { SECRET_SOURCE_ANNOTATIONS, type ObjectName } from './translate/objects';
export {
  translateIngresses,
  type IngressInput,
  type IngressTranslation,
  type LoadBalancer,
  type SkippedIngress,
} from './translate/translate';
export { buildIngressXds, sdsSecrets, type IngressXds, type IngressXdsInput } from './translate/xds';
export { RouteEvaluator, type HttpRequest, type RouteDecision, pathOnly } from './route/evaluator';
export { selectFilterChain } from './route/filter-chains';
export { IngressRouter, type IngressRequest, type RouteResult } from './route/router';
export { simulateIngresses, type SimulationInput, type IngressSimulation } from './route/simulation';
export {
  routeRequests,
  parseRequestLine,
  RequestSyntaxError,
  type RouteOptions,
  type RouteReport,
} from './route/report';
export {
  IngressController,
  WATCHED_KINDS,
  type IngressControllerOptions,
  type IngressControllerStatus,
  type ReconcileOutcome,
} from './controller/controller';
export { countIngressStates, INGRESS_STATES, type IngressState } from './controller/states';
export { type ClusterWriter, type LoadBalancerAddress, EventKind } from './controller/writer';
export { OWNED_KINDS } from './controller/targets';
export { EVENT_SOURCE, ingressEvent } from './controller/events';
export { alreadyApplied, isSubset } from './controller/compare';
export { DryRunClusterWriter } from './controller/dry-run-writer';
