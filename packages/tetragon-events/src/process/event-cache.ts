import type { Clock } from '@ciliary/core';
import { eventFieldOf } from '../model/event';
import type { GetEventsResponse, Process } from '../model/types.generated';
import { withFields, type ProcessCache } from './cache';
import { parseExecId } from './exec-id';
import { RetryQueue, type RetryQueueStats } from './retry-queue';

export interface EventCacheOptions {
  readonly clock: Clock;
  readonly cache: ProcessCache;
  /** Receives every event, resolved or (after the last retry) as it came. */
  readonly emit: (event: GetEventsResponse) => void;
  /** Tetragon retries parked events every 2 s... */
  readonly retryIntervalMs?: number;
  /** ...up to 15 times. */
  readonly maxRetries?: number;
  /** Bound on parked events; beyond it the oldest tenth is emitted unresolved. */
  readonly maxParked?: number;
  /** Fill `ancestors` (Tetragon's --enable-ancestors). */
  readonly ancestors?: boolean;
}

export type EventCacheStats = RetryQueueStats;

interface Inner {
  process?: Process;
  parent?: Process;
  ancestors?: Process[];
}

/**
 * Joins raw sensor events with the process cache. An exec adds its process (holding it and its
 * parent); other events get their process, parent and ancestors from the cache; an exit releases
 * what its exec held. Events whose process or parent is not known yet wait and are retried, as
 * Tetragon's event cache does, then are emitted with what is known.
 */
export class EventCache {
  private readonly waiting: RetryQueue<GetEventsResponse>;
  /** Parked execs whose parent was not cached yet: they take the parent's reference once it is. */
  private readonly parentRefPending = new Set<string>();

  constructor(private readonly options: EventCacheOptions) {
    this.waiting = new RetryQueue({
      clock: options.clock,
      complete: (event) => this.resolve(event),
      onComplete: (event) => this.deliver(event),
      // After the last try, whatever is known goes out: the process without its parent, say.
      onGiveUp: (event) => this.deliver(this.resolve(event, false) ?? event),
      ...(options.retryIntervalMs === undefined ? {} : { retryIntervalMs: options.retryIntervalMs }),
      ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }),
      ...(options.maxParked === undefined ? {} : { maxWaiting: options.maxParked }),
    });
  }

  stats(): EventCacheStats {
    return this.waiting.stats();
  }

  submit(event: GetEventsResponse): void {
    if (event.process_exec?.process?.exec_id) this.addExec(event.process_exec.process);
    this.waiting.submit(event);
  }

  /** Emits every parked event as it is and stops retrying. */
  flush(): void {
    this.waiting.flush();
  }

  private addExec(process: Process): void {
    const cache = this.options.cache;
    const id = process.exec_id!;
    const known = cache.has(id);
    cache.add(process);
    if (known) return;
    cache.ref(id, 'process');
    if (process.parent_exec_id && !cache.refParent(id)) this.parentRefPending.add(id);
    if (this.options.ancestors) for (const a of cache.ancestors(process)) cache.ref(a.exec_id!, 'ancestor');
  }

  /** The event with its process, parent and ancestors; undefined while what it needs is unknown. */
  private resolve(event: GetEventsResponse, needParent = true): GetEventsResponse | undefined {
    const field = eventFieldOf(event);
    if (field === undefined) return event;
    const inner = event[field] as Inner;
    const id = inner.process?.exec_id;
    if (!id) return event; // throttle, rate-limit and test events carry no process
    const cache = this.options.cache;
    const cached = cache.get(id);
    if (!cached) return undefined;
    const parentId = cached.parent_exec_id;
    const parent = parentId ? cache.get(parentId) : undefined;
    // Every event waits for the parent too (unless it is the kernel), as Tetragon's do: an exit
    // must not overtake the exec it follows.
    if (needParent && parentId && !parent && parseExecId(parentId)?.pid !== 0) return undefined;
    // The event's own thread id wins over the cached one; refcnt is the cache's count now.
    const tid = inner.process!.tid;
    const process = withFields(
      cached,
      tid === undefined ? { refcnt: cache.refcnt(id) } : { refcnt: cache.refcnt(id), tid },
    );
    const resolved: Inner = { ...inner, process };
    if (parent) resolved.parent = withFields(parent, { refcnt: cache.refcnt(parentId!) });
    if (this.options.ancestors) {
      const ancestors = cache.ancestors(cached);
      if (ancestors.length > 0) resolved.ancestors = ancestors;
    }
    return { ...event, [field]: resolved };
  }

  private deliver(event: GetEventsResponse): void {
    const cache = this.options.cache;
    const exec = event.process_exec?.process?.exec_id;
    // Resolved: the parent is cached now. Given up: there is no parent to hold.
    if (exec && this.parentRefPending.delete(exec)) cache.refParent(exec);
    this.options.emit(event);
    const exit = event.process_exit?.process;
    if (!exit?.exec_id) return;
    const cached = cache.get(exit.exec_id);
    this.parentRefPending.delete(exit.exec_id);
    cache.unrefParent(exit.exec_id);
    cache.unref(exit.exec_id, 'process');
    if (this.options.ancestors && cached)
      for (const a of cache.ancestors(cached)) cache.unref(a.exec_id!, 'ancestor');
  }
}
