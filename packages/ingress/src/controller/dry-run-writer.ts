import { apiVersionOf, resourceKey, type KubeObject, type ResourceKind } from '@ciliary/core';
import type { ClusterWriter, LoadBalancerAddress } from './writer';

/**
 * A writer for an operator that has no API server to write to (it reads a
 * manifests directory): it keeps what the controller would have written, so
 * the operator can show it, and never fails.
 */
export class DryRunClusterWriter implements ClusterWriter {
  private readonly stored = new Map<string, KubeObject>();
  private readonly statuses = new Map<string, readonly LoadBalancerAddress[]>();
  private readonly recorded: KubeObject[] = [];

  async apply(object: KubeObject): Promise<void> {
    this.stored.set(`${object.apiVersion}/${object.kind}/${resourceKey(object)}`, structuredClone(object));
  }

  async delete(kind: ResourceKind, namespace: string | undefined, name: string): Promise<void> {
    this.stored.delete(`${apiVersionOf(kind)}/${kind.kind}/${namespace ? `${namespace}/` : ''}${name}`);
  }

  async list(kind: ResourceKind, labelSelector: string): Promise<KubeObject[]> {
    const [key, value] = labelSelector.split('=');
    return this.objects().filter(
      (o) =>
        o.apiVersion === apiVersionOf(kind) &&
        o.kind === kind.kind &&
        o.metadata.labels?.[key ?? ''] === value,
    );
  }

  async setIngressStatus(
    namespace: string,
    name: string,
    addresses: readonly LoadBalancerAddress[],
  ): Promise<void> {
    this.statuses.set(`${namespace}/${name}`, [...addresses]);
  }

  async createEvent(event: KubeObject): Promise<void> {
    this.recorded.push(structuredClone(event));
    if (this.recorded.length > 1000) this.recorded.shift();
  }

  /** What the controller would have created, in a stable order. */
  objects(): KubeObject[] {
    return [...this.stored.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => structuredClone(o));
  }

  /** The latest Events (up to 1000). */
  events(): KubeObject[] {
    return this.recorded.map((e) => structuredClone(e));
  }
}
