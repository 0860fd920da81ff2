import type { Clock } from '@ciliary/core';
import {
  eventFieldOf,
  RetryQueue,
  withFields,
  type GetEventsResponse,
  type Pod,
  type Process,
  type ProcessCache,
  type RetryQueueStats,
} from '@ciliary/tetragon-events';
import { dockerId } from './container-id';
import { podInfo, type ProcessInContainer } from './pod-info';
import type { PodIndex } from './pod-index';

export interface PodAssociationOptions {
  readonly clock: Clock;
  readonly cache: ProcessCache;
  readonly index: PodIndex;
  /** Receives every event, with its pod when it has one. */
  readonly emit: (event: GetEventsResponse) => void;
  /**
   * Hold events of container processes whose Pod is not known yet, as Tetragon
   * does with Kubernetes enabled. Without it (no Pod source, plain containers)
   * events pass at once.
   */
  readonly awaitPods: boolean;
  /** Tetragon's event cache retries every 2 s... */
  readonly retryIntervalMs?: number;
  /** ...up to 15 times. */
  readonly maxRetries?: number;
  /** Bound on held events; beyond it the oldest go out without their pod. */
  readonly maxParked?: number;
}

export type PodAssociationStats = RetryQueueStats;

interface Inner {
  process?: Process;
  parent?: Process;
}

const MAX_REMEMBERED = 10_000;

/**
 * Associates processes with Pods: a process in a container (Process.docker)
 * gets Process.pod from the Pod whose status lists that container. An exec
 * can come before the Pod does (the runtime starts the container, then the
 * kubelet reports it): such events wait and are retried when Pods change and
 * every 2 s, up to 15 times, then go out without a pod, as Tetragon's event
 * cache does. A resolved pod is written into the process cache, so later
 * events of the process and its clones carry it.
 */
export class PodAssociation {
  private readonly waiting: RetryQueue<GetEventsResponse>;
  /** Container pids of processes whose exec came before their Pod, by exec id. */
  private readonly nspids = new Map<string, number>();
  /** Containers that had no Pod after every retry: their events no longer wait. */
  private readonly podless = new Set<string>();

  constructor(private readonly options: PodAssociationOptions) {
    this.waiting = new RetryQueue({
      clock: options.clock,
      complete: (event) => this.complete(event),
      onComplete: (event) => options.emit(event),
      onGiveUp: (event, reason) => this.giveUp(event, reason === 'exhausted'),
      ...(options.retryIntervalMs === undefined ? {} : { retryIntervalMs: options.retryIntervalMs }),
      ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }),
      ...(options.maxParked === undefined ? {} : { maxWaiting: options.maxParked }),
    });
  }

  stats(): PodAssociationStats {
    return this.waiting.stats();
  }

  /** The pod of a process in a container, when the container's Pod is known now. */
  podFor(containerId: string, process: ProcessInContainer): Pod | undefined {
    const container = this.options.index.find(containerId);
    return container ? podInfo(container, process) : undefined;
  }

  /** Keeps what the exec knew for a process whose Pod is not known yet. */
  awaitPod(execId: string, nspid: number): void {
    if (!this.options.awaitPods) return;
    if (this.nspids.size >= MAX_REMEMBERED) this.nspids.clear();
    this.nspids.set(execId, nspid);
  }

  submit(event: GetEventsResponse): void {
    this.waiting.submit(event);
  }

  /** Pods changed: the held events try again now (not counted as a retry). */
  podsChanged(): void {
    this.waiting.retry(false);
  }

  /** Sends every held event as it is. */
  flush(): void {
    this.waiting.flush();
  }

  /** The event with its process's and parent's pods, or undefined while it has to wait. */
  private complete(event: GetEventsResponse): GetEventsResponse | undefined {
    const field = eventFieldOf(event);
    if (field === undefined) return event;
    const inner = event[field] as Inner;
    const { process, parent } = inner;
    if (!needsPod(process) && !needsPod(parent)) return event;
    let resolved: Inner = inner;
    if (needsPod(process)) {
      const pod = this.resolve(process);
      if (pod) resolved = { ...resolved, process: withFields(process, { pod }) };
      else if (this.options.awaitPods && !this.podless.has(dockerId(process.docker))) return undefined;
    }
    if (needsPod(parent)) {
      // the parent's own exec wrote its pod into the cache when it found it
      const pod = this.resolve(parent);
      if (pod) resolved = { ...resolved, parent: withFields(parent, { pod }) };
    }
    return resolved === inner ? event : { ...event, [field]: resolved };
  }

  /** Finds the pod of a process and writes it into the cache for the events that follow. */
  private resolve(process: Process & { docker: string }): Pod | undefined {
    const id = process.exec_id ?? '';
    const cache = this.options.cache;
    const cached = cache.get(id);
    if (cached?.pod) return cached.pod;
    const nspid = this.nspids.get(id);
    const pod = this.podFor(process.docker, {
      ...(process.binary ? { binary: process.binary } : {}),
      ...(process.arguments ? { arguments: process.arguments } : {}),
      ...(nspid !== undefined ? { nspid } : {}),
    });
    if (!pod) return undefined;
    this.nspids.delete(id);
    if (cached && !cached.pod) cache.add(withFields(cached, { pod }));
    return pod;
  }

  /** Sends a held event as it is; after every retry its container counts as one without a Pod. */
  private giveUp(event: GetEventsResponse, exhausted: boolean): void {
    const field = eventFieldOf(event);
    const process = field ? (event[field] as Inner).process : undefined;
    if (process?.exec_id) this.nspids.delete(process.exec_id);
    if (exhausted && process?.docker) {
      if (this.podless.size >= MAX_REMEMBERED) this.podless.clear();
      this.podless.add(dockerId(process.docker));
    }
    this.options.emit(event);
  }
}

function needsPod(process: Process | undefined): process is Process & { docker: string } {
  return process !== undefined && !!process.docker && process.pod === undefined;
}
