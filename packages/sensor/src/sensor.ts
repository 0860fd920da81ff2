import { mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import {
  CiliaryError,
  errorMessage,
  silentLogger,
  type Clock,
  type KubeObject,
  type Logger,
  type TimerHandle,
} from '@ciliary/core';
import { RingBufferReader, loadBpfObject, type BpfObjectConfig } from '@ciliary/datapath';
import { KernelBackend, type MapHandle } from '@ciliary/ebpf-maps';
import { EventCache, ProcessCache, type GetEventsResponse, type Redactor } from '@ciliary/tetragon-events';
import { KernelTime, systemBootClock, type BootClock } from './kernel/boot-clock';
import type { LoadedObject, ObjectLoader } from './kernel/object-loader';
import { nodeName } from './node-name';
import { execveMapKey, execveMapValue } from './process/execve-map';
import { procFacts, scanProc } from './process/procfs';
import { ProcessTracker, type ContainerResolver } from './process/process-tracker';
import { systemCgroup2Mount } from './pods/cgroup-fs';
import { ContainerCgroups } from './pods/container-cgroups';
import { PodAssociation, type PodAssociationStats } from './pods/pod-association';
import { PodIndex } from './pods/pod-index';
import { MSG_OP, decodeClone, decodeExec, decodeExit, recordOp } from './wire/process-records';

export const DEFAULT_SENSOR_PIN_DIR = '/sys/fs/bpf/ciliary/sensor';

/** Where the compiled objects are: dist/bpf next to the compiled sources (src/ under jest). */
export function defaultObjectDir(): string {
  return path.resolve(__dirname, __dirname.endsWith(`${path.sep}src`) ? '../dist/bpf' : 'bpf');
}

export interface SensorOptions {
  /** bpffs directory of the sensor's shared maps (process table, ring buffer); emptied at start. */
  readonly pinDir?: string;
  /** Directory of process.o and the generic hook objects. */
  readonly objectDir?: string;
  readonly node?: string;
  readonly clock: Clock;
  readonly bootClock?: BootClock;
  readonly logger?: Logger;
  /** Scan /proc at start so running processes have entries (Tetragon's procFS events). Default true. */
  readonly procScan?: boolean;
  readonly procRoot?: string;
  /** The cgroup v2 mount, for the cgroup ids of processes found in /proc. Default: from /proc/self/mounts. */
  readonly cgroupRoot?: string;
  /**
   * Hold events of container processes until their Pod is known (retried every 2 s, 15 times), as
   * Tetragon does with Kubernetes. Set it when Pods are fed with `upsertPod`. Default false.
   */
  readonly awaitPods?: boolean;
  /** Ring buffer bytes (a power of two, a multiple of the page size). Default 8 MiB. */
  readonly ringBufferBytes?: number;
  /** Process cache bound (Tetragon's --process-cache-size). */
  readonly processCacheSize?: number;
  /** Tetragon's --redaction-filters, applied to arguments as processes enter the cache. */
  readonly redactor?: Redactor;
  readonly loader?: ObjectLoader;
  /**
   * How often the ring buffer is read when the kernel has not woken the reader. The programs wake it
   * only once 256 KiB are waiting (a wake-up per record cost exec-heavy workloads ~20 %), so this bounds
   * how long a quiet trickle of events waits. Default 20 ms.
   */
  readonly drainIntervalMs?: number;
}

const DEFAULT_DRAIN_INTERVAL_MS = 20;

export interface SensorStats {
  readonly records: number;
  readonly badRecords: number;
  /** Records the kernel could not put in the ring buffer (it was full), by message op. */
  readonly lost: Readonly<Record<string, number>>;
  readonly lostTotal: number;
  readonly processCache: ReturnType<ProcessCache['stats']>;
  readonly eventCache: ReturnType<EventCache['stats']>;
  readonly pods: PodAssociationStats & { readonly containers: number };
}

/** The sensor could not start: programs refused, maps unusable, tracefs missing. */
export class SensorError extends CiliaryError {
  override readonly name = 'SensorError';
}

export type EventListener = (event: GetEventsResponse) => void;

/** Handles records of other ops (policy hooks). */
export type RecordHandler = (record: Buffer) => void;

const OP_NAMES: Record<number, string> = {
  [MSG_OP.execve]: 'execve',
  [MSG_OP.exit]: 'exit',
  [MSG_OP.clone]: 'clone',
  [MSG_OP.genericKprobe]: 'generic_kprobe',
  [MSG_OP.genericTracepoint]: 'generic_tracepoint',
};

/**
 * Tetragon's base sensor: process exec, clone and exit from BPF, a process
 * cache with Tetragon's exec ids, and a /proc scan at start. Events reach
 * listeners joined with their process and parent.
 */
export class Sensor {
  readonly pinDir: string;
  readonly objectDir: string;
  readonly node: string;
  readonly processCache: ProcessCache;
  readonly kernelTime: KernelTime;
  /** Containers of the Pods fed with `upsertPod`. */
  readonly pods = new PodIndex();
  /** The cgroups container processes were seen in. */
  readonly containerCgroups = new ContainerCgroups();
  private readonly eventCache: EventCache;
  private readonly association: PodAssociation;
  private readonly containerListeners = new Set<() => void>();
  private readonly tracker: ProcessTracker;
  private readonly listeners = new Set<EventListener>();
  private readonly handlers = new Map<number, RecordHandler>();
  private readonly logger: Logger;
  private readonly backend = new KernelBackend();
  private object: LoadedObject | undefined;
  private reader: RingBufferReader | undefined;
  private drainTimer: TimerHandle | undefined;
  private lostMap: MapHandle | undefined;
  private records = 0;
  private badRecords = 0;

  constructor(private readonly options: SensorOptions) {
    this.pinDir = options.pinDir ?? DEFAULT_SENSOR_PIN_DIR;
    this.objectDir = options.objectDir ?? defaultObjectDir();
    this.node = options.node ?? nodeName();
    this.logger = options.logger ?? silentLogger();
    this.kernelTime = new KernelTime(options.bootClock ?? systemBootClock());
    this.processCache = new ProcessCache({
      clock: options.clock,
      ...(options.processCacheSize !== undefined ? { maxEntries: options.processCacheSize } : {}),
    });
    this.association = new PodAssociation({
      clock: options.clock,
      cache: this.processCache,
      index: this.pods,
      awaitPods: options.awaitPods ?? false,
      emit: (event) => this.publish(event),
    });
    this.eventCache = new EventCache({
      clock: options.clock,
      cache: this.processCache,
      emit: (event) => this.association.submit(event),
    });
    const association = this.association;
    const containers: ContainerResolver = {
      podFor: (containerId, process) => association.podFor(containerId, process),
      awaitPod: (execId, nspid) => association.awaitPod(execId, nspid),
      containerCgroup: (containerId, cgroupId) => {
        if (this.containerCgroups.add(containerId, cgroupId)) this.containersChanged();
      },
    };
    this.tracker = new ProcessTracker({
      node: this.node,
      cache: this.processCache,
      events: this.eventCache,
      wallNs: (ns) => this.kernelTime.wallNs(ns),
      containers,
      ...(options.redactor ? { redactor: options.redactor } : {}),
    });
  }

  /** Adds or replaces a Pod (by resource key): its containers' processes get Process.pod. */
  upsertPod(key: string, pod: KubeObject): void {
    this.pods.upsert(key, pod);
    this.association.podsChanged();
    this.containersChanged();
  }

  deletePod(key: string): void {
    for (const container of this.pods.delete(key)) this.containerCgroups.forget(container.containerId);
    this.containersChanged();
  }

  /** The cgroup ids of the containers of the Pods of a namespace, as far as their processes were seen. */
  namespaceCgroupIds(namespace: string): bigint[] {
    const ids = new Set<bigint>();
    for (const container of this.pods.inNamespace(namespace))
      for (const id of this.containerCgroups.of(container.containerId)) ids.add(id);
    return [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Called when Pods change or a container's cgroup is first seen; returns the unsubscribe function. */
  onContainersChanged(listener: () => void): () => void {
    this.containerListeners.add(listener);
    return () => this.containerListeners.delete(listener);
  }

  get started(): boolean {
    return this.object !== undefined;
  }

  /** Receives every event from now on; returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sends events that did not come from BPF records (policy hooks) through the process join. */
  submit(event: GetEventsResponse): void {
    this.eventCache.submit(event);
  }

  /** Routes records of `op` to `handler` (the policy hooks). */
  handle(op: number, handler: RecordHandler): void {
    this.handlers.set(op, handler);
  }

  /** The pin path of a shared map, for hook objects that use the same instance. */
  sharedMapPin(name: 'execve_map' | 'events' | 'lost_events'): string {
    return path.join(this.pinDir, name);
  }

  /** Shared maps every sensor object pins at the same paths, and their sizes. */
  configureShared(config: BpfObjectConfig): void {
    const names = new Set(config.mapNames());
    for (const name of ['execve_map', 'events', 'lost_events'] as const) {
      if (!names.has(name)) continue;
      config.pinMap(name, this.sharedMapPin(name));
    }
    if (names.has('events')) config.setMaxEntries('events', this.options.ringBufferBytes ?? 8 << 20);
  }

  get loader(): ObjectLoader {
    return this.options.loader ?? ((objectPath, configure) => loadBpfObject(objectPath, configure));
  }

  start(): void {
    if (this.object) return;
    rmSync(this.pinDir, { recursive: true, force: true });
    mkdirSync(this.pinDir, { recursive: true });
    try {
      this.object = this.loader(path.join(this.objectDir, 'process.o'), (config) =>
        this.configureShared(config),
      );
      this.object.attachTracepoint('event_execve', 'sched', 'sched_process_exec');
      this.object.attach('event_fork');
      this.object.attach('event_exit');
      this.reader = new RingBufferReader(this.sharedMapPin('events'), (record) => this.onRecord(record));
      this.reader.open();
      this.scheduleDrain();
      this.lostMap = this.backend.openPinned(this.sharedMapPin('lost_events'));
    } catch (err) {
      this.stop();
      throw new SensorError(`the process sensor did not start: ${errorMessage(err)}`, { cause: err });
    }
    if (this.options.procScan !== false) this.scanProc();
    this.processCache.start();
  }

  /** Consumes every record waiting in the ring buffer now (tests and shutdown). */
  drain(): void {
    this.reader?.drain();
  }

  private scheduleDrain(): void {
    this.drainTimer = this.options.clock.setTimeout(() => {
      this.drain();
      if (this.reader) this.scheduleDrain();
    }, this.options.drainIntervalMs ?? DEFAULT_DRAIN_INTERVAL_MS);
  }

  stop(): void {
    this.drainTimer?.cancel();
    this.drainTimer = undefined;
    this.reader?.close();
    this.reader = undefined;
    this.lostMap?.close();
    this.lostMap = undefined;
    this.object?.close();
    this.object = undefined;
    this.processCache.stop();
    this.eventCache.flush();
    this.association.flush();
    rmSync(this.pinDir, { recursive: true, force: true });
  }

  stats(): SensorStats {
    const lost: Record<string, number> = {};
    let lostTotal = 0;
    if (this.lostMap) {
      for (const [op, name] of Object.entries(OP_NAMES)) {
        const value = this.lostMap.lookup(execveMapKey(Number(op)));
        if (!value) continue;
        let sum = 0;
        for (let at = 0; at + 8 <= value.length; at += 8)
          sum += Number(Buffer.from(value).readBigUInt64LE(at));
        if (sum > 0) lost[name] = sum;
        lostTotal += sum;
      }
    }
    return {
      records: this.records,
      badRecords: this.badRecords,
      lost,
      lostTotal,
      processCache: this.processCache.stats(),
      eventCache: this.eventCache.stats(),
      pods: { ...this.association.stats(), containers: this.pods.size },
    };
  }

  private scanProc(): void {
    const cgroupRoot = this.options.cgroupRoot ?? systemCgroup2Mount();
    const facts = procFacts(
      scanProc({
        ...(this.options.procRoot ? { procRoot: this.options.procRoot } : {}),
        ...(cgroupRoot ? { cgroupRoot } : {}),
      }),
    );
    const execveMap = this.backend.openPinned(this.sharedMapPin('execve_map'));
    try {
      for (const f of facts) {
        try {
          // An entry the kernel wrote since attach is newer than /proc's view: keep it.
          execveMap.update(execveMapKey(f.pid), execveMapValue(f), 'noexist');
        } catch {
          continue;
        }
        this.tracker.onProc(f);
      }
    } finally {
      execveMap.close();
    }
  }

  private onRecord(record: Buffer): void {
    this.records++;
    try {
      const op = recordOp(record);
      if (op === MSG_OP.execve) this.tracker.onExec(decodeExec(record));
      else if (op === MSG_OP.clone) this.tracker.onClone(decodeClone(record));
      else if (op === MSG_OP.exit) this.tracker.onExit(decodeExit(record));
      else {
        const handler = this.handlers.get(op);
        if (!handler) throw new Error(`no handler for message op ${op}`);
        handler(record);
      }
    } catch (err) {
      this.badRecords++;
      this.logger.warn({ err: errorMessage(err) }, 'sensor record dropped');
    }
  }

  private containersChanged(): void {
    for (const listener of this.containerListeners) {
      try {
        listener();
      } catch (err) {
        this.logger.warn({ err: errorMessage(err) }, 'sensor container listener failed');
      }
    }
  }

  private publish(event: GetEventsResponse): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.logger.warn({ err: errorMessage(err) }, 'sensor event listener failed');
      }
    }
  }
}
