export {
  startOperator,
  OPERATOR_VERSION,
  OPERATOR_KINDS,
  DEFAULT_OPERATOR_SOCKET,
  DEFAULT_OPERATOR_METRICS,
  type OperatorOptions,
} from './operator';
export { IngressSubsystem, type IngressSubsystemOptions } from './ingress-subsystem';
