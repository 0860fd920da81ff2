import type { DaemonConfig, DaemonContext, Subsystem, SubsystemStatus } from '@ciliary/daemon';
import {
  DryRunClusterWriter,
  IngressController,
  ingressConfig,
  type ClusterWriter,
  type IngressControllerConfig,
} from '@ciliary/ingress';
import { KubernetesClusterWriter } from '@ciliary/ingress/kubernetes';

export interface IngressSubsystemOptions {
  /** The controller's settings (class, default load-balancer mode, HTTPS enforcement, namespaces). */
  readonly config?: Partial<IngressControllerConfig>;
  /** Where it writes; by default the API server the operator reads from, or nowhere (a dry run) for manifests. */
  readonly writer?: ClusterWriter;
  readonly resyncIntervalMs?: number;
}

/**
 * The Ingress controller as an operator subsystem. With a kubeconfig or
 * in-cluster access it writes to that API server; reading manifests, it only
 * computes what it would write and shows it at `GET /v1/ingress`.
 */
export class IngressSubsystem implements Subsystem {
  readonly name = 'ingress';
  private controller: IngressController | undefined;
  private readonly dryRun: DryRunClusterWriter | undefined;
  private readonly writer: () => ClusterWriter;

  constructor(
    daemonConfig: DaemonConfig,
    private readonly options: IngressSubsystemOptions = {},
  ) {
    const useApi = daemonConfig.kubeconfig !== undefined || daemonConfig.inCluster === true;
    this.dryRun = options.writer || useApi ? undefined : new DryRunClusterWriter();
    const kubeconfig = daemonConfig.kubeconfig;
    this.writer = () =>
      options.writer ??
      this.dryRun ??
      new KubernetesClusterWriter(kubeconfig !== undefined ? { kubeconfig } : {});
  }

  async start(context: DaemonContext): Promise<void> {
    this.controller = new IngressController({
      source: context.source,
      writer: this.writer(),
      config: ingressConfig(this.options.config),
      clock: context.clock,
      logger: context.logger,
      ...(this.options.resyncIntervalMs !== undefined
        ? { resyncIntervalMs: this.options.resyncIntervalMs }
        : {}),
    });
    this.controller.start();
    context.api.get('/v1/ingress', () => this.report());
  }

  async stop(): Promise<void> {
    this.controller?.stop();
  }

  status(): SubsystemStatus {
    if (!this.controller) return { state: 'Ok', message: 'not started' };
    const { state, message } = this.controller.status();
    return { state, message: this.dryRun ? `${message} (dry run: no API server to write to)` : message };
  }

  /** The controller's state, plus what it would write when it has nowhere to write. */
  private report(): unknown {
    const status = this.controller?.status();
    return this.dryRun
      ? { ...status, dryRun: { objects: this.dryRun.objects(), events: this.dryRun.events() } }
      : status;
  }
}
