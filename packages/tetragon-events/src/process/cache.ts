import type { Clock, TimerHandle } from '@ciliary/core';
import type { Process } from '../model/types.generated';
import { parseExecId } from './exec-id';

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
      this.touch(id, existing);
      return;
    }
    this.entries.set(id, { process, refcnt: 0, color: 'inUse', refcntOps: {} });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
      this.evicted++;
    }
  }

  /** The cached process (marks it recently used), with its current refcnt. */
  get(execId: string): Process | undefined {
    const entry = this.entries.get(execId);
    if (!entry) return undefined;
    this.touch(execId, entry);
    return entry.refcnt === (entry.process.refcnt ?? 0)
      ? entry.process
      : { ...entry.process, refcnt: entry.refcnt };
  }

  has(execId: string): boolean {
    return this.entries.has(execId);
  }

  entry(execId: string): CacheEntry | undefined {
    const e = this.entries.get(execId);
    return e ? { ...e, refcntOps: { ...e.refcntOps } } : undefined;
  }

  ref(execId: string, op: RefOp): void {
    const entry = this.entries.get(execId);
    if (!entry) return;
    entry.refcnt++;
    entry.refcntOps[`${op}++`] = (entry.refcntOps[`${op}++`] ?? 0) + 1;
  }

  unref(execId: string, op: RefOp): void {
    const entry = this.entries.get(execId);
    if (!entry) return;
    entry.refcnt = Math.max(0, entry.refcnt - 1);
    entry.refcntOps[`${op}--`] = (entry.refcntOps[`${op}--`] ?? 0) + 1;
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

  /** One GC pass: pending entries become ready, ready entries are removed. */
  gc(): void {
    const next: MutableEntry[] = [];
    for (const entry of this.deleteQueue) {
      if (entry.color === 'deleteReady') {
        const id = entry.process.exec_id ?? '';
        if (this.entries.get(id) === entry) {
          this.entries.delete(id);
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

  private touch(id: string, entry: MutableEntry): void {
    this.entries.delete(id);
    this.entries.set(id, entry);
  }
}
