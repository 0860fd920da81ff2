import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  errorMessage,
  systemClock,
  type Clock,
  type Logger,
  type ResourceKind,
  type ResourceSource,
  type ResourceSourceStatus,
} from '@ciliary/core';
import { KubernetesSource, LocalManifestSource } from '@ciliary/resource-source';
import { ApiServer } from './api-server';
import { DEFAULT_MANIFESTS, type DaemonConfig } from './config';
import { createLogger } from './logging';
import { MetricsServer, parseListenAddress } from './metrics';
import { ResourceMetrics } from './resource-metrics';
import type { DaemonContext, HealthState, Subsystem } from './subsystem';

export interface DaemonStatus {
  readonly daemon: string;
  readonly node: string;
  readonly version: string;
  readonly state: HealthState;
  readonly startedAt: string;
  readonly uptimeSeconds: number;
  readonly api: { readonly socket: string };
  readonly metrics: { readonly address: string };
  readonly resourceSource: ResourceSourceStatus;
  readonly subsystems: ReadonlyArray<{
    readonly name: string;
    readonly state: HealthState;
    readonly message: string;
  }>;
}

export interface DaemonSpec {
  /** `agent` or `operator`: names logs, metrics (`ciliary_<daemon>_...`) and status. */
  readonly daemon: string;
  readonly version: string;
  readonly config: DaemonConfig;
  /** The kinds to list and watch. */
  readonly kinds: readonly ResourceKind[];
  readonly subsystems?: readonly Subsystem[];
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export interface RunningDaemon {
  readonly logger: Logger;
  readonly metricsAddress: string;
  status(): DaemonStatus;
  stop(): Promise<void>;
}

/**
 * Starts a daemon: resource source, subsystems, the unix-socket API
 * (`/healthz`, `/v1/status`) and the metrics endpoint. Resolves once the source
 * has synced and every subsystem started; on failure everything started is
 * stopped again and the error is thrown.
 */
export async function startDaemon(spec: DaemonSpec): Promise<RunningDaemon> {
  const { config } = spec;
  const clock = spec.clock ?? systemClock();
  const logger = spec.logger ?? createLogger({ level: config.logLevel, format: config.logFormat });
  const startedAt = clock.now();

  await fs.mkdir(config.stateDir, { recursive: true, mode: 0o750 });
  const source = createResourceSource(config, spec.kinds, clock, logger.child({ subsys: 'resource-source' }));
  const { host, port } = parseListenAddress(config.metricsAddress);
  const metrics = new MetricsServer(host, port, `ciliary_${spec.daemon}_`);
  const api = new ApiServer(config.apiSocket, logger.child({ subsys: 'api' }));
  const subsystems: Subsystem[] = [new ResourceMetrics(spec.kinds), ...(spec.subsystems ?? [])];
  const started: Subsystem[] = [];
  let listening = { api: false, metrics: false };

  const status = (): DaemonStatus => {
    const parts = subsystems.map((s) => ({ name: s.name, ...s.status() }));
    return {
      daemon: spec.daemon,
      node: config.nodeName,
      version: spec.version,
      state: worstState(parts.map((p) => p.state)),
      startedAt: new Date(startedAt).toISOString(),
      uptimeSeconds: Math.floor((clock.now() - startedAt) / 1000),
      api: { socket: config.apiSocket },
      metrics: { address: listening.metrics ? metrics.address : config.metricsAddress },
      resourceSource: source.status(),
      subsystems: parts,
    };
  };

  /** Each part is stopped whatever an earlier one threw, so no server or connection keeps the process up. */
  const stop = async (): Promise<void> => {
    logger.info({}, 'stopping');
    const attempt = async (part: string, step: () => Promise<void>): Promise<void> => {
      try {
        await step();
      } catch (err) {
        logger.error({ part, err: errorMessage(err) }, 'stop failed');
      }
    };
    for (const subsystem of started.splice(0).reverse())
      await attempt(subsystem.name, () => subsystem.stop());
    await attempt('resource source', () => source.stop());
    if (listening.api) await attempt('API server', () => api.close());
    if (listening.metrics) await attempt('metrics server', () => metrics.close());
    listening = { api: false, metrics: false };
    logger.info({}, 'stopped');
  };

  try {
    api.get('/healthz', () => 'ok\n');
    api.get('/v1/status', () => status());
    await metrics.listen();
    listening.metrics = true;
    await api.listen();
    listening.api = true;
    logger.info(
      { node: config.nodeName, socket: config.apiSocket, metrics: `http://${metrics.address}/metrics` },
      `${spec.daemon} API listening`,
    );
    logger.info(describeSource(config), 'reading cluster state');
    await source.start();
    const context: DaemonContext = {
      nodeName: config.nodeName,
      stateDir: config.stateDir,
      source,
      clock,
      logger,
      api,
      metrics: metrics.registry,
    };
    for (const subsystem of subsystems) {
      // Counted before it starts: one that fails half-way has opened connections or servers too, and
      // is stopped with the others (subsystems stop whatever part of them started).
      started.push(subsystem);
      await subsystem.start({ ...context, logger: logger.child({ subsys: subsystem.name }) });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  logger.info({ state: status().state, seconds: (clock.now() - startedAt) / 1000 }, `${spec.daemon} ready`);
  return { logger, metricsAddress: metrics.address, status, stop };
}

function worstState(states: readonly HealthState[]): HealthState {
  if (states.includes('Failure')) return 'Failure';
  if (states.includes('Degraded')) return 'Degraded';
  return 'Ok';
}

/** The Kubernetes source when a kubeconfig or in-cluster access is configured, else the manifests directory. */
export function createResourceSource(
  config: DaemonConfig,
  kinds: readonly ResourceKind[],
  clock: Clock,
  logger: Logger,
): ResourceSource {
  if (config.kubeconfig || config.inCluster) {
    return new KubernetesSource({
      kinds,
      clock,
      logger,
      ...(config.kubeconfig ? { kubeconfig: config.kubeconfig } : {}),
    });
  }
  return new LocalManifestSource({
    dir: path.resolve(config.manifests ?? DEFAULT_MANIFESTS),
    kinds,
    clock,
    logger,
  });
}

function describeSource(config: DaemonConfig): Record<string, string> {
  if (config.kubeconfig) return { source: 'kubernetes', kubeconfig: config.kubeconfig };
  if (config.inCluster) return { source: 'kubernetes', kubeconfig: 'in-cluster' };
  return { source: 'local', manifests: path.resolve(config.manifests ?? DEFAULT_MANIFESTS) };
}
