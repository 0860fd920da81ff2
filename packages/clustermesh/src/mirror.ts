import {
  backoffDelay,
  errorMessage,
  type BackoffOptions,
  type Clock,
  type Logger,
  type TimerHandle,
} from '@ciliary/core';
import type { KvStore, KvWatch, KvWatchEvent } from './kvstore';

export interface MirrorHandlers {
  upsert(key: string, value: string): void;
  delete(key: string): void;
  /** After every complete listing: the mirror now equals the store. */
  listed(): void;
}

export interface PrefixMirrorOptions {
  readonly store: KvStore;
  readonly prefix: string;
  readonly handlers: MirrorHandlers;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly retry: BackoffOptions;
}

/**
 * Keeps a local copy of every key under a prefix: list, then watch from the
 * listing's revision. When the watch cannot continue (compaction), the prefix
 * is listed again and the difference is reported as upserts and deletes, so
 * consumers never miss a change. A failed listing is retried with back-off.
 */
export class PrefixMirror {
  readonly entries = new Map<string, string>();
  private watch: KvWatch | undefined;
  private timer: TimerHandle | undefined;
  private attempts = 0;
  private stopped = true;
  private listings = 0;
  private lastErrorText: string | undefined;

  constructor(private readonly options: PrefixMirrorOptions) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.relist();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.watch?.cancel();
    this.watch = undefined;
  }

  /** How many complete listings have been applied. */
  get listCount(): number {
    return this.listings;
  }

  get lastError(): string | undefined {
    return this.lastErrorText;
  }

  private async relist(): Promise<void> {
    const { store, prefix, handlers, logger } = this.options;
    this.watch?.cancel();
    this.watch = undefined;
    let listing;
    try {
      listing = await store.list(prefix);
    } catch (err) {
      this.lastErrorText = errorMessage(err);
      this.attempts++;
      const delay = backoffDelay(this.options.retry, this.attempts);
      logger.warn({ prefix, err: this.lastErrorText, retryInMs: delay }, 'listing failed, will retry');
      this.schedule(delay);
      return;
    }
    if (this.stopped) return;
    this.attempts = 0;
    this.lastErrorText = undefined;
    const seen = new Set<string>();
    for (const pair of listing.pairs) {
      seen.add(pair.key);
      if (this.entries.get(pair.key) === pair.value) continue;
      this.entries.set(pair.key, pair.value);
      handlers.upsert(pair.key, pair.value);
    }
    for (const key of [...this.entries.keys()]) {
      if (seen.has(key)) continue;
      this.entries.delete(key);
      handlers.delete(key);
    }
    this.listings++;
    handlers.listed();
    this.watch = store.watch(prefix, listing.revision + 1, {
      event: (event) => this.apply(event),
      lost: (reason) => {
        logger.info({ prefix, reason }, 'watch lost, listing again');
        this.schedule(0);
      },
    });
  }

  private apply(event: KvWatchEvent): void {
    if (this.stopped) return;
    if (event.type === 'put') {
      if (this.entries.get(event.key) === event.value) return;
      this.entries.set(event.key, event.value);
      this.options.handlers.upsert(event.key, event.value);
    } else if (this.entries.delete(event.key)) {
      this.options.handlers.delete(event.key);
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer?.cancel();
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      void this.relist();
    }, delayMs);
  }
}
