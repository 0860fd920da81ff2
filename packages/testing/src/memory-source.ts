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

/**
 * A ResourceSource over objects held in memory, for tests that change cluster state object by
 * object. It keeps core's contract: a subscriber gets every known object of its kind, then
 * `synced` once that kind is synced, then live changes, all delivered synchronously.
 *
 * A kind is synced by `markSynced`, or by `start` for every kind given to the constructor.
 */
export class MemorySource implements ResourceSource {
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly handlers = new Map<string, Set<ResourceHandler>>();
  private readonly synced = new Set<string>();

  constructor(private readonly kinds: readonly ResourceKind[] = []) {}

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

  async start(): Promise<void> {
    for (const kind of this.kinds) this.markSynced(kind);
  }

  async stop(): Promise<void> {}

  status(): ResourceSourceStatus {
    const kinds = [...this.objects].map(([kind, objects]) => ({
      kind,
      objects: objects.size,
      synced: this.synced.has(kind),
    }));
    const synced = kinds.every((k) => k.synced);
    return { type: 'local', origin: 'memory', synced, kinds, problems: [] };
  }

  markSynced(kind: ResourceKind): void {
    const id = kindId(kind);
    if (this.synced.has(id)) return;
    this.synced.add(id);
    this.emit(id, { type: 'synced' });
  }

  upsert(kind: ResourceKind, object: KubeObject): void {
    const key = resourceKey(object);
    this.store(kindId(kind)).set(key, object);
    this.emit(kindId(kind), { type: 'upsert', key, object });
  }

  delete(kind: ResourceKind, object: KubeObject): void {
    const key = resourceKey(object);
    if (this.store(kindId(kind)).delete(key)) this.emit(kindId(kind), { type: 'delete', key, object });
  }

  private store(id: string): Map<string, KubeObject> {
    let store = this.objects.get(id);
    if (!store) {
      store = new Map();
      this.objects.set(id, store);
    }
    return store;
  }

  private emit(id: string, event: ResourceEvent): void {
    for (const handler of this.handlers.get(id) ?? []) handler(event);
  }
}
