import {
  backoffDelay,
  errorMessage,
  type BackoffOptions,
  type Clock,
  type Logger,
  type TimerHandle,
} from '@ciliary/core';
import type { KvPair, KvStore, KvWrite } from './kvstore';

/** A value the exporter wants in the kvstore, bound to its session lease or not. */
export interface DesiredValue {
  readonly value: string;
  readonly leased: boolean;
}

export interface KvSyncOptions {
  readonly name: string;
  readonly store: KvStore;
  /**
   * What this writer owns: entries ending in `/` are prefixes, others exact
   * keys. Owned keys that are not desired get deleted.
   */
  readonly ownedPrefixes: readonly string[];
  readonly clock: Clock;
  readonly logger: Logger;
  readonly retry: BackoffOptions;
  /** Full comparison with the store every so often; 0 disables it. */
  readonly resyncIntervalMs: number;
  /** Writes per transaction; etcd's default limit is 128 operations. */
  readonly batchSize?: number;
}

export interface KvSyncStatus {
  readonly name: string;
  readonly desired: number;
  /** Keys whose write or delete is still to be done. */
  readonly pending: number;
  readonly writes: number;
  readonly deletes: number;
  readonly failures: number;
  readonly lastError?: string;
  readonly lastResyncAt?: number;
}

// Stands for a key that exists but is not ours (wrong lease), so it never equals a desired value.
const FOREIGN = Symbol('foreign');

/**
 * Keeps the keys under some prefixes equal to a desired set, writing only the
 * difference. It does what core's Reconciler does (diff, back-off retries,
 * periodic resync that repairs drift and prunes), but groups writes into etcd
 * transactions of up to `batchSize` operations: one transaction of 100 puts
 * costs about what one put costs, which makes exporting 10,000 services take
 * a quarter of a second instead of several.
 *
 * A leased key only counts as written when it is bound to the store's current
 * session lease; after the lease is lost everything leased is written again.
 */
export class KvSync {
  private readonly desired = new Map<string, DesiredValue>();
  private readonly actual = new Map<string, string | typeof FOREIGN>();
  private readonly dirty = new Set<string>();
  private readonly batchSize: number;
  private resyncNeeded = true;
  private running = false;
  private rerun = false;
  private stopped = true;
  private timer: TimerHandle | undefined;
  private resyncTimer: TimerHandle | undefined;
  private attempts = 0;
  private idleWaiters: Array<() => void> = [];
  private unsubscribe: (() => void) | undefined;
  private counters = { writes: 0, deletes: 0, failures: 0 };
  private lastError: string | undefined;
  private lastResyncAt: number | undefined;

  constructor(private readonly options: KvSyncOptions) {
    this.batchSize = options.batchSize ?? 100;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.unsubscribe = this.options.store.onSessionLost(() => this.requestResync());
    this.requestResync();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.timer?.cancel();
    this.resyncTimer?.cancel();
    this.timer = undefined;
    this.resyncTimer = undefined;
    this.releaseWaiters();
  }

  /** Replaces the desired set; keys not given are deleted from the store. */
  setDesired(entries: ReadonlyMap<string, DesiredValue>): void {
    for (const key of this.desired.keys()) if (!entries.has(key)) this.dirty.add(key);
    for (const [key, value] of entries) {
      const current = this.desired.get(key);
      if (!current || current.value !== value.value || current.leased !== value.leased) this.dirty.add(key);
    }
    this.desired.clear();
    for (const [key, value] of entries) this.desired.set(key, value);
    this.kick(0);
  }

  /** Sets or changes one desired key, leaving the others alone. */
  upsert(key: string, value: DesiredValue): void {
    const current = this.desired.get(key);
    this.desired.set(key, value);
    if (!current || current.value !== value.value || current.leased !== value.leased) this.dirty.add(key);
    this.kick(0);
  }

  requestResync(): void {
    this.resyncNeeded = true;
    this.kick(0);
  }

  /** Whether the store holds exactly the desired set, as far as this writer knows. */
  isSynced(): boolean {
    return !this.resyncNeeded && !this.running && this.dirty.size === 0;
  }

  /** Resolves when nothing is left to write (or the writer stopped). Failed writes keep it waiting. */
  whenIdle(): Promise<void> {
    if (this.isSynced() || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  status(): KvSyncStatus {
    return {
      name: this.options.name,
      desired: this.desired.size,
      pending: this.dirty.size + (this.resyncNeeded ? 1 : 0),
      ...this.counters,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      ...(this.lastResyncAt !== undefined ? { lastResyncAt: this.lastResyncAt } : {}),
    };
  }

  private kick(delayMs: number): void {
    if (this.stopped) return;
    if (this.running) {
      this.rerun = true;
      return;
    }
    this.timer?.cancel();
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, delayMs);
  }

  private async run(): Promise<void> {
    if (this.stopped || this.running) return;
    this.running = true;
    let failed = false;
    try {
      if (this.resyncNeeded) await this.resync();
      while (!this.stopped && this.dirty.size > 0) await this.flushBatch();
      this.attempts = 0;
    } catch (err) {
      failed = true;
      this.fail(err);
    } finally {
      this.running = false;
    }
    if (this.stopped) return this.releaseWaiters();
    if (failed) {
      this.rerun = false;
      this.kick(backoffDelay(this.options.retry, this.attempts));
      return;
    }
    if (this.rerun) {
      this.rerun = false;
      this.kick(0);
      return;
    }
    if (this.isSynced()) this.releaseWaiters();
  }

  private fail(err: unknown): void {
    this.attempts++;
    this.counters.failures++;
    this.lastError = errorMessage(err);
    this.options.logger.warn(
      {
        sync: this.options.name,
        err: this.lastError,
        retryInMs: backoffDelay(this.options.retry, this.attempts),
      },
      'kvstore write failed, will retry',
    );
  }

  /** Lists every owned prefix and marks whatever differs from the desired set. */
  private async resync(): Promise<void> {
    const { store, ownedPrefixes, clock } = this.options;
    const listings = await Promise.all(ownedPrefixes.map((prefix) => store.list(prefix)));
    const session = store.sessionLease();
    this.resyncNeeded = false;
    this.actual.clear();
    for (const listing of listings)
      for (const pair of listing.pairs)
        if (this.owns(pair.key)) this.actual.set(pair.key, this.ownedValue(pair, session));
    this.dirty.clear();
    for (const [key, value] of this.actual) if (this.desired.get(key)?.value !== value) this.dirty.add(key);
    for (const [key, want] of this.desired) if (this.actual.get(key) !== want.value) this.dirty.add(key);
    this.lastResyncAt = clock.now();
    this.scheduleResync();
  }

  private owns(key: string): boolean {
    return this.options.ownedPrefixes.some((owned) =>
      owned.endsWith('/') ? key.startsWith(owned) : key === owned,
    );
  }

  private ownedValue(pair: KvPair, session: string | undefined): string | typeof FOREIGN {
    const want = this.desired.get(pair.key);
    if (want?.leased) return session !== undefined && pair.lease === session ? pair.value : FOREIGN;
    return pair.value;
  }

  private scheduleResync(): void {
    this.resyncTimer?.cancel();
    this.resyncTimer = undefined;
    if (this.options.resyncIntervalMs <= 0 || this.stopped) return;
    this.resyncTimer = this.options.clock.setTimeout(() => {
      this.resyncTimer = undefined;
      this.requestResync();
    }, this.options.resyncIntervalMs);
  }

  private async flushBatch(): Promise<void> {
    const batch: KvWrite[] = [];
    for (const key of this.dirty) {
      const want = this.desired.get(key);
      if (want) batch.push({ key, value: want.value, leased: want.leased });
      else if (this.actual.has(key)) batch.push({ key });
      else this.dirty.delete(key); // deleted before it was ever written
      if (batch.length >= this.batchSize) break;
    }
    if (batch.length === 0) return;
    await this.options.store.write(batch);
    for (const write of batch) {
      // A newer desired value may have arrived while the write was in flight: leave it dirty.
      if (write.value === undefined) {
        this.actual.delete(write.key);
        this.counters.deletes++;
        if (!this.desired.has(write.key)) this.dirty.delete(write.key);
      } else {
        this.actual.set(write.key, write.value);
        this.counters.writes++;
        if (this.desired.get(write.key)?.value === write.value) this.dirty.delete(write.key);
      }
    }
  }

  private releaseWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
