import * as path from 'node:path';
import { errorMessage, Kinds, type Unsubscribe } from '@ciliary/core';
import { ApiError, type DaemonContext, type Subsystem, type SubsystemStatus } from '@ciliary/daemon';
import {
  DatapathManager,
  DEFAULT_ROUTER,
  defaultObjectPath,
  EndpointNetworkManager,
  type MonitorEvent,
  type NodeRouterSpec,
} from '@ciliary/datapath';
import { KernelBackend } from '@ciliary/ebpf-maps';
import type { PolicyEngine } from '@ciliary/policy-model';
import { desiredDatapath } from './desired-datapath';
import type { PolicySubsystem } from './policy-subsystem';

export interface DatapathSettings {
  /** Directory in bpffs for the maps (Cilium's /sys/fs/bpf/tc/globals). */
  readonly pinRoot: string;
  /** Remove endpoints, programs and maps when the agent stops. */
  readonly cleanupOnStop: boolean;
  /** The router device pods route through; Cilium's cilium_host. Defaults to ciliary_host, 169.254.42.1. */
  readonly router?: NodeRouterSpec;
}

/**
 * The agent's enforcement: whenever the policy subsystem's engine has
 * recomputed (or a Node changed), its endpoints and map states become the
 * desired datapath, and the DatapathManager makes the kernel match. Serves
 * /v1/endpoint and the /v1/monitor notification stream.
 */
export class DatapathSubsystem implements Subsystem {
  readonly name = 'datapath';
  private manager: DatapathManager | undefined;
  private engine: PolicyEngine | undefined;
  private context: DaemonContext | undefined;
  private unsubscribes: Unsubscribe[] = [];
  private nodesSynced = false;
  private lastError: string | undefined;
  private readonly router: NodeRouterSpec;

  constructor(
    private readonly settings: DatapathSettings,
    private readonly policy: PolicySubsystem,
  ) {
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

  async stop(): Promise<void> {
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

  private async startDatapath(context: DaemonContext): Promise<void> {
    this.manager = await DatapathManager.create({
      spec: { objectPath: defaultObjectPath(), pinRoot: this.settings.pinRoot },
      backend: new KernelBackend(),
      stateDir: path.join(context.stateDir, 'datapath'),
      clock: context.clock,
      logger: context.logger,
      network: new EndpointNetworkManager(this.router),
    });
    await this.manager.start();
    this.unsubscribes.push(
      context.source.subscribe(Kinds.Node, (event) => {
        if (event.type === 'synced') this.nodesSynced = true;
        this.apply();
      }),
      this.policy.onComputed((engine) => {
        this.engine = engine;
        this.apply();
      }),
    );
    this.registerApi(context);
  }

  /** Bad input never stops the agent: the last good desired state stays in force and the error shows in status. */
  private apply(): void {
    const { engine, manager, context } = this;
    // Prune nothing before the policy is computed and the Nodes are known.
    if (!engine || !manager || !context || !this.nodesSynced) return;
    try {
      const nodes = context.source.list(Kinds.Node);
      manager.apply(desiredDatapath(engine, nodes, context.nodeName, this.router.routerIp));
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
      const id = url.pathname.split('/').pop() ?? '';
      const endpoint = this.manager?.endpoints().find((e) => String(e.endpointId) === id);
      if (!endpoint) throw new ApiError(404, `endpoint ${id} not found`);
      const view = this.engine?.endpoint(endpoint.key);
      const labels = view?.identity.labels.labels.map(
        (l) => `${l.source}:${l.key}${l.value ? `=${l.value}` : ''}`,
      );
      return { ...endpoint, labels: labels ?? [], policy: view?.mapState?.entries ?? [] };
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
