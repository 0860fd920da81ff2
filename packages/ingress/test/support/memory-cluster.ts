import {
  kindId,
  resourceKey,
  type KubeObject,
  type ResourceEvent,
  type ResourceHandler,
  type ResourceKind,
  type ResourceSource,
  type ResourceSourceStatus,
  type Unsubscribe,
} from '@ciliary/core';
import type { ClusterWriter, LoadBalancerAddress } from '../../src';

/**
 * An in-memory cluster for the controller's unit tests: a ResourceSource that
 * delivers events synchronously (as both real sources do after their initial
 * listing) and a ClusterWriter that stores what it is told, can fail on demand
 * and records every write. End-to-end tests use the HTTP API server double instead.
 */
export class MemoryCluster {
  private readonly stores = new Map<string, Map<string, KubeObject>>();
  private readonly handlers = new Map<string, Set<ResourceHandler>>();
  private readonly kinds = new Map<string, ResourceKind>();
  private revision = 0;
  readonly writes: string[] = [];
  readonly events: KubeObject[] = [];
  /** Writes fail while this returns an error message. */
  failWrites: ((op: string) => string | undefined) | undefined;

  constructor(kinds: readonly ResourceKind[]) {
    for (const kind of kinds) {
      this.kinds.set(kind.kind, kind);
      this.stores.set(kindId(kind), new Map());
      this.handlers.set(kindId(kind), new Set());
    }
  }

  /** The cluster as the controller reads it. */
  readonly source: ResourceSource = {
    subscribe: <T extends KubeObject>(kind: ResourceKind, handler: ResourceHandler<T>): Unsubscribe => {
      const handlers = this.handlers.get(kindId(kind))!;
      handlers.add(handler as ResourceHandler);
      for (const [key, object] of this.store(kind)) handler({ type: 'upsert', key, object: object as T });
      handler({ type: 'synced' });
      return () => void handlers.delete(handler as ResourceHandler);
    },
    list: <T extends KubeObject>(kind: ResourceKind): T[] =>
      [...this.store(kind).values()].map((o) => structuredClone(o) as T),
    start: async () => undefined,
    stop: async () => undefined,
    status: (): ResourceSourceStatus => ({
      type: 'local',
      origin: 'memory',
      synced: true,
      kinds: [],
      problems: [],
    }),
  };

  // Test-side changes, as a user or another controller would make them.

  put(kind: ResourceKind, object: KubeObject): void {
    const stored = structuredClone(object);
    stored.metadata.resourceVersion = String(++this.revision);
    this.store(kind).set(resourceKey(stored), stored);
    this.emit(kind, { type: 'upsert', key: resourceKey(stored), object: stored });
  }

  remove(kind: ResourceKind, namespace: string | undefined, name: string): void {
    const key = namespace ? `${namespace}/${name}` : name;
    const object = this.store(kind).get(key);
    if (!object) return;
    this.store(kind).delete(key);
    this.emit(kind, { type: 'delete', key, object });
  }

  get(kind: ResourceKind, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.store(kind).get(namespace ? `${namespace}/${name}` : name);
  }

  /** The cluster as the controller writes it. */
  readonly writer: ClusterWriter = {
    apply: async (object) => {
      const kind = this.kindOf(object.kind);
      this.check(`apply ${kindId(kind)} ${resourceKey(object)}`);
      const current = this.get(kind, object.metadata.namespace, object.metadata.name ?? '');
      this.put(
        kind,
        current
          ? { ...current, ...structuredClone(object), metadata: { ...current.metadata, ...object.metadata } }
          : object,
      );
    },
    delete: async (kind, namespace, name) => {
      this.check(`delete ${kindId(kind)} ${namespace ? `${namespace}/` : ''}${name}`);
      this.remove(kind, namespace, name);
    },
    list: async (kind, labelSelector) => {
      const [key, value] = labelSelector.split('=');
      return [...this.store(kind).values()]
        .filter((o) => o.metadata.labels?.[key!] === value)
        .map((o) => structuredClone(o));
    },
    setIngressStatus: async (namespace, name, addresses: readonly LoadBalancerAddress[]) => {
      this.check(`status ${namespace}/${name} ${JSON.stringify(addresses)}`);
      const kind = this.kindOf('Ingress');
      const current = this.get(kind, namespace, name);
      if (!current) return;
      this.put(kind, {
        ...current,
        status: { loadBalancer: addresses.length > 0 ? { ingress: addresses } : {} },
      });
    },
    createEvent: async (event) => {
      this.check(`event ${String(event.metadata.namespace)}/${String(event['reason'])}`);
      this.events.push(event);
    },
  };

  private check(op: string): void {
    const failure = this.failWrites?.(op);
    if (failure !== undefined) throw new Error(failure);
    this.writes.push(op);
  }

  private kindOf(kind: string): ResourceKind {
    const found = this.kinds.get(kind);
    if (!found) throw new Error(`kind ${kind} not served`);
    return found;
  }

  private store(kind: ResourceKind): Map<string, KubeObject> {
    const store = this.stores.get(kindId(kind));
    if (!store) throw new Error(`kind ${kindId(kind)} not served`);
    return store;
  }

  private emit(kind: ResourceKind, event: ResourceEvent): void {
    for (const handler of this.handlers.get(kindId(kind)) ?? []) handler(event);
  }
}
