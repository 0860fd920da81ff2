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
 * A resource source held in memory, for tests that change cluster state
 * object by object. It implements the ResourceSource contract in full:
 * subscribers get every known object, then `synced`, then live changes.
 */
export class MemorySource implements ResourceSource {
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly handlers = new Map<string, Set<ResourceHandler>>();
  private started = false;

  constructor(private readonly kinds: readonly ResourceKind[]) {
    for (const kind of kinds) this.objects.set(kindId(kind), new Map());
  }

  subscribe<T extends KubeObject>(kind: ResourceKind, handler: ResourceHandler<T>): Unsubscribe {
    const id = kindId(kind);
    const set = this.handlers.get(id) ?? new Set();
    this.handlers.set(id, set);
    set.add(handler as ResourceHandler);
    for (const [key, object] of this.store(kind)) handler({ type: 'upsert', key, object: object as T });
    if (this.started) handler({ type: 'synced' });
    return () => set.delete(handler as ResourceHandler);
  }

  list<T extends KubeObject>(kind: ResourceKind): T[] {
    return [...this.store(kind).values()] as T[];
  }

  async start(): Promise<void> {
    this.started = true;
    for (const kind of this.kinds) this.emit(kind, { type: 'synced' });
  }

  async stop(): Promise<void> {
    this.started = false;
  }

  status(): ResourceSourceStatus {
    const kinds = this.kinds.map((k) => ({
      kind: kindId(k),
      objects: this.store(k).size,
      synced: this.started,
    }));
    return { type: 'local', origin: 'memory', synced: this.started, kinds, problems: [] };
  }

  apply(kind: ResourceKind, object: KubeObject): void {
    const key = resourceKey(object);
    this.store(kind).set(key, object);
    this.emit(kind, { type: 'upsert', key, object });
  }

  remove(kind: ResourceKind, object: KubeObject): void {
    const key = resourceKey(object);
    if (this.store(kind).delete(key)) this.emit(kind, { type: 'delete', key, object });
  }

  private store(kind: ResourceKind): Map<string, KubeObject> {
    const store = this.objects.get(kindId(kind));
    if (!store) throw new Error(`kind ${kindId(kind)} not in this source`);
    return store;
  }

  private emit(kind: ResourceKind, event: ResourceEvent): void {
    for (const handler of this.handlers.get(kindId(kind)) ?? []) handler(event);
  }
}
