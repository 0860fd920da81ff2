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
import {
  listManifestFiles,
  mayHoldManifests,
  parseManifestText,
  readManifestFile,
  type ManifestObject,
} from './manifests';
import { storesOf, type ObjectStore } from './object-store';

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
  /**
   * While watching, the directory is also read this often whatever the watcher reported: fs.watch
   * misses some changes (a file replaced by a folder, the directory deleted or renamed and made
   * anew), and this bounds how long one goes unseen. 30 s by default.
   */
  readonly resyncMs?: number;
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
  private watching = false;
  private stopped = false;
  private watcher: FSWatcher | undefined;
  /** The `dev:ino:birthtime` of the directory the watcher follows; fs.watch stays on a replaced one. */
  private watchedIdentity: string | undefined;
  private watchFailed = false;
  private debounce: TimerHandle | undefined;
  private resync: TimerHandle | undefined;
  private reloading: Promise<void> | undefined;
  private reloadAgain = false;
  private loads = 0;

  constructor(private readonly options: LocalSourceOptions) {
    for (const [id, store] of storesOf(options.kinds, options.logger)) this.stores.set(id, store);
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
    this.stopped = false;
    this.watching = this.options.watch ?? true;
    await this.reload(); // starts the watcher, before listing, so no change after the listing is missed
    for (const store of this.stores.values()) store.markSynced();
    this.scheduleResync();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.closeWatcher();
    this.debounce?.cancel();
    this.debounce = undefined;
    this.resync?.cancel();
    this.resync = undefined;
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

  /**
   * Reads the directory again now. Concurrent calls coalesce into one more read. Never rejects: timers
   * start reloads that nobody awaits, and a failed read must leave the last state, not end the process.
   */
  reload(): Promise<void> {
    if (this.reloading) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.reloading = this.readAll()
      .catch((err: unknown) =>
        this.options.logger.error(
          { dir: this.options.dir, err: errorMessage(err) },
          'reading the manifests failed; keeping the last state',
        ),
      )
      .finally(() => {
        this.reloading = undefined;
        if (this.reloadAgain && !this.stopped) {
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

  /**
   * Watches the directory unless the watcher is sound: fs.watch follows the directory it was given, so
   * one deleted or renamed and made anew needs a new watcher, as does one whose watcher failed.
   */
  private async keepWatching(): Promise<void> {
    if (!this.watching || this.stopped) return;
    const stat = await fs.stat(this.options.dir).catch(() => undefined);
    if (this.stopped) return;
    if (!stat?.isDirectory()) {
      // Gone for now (the listing reports it); whatever comes back in its place needs a new watcher.
      this.watchFailed = true;
      return;
    }
    // The birth time too: ext4 gives a directory made anew the inode number of the one just deleted.
    const identity = `${stat.dev}:${stat.ino}:${stat.birthtimeMs}`;
    if (this.watcher && !this.watchFailed && identity === this.watchedIdentity) return;
    if (this.watcher)
      this.options.logger.info(
        { dir: this.options.dir },
        'the manifests directory was replaced or its watch failed; watching it again',
      );
    this.startWatching(identity);
  }

  private startWatching(identity: string): void {
    const { dir, logger } = this.options;
    this.closeWatcher();
    try {
      const watcher = watch(dir, { recursive: true }, (_event, changed) => {
        if (mayHoldManifests(changed)) this.scheduleReload();
      });
      watcher.on('error', (err) => this.watchError(watcher, err));
      this.watcher = watcher;
      this.watchedIdentity = identity;
      this.watchFailed = false;
    } catch (err) {
      // E.g. out of inotify watches. The periodic read still applies changes, and tries watching again.
      logger.warn(
        { dir, err: errorMessage(err) },
        'cannot watch the manifests directory; retrying at the next read',
      );
    }
  }

  private watchError(watcher: FSWatcher, err: unknown): void {
    this.options.logger.warn(
      { dir: this.options.dir, err: errorMessage(err) },
      'manifests watch error; watching again at the next read',
    );
    if (watcher === this.watcher) this.watchFailed = true;
  }

  private closeWatcher(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  private scheduleResync(): void {
    if (!this.watching || this.stopped) return;
    this.resync = this.options.clock.setTimeout(() => {
      this.resync = undefined;
      void this.reload().then(() => this.scheduleResync());
    }, this.options.resyncMs ?? 30_000);
  }

  private scheduleReload(): void {
    // A read is already coming; it lists the directory afresh, so it sees this change too.
    if (this.debounce || this.stopped) return;
    this.debounce = this.options.clock.setTimeout(() => {
      this.debounce = undefined;
      void this.reload();
    }, this.options.debounceMs ?? 100);
  }

  private async readAll(): Promise<void> {
    await this.keepWatching();
    const files = await this.listFiles();
    if (!files) return;
    const listed = new Set(files);
    for (const file of [...this.lastGood.keys()]) if (!listed.has(file)) this.lastGood.delete(file);
    const problems: string[] = [];
    const objects: ManifestObject[] = [];
    for (const file of files) objects.push(...(await this.readFile(file, problems)));
    this.apply(objects, problems);
    this.loads++;
    this.options.logger.debug({ files: files.length, problems: problems.length }, 'manifests loaded');
  }

  private listFiles(): Promise<string[] | undefined> {
    const { dir, logger } = this.options;
    return listManifestFiles(dir).catch((err: unknown) => {
      logger.error(
        { dir, err: errorMessage(err) },
        'cannot list the manifests directory; keeping the last state',
      );
      return undefined;
    });
  }

  /** The objects `file` holds now, or its last good ones while it cannot be read or parsed whole. */
  private async readFile(file: string, problems: string[]): Promise<readonly ManifestObject[]> {
    const label = path.relative(process.cwd(), file) || file;
    const read = await readManifestFile(file);
    if (read.kind === 'gone') {
      this.lastGood.delete(file); // removed between listing and reading
      return [];
    }
    if (read.kind === 'error') {
      problems.push(`${label}: cannot read the file (${read.reason}); keeping its last good objects`);
      return this.lastGood.get(file) ?? [];
    }
    const parsed = parseManifestText(label, read.text, this.options.kinds);
    for (const p of parsed.problems) problems.push(`${p.origin}: ${p.message}`);
    if (parsed.broken) return this.lastGood.get(file) ?? [];
    this.lastGood.set(file, parsed.objects);
    return parsed.objects;
  }

  /** Makes the stores hold `objects` and publishes `problems`. */
  private apply(objects: readonly ManifestObject[], problems: string[]): void {
    const byKind = new Map<string, Map<string, KubeObject>>();
    for (const store of this.stores.values()) byKind.set(store.kindId, new Map());
    for (const item of objects) {
      const ofKind = byKind.get(kindId(item.kind));
      const key = resourceKey(item.object);
      if (ofKind?.has(key))
        problems.push(
          `${item.origin}: ${item.kind.kind} ${key} is defined more than once; the last one wins`,
        );
      ofKind?.set(key, item.object);
    }
    for (const problem of problems) this.options.logger.warn({ problem }, 'manifest problem');
    this.problems = problems;
    for (const store of this.stores.values())
      store.replaceAll([...(byKind.get(store.kindId)?.values() ?? [])]);
  }
}
