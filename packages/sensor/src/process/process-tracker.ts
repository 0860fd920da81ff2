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
  type Pod,
  type Process,
  type ProcessCache,
  type Redactor,
} from '@ciliary/tetragon-events';
import { containerIdFromCgroupName, dockerId } from '../pods/container-id';
import type { ProcessInContainer } from '../pods/pod-info';
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
  /** Pods of container processes; without it processes get their docker id only. */
  readonly containers?: ContainerResolver;
  /**
   * Tetragon's --redaction-filters: arguments are redacted as a process enters the cache, so every
   * event of the process, its children's parent fields, the export and the gRPC API carry the result.
   */
  readonly redactor?: Redactor;
}

/** What the tracker asks about the containers processes run in. */
export interface ContainerResolver {
  /** The pod of a process of this container, when its Pod is known now. */
  podFor(containerId: string, process: ProcessInContainer): Pod | undefined;
  /** The exec of a container process whose Pod is not known yet: keep its container pid. */
  awaitPod(execId: string, nspid: number): void;
  /** A process of this container runs in this cgroup (v2 id). */
  containerCgroup(containerId: string, cgroupId: bigint): void;
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
  readonly nspid?: number;
  readonly containerId?: string;
  readonly cgroupId?: bigint;
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
    const cwd = record.flags & FLAG_ROOT_CWD ? '/' : record.cwd;
    const binary = path.posix.isAbsolute(record.filename)
      ? record.filename
      : path.posix.join(cwd || '/', record.filename);
    const args = this.redact(binary, decodeArgs(record.args, 'nocwd').arguments);
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
      ...this.container(record.key, containerIdFromCgroupName(record.cgroupName), record.cgroupId, {
        binary,
        arguments: args,
        nspid: record.nspid,
      }),
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
  onProc(found: ProcFacts): void {
    const facts = { ...found, arguments: this.redact(found.binary, found.arguments) };
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
      ...this.container(facts, facts.containerId, facts.cgroupId, {
        binary: facts.binary,
        arguments: facts.arguments,
        ...(facts.nspid !== undefined ? { nspid: facts.nspid } : {}),
      }),
    });
    this.options.events.submit(exec);
  }

  private redact(binary: string, args: string): string {
    const { redactor } = this.options;
    return redactor ? (redactor.redactProcess({ binary, arguments: args }).arguments ?? '') : args;
  }

  /** Process.docker and, when its Pod is known, Process.pod of a process in a container. */
  private container(
    key: ExecKey,
    containerId: string | undefined,
    cgroupId: bigint | undefined,
    process: ProcessInContainer,
  ): { docker?: string; pod?: Pod } {
    if (!containerId) return {};
    const resolver = this.options.containers;
    if (!resolver) return { docker: dockerId(containerId) };
    if (cgroupId) resolver.containerCgroup(containerId, cgroupId);
    const pod = resolver.podFor(containerId, process);
    if (!pod && process.nspid !== undefined) resolver.awaitPod(this.execId(key), process.nspid);
    return pod ? { docker: dockerId(containerId), pod } : { docker: dockerId(containerId) };
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
