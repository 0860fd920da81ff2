// The gRPC side, kept apart so that model users never load @grpc/grpc-js.
// Import as `@ciliary/tetragon-events/server`.
export {
  SensorServer,
  SensorServerError,
  type SensorServerOptions,
  type SensorServerStats,
} from './sensor-server';
export { SensorClient, type SensorClientOptions } from './sensor-client';
export {
  TracingPolicyRequestError,
  type TracingPolicyHandler,
  type TracingPolicyFailure,
} from './tracing-policies';
export { sensorsServiceDefinition } from './service';
