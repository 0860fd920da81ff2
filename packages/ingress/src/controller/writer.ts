import type { KubeObject, ResourceKind } from '@ciliary/core';

/** One entry of an Ingress's (or Service's) `status.loadBalancer.ingress`. */
export interface LoadBalancerAddress {
  readonly ip?: string;
  readonly hostname?: string;
}

/**
 * Where the controller writes: the Kubernetes API in the operator
 * (`KubernetesClusterWriter` from `@ciliary/ingress/kubernetes`), anything
 * else in tests. Every method may fail; the controller retries.
 */
export interface ClusterWriter {
  /** Creates the object, or merges the given fields into the existing one (a merge patch). */
  apply(object: KubeObject): Promise<void>;
  /** Deletes an object; one that does not exist counts as deleted. */
  delete(kind: ResourceKind, namespace: string | undefined, name: string): Promise<void>;
  /** The objects of a kind carrying a label (`KEY=VALUE`), in every namespace. */
  list(kind: ResourceKind, labelSelector: string): Promise<KubeObject[]>;
  /** Sets an Ingress's `status.loadBalancer.ingress`; an Ingress that no longer exists is not an error. */
  setIngressStatus(namespace: string, name: string, addresses: readonly LoadBalancerAddress[]): Promise<void>;
  /** Records a Kubernetes Event (core/v1). */
  createEvent(event: KubeObject): Promise<void>;
}

/** `core/v1` Events, which the controller writes but never watches. */
export const EventKind: ResourceKind = Object.freeze({
  group: '',
  version: 'v1',
  kind: 'Event',
  plural: 'events',
  namespaced: true,
});
