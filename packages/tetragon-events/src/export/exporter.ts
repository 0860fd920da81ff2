import type { Clock, TimerHandle } from '@ciliary/core';
import type { TetragonCodec } from '../codec';
import { EventFilter } from '../filters/filter';
import type { FieldFilters } from '../filters/field-filter';
import type { Redactor } from '../filters/redaction';
import { formatTimestamp } from '../json/well-known';
import type { GetEventsResponse } from '../model/types.generated';
import { RateLimiter } from './rate-limit';

export interface ExporterOptions {
  readonly codec: TetragonCodec;
  /** Receives each JSON line (newline included), e.g. a RotatingFile's write. */
  readonly write: (line: string) => void;
  readonly clock: Clock;
  readonly nodeName: string;
  /** --export-allowlist / --export-denylist. */
  readonly filter?: EventFilter;
  readonly fieldFilters?: FieldFilters;
  readonly redactor?: Redactor;
  /** Events per minute; negative (the default) is unlimited. */
  readonly rateLimitPerMinute?: number;
  /**
   * Told when a RATE_LIMIT_INFO report cannot be written (from the report timer or close(),
   * where no caller could catch it). Failures are counted in stats() either way; without this
   * they are otherwise ignored. The drops stay pending and are reported again next time.
   */
  readonly onError?: (err: unknown) => void;
}

export interface ExporterStats {
  readonly exported: number;
  readonly filtered: number;
  readonly rateLimited: number;
  /** RATE_LIMIT_INFO reports that could not be written. */
  readonly reportFailures: number;
}

const REPORT_INTERVAL_MS = 60_000;

/**
 * Tetragon's JSON exporter: events pass the allow/deny lists, the redaction and field filters
 * and the rate limit, then are written as protojson lines. Drops caused by the rate limit are
 * reported once a minute as a RATE_LIMIT_INFO event.
 */
export class JsonExporter {
  private readonly filter: EventFilter;
  private readonly limiter: RateLimiter;
  private timer: TimerHandle | undefined;
  private exported = 0;
  private filtered = 0;
  private rateLimited = 0;
  private reportFailures = 0;

  constructor(private readonly options: ExporterOptions) {
    this.filter = options.filter ?? EventFilter.all();
    this.limiter = new RateLimiter(options.rateLimitPerMinute ?? -1, options.clock);
    if (!this.limiter.unlimited) this.scheduleReport();
  }

  stats(): ExporterStats {
    return {
      exported: this.exported,
      filtered: this.filtered,
      rateLimited: this.rateLimited,
      reportFailures: this.reportFailures,
    };
  }

  export(event: GetEventsResponse): boolean {
    // Tetragon redacts when it caches the process, so its lists already see redacted text.
    const redacted = this.options.redactor ? this.options.redactor.apply(event) : event;
    if (!this.filter.matches(redacted)) {
      this.filtered++;
      return false;
    }
    if (!this.limiter.allow()) {
      this.rateLimited++;
      return false;
    }
    const out = this.options.fieldFilters ? this.options.fieldFilters.apply(redacted) : redacted;
    this.options.write(`${this.options.codec.stringifyEvent(out)}\n`);
    this.exported++;
    return true;
  }

  /**
   * Stops the report timer and writes a pending RATE_LIMIT_INFO report. Never throws: callers
   * run their own cleanup after it, and a report that cannot be written goes to onError.
   */
  close(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.tryReport();
  }

  private scheduleReport(): void {
    this.timer = this.options.clock.setTimeout(() => {
      // Runs from a timer, where a throw would end the process: tryReport never throws.
      this.tryReport();
      this.scheduleReport();
    }, REPORT_INTERVAL_MS);
  }

  private tryReport(): void {
    try {
      this.report();
    } catch (err) {
      this.reportFailures++;
      this.tellError(err);
    }
  }

  private tellError(err: unknown): void {
    try {
      this.options.onError?.(err);
    } catch {
      // A failing error handler must not turn a lost report into a dead daemon.
    }
  }

  /** Writes the drops counted so far; if the write fails they stay pending for the next report. */
  private report(): void {
    const dropped = this.limiter.dropped;
    if (dropped === 0) return;
    const now = this.options.clock.now();
    const event: GetEventsResponse = {
      rate_limit_info: { number_of_dropped_process_events: String(dropped) },
      node_name: this.options.nodeName,
      time: formatTimestamp({ seconds: Math.floor(now / 1000), nanos: (now % 1000) * 1_000_000 }),
    };
    this.options.write(`${this.options.codec.stringifyEvent(event)}\n`);
    this.limiter.reported(dropped);
  }
}
