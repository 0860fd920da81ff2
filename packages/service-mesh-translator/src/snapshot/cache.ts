import type { Snapshot } from './snapshot';

/** What an xDS client says about itself in its first request (envoy.config.core.v3.Node, in part). */
export interface NodeInfo {
  readonly id: string;
  readonly cluster?: string;
  readonly userAgentName?: string;
  /** `node.metadata` (a google.protobuf.Struct) as plain JSON. */
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

/**
 * Chooses the cache key of a node: a node id, a group such as "proxyless", or
 * a default. A single key falls back to the default snapshot (`*`) when it has
 * none; a list of keys is tried in order, with no fallback beyond it (a sidecar
 * must never be handed the node-wide Envoy's listeners).
 */
export type NodeKeyFunction = (node: NodeInfo) => string | readonly string[];

export const DEFAULT_NODE_KEY = '*';

/**
 * Snapshots keyed by a function of the node (by default its id), with a
 * fallback snapshot under `*` for nodes that have none of their own.
 */
export class NodeSnapshotCache implements SnapshotCache {
  private snapshots = new Map<string, Snapshot>();
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

  /**
   * Makes the given entries the whole content, dropping keys not among them
   * (a deleted pod's sidecar snapshot), and notifies once.
   */
  replaceSnapshots(entries: Iterable<readonly [string, Snapshot]>): void {
    this.snapshots = new Map(entries);
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

  /** The key whose snapshot a node gets, or undefined when none applies. */
  keyFor(node: NodeInfo): string | undefined {
    const wanted = this.nodeKey(node);
    const keys = typeof wanted === 'string' ? [wanted, DEFAULT_NODE_KEY] : wanted;
    return keys.find((key) => this.snapshots.has(key));
  }

  snapshotFor(node: NodeInfo): Snapshot | undefined {
    const key = this.keyFor(node);
    return key === undefined ? undefined : this.snapshots.get(key);
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
 * The grouping without sidecars or consumer routes: gRPC libraries (proxyless
 * clients) get the "proxyless" snapshot, with api_listeners per Service port;
 * every other node (Envoy) is looked up by its id and falls back to the
 * default snapshot. `meshNodeKey` adds sidecars and per-namespace views.
 */
export function proxylessAwareNodeKey(node: NodeInfo): string {
  return isGrpcLibrary(node) ? PROXYLESS_NODE_KEY : node.id;
}

/** gRPC libraries name themselves in `user_agent_name` ("gRPC Node", "gRPC Python", ...). */
export function isGrpcLibrary(node: NodeInfo): boolean {
  return /grpc/i.test(node.userAgentName ?? '');
}

export const PROXYLESS_NODE_KEY = 'proxyless';
