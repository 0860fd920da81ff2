import type { KubeObject } from './kube-object';
import type { ResourceKind } from './resource-kind';

/**
 * What a resource source tells its subscribers. Upserts and deletes carry the
 * whole object; `synced` arrives once, after the initial listing, so consumers
 * know when their view is complete and pruning is safe.
 */
export type ResourceEvent<T extends KubeObject = KubeObject> =
  | { readonly type: 'upsert'; readonly key: string; readonly object: T }
  | { readonly type: 'delete'; readonly key: string; readonly object: T }
  | { readonly type: 'synced' };

export type ResourceHandler<T extends KubeObject = KubeObject> = (event: ResourceEvent<T>) => void;

export type Unsubscribe = () => void;

export interface KindStatus {
  readonly kind: string;
  readonly objects: number;
  readonly synced: boolean;
}

export interface ResourceSourceStatus {
  readonly type: 'local' | 'kubernetes';
  /** The manifests directory or the API server address. */
  readonly origin: string;
  readonly synced: boolean;
  readonly kinds: readonly KindStatus[];
  /** Problems with the input that were skipped (bad documents), newest state only. */
  readonly problems: readonly string[];
}

/**
 * Where the agent and operator learn the cluster's state. Two implementations
 * exist: a Kubernetes API server (list and watch) and a local manifests
 * directory. Consumers only see typed event streams and cannot tell which runs.
 */
export interface ResourceSource {
  /**
   * Subscribes to one kind. The handler first receives an upsert for every
   * object already known, then `synced` (immediately if the kind is synced),
   * then live changes.
   */
  subscribe<T extends KubeObject = KubeObject>(kind: ResourceKind, handler: ResourceHandler<T>): Unsubscribe;
  /** The objects of a kind known right now. */
  list<T extends KubeObject = KubeObject>(kind: ResourceKind): T[];
  /** Starts listing and watching; resolves once every kind has synced. */
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): ResourceSourceStatus;
}

/** The key a source uses for an object: `NAMESPACE/NAME` or `NAME`. */
export function resourceKey(obj: KubeObject): string {
  const { namespace, name } = obj.metadata;
  return namespace ? `${namespace}/${name ?? ''}` : (name ?? '');
}
