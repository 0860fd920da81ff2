import type { Clock, TimerHandle } from '@ciliary/core';
import type { Process } from '../model/types.generated';
import { parseExecId } from './exec-id';

/**
 * A copy of a process with some fields replaced. Copies key by key: V8 makes adding a key to a
 * spread copy very slow, and this runs for every event.
 */
export function withFields(process: Process, fields: Partial<Process>): Process {
  const out: Record<string, unknown> = {};
  for (const key in process) out[key] = process[key as keyof Process];
  for (const key in fields) out[key] = fields[key as keyof Process];
  return out as Process;
}

/** GC states of Tetragon's process cache: an entry at refcnt 0 survives two GC passes. */
export type CacheColor = 'inUse' | 'deletePending' | 'deleteReady';

/** Why a reference count moved, as Tetragon's refcnt_ops names it. */
export type RefOp = 'process' | 'parent' | 'ancestor';

export interface CacheEntry {
  readonly process: Process;
  readonly refcnt: number;
  readonly color: CacheColor;
  /** `process++`, `parent--`... counts, for debugging leaks as Tetragon's dump does. */
  readonly refcntOps: Readonly<Record<string, number>>;
}

interface MutableEntry {
  process: Process;
  refcnt: number;
  color: CacheColor;
  refcntOps: Record<string, number>;
  /** Whether this process holds a reference on its parent (taken once the parent is cached). */
  holdsParent: boolean;
  /** Recency list links: `newer` towards the most recently used entry. */
  newer: MutableEntry | undefined;
  older: MutableEntry | undefined;
}

export interface ProcessCacheOptions {
  readonly clock: Clock;
  /** LRU bound, Tetragon's --process-cache-size (65536). */
  readonly maxEntries?: number;
  /** Tetragon's --process-cache-gc-interval (30 s). */
  readonly gcIntervalMs?: number;
  /** Bound on the ancestor walk, against cycles and very deep trees. */
  readonly maxAncestors?: number;
}

export interface ProcessCacheStats {
  readonly entries: number;
  readonly evicted: number;
  readonly collected: number;
}

/**
 * Processes by exec_id with Tetragon's reference counting: an exec holds its process and its
 * parent (and ancestors), an exit releases them, and entries at refcnt 0 are removed after two
 * GC passes. Memory is bounded: past `maxEntries` the least recently used entry is evicted.
 */
export class ProcessCache {
  private readonly entries = new Map<string, MutableEntry>();
  /** Least and most recently used ends of the recency list (O(1) touch and eviction). */
  private oldest: MutableEntry | undefined;
  private newest: MutableEntry | undefined;
  private deleteQueue: MutableEntry[] = [];
  private timer: TimerHandle | undefined;
  private evicted = 0;
  private collected = 0;
  private readonly maxEntries: number;
  private readonly gcIntervalMs: number;
  private readonly maxAncestors: number;

  constructor(private readonly options: ProcessCacheOptions) {
    this.maxEntries = options.maxEntries ?? 65536;
    this.gcIntervalMs = options.gcIntervalMs ?? 30_000;
    this.maxAncestors = options.maxAncestors ?? 256;
  }

  get size(): number {
    return this.entries.size;
  }

  stats(): ProcessCacheStats {
    return { entries: this.entries.size, evicted: this.evicted, collected: this.collected };
  }

  /** Adds or replaces a process; a new entry starts at refcnt 0 until `ref` is called. */
  add(process: Process): void {
    const id = process.exec_id;
    if (!id) throw new Error('a cached process needs an exec_id');
    const existing = this.entries.get(id);
    if (existing) {
      existing.process = process;
      this.touch(existing);
      return;
    }
    const entry: MutableEntry = {
      process,
      refcnt: 0,
      color: 'inUse',
      refcntOps: {},
      holdsParent: false,
      newer: undefined,
      older: undefined,
    };
    this.entries.set(id, entry);
    this.link(entry);
    while (this.entries.size > this.maxEntries && this.oldest) {
      this.remove(this.oldest);
      this.evicted++;
    }
  }

  /**
   * The cached process as stored (shared: do not modify it; copy with `withFields`), marking it
   * recently used. Its current reference count is `refcnt(execId)`.
   */
  get(execId: string): Process | undefined {
    const entry = this.entries.get(execId);
    if (!entry) return undefined;
    this.touch(entry);
    return entry.process;
  }

  refcnt(execId: string): number {
    return this.entries.get(execId)?.refcnt ?? 0;
  }

  has(execId: string): boolean {
    return this.entries.has(execId);
  }

  entry(execId: string): CacheEntry | undefined {
    const e = this.entries.get(execId);
    return e
      ? { process: e.process, refcnt: e.refcnt, color: e.color, refcntOps: { ...e.refcntOps } }
      : undefined;
  }

  ref(execId: string, op: RefOp): void {
    const entry = this.entries.get(execId);
    if (!entry) return;
    entry.refcnt++;
    entry.refcntOps[`${op}++`] = (entry.refcntOps[`${op}++`] ?? 0) + 1;
  }

  /**
   * Makes a cached process hold its parent, once: true when it holds it now. False while the
   * parent is not cached yet (the caller tries again when it is, as Tetragon's RefCntDone does).
   */
  refParent(execId: string): boolean {
    const entry = this.entries.get(execId);
    if (!entry) return false;
    if (entry.holdsParent) return true;
    const parentId = entry.process.parent_exec_id;
    if (!parentId || !this.entries.has(parentId)) return false;
    this.ref(parentId, 'parent');
    entry.holdsParent = true;
    return true;
  }

  /** Releases the parent a process holds, if it holds it. */
  unrefParent(execId: string): void {
    const entry = this.entries.get(execId);
    if (!entry?.holdsParent) return;
    entry.holdsParent = false;
    if (entry.process.parent_exec_id) this.unref(entry.process.parent_exec_id, 'parent');
  }

  unref(execId: string, op: RefOp): void {
    const entry = this.entries.get(execId);
    if (!entry) return;
    entry.refcntOps[`${op}--`] = (entry.refcntOps[`${op}--`] ?? 0) + 1;
    // A release at 0 is a caller's mistake: it neither wraps (as Tetragon's unsigned count does,
    // keeping the entry for ever) nor puts the entry back in the delete queue.
    if (entry.refcnt === 0) return;
    entry.refcnt--;
    if (entry.refcnt === 0) this.queueDelete(entry);
  }

  /** The ancestors beyond the parent, nearest first, as far as the cache knows them. */
  ancestors(process: Process): Process[] {
    const out: Process[] = [];
    const parent = process.parent_exec_id ? this.entries.get(process.parent_exec_id)?.process : undefined;
    let next = parent?.parent_exec_id;
    const seen = new Set<string>([process.exec_id ?? '', parent?.exec_id ?? '']);
    while (next && !seen.has(next) && out.length < this.maxAncestors) {
      seen.add(next);
      const ancestor = this.entries.get(next)?.process;
      if (!ancestor) break;
      out.push(ancestor);
      // pid 1 (init) and the kernel end the chain.
      if (ancestor.pid === 1 || parseExecId(next)?.pid === 0) break;
      next = ancestor.parent_exec_id;
    }
    return out;
  }

  /**
   * One GC pass: pending entries become ready, ready entries are removed. An entry referenced
   * again since it was queued leaves the queue and is in use again, as in Tetragon.
   */
  gc(): void {
    const next: MutableEntry[] = [];
    for (const entry of this.deleteQueue) {
      if (entry.refcnt !== 0) {
        entry.color = 'inUse';
        continue;
      }
      if (entry.color === 'deleteReady') {
        if (this.entries.get(entry.process.exec_id ?? '') === entry) {
          this.remove(entry);
          this.collected++;
        }
      } else {
        entry.color = 'deleteReady';
        next.push(entry);
      }
    }
    this.deleteQueue = next;
  }

  /** Runs `gc` every interval on the injected clock. */
  start(): void {
    if (this.timer) return;
    const tick = (): void => {
      this.gc();
      this.timer = this.options.clock.setTimeout(tick, this.gcIntervalMs);
    };
    this.timer = this.options.clock.setTimeout(tick, this.gcIntervalMs);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private queueDelete(entry: MutableEntry): void {
    // A duplicate delete only resets the colour, keeping the entry alive one more pass.
    if (entry.color !== 'inUse') {
      entry.color = 'deletePending';
      return;
    }
    entry.color = 'deletePending';
    this.deleteQueue.push(entry);
  }

  private touch(entry: MutableEntry): void {
    if (entry === this.newest) return;
    this.unlink(entry);
    this.link(entry);
  }

  /** Puts an entry at the most recently used end. */
  private link(entry: MutableEntry): void {
    entry.older = this.newest;
    entry.newer = undefined;
    if (this.newest) this.newest.newer = entry;
    this.newest = entry;
    this.oldest ??= entry;
  }

  private unlink(entry: MutableEntry): void {
    if (entry.newer) entry.newer.older = entry.older;
    else this.newest = entry.older;
    if (entry.older) entry.older.newer = entry.newer;
    else this.oldest = entry.newer;
    entry.newer = entry.older = undefined;
  }

  private remove(entry: MutableEntry): void {
    this.entries.delete(entry.process.exec_id ?? '');
    this.unlink(entry);
  }
}
