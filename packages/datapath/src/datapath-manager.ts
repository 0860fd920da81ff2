import * as path from 'node:path';
import { errorMessage, Reconciler, type Clock, type Logger, type ReconcilerStatus } from '@ciliary/core';
import {
  decodeNotification,
  ipcacheKeyFor,
  ipcacheMap,
  policyMapV2,
  reconcileBinding,
  TypedMap,
  type IpcacheKey,
  type MapBackend,
  type PolicyEntryV2,
  type PolicyKeyV2,
  type RemoteEndpointInfo,
} from '@ciliary/ebpf-maps';
import { EndpointNetworkManager, netnsName } from './endpoint-network';
import { EndpointRegistry, type EndpointRecord } from './endpoint-registry';
import { EndpointLoader, policyMapPath, type DatapathSpec } from './loader';
import { toMonitorEvent, type MonitorEvent } from './monitor';
import { policyMapEntries, type PolicyRule } from './policy-map-entries';
import { RingBufferReader } from './ring-buffer-reader';
import { attachTc } from './tc';

/** A pod the node must serve, with the identity and policy it must enforce. */
export interface DesiredEndpoint {
  readonly namespace: string;
  readonly pod: string;
  readonly ipv4: string;
  readonly identity: number;
  readonly policy: readonly PolicyRule[];
}

/** Everything the datapath must hold, as plain data computed without I/O. */
export interface DesiredDatapath {
  readonly endpoints: readonly DesiredEndpoint[];
  readonly ipcache: ReadonlyArray<{
    readonly cidr: string;
    readonly identity: number;
    readonly tunnelEndpoint?: string;
  }>;
}

export interface EndpointStatus extends EndpointRecord {
  readonly netns: string;
  readonly state: string;
  readonly lastError?: string;
  readonly policyEntries: number;
}

export interface DatapathManagerOptions {
  readonly spec: DatapathSpec;
  readonly backend: MapBackend;
  readonly stateDir: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly network?: EndpointNetworkManager;
  readonly resyncIntervalMs?: number;
  readonly monitorAggregation?: boolean;
}

type EndpointValue = Omit<DesiredEndpoint, 'policy'>;

const RETRY = { initialMs: 200, maxMs: 10_000 };

/**
 * Keeps the kernel equal to the desired datapath: pod networks and their
 * programs, each endpoint's policy map and the ipcache, each through a
 * Reconciler that writes only differences and repairs drift. Failures stay
 * inside: they show in `endpoints()` and `status()`, never as exceptions to
 * the caller.
 */
export class DatapathManager {
  private readonly network: EndpointNetworkManager;
  private readonly loader: EndpointLoader;
  private readonly endpointReconciler: Reconciler<string, EndpointValue>;
  private readonly ipcacheReconciler: Reconciler<IpcacheKey, RemoteEndpointInfo>;
  private readonly ipcache: TypedMap<IpcacheKey, RemoteEndpointInfo>;
  private readonly policies = new Map<
    number,
    { map: TypedMap<PolicyKeyV2, PolicyEntryV2>; reconciler: Reconciler<PolicyKeyV2, PolicyEntryV2> }
  >();
  private readonly desiredPolicy = new Map<string, readonly PolicyRule[]>();
  private readonly listeners = new Set<(event: MonitorEvent) => void>();
  private reader: RingBufferReader | undefined;
  private reconciling = false;

  private constructor(
    private readonly options: DatapathManagerOptions,
    private readonly registry: EndpointRegistry,
  ) {
    this.network = options.network ?? new EndpointNetworkManager();
    this.loader = new EndpointLoader(options.spec);
    const sizes = options.spec.mapSizes ?? {};
    this.ipcache = TypedMap.open(options.backend, ipcacheMap(maxEntries(sizes['cilium_ipcache'])), {
      pinRoot: options.spec.pinRoot,
    });
    const ipcacheBinding = reconcileBinding(this.ipcache);
    this.ipcacheReconciler = this.reconciler(
      'ipcache',
      ipcacheBinding.target,
      ipcacheBinding.keyId,
      ipcacheBinding.valueEquals,
    );
    this.endpointReconciler = this.reconciler(
      'endpoints',
      {
        update: (key, value) => this.upsertEndpoint(key, value),
        delete: (key) => this.removeEndpoint(key),
        list: async () => this.existingEndpoints(),
      },
      (key) => key,
      (a, b) => a.ipv4 === b.ipv4 && a.identity === b.identity,
    );
  }

  static async create(options: DatapathManagerOptions): Promise<DatapathManager> {
    return new DatapathManager(options, await EndpointRegistry.load(options.stateDir));
  }

  /**
   * Prepares the node (router device, forwarding). Reconciling starts with the
   * first `apply`: before the desired state is known, every endpoint the kernel
   * holds would look unwanted, and pruning them would cut live connections of
   * a restarted agent.
   */
  async start(): Promise<void> {
    await this.network.ensureRouter();
  }

  /** Hands the manager a new desired state; it applies the difference in the background. */
  apply(desired: DesiredDatapath): void {
    this.ipcacheReconciler.setDesired(
      desired.ipcache.map((e) => [
        ipcacheKeyFor(e.cidr),
        { sec_label: e.identity, tunnel_endpoint: e.tunnelEndpoint ?? '0.0.0.0', key: 0 },
      ]),
    );
    this.desiredPolicy.clear();
    const endpoints: Array<[string, EndpointValue]> = [];
    for (const { policy, ...endpoint } of desired.endpoints) {
      const key = `${endpoint.namespace}/${endpoint.pod}`;
      this.desiredPolicy.set(key, policy);
      endpoints.push([key, endpoint]);
      const record = this.registry.get(key);
      if (record) this.policies.get(record.endpointId)?.reconciler.setDesired(policyMapEntries(policy));
    }
    this.endpointReconciler.setDesired(endpoints);
    if (!this.reconciling) {
      this.reconciling = true;
      this.ipcacheReconciler.start();
      this.endpointReconciler.start();
    }
  }

  /** Resolves when nothing is due in any reconciler. */
  async whenIdle(): Promise<void> {
    await this.endpointReconciler.whenIdle();
    await this.ipcacheReconciler.whenIdle();
    await Promise.all([...this.policies.values()].map((p) => p.reconciler.whenIdle()));
  }

  endpoints(): EndpointStatus[] {
    return this.registry.all().map((record) => {
      const state = this.endpointReconciler.entryState(record.key);
      const policy = this.policies.get(record.endpointId)?.reconciler.status();
      return {
        ...record,
        netns: netnsName(record),
        state: state?.state === 'done' ? 'ready' : (state?.state ?? 'removing'),
        ...(state?.lastError ? { lastError: state.lastError } : {}),
        policyEntries: policy?.desired ?? 0,
      };
    });
  }

  status(): ReconcilerStatus[] {
    return [
      this.endpointReconciler.status(),
      this.ipcacheReconciler.status(),
      ...[...this.policies.values()].map((p) => p.reconciler.status()),
    ];
  }

  /** Streams decoded notifications from the ring buffer; the reader opens with the first listener. */
  onEvent(listener: (event: MonitorEvent) => void): () => void {
    this.listeners.add(listener);
    if (!this.reader) {
      this.reader = new RingBufferReader(path.join(this.options.spec.pinRoot, 'ciliary_events'), (record) =>
        this.dispatch(record),
      );
      this.reader.open();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) {
        this.reader?.close();
        this.reader = undefined;
      }
    };
  }

  /**
   * Stops reconciling. Programs stay attached and maps pinned, so traffic keeps
   * flowing under the last policy until the next agent adopts them; with
   * `cleanup` everything this manager made is removed instead.
   */
  async stop(options: { cleanup?: boolean } = {}): Promise<void> {
    this.reader?.close();
    this.reader = undefined;
    this.endpointReconciler.stop();
    this.ipcacheReconciler.stop();
    for (const { reconciler, map } of this.policies.values()) {
      reconciler.stop();
      map.close();
    }
    this.policies.clear();
    if (options.cleanup) {
      for (const record of this.registry.all()) await this.removeEndpoint(record.key);
      await this.network.removeRouter();
      for (const name of [
        'cilium_ipcache',
        'cilium_ct4_global',
        'cilium_ct_any4_global',
        'cilium_metrics',
        'ciliary_events',
      ]) {
        const pin = path.join(this.options.spec.pinRoot, name);
        if (this.options.backend.isPinned(pin)) this.options.backend.unpin(pin);
      }
    }
    this.ipcache.close();
  }

  private dispatch(record: Buffer): void {
    try {
      const event = toMonitorEvent(decodeNotification(record));
      if (event) for (const listener of this.listeners) listener(event);
    } catch (err) {
      this.options.logger.warn({ err: errorMessage(err), bytes: record.length }, 'undecodable notification');
    }
  }

  private reconciler<K, V>(
    name: string,
    target: {
      update(k: K, v: V): Promise<void>;
      delete(k: K): Promise<void>;
      list(): Promise<Iterable<readonly [K, V]>>;
    },
    keyId: (k: K) => string,
    valueEquals: (a: V, b: V) => boolean,
  ): Reconciler<K, V> {
    return new Reconciler<K, V>({
      name,
      target,
      keyId,
      valueEquals,
      clock: this.options.clock,
      logger: this.options.logger,
      resyncIntervalMs: this.options.resyncIntervalMs ?? 60_000,
      retry: RETRY,
    });
  }

  private policyFor(endpointId: number): Reconciler<PolicyKeyV2, PolicyEntryV2> {
    const existing = this.policies.get(endpointId);
    if (existing) return existing.reconciler;
    const map = TypedMap.open(this.options.backend, policyMapV2(endpointId), {
      pinRoot: this.options.spec.pinRoot,
    });
    const binding = reconcileBinding(map);
    const reconciler = this.reconciler(
      `policy ${endpointId}`,
      binding.target,
      binding.keyId,
      binding.valueEquals,
    );
    reconciler.start();
    this.policies.set(endpointId, { map, reconciler });
    return reconciler;
  }

  private async upsertEndpoint(key: string, value: EndpointValue): Promise<void> {
    const net = await this.network.ensurePod(value);
    const endpointId = this.registry.idFor(key);
    // Policy first, so a new endpoint never runs without its policy.
    const policy = this.policyFor(endpointId);
    policy.setDesired(policyMapEntries(this.desiredPolicy.get(key) ?? []));
    await policy.whenIdle();
    const progs = this.loader.load({
      endpointId,
      identity: value.identity,
      ipv4: value.ipv4,
      ifindex: net.ifindex,
      mac: net.mac,
      nodeMac: net.mac,
      monitorAggregation: this.options.monitorAggregation ?? true,
    });
    try {
      attachTc(net.ifindex, 'ingress', progs.fromContainerFd);
      attachTc(net.ifindex, 'egress', progs.toContainerFd);
    } finally {
      progs.close();
    }
    await this.registry.put({
      key,
      endpointId,
      namespace: value.namespace,
      pod: value.pod,
      ipv4: value.ipv4,
      identity: value.identity,
    });
    this.options.logger.info(
      { endpoint: endpointId, pod: key, ipv4: value.ipv4, identity: value.identity },
      'endpoint ready',
    );
  }

  private async removeEndpoint(key: string): Promise<void> {
    const record = this.registry.get(key);
    if (!record) return;
    // Deleting the namespace removes the veth and with it the tc filters.
    await this.network.removePod(record);
    const policy = this.policies.get(record.endpointId);
    policy?.reconciler.stop();
    policy?.map.close();
    this.policies.delete(record.endpointId);
    const pin = policyMapPath(this.options.spec.pinRoot, record.endpointId);
    if (this.options.backend.isPinned(pin)) this.options.backend.unpin(pin);
    await this.registry.remove(key);
    this.options.logger.info({ endpoint: record.endpointId, pod: key }, 'endpoint removed');
  }

  /** Endpoints recorded in the registry whose namespace still exists; the rest get recreated. */
  private async existingEndpoints(): Promise<Array<[string, EndpointValue]>> {
    const namespaces = new Set(await this.network.listPodNamespaces());
    return this.registry
      .all()
      .filter((r) => namespaces.has(netnsName(r)))
      .map((r) => [r.key, { namespace: r.namespace, pod: r.pod, ipv4: r.ipv4, identity: r.identity }]);
  }
}

function maxEntries(value: number | undefined): { maxEntries?: number } {
  return value === undefined ? {} : { maxEntries: value };
}
