import {
  Kinds,
  formatIssue,
  kindId,
  type BackoffOptions,
  type Clock,
  type KubeObject,
  type Logger,
  type ResourceKind,
  type ResourceSource,
  type TimerHandle,
  type Unsubscribe,
} from '@ciliary/core';
import type { ClusterInfo } from './cluster';
import { encodeClusterConfig, rfc3339 } from './formats/cluster-config';
import { ExportMemo, buildExportState, type ExportInput } from './export-state';
import {
  HEARTBEAT_KEY,
  IDENTITY_IDS_PREFIX,
  IPCACHE_PREFIX,
  SYNCED_STATE_PREFIXES,
  clusterConfigKey,
  nodesPrefixOf,
  servicesPrefixOf,
  syncedKey,
  syncedPrefixOf,
} from './keys';
import { KvSync, type DesiredValue, type KvSyncStatus } from './kv-sync';
import type { KvStore, KvStoreStatus } from './kvstore';
import { CiliumMeshKinds } from './local-services';

/** The kinds the exporter reads from its resource source. */
export const EXPORT_KINDS: readonly ResourceKind[] = [
  Kinds.Service,
  Kinds.EndpointSlice,
  CiliumMeshKinds.CiliumNode,
  CiliumMeshKinds.CiliumIdentity,
  CiliumMeshKinds.CiliumEndpoint,
];

export interface ExporterOptions {
  readonly cluster: ClusterInfo;
  readonly source: ResourceSource;
  readonly store: KvStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Quiet period after a change before the state is computed again. */
  readonly debounceMs?: number;
  /** Full comparison with etcd, repairing drift. Cilium's shared stores resync every 5 minutes. */
  readonly resyncIntervalMs?: number;
  /** How often `cilium/.heartbeat` is refreshed; Cilium writes it every minute. */
  readonly heartbeatIntervalMs?: number;
  readonly retry?: BackoffOptions;
}

export interface ExporterStatus {
  readonly cluster: ClusterInfo;
  /** The initial export is complete and the sync markers are written. */
  readonly synced: boolean;
  readonly services: number;
  readonly nodes: number;
  readonly identities: number;
  readonly endpoints: number;
  /** Input that could not be exported, newest computation only. */
  readonly problems: readonly string[];
  readonly kvstore: KvStoreStatus;
  readonly writer: KvSyncStatus;
}

/**
 * The clustermesh-apiserver role: keeps the cluster's etcd equal to what its
 * resources say (services, nodes, identities, ipcache), every key bound to
 * the exporter's session lease so a dead exporter's keys expire. Once the
 * first full export is written it sets the per-prefix sync markers and the
 * cluster config; the heartbeat is refreshed on a timer.
 */
export class ClusterExporter {
  private readonly sync: KvSync;
  private readonly memo = new ExportMemo();
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly unsynced = new Set<string>();
  private unsubscribes: Unsubscribe[] = [];
  private debounce: TimerHandle | undefined;
  private heartbeat: TimerHandle | undefined;
  private counts = { services: 0, nodes: 0, identities: 0, endpoints: 0 };
  private problems: string[] = [];
  private markersWritten = false;
  private syncedWaiters: Array<() => void> = [];
  private desired = new Map<string, DesiredValue>();
  private recomputeWaiters: Array<() => void> = [];
  private writing = false;
  private stopped = true;

  constructor(private readonly options: ExporterOptions) {
    const { cluster, store, clock, logger } = options;
    this.sync = new KvSync({
      name: `export ${cluster.name}`,
      store,
      ownedPrefixes: [
        servicesPrefixOf(cluster.name),
        nodesPrefixOf(cluster.name),
        IDENTITY_IDS_PREFIX,
        IPCACHE_PREFIX,
        syncedPrefixOf(cluster.name),
        clusterConfigKey(cluster.name),
        HEARTBEAT_KEY,
      ],
      clock,
      logger,
      retry: options.retry ?? { initialMs: 200, maxMs: 10_000 },
      resyncIntervalMs: options.resyncIntervalMs ?? 5 * 60_000,
    });
  }

  /** Subscribes to the source and starts writing; resolves at once (see `whenSynced`). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    for (const kind of EXPORT_KINDS) {
      const id = kindId(kind);
      this.objects.set(id, new Map());
      this.unsynced.add(id);
      this.unsubscribes.push(
        this.options.source.subscribe(kind, (event) => {
          const store = this.objects.get(id)!;
          if (event.type === 'synced') this.unsynced.delete(id);
          else if (event.type === 'upsert') store.set(event.key, event.object);
          else store.delete(event.key);
          if (this.unsynced.size === 0) this.schedule();
        }),
      );
    }
    this.beat();
  }

  /** Resolves once the first full export and the sync markers are in etcd. */
  whenSynced(): Promise<void> {
    if (this.markersWritten) return Promise.resolve();
    return new Promise((resolve) => this.syncedWaiters.push(resolve));
  }

  /** Resolves when every computed change has been written. */
  async whenIdle(): Promise<void> {
    if (this.debounce) await new Promise<void>((resolve) => this.recomputeWaiters.push(resolve));
    await this.sync.whenIdle();
  }

  status(): ExporterStatus {
    return {
      cluster: this.options.cluster,
      synced: this.markersWritten,
      ...this.counts,
      problems: this.problems,
      kvstore: this.options.store.status(),
      writer: this.sync.status(),
    };
  }

  stop(): void {
    this.stopped = true;
    for (const unsubscribe of this.unsubscribes) unsubscribe();
    this.unsubscribes = [];
    this.debounce?.cancel();
    this.debounce = undefined;
    this.heartbeat?.cancel();
    this.sync.stop();
    for (const resolve of [...this.syncedWaiters.splice(0), ...this.recomputeWaiters.splice(0)]) resolve();
  }

  private schedule(): void {
    if (this.stopped || this.debounce) return;
    this.debounce = this.options.clock.setTimeout(() => {
      this.debounce = undefined;
      this.recompute();
    }, this.options.debounceMs ?? 20);
  }

  private recompute(): void {
    const list = (kind: ResourceKind): KubeObject[] => [...(this.objects.get(kindId(kind))?.values() ?? [])];
    const input: ExportInput = {
      services: list(Kinds.Service),
      endpointSlices: list(Kinds.EndpointSlice),
      ciliumNodes: list(CiliumMeshKinds.CiliumNode),
      ciliumIdentities: list(CiliumMeshKinds.CiliumIdentity),
      ciliumEndpoints: list(CiliumMeshKinds.CiliumEndpoint),
    };
    const state = buildExportState(this.options.cluster, input, this.memo);
    this.counts = state.counts;
    const problems = state.issues.map(formatIssue);
    for (const problem of problems)
      if (!this.problems.includes(problem)) this.options.logger.warn({ problem }, 'not exported');
    this.problems = problems;
    const desired = new Map(state.entries);
    // Markers, config and heartbeat stay desired once written; they are not part of the resources.
    for (const [key, value] of this.desired)
      if (isBookkeeping(key, this.options.cluster.name)) desired.set(key, value);
    this.desired = desired;
    this.sync.setDesired(desired);
    if (!this.writing) {
      // Only now, with the whole desired state known, may the writer prune what etcd holds.
      this.writing = true;
      this.sync.start();
      void this.writeMarkersWhenIdle();
    }
    for (const resolve of this.recomputeWaiters.splice(0)) resolve();
  }

  private async writeMarkersWhenIdle(): Promise<void> {
    await this.sync.whenIdle();
    if (this.stopped || this.markersWritten) return;
    const { cluster, clock, logger } = this.options;
    const now = rfc3339(clock.now());
    this.setBookkeeping(
      clusterConfigKey(cluster.name),
      encodeClusterConfig({ id: cluster.id, syncedCanaries: true }),
    );
    for (const prefix of SYNCED_STATE_PREFIXES) this.setBookkeeping(syncedKey(cluster.name, prefix), now);
    await this.sync.whenIdle();
    if (this.stopped) return;
    this.markersWritten = true;
    logger.info({ cluster: cluster.name, ...this.counts }, 'initial export complete, sync markers written');
    for (const resolve of this.syncedWaiters.splice(0)) resolve();
  }

  private setBookkeeping(key: string, value: string): void {
    const desired = { value, leased: true };
    this.desired.set(key, desired);
    if (this.writing) this.sync.upsert(key, desired);
  }

  private beat(): void {
    if (this.stopped) return;
    this.setBookkeeping(HEARTBEAT_KEY, rfc3339(this.options.clock.now()));
    this.heartbeat = this.options.clock.setTimeout(
      () => this.beat(),
      this.options.heartbeatIntervalMs ?? 60_000,
    );
  }
}

function isBookkeeping(key: string, cluster: string): boolean {
  return (
    key === HEARTBEAT_KEY || key === clusterConfigKey(cluster) || key.startsWith(syncedPrefixOf(cluster))
  );
}
