import {
  errorMessage,
  formatIssue,
  Kinds,
  kindId,
  resourceKey,
  type KubeObject,
  type ResourceKind,
  Debounced,
  type Unsubscribe,
} from '@ciliary/core';
import { ApiError, type DaemonContext, type Subsystem, type SubsystemStatus } from '@ciliary/daemon';
import { endpointMapReport, identityReports, PolicyEngine, type PolicyIssue } from '@ciliary/policy-model';

const WATCHED: readonly ResourceKind[] = [
  Kinds.Namespace,
  Kinds.Pod,
  Kinds.NetworkPolicy,
  Kinds.CiliumNetworkPolicy,
  Kinds.CiliumClusterwideNetworkPolicy,
];

export interface PolicySettings {
  /** How long to gather changes before recomputing. */
  readonly debounceMs?: number;
}

/** One local endpoint in the `/v1/policy` listing. */
export interface PolicyEndpointSummary {
  readonly endpoint: string;
  readonly identity: number;
  readonly ingressEnforced: boolean;
  readonly egressEnforced: boolean;
  readonly entries: number;
}

export interface PolicyListing {
  readonly endpoints: readonly PolicyEndpointSummary[];
  readonly rules: number;
  /** Policies left out because they are invalid, each with its problems. */
  readonly rejected: ReadonlyArray<{ readonly policy: string; readonly issues: readonly string[] }>;
}

/**
 * Computes the policy-map state of this node's endpoints from the resource
 * source, incrementally, and serves it: `GET /v1/policy` (the local endpoints),
 * `GET /v1/policy?endpoint=NAMESPACE/POD` (one endpoint's map state, as
 * `ciliary policy map` prints it) and `GET /v1/identity`.
 */
export class PolicySubsystem implements Subsystem {
  readonly name = 'policy';
  private engine: PolicyEngine | undefined;
  private context: DaemonContext | undefined;
  private unsubscribes: Unsubscribe[] = [];
  private recomputeLater: Debounced | undefined;
  private readonly synced = new Set<string>();
  private readonly rejected = new Map<string, readonly PolicyIssue[]>();
  private lastError: string | undefined;
  private computed = false;
  private readonly listeners = new Set<(engine: PolicyEngine) => void>();

  constructor(private readonly settings: PolicySettings = {}) {}

  async start(context: DaemonContext): Promise<void> {
    this.context = context;
    this.recomputeLater = new Debounced(context.clock, this.settings.debounceMs ?? 50, () =>
      this.recompute(),
    );
    const nodeName = context.nodeName;
    this.engine = new PolicyEngine({ isLocal: (pod) => !pod.nodeName || pod.nodeName === nodeName });
    for (const kind of WATCHED)
      this.unsubscribes.push(context.source.subscribe(kind, (event) => this.onEvent(kind, event)));
    this.registerApi(context);
  }

  /**
   * Calls `listener` with the engine after every recomputation (and at once
   * when one has happened): the datapath enforces what this engine decides, so
   * the agent runs one engine, not one per consumer.
   */
  onComputed(listener: (engine: PolicyEngine) => void): () => void {
    this.listeners.add(listener);
    if (this.computed && this.engine) listener(this.engine);
    return () => this.listeners.delete(listener);
  }

  async stop(): Promise<void> {
    this.recomputeLater?.stop();
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
  }

  status(): SubsystemStatus {
    if (this.lastError) return { state: 'Degraded', message: this.lastError };
    if (!this.computed) return { state: 'Ok', message: 'waiting for the resource source to sync' };
    const endpoints = this.localEndpoints().length;
    const rejected = this.rejected.size;
    const message = `${endpoints} endpoints, ${this.engine?.ruleCount() ?? 0} rules`;
    if (rejected === 0) return { state: 'Ok', message };
    return {
      state: 'Degraded',
      message: `${message}; ${rejected} invalid polic${rejected === 1 ? 'y' : 'ies'} left out (${[...this.rejected.keys()].join(', ')})`,
    };
  }

  private onEvent(kind: ResourceKind, event: { type: string; object?: KubeObject }): void {
    const engine = this.engine;
    if (!engine) return;
    if (event.type === 'synced') this.synced.add(kindId(kind));
    else if (event.object) {
      const key = `${kind.kind} ${resourceKey(event.object)}`;
      if (event.type === 'delete') {
        engine.delete(event.object);
        this.rejected.delete(key);
      } else {
        const issues = engine.upsert(event.object);
        if (issues.length > 0) {
          this.rejected.set(key, issues);
          this.context?.logger.warn(
            { policy: key, issues: issues.map((i) => formatIssue(i)) },
            'invalid policy left out; its previous version, if any, stays in force',
          );
        } else this.rejected.delete(key);
      }
    }
    this.recomputeLater?.request();
  }

  /** Bad input never stops the agent: the last computed state stays and the error shows in status. */
  private recompute(): void {
    const { engine, context } = this;
    if (!engine || !context || this.synced.size < WATCHED.length) return;
    try {
      const changes = engine.flush();
      this.computed = true;
      this.lastError = undefined;
      for (const listener of this.listeners) listener(engine);
      if (changes.length > 0)
        context.logger.debug(
          {
            endpoints: changes.length,
            upserts: changes.reduce((n, c) => n + c.diff.upserts.length, 0),
            deletes: changes.reduce((n, c) => n + c.diff.deletes.length, 0),
          },
          'policy-map state changed',
        );
    } catch (err) {
      this.lastError = `computing policy failed: ${errorMessage(err)}`;
      context.logger.error({ err: errorMessage(err) }, 'computing policy failed; keeping the last state');
    }
  }

  private localEndpoints(): PolicyEndpointSummary[] {
    const engine = this.engine;
    if (!engine) return [];
    const out: PolicyEndpointSummary[] = [];
    for (const key of engine.endpointKeys()) {
      const view = engine.endpoint(key);
      if (!view?.local || !view.mapState) continue;
      out.push({
        endpoint: key,
        identity: view.identity.id,
        ingressEnforced: view.policy?.ingress.enforced ?? false,
        egressEnforced: view.policy?.egress.enforced ?? false,
        entries: view.mapState.size,
      });
    }
    return out;
  }

  private registerApi(context: DaemonContext): void {
    context.api.get('/v1/policy', ({ url }) => {
      const engine = this.engine;
      if (!engine || !this.computed)
        throw new ApiError(503, 'policy is not computed yet (the resource source is syncing)');
      const key = url.searchParams.get('endpoint');
      if (key === null) {
        const listing: PolicyListing = {
          endpoints: this.localEndpoints(),
          rules: engine.ruleCount(),
          rejected: [...this.rejected].map(([policy, issues]) => ({
            policy,
            issues: issues.map((i) => formatIssue(i)),
          })),
        };
        return listing;
      }
      const view = engine.endpoint(key);
      const report = view?.local ? endpointMapReport(engine, key) : undefined;
      if (!report) throw new ApiError(404, `no local endpoint ${key} on node ${context.nodeName}`);
      return report;
    });
    context.api.get('/v1/identity', () => {
      if (!this.engine || !this.computed) throw new ApiError(503, 'policy is not computed yet');
      return { identities: identityReports(this.engine) };
    });
  }
}
