import type * as k8s from '@kubernetes/client-node';
import {
  apiVersionOf,
  errorMessage,
  kindId,
  listPath,
  resourceKey,
  type Clock,
  type KubeObject,
  type Logger,
  type ResourceHandler,
  type ResourceKind,
  type ResourceSource,
  type ResourceSourceStatus,
  type TimerHandle,
  type Unsubscribe,
} from '@ciliary/core';
import { storesOf, type ObjectStore } from './object-store';

export interface KubernetesSourceOptions {
  readonly kinds: readonly ResourceKind[];
  readonly clock: Clock;
  readonly logger: Logger;
  /** A kubeconfig file; without it the in-cluster service account is used. */
  readonly kubeconfig?: string;
  /** Delay before restarting an informer after its watch failed. */
  readonly restartDelayMs?: number;
  /** Delay before looking again for a kind the API server does not serve (a CRD not installed). */
  readonly notServedRetryMs?: number;
}

/**
 * The Kubernetes client is loaded when a KubernetesSource is created, not when
 * this package is imported: it takes a third of a second to load, and most
 * importers (the CLI, manifest-only agents) never talk to an API server.
 */
function loadClient(): typeof k8s {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@kubernetes/client-node') as typeof k8s;
}

type KubeInformer = k8s.Informer<k8s.KubernetesObject> & k8s.ObjectCache<k8s.KubernetesObject>;

/**
 * Cluster state from a Kubernetes API server through @kubernetes/client-node
 * informers: one list and a resumable watch per kind.
 */
export class KubernetesSource implements ResourceSource {
  private readonly stores = new Map<string, ObjectStore>();
  private readonly informers: KubeInformer[] = [];
  private readonly restarts: TimerHandle[] = [];
  private readonly client = loadClient();
  private readonly kubeConfig = new this.client.KubeConfig();
  private stopped = false;
  private readonly errors = new Map<string, string>();

  constructor(private readonly options: KubernetesSourceOptions) {
    for (const [id, store] of storesOf(options.kinds, options.logger)) this.stores.set(id, store);
    if (options.kubeconfig) this.kubeConfig.loadFromFile(options.kubeconfig);
    else this.kubeConfig.loadFromCluster();
  }

  subscribe<T extends KubeObject>(kind: ResourceKind, handler: ResourceHandler<T>): Unsubscribe {
    return this.store(kind).subscribe(handler as ResourceHandler);
  }

  list<T extends KubeObject>(kind: ResourceKind): T[] {
    return this.store(kind).list() as T[];
  }

  async start(): Promise<void> {
    const objects = this.kubeConfig.makeApiClient(this.client.KubernetesObjectApi);
    await Promise.all(this.options.kinds.map((kind) => this.startInformer(objects, kind)));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.restarts) timer.cancel();
    await Promise.all(this.informers.map((informer) => informer.stop()));
  }

  status(): ResourceSourceStatus {
    const kinds = [...this.stores.values()].map((s) => ({
      kind: s.kindId,
      objects: s.size,
      synced: s.isSynced,
    }));
    return {
      type: 'kubernetes',
      origin: this.kubeConfig.getCurrentCluster()?.server ?? 'unknown',
      synced: kinds.every((k) => k.synced),
      kinds,
      problems: [...this.errors].map(([kind, err]) => `${kind}: ${err}`),
    };
  }

  private store(kind: ResourceKind): ObjectStore {
    const store = this.stores.get(kindId(kind));
    if (!store) throw new Error(`resource kind ${kindId(kind)} is not watched by this source`);
    return store;
  }

  private async startInformer(objects: k8s.KubernetesObjectApi, kind: ResourceKind): Promise<void> {
    const store = this.store(kind);
    const { logger } = this.options;
    const id = kindId(kind);
    const listFn = async (): Promise<k8s.KubernetesListObject<k8s.KubernetesObject>> => {
      const list = await objects.list(apiVersionOf(kind), kind.kind);
      // List items carry no apiVersion/kind; the consumers expect whole objects.
      for (const item of list.items) {
        item.apiVersion ??= apiVersionOf(kind);
        item.kind ??= kind.kind;
      }
      return list;
    };
    const informer = this.client.makeInformer(this.kubeConfig, listPath(kind), listFn) as KubeInformer;
    const toKube = (obj: k8s.KubernetesObject): KubeObject => {
      const plain = toPlainJson(obj) as KubeObject;
      plain.apiVersion ??= apiVersionOf(kind);
      plain.kind ??= kind.kind;
      plain.metadata ??= {};
      return plain;
    };
    informer.on('add', (obj) => store.upsert(toKube(obj)));
    informer.on('update', (obj) => store.upsert(toKube(obj)));
    informer.on('delete', (obj) => store.delete(resourceKey(toKube(obj))));
    const run = async (): Promise<void> => {
      this.errors.delete(id);
      await informer.start();
      // start() resolves after the list and the watch request; an error during either was reported.
      if (!this.errors.has(id)) store.markSynced();
    };
    informer.on('error', (err: unknown) => {
      this.errors.set(id, errorMessage(err));
      if (this.stopped) return;
      // A kind the API server does not serve (its CRD is not installed) must not hold up
      // start-up: it counts as synced and empty, and is tried again now and then.
      const notServed = isNotServed(err);
      if (notServed) store.markSynced();
      logger.warn(
        { kind: id, err: errorMessage(err) },
        notServed ? 'kind not served by the API server; will retry' : 'list or watch failed; restarting',
      );
      this.restarts.push(
        this.options.clock.setTimeout(
          () => {
            if (!this.stopped) void run();
          },
          notServed ? (this.options.notServedRetryMs ?? 30_000) : (this.options.restartDelayMs ?? 1_000),
        ),
      );
    });
    this.informers.push(informer);
    await run();
    await store.whenSynced();
  }
}

/**
 * The client deserialises listed objects into typed models (timestamps become
 * Dates) while watch events stay raw JSON. Converting both to plain JSON, with
 * timestamps in the API server's own format, makes them compare equal.
 */
function toPlainJson(obj: unknown): unknown {
  return JSON.parse(
    JSON.stringify(obj, function (this: Record<string, unknown>, key: string, value: unknown) {
      const raw = this[key];
      return raw instanceof Date ? raw.toISOString().replace('.000Z', 'Z') : value;
    }),
  );
}

/** Whether an error says the API server does not serve the resource type at all (HTTP 404 on discovery or list). */
function isNotServed(err: unknown): boolean {
  const code =
    (err as { code?: unknown; statusCode?: unknown } | undefined)?.code ??
    (err as { statusCode?: unknown })?.statusCode;
  if (code === 404) return true;
  return /HTTP-Code: 404|Unrecognized API version and kind|resource metadata for .* undefined/i.test(
    errorMessage(err),
  );
}
