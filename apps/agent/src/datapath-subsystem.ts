import * as path from 'node:path';
import {
  errorMessage,
  Kinds,
  kindId,
  type KubeObject,
  type ResourceKind,
  type Unsubscribe,
} from '@ciliary/core';
import type { DaemonContext, Subsystem, SubsystemStatus } from '@ciliary/daemon';
import { ApiError } from '@ciliary/daemon';
import {
  DatapathManager,
  DEFAULT_ROUTER,
  defaultObjectPath,
  EndpointNetworkManager,
  type MonitorEvent,
  type NodeRouterSpec,
} from '@ciliary/datapath';
import { KernelBackend } from '@ciliary/ebpf-maps';
import { PolicyEngine } from '@ciliary/policy-model';
import { desiredDatapath } from './desired-datapath';

export interface DatapathSettings {
  /** Directory in bpffs for the maps (Cilium's /sys/fs/bpf/tc/globals). */
  readonly pinRoot: string;
  /** Remove endpoints, programs and maps when the agent stops. */
  readonly cleanupOnStop: boolean;
  /** Quiet period after a change before the datapath is recomputed. */
  readonly debounceMs?: number;
  /** The router device pods route through; Cilium's cilium_host. Defaults to ciliary_host, 169.254.42.1. */
  readonly router?: NodeRouterSpec;
}

const WATCHED: readonly ResourceKind[] = [
  Kinds.Namespace,
  Kinds.Pod,
  Kinds.Node,
  Kinds.CiliumNetworkPolicy,
  Kinds.CiliumClusterwideNetworkPolicy,
  Kinds.NetworkPolicy,
];

/**
 * The agent's enforcement: cluster state goes into the policy engine, the
 * engine's endpoints and map states become the desired datapath, and the
 * DatapathManager makes the kernel match. Serves /v1/endpoint and the
 * /v1/monitor notification stream.
 */
export class DatapathSubsystem implements Subsystem {
  readonly name = 'datapath';
  private manager: DatapathManager | undefined;
  private engine: PolicyEngine | undefined;
  private context: DaemonContext | undefined;
  private unsubscribes: Unsubscribe[] = [];
  private pending: { cancel(): void } | undefined;
  private synced = new Set<string>();
  private lastError: string | undefined;

  private readonly router: NodeRouterSpec;

  constructor(private readonly settings: DatapathSettings) {
    this.router = settings.router ?? DEFAULT_ROUTER;
  }

  async start(context: DaemonContext): Promise<void> {
    this.context = context;
    try {
      await this.startDatapath(context);
    } catch (err) {
      // Without root or BPF the rest of the agent still serves; status says why enforcement is off.
      this.manager = undefined;
      this.lastError = `datapath not running: ${errorMessage(err)}`;
      context.logger.error(
        { err: errorMessage(err) },
        'the datapath could not start; policy is not enforced',
      );
    }
  }

  private async startDatapath(context: DaemonContext): Promise<void> {
    const nodeName = context.nodeName;
    this.engine = new PolicyEngine({ isLocal: (pod) => !pod.nodeName || pod.nodeName === nodeName });
    this.manager = await DatapathManager.create({
      spec: { objectPath: defaultObjectPath(), pinRoot: this.settings.pinRoot },
      backend: new KernelBackend(),
      stateDir: path.join(context.stateDir, 'datapath'),
      clock: context.clock,
      logger: context.logger,
      network: new EndpointNetworkManager(this.router),
    });
    await this.manager.start();
    for (const kind of WATCHED) {
      this.unsubscribes.push(context.source.subscribe(kind, (event) => this.onEvent(kind, event)));
    }
    this.recompute();
    this.registerApi(context);
  }

  async stop(): Promise<void> {
    this.pending?.cancel();
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
    await this.manager?.stop({ cleanup: this.settings.cleanupOnStop });
  }

  status(): SubsystemStatus {
    if (!this.manager) return { state: 'Failure', message: this.lastError ?? 'not started' };
    const endpoints = this.manager.endpoints();
    const ready = endpoints.filter((e) => e.state === 'ready').length;
    const failing = endpoints.filter((e) => e.lastError);
    const message = `${ready}/${endpoints.length} endpoints ready${this.lastError ? `; ${this.lastError}` : ''}`;
    return { state: failing.length > 0 || this.lastError ? 'Degraded' : 'Ok', message };
  }

  private onEvent(kind: ResourceKind, event: { type: string; object?: KubeObject }): void {
    const engine = this.engine;
    if (!engine) return;
    if (event.type === 'synced') this.synced.add(kindId(kind));
    else if (event.type === 'upsert' && event.object) engine.upsert(event.object);
    else if (event.type === 'delete' && event.object) engine.delete(event.object);
    this.scheduleRecompute();
  }

  private scheduleRecompute(): void {
    if (!this.context || this.pending) return;
    this.pending = this.context.clock.setTimeout(() => {
      this.pending = undefined;
      this.recompute();
    }, this.settings.debounceMs ?? 50);
  }

  /** Bad input never stops the agent: the last good desired state stays in force and the error shows in status. */
  private recompute(): void {
    const { engine, manager, context } = this;
    if (!engine || !manager || !context) return;
    if (this.synced.size < WATCHED.length) return; // prune nothing before every kind is known
    try {
      engine.flush();
      manager.apply(
        desiredDatapath(engine, context.source.list(Kinds.Node), context.nodeName, this.router.routerIp),
      );
      this.lastError = undefined;
    } catch (err) {
      this.lastError = `computing the datapath failed: ${errorMessage(err)}`;
      context.logger.error(
        { err: errorMessage(err) },
        'computing the datapath failed; keeping the last state',
      );
    }
  }

  private registerApi(context: DaemonContext): void {
    context.api.get('/v1/endpoint', () => this.manager?.endpoints() ?? []);
    context.api.get('/v1/endpoint/', ({ url }) => {
      const id = Number(url.pathname.split('/').pop());
      const endpoint = this.manager?.endpoints().find((e) => e.endpointId === id);
      if (!endpoint) throw new ApiError(404, `endpoint ${url.pathname.split('/').pop()} not found`);
      const view = this.engine?.endpoint(endpoint.key);
      return {
        ...endpoint,
        labels: view
          ? view.identity.labels.labels.map((l) => `${l.source}:${l.key}${l.value ? `=${l.value}` : ''}`)
          : [],
        policy: view?.mapState?.entries ?? [],
      };
    });
    context.api.stream('/v1/monitor', ({ url }, writer) => {
      const type = url.searchParams.get('type');
      const unsubscribe = this.manager?.onEvent((event: MonitorEvent) => {
        if (!type || event.type === type || (type === 'verdict' && event.type === 'policy-verdict'))
          writer.send(event);
      });
      writer.onClose(() => unsubscribe?.());
    });
  }
}
