import { backoffDelay, type BackoffOptions } from './backoff';
import type { Clock, TimerHandle } from './clock';
import { errorMessage } from './errors';
import type { Logger } from './logger';

/**
 * The side that a reconciler writes to: a BPF map, an xDS cache, an etcd
 * prefix. It only knows how to write one entry, delete one entry and list
 * what is there; the reconciler decides what to call and when.
 */
export interface ReconcileTarget<K, V> {
  update(key: K, value: V): Promise<void>;
  delete(key: K): Promise<void>;
  /** Everything currently in the target, for the periodic full resync and pruning. */
  list(): Promise<Iterable<readonly [K, V]>>;
}

export interface ReconcilerOptions<K, V> {
  /** Names the reconciler in logs and status. */
  readonly name: string;
  readonly target: ReconcileTarget<K, V>;
  /** A string that identifies a key; equal keys must give equal strings. */
  readonly keyId: (key: K) => string;
  /** Whether the target's value already equals the desired one. Defaults to comparing JSON. */
  readonly valueEquals?: (a: V, b: V) => boolean;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Full resync period; 0 disables periodic resync. */
  readonly resyncIntervalMs: number;
  readonly retry: BackoffOptions;
}

export type EntryState = 'pending' | 'done' | 'error';

interface DesiredEntry<K, V> {
  key: K;
  value: V;
  state: EntryState;
  attempts: number;
  lastError?: string;
  retryAt?: number;
}

interface PendingDelete<K> {
  key: K;
  attempts: number;
  lastError?: string;
  retryAt?: number;
}

export interface ReconcilerStatus {
  readonly name: string;
  readonly desired: number;
  readonly pending: number;
  readonly errors: number;
  readonly pendingDeletes: number;
  readonly lastResyncAt?: number;
  readonly lastError?: string;
  readonly updates: number;
  readonly deletes: number;
  readonly pruned: number;
}

/**
 * Keeps a target equal to a desired set of entries. Features hand it plain data
 * (`setDesired`, `upsert`, `remove`); it writes only the difference, retries
 * failed writes with back-off, and periodically lists the target to repair
 * drift and prune entries nobody wants. Failures never propagate to the caller:
 * they show up in `status()` and in the logs.
 */
export class Reconciler<K, V> {
  private readonly desired = new Map<string, DesiredEntry<K, V>>();
  private readonly deletes = new Map<string, PendingDelete<K>>();
  private readonly equals: (a: V, b: V) => boolean;
  private running = false;
  private rerun = false;
  private resyncRequested = false;
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;
  private resyncTimer: TimerHandle | undefined;
  private stopped = true;
  private lastResyncAt: number | undefined;
  private lastError: string | undefined;
  private counters = { updates: 0, deletes: 0, pruned: 0 };
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: ReconcilerOptions<K, V>) {
    this.equals = options.valueEquals ?? ((a, b) => JSON.stringify(a) === JSON.stringify(b));
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.requestResync();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.resyncTimer?.cancel();
    this.timer = undefined;
    this.resyncTimer = undefined;
    this.timerAt = Infinity;
    this.releaseIdleWaiters();
  }

  /** Replaces the whole desired set: entries not given are deleted from the target. */
  setDesired(entries: Iterable<readonly [K, V]>): void {
    const next = new Map<string, readonly [K, V]>();
    for (const entry of entries) next.set(this.options.keyId(entry[0]), entry);
    for (const [id, entry] of this.desired) {
      if (!next.has(id)) this.markDelete(id, entry.key);
    }
    for (const [id, [key, value]] of next) this.markUpsert(id, key, value);
    this.kick();
  }

  upsert(key: K, value: V): void {
    this.markUpsert(this.options.keyId(key), key, value);
    this.kick();
  }

  remove(key: K): void {
    const id = this.options.keyId(key);
    if (!this.desired.has(id)) return;
    this.markDelete(id, key);
    this.kick();
  }

  /** Asks for a full comparison with the target at the next opportunity. */
  requestResync(): void {
    this.resyncRequested = true;
    this.kick();
  }

  /** Resolves when no work is due now (retries scheduled for later do not count). */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  status(): ReconcilerStatus {
    let pending = 0;
    let errors = 0;
    for (const entry of this.desired.values()) {
      if (entry.state === 'pending') pending++;
      if (entry.state === 'error') errors++;
    }
    return {
      name: this.options.name,
      desired: this.desired.size,
      pending,
      errors,
      pendingDeletes: this.deletes.size,
      ...(this.lastResyncAt !== undefined ? { lastResyncAt: this.lastResyncAt } : {}),
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      ...this.counters,
    };
  }

  /** The state of one desired entry, for per-object status reporting. */
  entryState(key: K): { state: EntryState; lastError?: string } | undefined {
    const entry = this.desired.get(this.options.keyId(key));
    if (!entry) return undefined;
    return entry.lastError !== undefined
      ? { state: entry.state, lastError: entry.lastError }
      : { state: entry.state };
  }

  private markUpsert(id: string, key: K, value: V): void {
    this.deletes.delete(id);
    const current = this.desired.get(id);
    if (current && current.state === 'done' && this.equals(current.value, value)) return;
    this.desired.set(id, { key, value, state: 'pending', attempts: 0 });
  }

  private markDelete(id: string, key: K): void {
    this.desired.delete(id);
    this.deletes.set(id, { key, attempts: 0 });
  }

  private isIdle(): boolean {
    if (this.running || this.resyncRequested) return false;
    const now = this.options.clock.now();
    for (const entry of this.desired.values()) {
      if (entry.state !== 'done' && (entry.retryAt === undefined || entry.retryAt <= now)) return false;
    }
    for (const del of this.deletes.values()) {
      if (del.retryAt === undefined || del.retryAt <= now) return false;
    }
    return true;
  }

  private releaseIdleWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private kick(): void {
    if (this.stopped) return;
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    const at = this.options.clock.now() + delayMs;
    if (this.timer && this.timerAt <= at) return;
    this.timer?.cancel();
    this.timerAt = at;
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      void this.run();
    }, delayMs);
  }

  private async run(): Promise<void> {
    if (this.stopped) return;
    if (this.running) {
      this.rerun = true;
      return;
    }
    this.running = true;
    try {
      if (this.resyncRequested) {
        this.resyncRequested = false;
        await this.resync();
      }
      await this.applyDue();
    } finally {
      this.running = false;
    }
    if (this.rerun) {
      this.rerun = false;
      this.kick();
      return;
    }
    this.scheduleNextRetry();
    if (this.isIdle()) this.releaseIdleWaiters();
  }

  /** Compares the target with the desired set, marking drifted entries pending and pruning unwanted ones. */
  private async resync(): Promise<void> {
    const { clock, logger, keyId, name } = this.options;
    let actual: Iterable<readonly [K, V]>;
    try {
      actual = await this.options.target.list();
    } catch (err) {
      this.lastError = `list: ${errorMessage(err)}`;
      logger.warn({ reconciler: name, err: errorMessage(err) }, 'resync failed to list the target');
      this.resyncRequested = false;
      this.scheduleResync(this.options.retry.initialMs);
      return;
    }
    const seen = new Set<string>();
    for (const [key, value] of actual) {
      const id = keyId(key);
      seen.add(id);
      const want = this.desired.get(id);
      if (!want) {
        if (!this.deletes.has(id)) {
          this.deletes.set(id, { key, attempts: 0 });
          this.counters.pruned++;
        }
      } else if (!this.equals(want.value, value) && want.state === 'done') {
        want.state = 'pending';
        want.attempts = 0;
      }
    }
    for (const [id, want] of this.desired) {
      if (!seen.has(id) && want.state === 'done') {
        want.state = 'pending';
        want.attempts = 0;
      }
    }
    for (const id of this.deletes.keys()) {
      if (!seen.has(id)) this.deletes.delete(id);
    }
    this.lastResyncAt = clock.now();
    this.scheduleResync(this.options.resyncIntervalMs);
  }

  private scheduleResync(delayMs: number): void {
    this.resyncTimer?.cancel();
    this.resyncTimer = undefined;
    if (delayMs <= 0 || this.stopped) return;
    this.resyncTimer = this.options.clock.setTimeout(() => {
      this.resyncTimer = undefined;
      this.requestResync();
    }, delayMs);
  }

  private async applyDue(): Promise<void> {
    const now = this.options.clock.now();
    for (const [id, del] of [...this.deletes]) {
      if (del.retryAt !== undefined && del.retryAt > now) continue;
      try {
        await this.options.target.delete(del.key);
        this.deletes.delete(id);
        this.counters.deletes++;
      } catch (err) {
        del.attempts++;
        del.lastError = errorMessage(err);
        del.retryAt = now + backoffDelay(this.options.retry, del.attempts);
        this.noteFailure('delete', id, err);
      }
    }
    for (const [id, entry] of [...this.desired]) {
      if (entry.state === 'done') continue;
      if (entry.retryAt !== undefined && entry.retryAt > now) continue;
      try {
        await this.options.target.update(entry.key, entry.value);
        // A newer value may have arrived while the write was in flight.
        if (this.desired.get(id) === entry) {
          entry.state = 'done';
          entry.attempts = 0;
          delete entry.lastError;
          delete entry.retryAt;
        }
        this.counters.updates++;
      } catch (err) {
        entry.state = 'error';
        entry.attempts++;
        entry.lastError = errorMessage(err);
        entry.retryAt = now + backoffDelay(this.options.retry, entry.attempts);
        this.noteFailure('update', id, err);
      }
    }
  }

  private noteFailure(op: string, id: string, err: unknown): void {
    this.lastError = `${op} ${id}: ${errorMessage(err)}`;
    this.options.logger.warn(
      { reconciler: this.options.name, op, key: id, err: errorMessage(err) },
      'write failed, will retry',
    );
  }

  private scheduleNextRetry(): void {
    let next = Infinity;
    for (const entry of this.desired.values()) {
      if (entry.state === 'error' && entry.retryAt !== undefined) next = Math.min(next, entry.retryAt);
    }
    for (const del of this.deletes.values()) {
      if (del.retryAt !== undefined) next = Math.min(next, del.retryAt);
    }
    if (next === Infinity) return;
    this.schedule(Math.max(0, next - this.options.clock.now()));
  }
}
