import type { Clock } from '@ciliary/core';

/**
 * Tetragon's --export-rate-limit: a token bucket of `perMinute` events that refills evenly over
 * a minute. A negative limit means unlimited; 0 drops every event.
 *
 * The Clock is wall-clock time and can be stepped (NTP, an operator): a step back must not
 * drain the bucket, so a negative elapsed time refills nothing and the bucket stays within
 * [0, perMinute]. A step forward at worst refills it to capacity.
 */
export class RateLimiter {
  private tokens: number;
  private last: number;
  private droppedSinceReport = 0;

  constructor(
    private readonly perMinute: number,
    private readonly clock: Clock,
  ) {
    this.tokens = Math.max(0, perMinute);
    this.last = clock.now();
  }

  get unlimited(): boolean {
    return this.perMinute < 0;
  }

  allow(): boolean {
    if (this.perMinute < 0) return true;
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    this.droppedSinceReport++;
    return false;
  }

  /** Drops not yet reported. */
  get dropped(): number {
    return this.droppedSinceReport;
  }

  /** Marks `count` drops as reported; drops counted since they were read stay pending. */
  reported(count: number): void {
    this.droppedSinceReport = Math.max(0, this.droppedSinceReport - count);
  }

  private refill(): void {
    const now = this.clock.now();
    // From the new time on after a step back: the time before it was already refilled.
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    const refilled = this.tokens + (elapsed * this.perMinute) / 60_000;
    this.tokens = Math.min(this.perMinute, Math.max(0, refilled));
  }
}
