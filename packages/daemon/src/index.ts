export {
  startDaemon,
  createResourceSource,
  type DaemonSpec,
  type DaemonStatus,
  type RunningDaemon,
} from './daemon';
export { type DaemonConfig, DEFAULT_STATE_DIR, DEFAULT_MANIFESTS } from './config';
export { ApiClient, ApiClientError, streamJson } from './api-client';
export { ApiServer, ApiError, type ApiHandler, type StreamHandler, type StreamWriter } from './api-server';
export { MetricsServer, parseListenAddress } from './metrics';
export { createLogger, type LogFormat, type LogLevel } from './logging';
export type { DaemonContext, Subsystem, SubsystemStatus, HealthState } from './subsystem';
