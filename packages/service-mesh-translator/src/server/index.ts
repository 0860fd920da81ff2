// The gRPC side, kept apart so that translation users never load @grpc/grpc-js.
// Import as `@ciliary/service-mesh-translator/server`.
export { AdsServer, AdsServerError, type AdsServerOptions, type AdsServerStatus } from './ads-server';
export { SotwStream, type StreamContext, type StreamStatus, type ReplyEvent } from './sotw-stream';
export { DeltaStream } from './delta-stream';
export { AdsMetrics, renderAdsMetrics, type AdsMetricsSnapshot } from './metrics';
export { type TypeStatus, type NackRecord } from './type-state';
export {
  type DiscoveryRequest,
  type DiscoveryResponse,
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
  readDiscoveryRequest,
  readDeltaDiscoveryRequest,
} from './protocol';
