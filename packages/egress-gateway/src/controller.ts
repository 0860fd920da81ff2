import {
  errorMessage,
  formatIssue,
  Kinds,
  kindId,
  type Clock,
  type Logger,
  type ResourceKind,
  type ResourceSource,
  type TimerHandle,
  type Unsubscribe,
} from '@ciliary/core';
import { CiliumExternalWorkloadKind } from './api-types';
import { EgressClusterState } from './cluster-state';
import type { PolicyEntry } from './entries';
import type { HostInterfaces } from './host';
import { EgressGatewayReconciler, type EgressGatewayStatus, type EgressPolicyMap } from './reconciler';

/** The kinds the controller watches. */
export const EGRESS_WATCHED_KINDS: readonly ResourceKind[] = [
  Kinds.Node,
  Kinds.Namespace,
  Kinds.Pod,
  Kinds.CiliumEgressGatewayPolicy,
  Kinds.CiliumEgressNATPolicy,
  CiliumExternalWorkloadKind,
];

export interface EgressControllerOptions {
  readonly source: ResourceSource;
  /** This node: the map is computed for it. */
  readonly nodeName: string;
  readonly map: EgressPolicyMap;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Reads this node's interfaces (`readHostInterfaces` on a real node). */
  readonly readHost: () => HostInterfaces;
  /** Interfaces and addresses change: how often to read them again (0: never). Default 30 s. */
  readonly hostRefreshMs?: number;
  /** Quiet period after a change before recomputing, so a burst of events costs one computation. Default 20 ms. */
  readonly debounceMs?: number;
  readonly resyncIntervalMs?: number;
  readonly clusterName?: string;
  /** Kinds to watch; defaults to EGRESS_WATCHED_KINDS (leave out kinds the source does not serve). */
  readonly kinds?: readonly ResourceKind[];
}

export interface EgressControllerStatus extends EgressGatewayStatus {
  /** Whether every watched kind has synced: until then nothing is written (nothing is pruned from a partial view). */
  readonly synced: boolean;
  /** Policies rejected by validation, with their issues. */
  readonly rejected: ReadonlyArray<{ readonly policy: string; readonly issues: readonly string[] }>;
}

/**
 * Runs the egress gateway on a node: follows the resource source, keeps the
 * cluster state, recomputes the desired entries after changes (debounced) and
 * lets the reconciler apply them. Like Cilium's manager, it writes nothing
 * before every kind has synced.
 */
export class EgressGatewayController {
  private readonly cluster: EgressClusterState;
  private readonly reconciler: EgressGatewayReconciler;
  private readonly kinds: readonly ResourceKind[];
  private readonly pendingSync = new Set<string>();
  private unsubscribes: Unsubscribe[] = [];
  private recomputeTimer: TimerHandle | undefined;
  private hostTimer: TimerHandle | undefined;
  private host: HostInterfaces | undefined;
  private hostKey = '';
  private unhealthy: ReadonlySet<string> = new Set();
  private running = false;
  private computedGeneration = -1;

  constructor(private readonly options: EgressControllerOptions) {
    this.cluster = new EgressClusterState({
      ...(options.clusterName !== undefined ? { clusterName: options.clusterName } : {}),
    });
    this.reconciler = new EgressGatewayReconciler({
      map: options.map,
      clock: options.clock,
      logger: options.logger,
      ...(options.resyncIntervalMs !== undefined ? { resyncIntervalMs: options.resyncIntervalMs } : {}),
    });
    this.kinds = options.kinds ?? EGRESS_WATCHED_KINDS;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (const kind of this.kinds) {
      this.pendingSync.add(kindId(kind));
      this.unsubscribes.push(
        this.options.source.subscribe(kind, (event) => {
          if (event.type === 'synced') {
            this.pendingSync.delete(kindId(kind));
            if (this.pendingSync.size === 0) this.reconciler.start();
          } else if (event.type === 'upsert') {
            const issues = this.cluster.upsert(event.object);
            for (const issue of issues)
              this.options.logger.warn(
                { kind: event.object.kind, name: event.object.metadata.name, issue: formatIssue(issue) },
                'egress policy rejected',
              );
          } else {
            this.cluster.delete(event.object);
          }
          this.scheduleRecompute();
        }),
      );
    }
    this.refreshHost();
  }

  stop(): void {
    this.running = false;
    for (const unsubscribe of this.unsubscribes) unsubscribe();
    this.unsubscribes = [];
    this.recomputeTimer?.cancel();
    this.hostTimer?.cancel();
    this.recomputeTimer = undefined;
    this.hostTimer = undefined;
    this.reconciler.stop();
  }

  /** Failover policies: gateways the caller found unhealthy (e.g. by health probes). */
  setUnhealthyNodes(nodes: Iterable<string>): void {
    this.unhealthy = new Set(nodes);
    this.computedGeneration = -1;
    this.scheduleRecompute();
  }

  /** Resolves when the last computation is written (a recomputation runs `debounceMs` after a change). */
  whenIdle(): Promise<void> {
    // Before every kind synced the reconciler has not started: nothing is due.
    return this.pendingSync.size > 0 ? Promise.resolve() : this.reconciler.whenIdle();
  }

  entries(): readonly PolicyEntry[] {
    return this.reconciler.desired();
  }

  status(): EgressControllerStatus {
    return {
      ...this.reconciler.status(),
      synced: this.pendingSync.size === 0,
      rejected: [...this.cluster.rejectedPolicies()].map(([policy, issues]) => ({
        policy,
        issues: issues.map(formatIssue),
      })),
    };
  }

  private scheduleRecompute(): void {
    if (!this.running || this.pendingSync.size > 0 || this.recomputeTimer) return;
    this.recomputeTimer = this.options.clock.setTimeout(() => {
      this.recomputeTimer = undefined;
      this.recompute();
    }, this.options.debounceMs ?? 20);
  }

  private recompute(): void {
    if (this.pendingSync.size > 0 || this.cluster.generation === this.computedGeneration) return;
    this.computedGeneration = this.cluster.generation;
    try {
      this.reconciler.update(this.cluster.state(this.options.nodeName, this.host, this.unhealthy));
    } catch (err) {
      this.options.logger.error({ err: errorMessage(err) }, 'computing the egress gateway entries failed');
    }
  }

  private refreshHost(): void {
    try {
      const host = this.options.readHost();
      const key = JSON.stringify(host);
      if (key !== this.hostKey) {
        this.host = host;
        this.hostKey = key;
        this.computedGeneration = -1;
        this.scheduleRecompute();
      }
    } catch (err) {
      this.options.logger.warn({ err: errorMessage(err) }, 'cannot read the host interfaces');
    }
    const every = this.options.hostRefreshMs ?? 30_000;
    if (every > 0 && this.running)
      this.hostTimer = this.options.clock.setTimeout(() => this.refreshHost(), every);
  }
}
