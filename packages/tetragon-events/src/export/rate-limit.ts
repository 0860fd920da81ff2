import type { Clock } from '@ciliary/core';

/**
 * Tetragon's --export-rate-limit: a token bucket of `perMinute` events that refills evenly over
 * a minute. A negative limit means unlimited; 0 drops every event.
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
    const now = this.clock.now();
    this.tokens = Math.min(this.perMinute, this.tokens + ((now - this.last) * this.perMinute) / 60_000);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    this.droppedSinceReport++;
    return false;
  }

  /** Drops since the last call; the exporter reports them once a minute as RATE_LIMIT_INFO. */
  takeDropped(): number {
    const n = this.droppedSinceReport;
    this.droppedSinceReport = 0;
    return n;
  }
}
