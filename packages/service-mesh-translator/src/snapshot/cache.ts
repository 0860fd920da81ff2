import type { Snapshot } from './snapshot';

/** What an xDS client says about itself in its first request (envoy.config.core.v3.Node, in part). */
export interface NodeInfo {
  readonly id: string;
  readonly cluster?: string;
  readonly userAgentName?: string;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/**
 * Where the xDS server finds the snapshot for a client. The server sees only
 * this interface, so the storage can be swapped (one snapshot for everybody,
 * per node, per pod for sidecars).
 */
export interface SnapshotCache {
  /** The snapshot this node should see, or undefined when there is none yet. */
  snapshotFor(node: NodeInfo): Snapshot | undefined;
  /** Called after any snapshot changes; returns the way to stop listening. */
  onChange(listener: () => void): () => void;
}

/** Chooses the cache key of a node: a node id, a group such as "proxyless", or a default. */
export type NodeKeyFunction = (node: NodeInfo) => string;

export const DEFAULT_NODE_KEY = '*';

/**
 * Snapshots keyed by a function of the node (by default its id), with a
 * fallback snapshot under `*` for nodes that have none of their own.
 */
export class NodeSnapshotCache implements SnapshotCache {
  private readonly snapshots = new Map<string, Snapshot>();
  private readonly listeners = new Set<() => void>();

  constructor(private readonly nodeKey: NodeKeyFunction = (node) => node.id) {}

  setSnapshot(key: string, snapshot: Snapshot): void {
    if (this.snapshots.get(key) === snapshot) return;
    this.snapshots.set(key, snapshot);
    this.notify();
  }

  /** Sets several snapshots at once and notifies once, so clients see them together. */
  setSnapshots(entries: Iterable<readonly [string, Snapshot]>): void {
    for (const [key, snapshot] of entries) this.snapshots.set(key, snapshot);
    this.notify();
  }

  clearSnapshot(key: string): void {
    if (this.snapshots.delete(key)) this.notify();
  }

  getSnapshot(key: string): Snapshot | undefined {
    return this.snapshots.get(key);
  }

  keys(): string[] {
    return [...this.snapshots.keys()];
  }

  snapshotFor(node: NodeInfo): Snapshot | undefined {
    return this.snapshots.get(this.nodeKey(node)) ?? this.snapshots.get(DEFAULT_NODE_KEY);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/**
 * The default grouping: gRPC libraries (proxyless clients) get the
 * "proxyless" snapshot, with api_listeners per Service port; every other node
 * (Envoy) is looked up by its id and falls back to the default snapshot.
 */
export function proxylessAwareNodeKey(node: NodeInfo): string {
  return /grpc/i.test(node.userAgentName ?? '') ? PROXYLESS_NODE_KEY : node.id;
}

export const PROXYLESS_NODE_KEY = 'proxyless';
