import * as path from 'node:path';
import {
  buildExecEvent,
  buildExitEvent,
  decodeArgs,
  execId,
  timestampFromNanos,
  unknownParentExecId,
  type EventCache,
  type ExecFacts,
  type Process,
  type ProcessCache,
} from '@ciliary/tetragon-events';
import type { CloneRecord, ExecKey, ExecRecord, ExitRecord } from '../wire/process-records';

export const FLAG_PROCFS = 0x4;
export const FLAG_ROOT_CWD = 0x1000;
export const FLAG_CLONE = 0x4000;

export interface ProcessTrackerOptions {
  /** The node name in exec ids and events (HUBBLE_NODE_NAME, NODE_NAME, hostname). */
  readonly node: string;
  readonly cache: ProcessCache;
  /** Where events go: joined with the cache, parked while their process is unknown. */
  readonly events: EventCache;
  /** Wall-clock ns of a boot-time stamp. */
  readonly wallNs: (bootNs: bigint) => bigint;
}

/** What a /proc scan knows about a process that was running before the sensor. */
export interface ProcFacts {
  readonly pid: number;
  readonly ktime: bigint;
  /** The parent's key when the parent was found by the same scan. */
  readonly parent?: ExecKey;
  readonly uid: number;
  readonly auid: number;
  readonly binary: string;
  readonly arguments: string;
  readonly cwd: string;
}

/**
 * Turns process records into Tetragon's process_exec/process_exit events and
 * keeps the process cache as Tetragon does: an exec holds its process and its
 * parent and releases the process it replaces; a clone enters the cache as a
 * copy of its parent (it has no event of its own); an exit releases the
 * process and its parent.
 */
export class ProcessTracker {
  constructor(private readonly options: ProcessTrackerOptions) {}

  execId(key: ExecKey): string {
    return execId(this.options.node, key.ktime, key.pid);
  }

  onExec(record: ExecRecord): void {
    const { arguments: args } = decodeArgs(record.args, 'nocwd');
    const cwd = record.flags & FLAG_ROOT_CWD ? '/' : record.cwd;
    const binary = path.posix.isAbsolute(record.filename)
      ? record.filename
      : path.posix.join(cwd || '/', record.filename);
    const facts: ExecFacts = {
      node: this.options.node,
      pid: record.key.pid,
      tid: record.tid,
      ktime: record.key.ktime,
      startTimeNs: this.options.wallNs(record.key.ktime),
      ...(record.parent.ktime !== 0n ? { parent: record.parent } : {}),
      uid: record.uid,
      auid: record.auid,
      binary,
      arguments: args,
      cwd,
      flags: record.flags,
    };
    this.options.events.submit(buildExecEvent(facts));
    if (record.cleanup.ktime !== 0n) this.release(this.execId(record.cleanup));
  }

  onClone(record: CloneRecord): void {
    const cache = this.options.cache;
    const node = this.options.node;
    const id = this.execId(record.key);
    const parentId = record.parent.ktime !== 0n ? this.execId(record.parent) : unknownParentExecId(node);
    const parent = cache.get(parentId);
    const base: Process = parent ? withoutRefcnt(parent) : {};
    const process: Process = {
      ...base,
      exec_id: id,
      pid: record.key.pid,
      tid: record.tid,
      start_time: timestampFromNanos(this.options.wallNs(record.key.ktime)),
      parent_exec_id: parentId,
      flags: withFlag(base.flags, 'clone'),
    };
    if (cache.has(id)) return;
    cache.add(process);
    cache.ref(id, 'process');
    if (parent) cache.ref(parentId, 'parent');
  }

  onExit(record: ExitRecord): void {
    const id = this.execId(record.key);
    this.options.events.submit(
      buildExitEvent({
        node: this.options.node,
        process: {
          exec_id: id,
          pid: record.key.pid,
          tid: record.tid,
          start_time: timestampFromNanos(this.options.wallNs(record.key.ktime)),
        },
        exitCode: record.code,
        timeNs: this.options.wallNs(record.ktime),
      }),
    );
  }

  /** A process found by the /proc scan at start-up, as Tetragon reports it (flag procFS). */
  onProc(facts: ProcFacts): void {
    const exec = buildExecEvent({
      node: this.options.node,
      pid: facts.pid,
      tid: facts.pid,
      ktime: facts.ktime,
      startTimeNs: this.options.wallNs(facts.ktime),
      ...(facts.parent ? { parent: facts.parent } : {}),
      uid: facts.uid,
      auid: facts.auid,
      binary: facts.binary,
      arguments: facts.arguments,
      cwd: facts.cwd,
      flags: FLAG_PROCFS,
    });
    this.options.events.submit(exec);
  }

  /** The process a new exec replaced: it and its hold on its parent go. */
  private release(id: string): void {
    const cache = this.options.cache;
    const replaced = cache.get(id);
    if (!replaced) return;
    cache.unref(id, 'process');
    if (replaced.parent_exec_id) cache.unref(replaced.parent_exec_id, 'parent');
  }
}

export function withoutRefcnt(process: Process): Process {
  const { refcnt: _refcnt, ...rest } = process;
  return rest;
}

function withFlag(flags: string | undefined, flag: string): string {
  const names = flags ? flags.split(' ') : [];
  return names.includes(flag) ? names.join(' ') : [...names, flag].join(' ');
}
