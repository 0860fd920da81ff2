import type { Clock, TimerHandle } from './clock';

/**
 * Coalesces requests into one run, `delayMs` after the first of them, on the injected clock: a
 * burst of watch events leads to one recomputation. After `stop` requests are ignored.
 */
export class Debounced {
  private timer: TimerHandle | undefined;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly delayMs: number,
    private readonly run: () => void,
  ) {}

  /** Runs later, unless a run is already due. */
  request(): void {
    if (this.stopped || this.timer) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.run();
    }, this.delayMs);
  }

  /** Cancels a due run for good. */
  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }
}
