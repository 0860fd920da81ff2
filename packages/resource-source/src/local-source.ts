import { watch, promises as fs, type FSWatcher } from 'node:fs';
import * as path from 'node:path';
import {
  errorMessage,
  kindId,
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
import { listManifestFiles, mayHoldManifests, parseManifestText, type ManifestObject } from './manifests';
import { ObjectStore } from './object-store';

export interface LocalSourceOptions {
  /** The manifests directory. */
  readonly dir: string;
  readonly kinds: readonly ResourceKind[];
  readonly clock: Clock;
  readonly logger: Logger;
  /** Watch the directory and apply changes; on by default. */
  readonly watch?: boolean;
  /**
   * How long after a change the directory is read again, so that a burst of changes is read once.
   * Measured from the first change, so files changing without pause cannot hold the read off.
   */
  readonly debounceMs?: number;
}

/**
 * Cluster state from a directory of YAML manifests, as users write them for
 * Kubernetes. The directory is watched: edits, new files and deletions turn
 * into upserts and deletes. A file that stops parsing keeps its last good
 * objects, so a half-saved edit never wipes state.
 */
export class LocalManifestSource implements ResourceSource {
  private readonly stores = new Map<string, ObjectStore>();
  private readonly lastGood = new Map<string, ManifestObject[]>();
  private problems: string[] = [];
  private watcher: FSWatcher | undefined;
  private debounce: TimerHandle | undefined;
  private reloading: Promise<void> | undefined;
  private reloadAgain = false;
  private loads = 0;

  constructor(private readonly options: LocalSourceOptions) {
    for (const kind of options.kinds) this.stores.set(kindId(kind), new ObjectStore(kindId(kind)));
  }

  subscribe<T extends KubeObject>(kind: ResourceKind, handler: ResourceHandler<T>): Unsubscribe {
    return this.store(kind).subscribe(handler as ResourceHandler);
  }

  list<T extends KubeObject>(kind: ResourceKind): T[] {
    return this.store(kind).list() as T[];
  }

  async start(): Promise<void> {
    const stat = await fs.stat(this.options.dir).catch(() => undefined);
    if (!stat?.isDirectory()) throw new Error(`manifests directory ${this.options.dir} does not exist`);
    await this.reload();
    for (const store of this.stores.values()) store.markSynced();
    if (this.options.watch ?? true) this.startWatching();
  }

  async stop(): Promise<void> {
    this.watcher?.close();
    this.watcher = undefined;
    this.debounce?.cancel();
    await this.reloading;
  }

  status(): ResourceSourceStatus {
    const kinds = [...this.stores.values()].map((s) => ({
      kind: s.kindId,
      objects: s.size,
      synced: s.isSynced,
    }));
    return {
      type: 'local',
      origin: path.resolve(this.options.dir),
      synced: kinds.every((k) => k.synced),
      kinds,
      problems: this.problems,
    };
  }

  /** How many times the directory has been read; lets tests wait for a reload. */
  get loadCount(): number {
    return this.loads;
  }

  /** Reads the directory again now. Concurrent calls coalesce into one more read. */
  reload(): Promise<void> {
    if (this.reloading) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.reloading = this.readAll().finally(() => {
      this.reloading = undefined;
      if (this.reloadAgain) {
        this.reloadAgain = false;
        void this.reload();
      }
    });
    return this.reloading;
  }

  private store(kind: ResourceKind): ObjectStore {
    const store = this.stores.get(kindId(kind));
    if (!store) throw new Error(`resource kind ${kindId(kind)} is not watched by this source`);
    return store;
  }

  private startWatching(): void {
    this.watcher = watch(this.options.dir, { recursive: true }, (_event, changed) => {
      if (mayHoldManifests(changed)) this.scheduleReload();
    });
    this.watcher.on('error', (err) =>
      this.options.logger.warn({ err: errorMessage(err) }, 'manifests watch error'),
    );
  }

  private scheduleReload(): void {
    // A read is already coming; it lists the directory afresh, so it sees this change too.
    if (this.debounce) return;
    this.debounce = this.options.clock.setTimeout(() => {
      this.debounce = undefined;
      void this.reload();
    }, this.options.debounceMs ?? 100);
  }

  private async readAll(): Promise<void> {
    const { dir, kinds, logger } = this.options;
    const files = await listManifestFiles(dir).catch((err: unknown) => {
      logger.error(
        { dir, err: errorMessage(err) },
        'cannot list the manifests directory; keeping the last state',
      );
      return undefined;
    });
    if (!files) return;
    const problems: string[] = [];
    const byKind = new Map<string, Map<string, KubeObject>>();
    for (const store of this.stores.values()) byKind.set(store.kindId, new Map());
    const seenFiles = new Set(files);
    for (const file of [...this.lastGood.keys()]) if (!seenFiles.has(file)) this.lastGood.delete(file);

    for (const file of files) {
      const label = path.relative(process.cwd(), file) || file;
      const text = await fs.readFile(file, 'utf8').catch(() => undefined);
      if (text === undefined) continue; // removed between listing and reading
      const parsed = parseManifestText(label, text, kinds);
      const broken = parsed.problems.some((p) => p.message.startsWith('invalid YAML'));
      for (const p of parsed.problems) problems.push(`${p.origin}: ${p.message}`);
      const objects = broken ? (this.lastGood.get(file) ?? []) : parsed.objects;
      if (!broken) this.lastGood.set(file, parsed.objects);
      for (const item of objects) {
        const objects = byKind.get(kindId(item.kind));
        const key = resourceKey(item.object);
        if (objects?.has(key))
          problems.push(
            `${item.origin}: ${item.kind.kind} ${key} is defined more than once; the last one wins`,
          );
        objects?.set(key, item.object);
      }
    }
    for (const problem of problems) logger.warn({ problem }, 'manifest problem');
    this.problems = problems;
    for (const store of this.stores.values())
      store.replaceAll([...(byKind.get(store.kindId)?.values() ?? [])]);
    this.loads++;
    logger.debug({ files: files.length, problems: problems.length }, 'manifests loaded');
  }
}
