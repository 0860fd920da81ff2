import type { Clock, TimerHandle } from '@ciliary/core';

/** Why an item left the queue without being completed. */
export type GiveUpReason = 'exhausted' | 'overflow' | 'flush';

export interface RetryQueueOptions<T> {
  readonly clock: Clock;
  /** The item made whole, or undefined while what it needs is not known yet. */
  readonly complete: (item: T) => T | undefined;
  /** Receives each completed item; `late` when it had to wait. */
  readonly onComplete: (item: T, late: boolean) => void;
  /** Receives each item that stops waiting without being completed. */
  readonly onGiveUp: (item: T, reason: GiveUpReason) => void;
  /** Tetragon retries waiting events every 2 s... */
  readonly retryIntervalMs?: number;
  /** ...up to 15 times. */
  readonly maxRetries?: number;
  /** Bound on waiting items; beyond it the oldest tenth gives up in one go. */
  readonly maxWaiting?: number;
}

export interface RetryQueueStats {
  readonly parked: number;
  readonly resolvedLate: number;
  readonly gaveUp: number;
}

interface Waiting<T> {
  readonly item: T;
  retries: number;
}

/**
 * Tetragon's event cache mechanism: an item that cannot be completed yet waits and is tried again
 * on a timer, then handed on as it is after the last try. The process cache and the pod
 * association both hold events this way; what completing means is theirs.
 */
export class RetryQueue<T> {
  private waiting: Array<Waiting<T>> = [];
  private timer: TimerHandle | undefined;
  private resolvedLate = 0;
  private gaveUp = 0;
  private readonly retryIntervalMs: number;
  private readonly maxRetries: number;
  private readonly maxWaiting: number;

  constructor(private readonly options: RetryQueueOptions<T>) {
    this.retryIntervalMs = options.retryIntervalMs ?? 2000;
    this.maxRetries = options.maxRetries ?? 15;
    this.maxWaiting = options.maxWaiting ?? 10_000;
  }

  stats(): RetryQueueStats {
    return { parked: this.waiting.length, resolvedLate: this.resolvedLate, gaveUp: this.gaveUp };
  }

  /** Completes the item now, or keeps it waiting. */
  submit(item: T): void {
    const completed = this.options.complete(item);
    if (completed !== undefined) {
      this.options.onComplete(completed, false);
      return;
    }
    this.waiting.push({ item, retries: 0 });
    if (this.waiting.length > this.maxWaiting) {
      // The oldest tenth in one go, rather than a shift per item.
      const excess = this.waiting.splice(
        0,
        Math.max(1, this.waiting.length - Math.floor(this.maxWaiting * 0.9)),
      );
      for (const w of excess) this.giveUp(w.item, 'overflow');
    }
    this.schedule();
  }

  /**
   * Tries every waiting item again. The timer's tries count towards the limit; a try because
   * something the items wait for changed (`counted: false`) does not.
   */
  retry(counted: boolean): void {
    // Taken out first: what the callbacks submit meanwhile waits for the next round.
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) {
      const completed = this.options.complete(w.item);
      if (completed !== undefined) {
        this.resolvedLate++;
        this.options.onComplete(completed, true);
      } else if (counted && ++w.retries >= this.maxRetries) this.giveUp(w.item, 'exhausted');
      else this.waiting.push(w);
    }
    this.schedule();
  }

  /** Hands on every waiting item as it is and stops the timer. */
  flush(): void {
    this.timer?.cancel();
    this.timer = undefined;
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) this.giveUp(w.item, 'flush');
  }

  private giveUp(item: T, reason: GiveUpReason): void {
    this.gaveUp++;
    this.options.onGiveUp(item, reason);
  }

  private schedule(): void {
    if (this.timer || this.waiting.length === 0) return;
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      this.retry(true);
    }, this.retryIntervalMs);
  }
}
