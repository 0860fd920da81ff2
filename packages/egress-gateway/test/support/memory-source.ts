import {
  kindId,
  resourceKey,
  type KubeObject,
  type ResourceHandler,
  type ResourceKind,
  type ResourceSource,
  type ResourceSourceStatus,
  type Unsubscribe,
} from '@ciliary/core';

/**
 * A ResourceSource over objects held in memory, following core's contract
 * (replay of known objects, then `synced` once the kind is marked synced, then
 * live changes). The egress package may not import the resource-source
 * adapter, and the contract is all the controller sees.
 */
export class MemorySource implements ResourceSource {
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly handlers = new Map<string, Set<ResourceHandler>>();
  private readonly synced = new Set<string>();

  subscribe<T extends KubeObject = KubeObject>(kind: ResourceKind, handler: ResourceHandler<T>): Unsubscribe {
    const id = kindId(kind);
    const h = handler as ResourceHandler;
    for (const [key, object] of this.store(id)) h({ type: 'upsert', key, object });
    if (this.synced.has(id)) h({ type: 'synced' });
    const set = this.handlers.get(id) ?? new Set();
    set.add(h);
    this.handlers.set(id, set);
    return () => set.delete(h);
  }

  list<T extends KubeObject = KubeObject>(kind: ResourceKind): T[] {
    return [...this.store(kindId(kind)).values()] as T[];
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  status(): ResourceSourceStatus {
    return { type: 'local', origin: 'memory', synced: true, kinds: [], problems: [] };
  }

  markSynced(kind: ResourceKind): void {
    const id = kindId(kind);
    this.synced.add(id);
    for (const h of this.handlers.get(id) ?? []) h({ type: 'synced' });
  }

  upsert(kind: ResourceKind, object: KubeObject): void {
    const key = resourceKey(object);
    this.store(kindId(kind)).set(key, object);
    for (const h of this.handlers.get(kindId(kind)) ?? []) h({ type: 'upsert', key, object });
  }

  delete(kind: ResourceKind, object: KubeObject): void {
    const key = resourceKey(object);
    this.store(kindId(kind)).delete(key);
    for (const h of this.handlers.get(kindId(kind)) ?? []) h({ type: 'delete', key, object });
  }

  private store(id: string): Map<string, KubeObject> {
    const existing = this.objects.get(id);
    if (existing) return existing;
    const created = new Map<string, KubeObject>();
    this.objects.set(id, created);
    return created;
  }
}
