import type { LogFormat, LogLevel } from './logging';

/** Settings every daemon shares: where cluster state comes from, where it listens, how it logs. */
export interface DaemonConfig {
  /** Local manifests directory; the default source when no kubeconfig is given. */
  readonly manifests?: string;
  /** A kubeconfig file; selects the Kubernetes resource source. */
  readonly kubeconfig?: string;
  /** Use the in-cluster service account to reach the API server. */
  readonly inCluster?: boolean;
  readonly nodeName: string;
  readonly apiSocket: string;
  readonly stateDir: string;
  /** `HOST:PORT` for Prometheus metrics; loopback by default. */
  readonly metricsAddress: string;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
}

export const DEFAULT_STATE_DIR = '/var/run/ciliary';
export const DEFAULT_MANIFESTS = 'examples';
