import {
  errorMessage,
  Kinds,
  Reconciler,
  type BackoffOptions,
  type Clock,
  type KubeObject,
  type Logger,
  type ReconcilerStatus,
  type ResourceKind,
  type ResourceSource,
  type TimerHandle,
  type Unsubscribe,
} from '@ciliary/core';
import type { IngressControllerConfig } from '../config';
import type { IngressProblem } from '../translate/problems';
import { translateIngresses, type IngressTranslation } from '../translate/translate';
import { alreadyApplied } from './compare';
import { EventRecorder } from './events';
import {
  ingressStatusTarget,
  loadBalancerAddresses,
  ownedKeyId,
  ownedKeyOf,
  ownedObjectsTarget,
  skipUnchanged,
  type OwnedKey,
} from './targets';
import type { ClusterWriter, LoadBalancerAddress } from './writer';

export interface IngressControllerOptions {
  readonly source: ResourceSource;
  readonly writer: ClusterWriter;
  readonly config: IngressControllerConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Full comparison with the cluster, repairing drift and pruning leftovers; default 5 minutes. */
  readonly resyncIntervalMs?: number;
  readonly retry?: BackoffOptions;
  /** Told the outcome of every pass (for metrics). */
  readonly onReconciled?: (outcome: ReconcileOutcome) => void;
}

/** One pass of the controller: the translation, then the writes of the difference. */
export interface ReconcileOutcome {
  /** `error` when the translation failed or writes were failing once the pass was done. */
  readonly result: 'success' | 'error';
  /** From picking the change up to its writes being done or failed (later retries do not count). */
  readonly durationMs: number;
}

/** The kinds the controller watches. */
export const WATCHED_KINDS: readonly ResourceKind[] = [
  Kinds.Ingress,
  Kinds.IngressClass,
  Kinds.Service,
  Kinds.Secret,
];

export interface IngressControllerStatus {
  readonly state: 'Ok' | 'Degraded';
  readonly message: string;
  readonly synced: boolean;
  /** Ingresses served, by load balancer. */
  readonly loadBalancers: IngressTranslation['loadBalancers'];
  readonly skipped: IngressTranslation['skipped'];
  readonly problems: readonly IngressProblem[];
  readonly objects: ReconcilerStatus;
  readonly statuses: ReconcilerStatus;
}

const DEFAULT_RETRY: BackoffOptions = { initialMs: 500, maxMs: 30_000 };

/**
 * The Ingress controller the operator runs. It watches Ingresses,
 * IngressClasses, Services and Secrets; on every change it translates the
 * whole set again (pure and fast) and hands the result to two reconcilers
 * that write only the difference: the owned objects (CiliumEnvoyConfigs,
 * load-balancer Services and Endpoints, synced Secrets), pruning what no
 * Ingress wants any more, and the Ingresses' `status.loadBalancer`, copied
 * from their Service. Problems become Kubernetes Events. Nothing it meets in
 * the cluster makes it throw.
 */
export class IngressController {
  private readonly objects: Reconciler<OwnedKey, KubeObject>;
  private readonly statuses: Reconciler<string, LoadBalancerAddress[]>;
  private readonly events: EventRecorder;
  private readonly synced = new Set<ResourceKind>();
  private unsubscribes: Unsubscribe[] = [];
  private timer: TimerHandle | undefined;
  private computeWaiters: Array<() => void> = [];
  private translation: IngressTranslation | undefined;
  private servedKeys: ReadonlySet<string> = new Set();
  private lastError: string | undefined;
  private running = false;

  constructor(private readonly options: IngressControllerOptions) {
    const { writer, clock, logger, config } = options;
    const common = {
      clock,
      resyncIntervalMs: options.resyncIntervalMs ?? 300_000,
      retry: options.retry ?? DEFAULT_RETRY,
    };
    this.objects = new Reconciler({
      ...common,
      name: 'ingress-objects',
      logger: logger.child({ reconciler: 'ingress-objects' }),
      target: skipUnchanged(ownedObjectsTarget(writer, config.secretsNamespace), ownedKeyId, alreadyApplied),
      keyId: ownedKeyId,
      valueEquals: alreadyApplied,
    });
    this.statuses = new Reconciler({
      ...common,
      name: 'ingress-status',
      logger: logger.child({ reconciler: 'ingress-status' }),
      target: skipUnchanged(
        ingressStatusTarget(writer, options.source, () => this.servedKeys),
        (key) => key,
        (a, b) => JSON.stringify(a) === JSON.stringify(b),
      ),
      keyId: (key) => key,
    });
    this.events = new EventRecorder(writer, clock, logger);
  }

  /** Subscribes to the watched kinds; reconciling starts once every kind has synced. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribes = WATCHED_KINDS.map((kind) =>
      this.options.source.subscribe(kind, (event) => {
        if (event.type === 'synced') this.synced.add(kind);
        this.schedule();
      }),
    );
  }

  stop(): void {
    this.running = false;
    for (const unsubscribe of this.unsubscribes) unsubscribe();
    this.unsubscribes = [];
    this.timer?.cancel();
    this.timer = undefined;
    this.objects.stop();
    this.statuses.stop();
    this.releaseComputeWaiters();
  }

  /** Resolves when the latest change has been translated and written (retries scheduled later do not count). */
  async whenIdle(): Promise<void> {
    if (this.timer) await new Promise<void>((resolve) => this.computeWaiters.push(resolve));
    await Promise.all([this.objects.whenIdle(), this.statuses.whenIdle()]);
  }

  status(): IngressControllerStatus {
    const objects = this.objects.status();
    const statuses = this.statuses.status();
    const synced = WATCHED_KINDS.every((k) => this.synced.has(k));
    const served = this.translation?.loadBalancers.reduce((n, lb) => n + lb.ingresses.length, 0) ?? 0;
    const problems = this.translation?.problems ?? [];
    const failing = objects.errors + statuses.errors;
    const degraded = this.lastError !== undefined || failing > 0;
    const message = !synced
      ? 'waiting for Ingresses, IngressClasses, Services and Secrets to sync'
      : this.lastError !== undefined
        ? `translation failed: ${this.lastError}`
        : `${served} Ingresses served by ${this.translation?.loadBalancers.length ?? 0} load balancers, ` +
          `${problems.length} problems${failing > 0 ? `, ${failing} writes failing (${objects.lastError ?? statuses.lastError ?? ''})` : ''}`;
    return {
      state: degraded ? 'Degraded' : 'Ok',
      message,
      synced,
      loadBalancers: this.translation?.loadBalancers ?? [],
      skipped: this.translation?.skipped ?? [],
      problems,
      objects,
      statuses,
    };
  }

  /** Coalesces bursts of events (the initial listing, a rollout) into one translation. */
  private schedule(): void {
    if (!this.running || this.timer) return;
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      this.compute();
      this.releaseComputeWaiters();
    }, 0);
  }

  private releaseComputeWaiters(): void {
    const waiters = this.computeWaiters;
    this.computeWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private compute(): void {
    if (!WATCHED_KINDS.every((k) => this.synced.has(k))) return;
    const { source, config, logger, clock } = this.options;
    const startedAt = clock.now();
    let translation: IngressTranslation;
    try {
      translation = translateIngresses(
        {
          ingresses: source.list(Kinds.Ingress),
          ingressClasses: source.list(Kinds.IngressClass),
          services: source.list(Kinds.Service),
          secrets: source.list(Kinds.Secret),
        },
        config,
      );
      this.lastError = undefined;
    } catch (err) {
      // A bug, not bad input: keep the last good state and say so.
      this.lastError = errorMessage(err);
      logger.error({ err: this.lastError }, 'ingress translation failed; keeping the previous configuration');
      this.options.onReconciled?.({ result: 'error', durationMs: clock.now() - startedAt });
      return;
    }
    this.translation = translation;
    this.objects.setDesired(desiredObjects(translation));
    const statuses = desiredStatuses(translation, source.list(Kinds.Service));
    this.servedKeys = new Set(statuses.map(([key]) => key));
    this.statuses.setDesired(statuses);
    this.events.record(translation.problems);
    this.objects.start();
    this.statuses.start();
    this.reportOutcome(startedAt);
  }

  private reportOutcome(startedAt: number): void {
    const report = this.options.onReconciled;
    if (!report) return;
    void Promise.all([this.objects.whenIdle(), this.statuses.whenIdle()])
      .then(() => {
        const failing = this.objects.status().errors + this.statuses.status().errors;
        report({
          result: failing > 0 ? 'error' : 'success',
          durationMs: this.options.clock.now() - startedAt,
        });
      })
      .catch((err: unknown) =>
        this.options.logger.warn({ err: errorMessage(err) }, 'reporting a reconciliation failed'),
      );
  }
}

function desiredObjects(translation: IngressTranslation): Array<[OwnedKey, KubeObject]> {
  const of = (kind: ResourceKind, objects: readonly KubeObject[]): Array<[OwnedKey, KubeObject]> =>
    objects.map((object) => [ownedKeyOf(kind, object), object]);
  return [
    ...of(Kinds.CiliumEnvoyConfig, translation.envoyConfigs),
    ...of(Kinds.Service, translation.services),
    ...of(Kinds.Endpoints, translation.endpoints),
    ...of(Kinds.Secret, translation.secrets),
  ];
}

/** Each served Ingress shows its load-balancer Service's addresses (none until the Service has some). */
function desiredStatuses(
  translation: IngressTranslation,
  services: readonly KubeObject[],
): Array<[string, LoadBalancerAddress[]]> {
  const byKey = new Map(
    services.map((s) => [`${s.metadata.namespace ?? 'default'}/${s.metadata.name ?? ''}`, s]),
  );
  return translation.loadBalancers.flatMap((lb) => {
    const addresses = loadBalancerAddresses(byKey.get(`${lb.service.namespace}/${lb.service.name}`));
    return lb.ingresses.map((key): [string, LoadBalancerAddress[]] => [key, addresses]);
  });
}
