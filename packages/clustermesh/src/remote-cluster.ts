import {
  formatIssue,
  type BackoffOptions,
  type Clock,
  type Issue,
  type Logger,
  type Result,
} from '@ciliary/core';
import { CLUSTER_NAME_LABEL, identityBelongsTo } from './cluster';
import { decodeClusterConfig, type ClusterConfig } from './formats/cluster-config';
import { parseIdentityId, parseKvstoreLabels, type Label } from './formats/identity';
import { decodeIpcacheEntry, type IpcacheEntry } from './formats/ipcache';
import { decodeClusterNode, type ClusterNode } from './formats/node';
import { decodeClusterService, type ClusterService } from './formats/service';
import {
  IDENTITY_IDS_PREFIX,
  IPCACHE_PREFIX,
  SYNCED_STATE_PREFIXES,
  clusterConfigKey,
  nodesPrefixOf,
  parseServiceKey,
  servicesPrefixOf,
  syncedKey,
  syncedPrefixOf,
} from './keys';
import type { KvStore } from './kvstore';
import { serviceId } from './local-services';
import { PrefixMirror } from './mirror';

export interface RemoteClusterOptions {
  readonly name: string;
  readonly store: KvStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly retry: BackoffOptions;
  /** Called after every change of the imported state. */
  readonly onChange: () => void;
}

/** What `ciliary clustermesh status` shows per remote cluster. */
export interface RemoteClusterStatus {
  readonly name: string;
  readonly endpoints: readonly string[];
  readonly connected: boolean;
  /** Everything is listed (and, when the cluster writes sync markers, marked synced). */
  readonly ready: boolean;
  /** When the state was last completely synchronised (ISO 8601). */
  readonly lastSync?: string;
  readonly clusterId?: number;
  readonly services: number;
  readonly nodes: number;
  readonly identities: number;
  readonly endpointIps: number;
  readonly lastError?: string;
  /** Values that could not be imported, and configuration conflicts. */
  readonly problems: readonly string[];
}

/**
 * One remote cluster's state, mirrored from its etcd: services, nodes,
 * identities (checked against the cluster's identity range once its ID is
 * known) and ipcache entries. When the etcd becomes unreachable the last
 * known state stays; keys deleted there (a lease that expired) are withdrawn.
 */
export class RemoteCluster {
  readonly services = new Map<string, ClusterService>();
  readonly nodes = new Map<string, ClusterNode>();
  readonly identities = new Map<number, readonly Label[]>();
  readonly ipcache = new Map<string, IpcacheEntry>();
  private config: ClusterConfig | undefined;
  private readonly synced = new Set<string>();
  private readonly problems = new Map<string, string>();
  private readonly rawIdentities = new Map<number, string>();
  private readonly mirrors: PrefixMirror[] = [];
  private listed = new Set<PrefixMirror>();
  private lastSync: number | undefined;
  private conflict: string | undefined;

  constructor(private readonly options: RemoteClusterOptions) {
    const { name } = options;
    const mirror = (prefix: string, apply: (key: string, value: string | undefined) => void): void => {
      const m: PrefixMirror = new PrefixMirror({
        store: options.store,
        prefix,
        clock: options.clock,
        logger: options.logger.child({ prefix }),
        retry: options.retry,
        handlers: {
          upsert: (key, value) => this.changed(() => apply(key, value)),
          delete: (key) => this.changed(() => apply(key, undefined)),
          listed: () => {
            this.listed.add(m);
            this.touchSync();
          },
        },
      });
      this.mirrors.push(m);
    };
    mirror(servicesPrefixOf(name), (key, value) => this.applyService(key, value));
    mirror(nodesPrefixOf(name), (key, value) => this.applyNode(key, value));
    mirror(IDENTITY_IDS_PREFIX, (key, value) => this.applyIdentity(key, value));
    mirror(IPCACHE_PREFIX, (key, value) => this.applyIpcache(key, value));
    mirror(syncedPrefixOf(name), (key, value) => {
      if (value === undefined) this.synced.delete(key);
      else this.synced.add(key);
      this.touchSync();
    });
    mirror(clusterConfigKey(name), (key, value) => this.applyConfig(key, value));
  }

  get name(): string {
    return this.options.name;
  }

  get clusterId(): number | undefined {
    return this.config?.id;
  }

  start(): void {
    for (const mirror of this.mirrors) mirror.start();
  }

  stop(): void {
    for (const mirror of this.mirrors) mirror.stop();
  }

  /**
   * Marks the cluster as conflicting (its ID is taken) or clears that; a
   * conflicting cluster is not merged.
   */
  setConflict(reason: string | undefined): void {
    this.conflict = reason;
  }

  get conflicting(): boolean {
    return this.conflict !== undefined;
  }

  /** Listed completely, and marked synced by its exporter when it announces sync markers. */
  isReady(): boolean {
    if (this.listed.size < this.mirrors.length) return false;
    if (!this.config?.syncedCanaries) return true;
    return SYNCED_STATE_PREFIXES.every((prefix) => this.synced.has(syncedKey(this.name, prefix)));
  }

  status(): RemoteClusterStatus {
    const store = this.options.store.status();
    const problems = [...this.problems.values()];
    if (this.conflict) problems.unshift(this.conflict);
    const lastError = store.lastError ?? this.mirrors.find((m) => m.lastError)?.lastError;
    return {
      name: this.name,
      endpoints: store.endpoints,
      connected: store.connected,
      ready: this.isReady() && !this.conflict,
      ...(this.lastSync !== undefined ? { lastSync: new Date(this.lastSync).toISOString() } : {}),
      ...(this.config ? { clusterId: this.config.id } : {}),
      services: this.services.size,
      nodes: this.nodes.size,
      identities: this.identities.size,
      endpointIps: this.ipcache.size,
      ...(lastError !== undefined ? { lastError } : {}),
      problems,
    };
  }

  private changed(apply: () => void): void {
    apply();
    this.options.onChange();
  }

  private touchSync(): void {
    if (this.isReady()) this.lastSync = this.options.clock.now();
    this.options.onChange();
  }

  private note<T>(key: string, result: Result<T>): T | undefined {
    if (result.ok) {
      this.problems.delete(key);
      return result.value;
    }
    this.problems.set(key, result.issues.map(formatIssue).join('; '));
    return undefined;
  }

  private reject(key: string, message: string): void {
    const issue: Issue = { document: key, path: '', message };
    this.problems.set(key, formatIssue(issue));
  }

  private applyService(key: string, value: string | undefined): void {
    const parts = parseServiceKey(key);
    if (!parts) return this.reject(key, 'not a service key');
    const id = serviceId(parts.namespace, parts.name);
    if (value === undefined) {
      this.problems.delete(key);
      this.services.delete(id);
      return;
    }
    // A value that does not decode, or does not match its key, is reported and the last good one stays,
    // as Cilium's store skips an update it cannot take.
    const svc = this.note(key, decodeClusterService(value, key));
    if (!svc) return;
    // Cilium checks a remote service against its key: right cluster, same namespace and name.
    if (svc.cluster !== this.name || svc.namespace !== parts.namespace || svc.name !== parts.name) {
      return this.reject(
        key,
        `value names ${svc.cluster}/${svc.namespace}/${svc.name}, not what its key says`,
      );
    }
    this.services.set(id, svc);
  }

  private applyNode(key: string, value: string | undefined): void {
    const name = key.slice(nodesPrefixOf(this.name).length);
    if (value === undefined) {
      this.problems.delete(key);
      this.nodes.delete(name);
      return;
    }
    const node = this.note(key, decodeClusterNode(value, key));
    if (node) this.nodes.set(name, node); // else the last good node stays
  }

  private applyIdentity(key: string, value: string | undefined): void {
    const id = parseIdentityId(key.slice(IDENTITY_IDS_PREFIX.length));
    if (id === undefined) return this.reject(key, 'not an identity key');
    if (value === undefined) this.rawIdentities.delete(id);
    else if (this.note(key, parseKvstoreLabels(value, key))) this.rawIdentities.set(id, value);
    else return; // labels that do not parse: reported, and the last good ones stay
    this.refreshIdentity(id);
  }

  /** Decodes and range-checks one identity; run again for all when the cluster ID becomes known. */
  private refreshIdentity(id: number): void {
    const key = `${IDENTITY_IDS_PREFIX}${id}`;
    const value = this.rawIdentities.get(id);
    this.identities.delete(id);
    this.problems.delete(key);
    if (value === undefined) return;
    if (this.config && !identityBelongsTo(id, this.config.id))
      return this.reject(
        key,
        `identity ${id} is outside the identity range of cluster ${this.name} (ID ${this.config.id})`,
      );
    const labels = this.note(key, parseKvstoreLabels(value, key));
    if (!labels) return;
    // Policies select remote endpoints by cluster; older exporters may not add the label.
    const withCluster = labels.some((l) => l.key === CLUSTER_NAME_LABEL)
      ? labels
      : [...labels, { source: 'k8s', key: CLUSTER_NAME_LABEL, value: this.name }];
    this.identities.set(id, withCluster);
  }

  private applyIpcache(key: string, value: string | undefined): void {
    const ip = key.slice(IPCACHE_PREFIX.length);
    if (value === undefined) {
      this.problems.delete(key);
      this.ipcache.delete(ip);
      return;
    }
    const entry = this.note(key, decodeIpcacheEntry(value, key));
    if (entry) this.ipcache.set(ip, entry); // else the last good entry stays
  }

  private applyConfig(key: string, value: string | undefined): void {
    if (key !== clusterConfigKey(this.name)) return; // a longer name sharing the prefix
    if (value === undefined) {
      this.config = undefined;
      this.problems.delete(key);
    } else {
      // A config that does not decode is reported; the cluster keeps the last good one (its ID).
      this.config = this.note(key, decodeClusterConfig(value, key)) ?? this.config;
    }
    for (const id of this.rawIdentities.keys()) this.refreshIdentity(id);
  }
}
