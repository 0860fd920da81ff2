import { watch, type FSWatcher } from 'node:fs';
import {
  Kinds,
  errorMessage,
  formatIssue,
  kindId,
  type KubeObject,
  type ResourceKind,
  Debounced,
  type TimerHandle,
  type Unsubscribe,
} from '@ciliary/core';
import type { DaemonContext, Subsystem, SubsystemStatus } from '@ciliary/daemon';
import {
  ClusterMesh,
  MergeMemo,
  ParseMemo,
  buildLocalServices,
  loadMeshConfig,
  keepLastGood,
  type RemoteClusterConfig,
  mergeServices,
  toServiceListJson,
  type ClusterInfo,
  type ClusterMeshStatus,
  type MergedService,
  type ServiceListJson,
} from '@ciliary/clustermesh';
import { etcdConnector } from '@ciliary/clustermesh/etcd';
import { CLUSTERMESH_STATUS_ROUTE, CLUSTERMESH_SERVICES_ROUTE } from './api';

export interface ClusterMeshSettings {
  /** This cluster's name and ID. */
  readonly cluster: ClusterInfo;
  /** The directory with one etcd configuration file per remote cluster, as Cilium mounts it. */
  readonly configDir: string;
  /** Quiet period after a change before the services are merged again. */
  readonly debounceMs?: number;
}

const WATCHED: readonly ResourceKind[] = [Kinds.Service, Kinds.EndpointSlice];

/**
 * The agent's side of ClusterMesh: connects to every remote cluster of the
 * configuration directory (and follows changes of the directory), and merges
 * the remote services with this cluster's into the desired load-balancer
 * state. Serves /v1/clustermesh/status and /v1/clustermesh/services.
 */
export class ClusterMeshSubsystem implements Subsystem {
  readonly name = 'clustermesh';
  private mesh: ClusterMesh | undefined;
  private context: DaemonContext | undefined;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private unsubscribes: Unsubscribe[] = [];
  private watcher: FSWatcher | undefined;
  private reloadTimer: TimerHandle | undefined;
  private mergeLater: Debounced | undefined;
  private merged: readonly MergedService[] = [];
  private configProblems: string[] = [];
  /** The configuration each remote cluster last loaded with, kept while its file cannot be read. */
  private lastGood = new Map<string, RemoteClusterConfig>();
  private conflicts = new Set<string>();
  // Recomputing after a change only re-reads and re-merges what changed.
  private readonly parseMemo = new ParseMemo();
  private readonly mergeMemo = new MergeMemo();

  constructor(private readonly settings: ClusterMeshSettings) {}

  async start(context: DaemonContext): Promise<void> {
    this.context = context;
    this.mergeLater = new Debounced(context.clock, this.settings.debounceMs ?? 20, () => this.merge());
    const { clock, logger } = context;
    this.mesh = new ClusterMesh({
      local: this.settings.cluster,
      connect: etcdConnector({ clock, logger: logger.child({ subsys: 'kvstore' }) }),
      clock,
      logger,
      onChange: () => this.mergeLater?.request(),
    });
    for (const kind of WATCHED) {
      const store = new Map<string, KubeObject>();
      this.objects.set(kindId(kind), store);
      this.unsubscribes.push(
        context.source.subscribe(kind, (event) => {
          if (event.type === 'upsert') store.set(event.key, event.object);
          else if (event.type === 'delete') store.delete(event.key);
          this.mergeLater?.request();
        }),
      );
    }
    context.api.get(CLUSTERMESH_STATUS_ROUTE, () => this.meshStatus());
    context.api.get(CLUSTERMESH_SERVICES_ROUTE, () => this.serviceList());
    await this.reloadConfig();
    try {
      this.watcher = watch(this.settings.configDir, () => this.scheduleReload());
    } catch (err) {
      logger.warn(
        { dir: this.settings.configDir, err: errorMessage(err) },
        'cannot watch the clustermesh config',
      );
    }
    this.merge();
  }

  async stop(): Promise<void> {
    this.watcher?.close();
    this.reloadTimer?.cancel();
    this.mergeLater?.stop();
    for (const unsubscribe of this.unsubscribes) unsubscribe();
    this.unsubscribes = [];
    await this.mesh?.stop();
  }

  status(): SubsystemStatus {
    const clusters = this.mesh?.status().clusters ?? [];
    const ready = clusters.filter((c) => c.ready).length;
    const summary = `${this.settings.cluster.name} (ID ${this.settings.cluster.id}): ${ready}/${clusters.length} remote clusters ready, ${this.merged.length} frontends`;
    if (this.configProblems.length > 0)
      return { state: 'Degraded', message: `${summary}; ${this.configProblems[0]}` };
    return { state: ready === clusters.length ? 'Ok' : 'Degraded', message: summary };
  }

  meshStatus(): ClusterMeshStatus {
    return this.mesh?.status() ?? { local: this.settings.cluster, clusters: [] };
  }

  /** The desired load-balancer state: every local frontend with its merged backends. */
  services(): readonly MergedService[] {
    return this.merged;
  }

  serviceList(): ServiceListJson {
    return toServiceListJson(this.merged);
  }

  private async reloadConfig(): Promise<void> {
    const loaded = await loadMeshConfig(this.settings.configDir, this.settings.cluster.name);
    const config = keepLastGood(loaded, this.lastGood);
    this.lastGood = new Map(config.clusters.map((c) => [c.name, c]));
    this.configProblems = config.issues.map(formatIssue);
    for (const problem of this.configProblems) this.context?.logger.warn({ problem }, 'clustermesh config');
    this.mesh?.setRemoteClusters(config.clusters);
  }

  private scheduleReload(): void {
    this.reloadTimer?.cancel();
    this.reloadTimer = this.context?.clock.setTimeout(() => {
      this.reloadConfig().catch((err: unknown) =>
        this.context?.logger.error({ err: errorMessage(err) }, 'reloading the clustermesh config failed'),
      );
    }, 100);
  }

  private merge(): void {
    if (!this.mesh) return;
    const list = (kind: ResourceKind): KubeObject[] => [...(this.objects.get(kindId(kind))?.values() ?? [])];
    const local = buildLocalServices(list(Kinds.Service), list(Kinds.EndpointSlice), this.parseMemo);
    const result = mergeServices(
      { localCluster: this.settings.cluster.name, local, remote: this.mesh.remoteServices() },
      this.mergeMemo,
    );
    const conflicts = new Set(result.conflicts.map(formatIssue));
    for (const conflict of conflicts)
      if (!this.conflicts.has(conflict))
        this.context?.logger.warn({ conflict }, 'backend IP conflict across clusters');
    this.conflicts = conflicts;
    this.merged = result.services;
  }
}
