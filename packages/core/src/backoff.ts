export interface BackoffOptions {
  /** First delay in milliseconds. */
  readonly initialMs: number;
  /** Ceiling for the delay. */
  readonly maxMs: number;
  /** Growth factor per attempt; 2 doubles the delay. */
  readonly factor?: number;
}

/** Delay before retry number `attempt` (1-based): initial * factor^(attempt-1), capped. No jitter, so tests are exact. */
export function backoffDelay(options: BackoffOptions, attempt: number): number {
  const factor = options.factor ?? 2;
  const delay = options.initialMs * Math.pow(factor, Math.max(0, attempt - 1));
  return Math.min(options.maxMs, delay);
}
