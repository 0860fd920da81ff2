import {
  errorMessage,
  kindId,
  resourceKey,
  type Logger,
  type ResourceKind,
  type KubeObject,
  type ResourceEvent,
  type ResourceHandler,
  type Unsubscribe,
} from '@ciliary/core';

/**
 * The objects of one kind plus its subscribers. Both sources keep one per kind,
 * so replay-then-sync and change detection behave the same whichever source runs.
 */
export class ObjectStore {
  private readonly objects = new Map<string, { object: KubeObject; json: string }>();
  private readonly handlers = new Set<ResourceHandler>();
  private synced = false;
  private resolveSynced: () => void = () => undefined;
  private readonly syncedPromise = new Promise<void>((resolve) => (this.resolveSynced = resolve));

  /**
   * `onHandlerError` hears of a subscriber that threw. Each subscriber is called on its own: one that
   * chokes on an object must not keep the others from hearing of it, nor abort the source's read.
   */
  constructor(
    readonly kindId: string,
    private readonly onHandlerError: (err: unknown, event: ResourceEvent) => void = () => undefined,
  ) {}

  get size(): number {
    return this.objects.size;
  }

  get isSynced(): boolean {
    return this.synced;
  }

  /** Resolves after the first complete listing. */
  whenSynced(): Promise<void> {
    return this.syncedPromise;
  }

  list(): KubeObject[] {
    return [...this.objects.values()].map((entry) => entry.object);
  }

  keys(): string[] {
    return [...this.objects.keys()];
  }

  subscribe(handler: ResourceHandler): Unsubscribe {
    this.handlers.add(handler);
    for (const [key, { object }] of this.objects) this.call(handler, { type: 'upsert', key, object });
    if (this.synced) this.call(handler, { type: 'synced' });
    return () => this.handlers.delete(handler);
  }

  /** Stores the object and notifies subscribers, unless nothing changed. */
  upsert(object: KubeObject): void {
    const key = resourceKey(object);
    const json = JSON.stringify(object);
    if (this.objects.get(key)?.json === json) return;
    this.objects.set(key, { object, json });
    this.emit({ type: 'upsert', key, object });
  }

  delete(key: string): void {
    const entry = this.objects.get(key);
    if (!entry) return;
    this.objects.delete(key);
    this.emit({ type: 'delete', key, object: entry.object });
  }

  /** Makes the store hold exactly `objects`, emitting only the differences. */
  replaceAll(objects: readonly KubeObject[]): void {
    const wanted = new Set(objects.map(resourceKey));
    for (const key of this.keys()) if (!wanted.has(key)) this.delete(key);
    for (const object of objects) this.upsert(object);
  }

  markSynced(): void {
    if (this.synced) return;
    this.synced = true;
    this.resolveSynced();
    this.emit({ type: 'synced' });
  }

  private emit(event: ResourceEvent): void {
    for (const handler of this.handlers) this.call(handler, event);
  }

  private call(handler: ResourceHandler, event: ResourceEvent): void {
    try {
      handler(event);
    } catch (err) {
      this.onHandlerError(err, event);
    }
  }
}

/** One store per kind, each logging a subscriber that fails on an object. */
export function storesOf(kinds: readonly ResourceKind[], logger: Logger): Map<string, ObjectStore> {
  const stores = new Map<string, ObjectStore>();
  for (const kind of kinds) {
    const id = kindId(kind);
    const onHandlerError = (err: unknown, event: ResourceEvent): void =>
      logger.error(
        { kind: id, key: 'key' in event ? event.key : undefined, err: errorMessage(err) },
        'a subscriber failed on an object; the others were told',
      );
    stores.set(id, new ObjectStore(id, onHandlerError));
  }
  return stores;
}
