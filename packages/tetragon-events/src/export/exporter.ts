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
}

export interface ExporterStats {
  readonly exported: number;
  readonly filtered: number;
  readonly rateLimited: number;
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

  constructor(private readonly options: ExporterOptions) {
    this.filter = options.filter ?? EventFilter.all();
    this.limiter = new RateLimiter(options.rateLimitPerMinute ?? -1, options.clock);
    if (!this.limiter.unlimited) this.scheduleReport();
  }

  stats(): ExporterStats {
    return { exported: this.exported, filtered: this.filtered, rateLimited: this.rateLimited };
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

  /** Writes a pending RATE_LIMIT_INFO report now and stops the report timer. */
  close(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.report();
  }

  private scheduleReport(): void {
    this.timer = this.options.clock.setTimeout(() => {
      this.report();
      this.scheduleReport();
    }, REPORT_INTERVAL_MS);
  }

  private report(): void {
    const dropped = this.limiter.takeDropped();
    if (dropped === 0) return;
    const now = this.options.clock.now();
    const event: GetEventsResponse = {
      rate_limit_info: { number_of_dropped_process_events: String(dropped) },
      node_name: this.options.nodeName,
      time: formatTimestamp({ seconds: Math.floor(now / 1000), nanos: (now % 1000) * 1_000_000 }),
    };
    this.options.write(`${this.options.codec.stringifyEvent(event)}\n`);
  }
}
