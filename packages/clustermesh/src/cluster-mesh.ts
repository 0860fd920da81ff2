import { errorMessage, type BackoffOptions, type Clock, type Logger, type TimerHandle } from '@ciliary/core';
import type { ClusterInfo } from './cluster';
import type { Label } from './formats/identity';
import type { ClusterService } from './formats/service';
import type { KvStore } from './kvstore';
import type { RemoteClusterConfig } from './mesh-config';
import { RemoteCluster, type RemoteClusterStatus } from './remote-cluster';

export interface ClusterMeshOptions {
  readonly local: ClusterInfo;
  /** Opens a kvstore client for a remote cluster; the mesh closes it when the cluster goes. */
  readonly connect: (config: RemoteClusterConfig) => KvStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly retry?: BackoffOptions;
  /** Called (coalesced over `debounceMs`) when any remote cluster's state changed. */
  readonly onChange?: () => void;
  readonly debounceMs?: number;
}

export interface ClusterMeshStatus {
  readonly local: ClusterInfo;
  readonly clusters: readonly RemoteClusterStatus[];
}

interface Member {
  readonly config: RemoteClusterConfig;
  readonly store: KvStore;
  readonly cluster: RemoteCluster;
}

/**
 * The import side of ClusterMesh (the agent's role): one connection per
 * remote cluster of the configuration, each mirrored into a RemoteCluster.
 * Two clusters with the same ID, or one with the local ID, are reported and
 * left out of the merge.
 */
export class ClusterMesh {
  private readonly members = new Map<string, Member>();
  /** Clusters of the configuration that could not be connected to, with why. */
  private readonly unreachable = new Map<string, { config: RemoteClusterConfig; error: string }>();
  private debounce: TimerHandle | undefined;
  private stopped = false;

  constructor(private readonly options: ClusterMeshOptions) {}

  /** Connects to new clusters, drops removed ones, reconnects those whose configuration changed. */
  setRemoteClusters(configs: readonly RemoteClusterConfig[]): void {
    const wanted = new Map(configs.filter((c) => c.name !== this.options.local.name).map((c) => [c.name, c]));
    for (const [name, member] of this.members) {
      const config = wanted.get(name);
      if (!config || JSON.stringify(config) !== JSON.stringify(member.config)) this.remove(name);
    }
    this.unreachable.clear();
    for (const [name, config] of wanted) {
      if (this.members.has(name)) continue;
      try {
        this.add(config);
      } catch (err) {
        // One cluster that cannot even be connected to (a TLS file missing) must not cost the others.
        this.unreachable.set(name, { config, error: errorMessage(err) });
        this.options.logger.error(
          { remoteCluster: name, err: errorMessage(err) },
          'cannot connect to remote cluster',
        );
      }
    }
    this.changed();
  }

  /** Services of every remote cluster that may be merged, by cluster, then `NAMESPACE/NAME`. */
  remoteServices(): ReadonlyMap<string, ReadonlyMap<string, ClusterService>> {
    this.checkIds();
    const out = new Map<string, ReadonlyMap<string, ClusterService>>();
    for (const [name, { cluster }] of this.members) if (!cluster.conflicting) out.set(name, cluster.services);
    return out;
  }

  /** Identities imported from every remote cluster, with their labels (cluster label included). */
  remoteIdentities(): ReadonlyMap<number, readonly Label[]> {
    this.checkIds();
    const out = new Map<number, readonly Label[]>();
    for (const { cluster } of this.members.values())
      if (!cluster.conflicting) for (const [id, labels] of cluster.identities) out.set(id, labels);
    return out;
  }

  cluster(name: string): RemoteCluster | undefined {
    return this.members.get(name)?.cluster;
  }

  /** Whether every remote cluster is connected and synchronised. */
  isReady(): boolean {
    this.checkIds();
    return [...this.members.values()].every(({ cluster }) => cluster.isReady() && !cluster.conflicting);
  }

  status(): ClusterMeshStatus {
    this.checkIds();
    const unreachable = [...this.unreachable].map(([name, { config, error }]): RemoteClusterStatus => ({
      name,
      endpoints: config.endpoints,
      connected: false,
      ready: false,
      services: 0,
      nodes: 0,
      identities: 0,
      endpointIps: 0,
      lastError: error,
      problems: [`cannot connect: ${error}`],
    }));
    const clusters = [
      ...[...this.members.values()].map(({ cluster }) => cluster.status()),
      ...unreachable,
    ].sort((a, b) => a.name.localeCompare(b.name));
    return { local: this.options.local, clusters };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.debounce?.cancel();
    await Promise.all([...this.members.keys()].map((name) => this.remove(name)));
  }

  private add(config: RemoteClusterConfig): void {
    const { clock, logger } = this.options;
    const store = this.options.connect(config);
    const cluster = new RemoteCluster({
      name: config.name,
      store,
      clock,
      logger: logger.child({ remoteCluster: config.name }),
      retry: this.options.retry ?? { initialMs: 200, maxMs: 10_000 },
      onChange: () => this.changed(),
    });
    this.members.set(config.name, { config, store, cluster });
    logger.info({ remoteCluster: config.name, endpoints: config.endpoints }, 'connecting to remote cluster');
    cluster.start();
  }

  private remove(name: string): Promise<void> {
    const member = this.members.get(name);
    if (!member) return Promise.resolve();
    this.members.delete(name);
    member.cluster.stop();
    this.options.logger.info({ remoteCluster: name }, 'disconnected from remote cluster');
    return member.store.close();
  }

  private checkIds(): void {
    const byId = new Map<number, string[]>();
    for (const [name, { cluster }] of this.members) {
      const id = cluster.clusterId;
      if (id !== undefined) byId.set(id, [...(byId.get(id) ?? []), name]);
    }
    for (const [name, { cluster }] of this.members) {
      const id = cluster.clusterId;
      if (id === undefined) cluster.setConflict(undefined);
      else if (id === this.options.local.id)
        cluster.setConflict(`cluster ID ${id} is the local cluster's (${this.options.local.name}) ID`);
      else if ((byId.get(id)?.length ?? 0) > 1)
        cluster.setConflict(
          `cluster ID ${id} is also used by ${byId
            .get(id)!
            .filter((n) => n !== name)
            .join(', ')}`,
        );
      else cluster.setConflict(undefined);
    }
  }

  private changed(): void {
    if (this.stopped || !this.options.onChange || this.debounce) return;
    this.debounce = this.options.clock.setTimeout(() => {
      this.debounce = undefined;
      this.options.onChange?.();
    }, this.options.debounceMs ?? 20);
  }
}
