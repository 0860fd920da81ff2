import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { DaemonConfig, DaemonContext, Subsystem, SubsystemStatus } from '@ciliary/daemon';
import {
  countIngressStates,
  DryRunClusterWriter,
  INGRESS_STATES,
  IngressController,
  ingressConfig,
  type ClusterWriter,
  type IngressControllerConfig,
  type ReconcileOutcome,
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
    const onReconciled = this.registerMetrics(context.metrics);
    this.controller = new IngressController({
      onReconciled,
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

  /**
   * `ciliary_operator_ingress_reconciliations_total{result}`, `..._reconcile_duration_seconds`
   * (translation to writes done) and `ciliary_operator_ingress_ingresses{state}`.
   */
  private registerMetrics(registry: Registry): (outcome: ReconcileOutcome) => void {
    const reconciliations = new Counter({
      name: 'ciliary_operator_ingress_reconciliations_total',
      help: 'Ingress controller passes (translation and writes), by result',
      labelNames: ['result'],
      registers: [registry],
    });
    const duration = new Histogram({
      name: 'ciliary_operator_ingress_reconcile_duration_seconds',
      help: 'Time from picking a change up to its writes being done or failed',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: [registry],
    });
    for (const result of ['success', 'error']) reconciliations.inc({ result }, 0);
    const controller = (): IngressController | undefined => this.controller;
    new Gauge({
      name: 'ciliary_operator_ingress_ingresses',
      help: 'Ingresses by state: served, degraded (partly served), rejected, ignored (another class)',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        const status = controller()?.status();
        const counts = status ? countIngressStates(status) : undefined;
        for (const state of INGRESS_STATES) this.set({ state }, counts?.[state] ?? 0);
      },
    });
    return (outcome) => {
      reconciliations.inc({ result: outcome.result });
      duration.observe(outcome.durationMs / 1000);
    };
  }

  /** The controller's state, plus what it would write when it has nowhere to write. */
  private report(): unknown {
    const status = this.controller?.status();
    return this.dryRun
      ? { ...status, dryRun: { objects: this.dryRun.objects(), events: this.dryRun.events() } }
      : status;
  }
}
