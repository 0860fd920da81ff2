import { dockerId } from './container-id';

/**
 * The cgroup v2 ids container processes were seen in, by container (docker
 * id): learned from exec records and the /proc scan, so that a policy for a
 * namespace can name the cgroups of its Pods' containers.
 */
export class ContainerCgroups {
  private readonly byContainer = new Map<string, Set<bigint>>();

  /** Records a pair; true when it is new. */
  add(containerId: string, cgroupId: bigint): boolean {
    const key = dockerId(containerId);
    let ids = this.byContainer.get(key);
    if (!ids) this.byContainer.set(key, (ids = new Set()));
    if (ids.has(cgroupId)) return false;
    ids.add(cgroupId);
    return true;
  }

  of(containerId: string): ReadonlySet<bigint> {
    return this.byContainer.get(dockerId(containerId)) ?? new Set();
  }

  /** Forgets a container (its Pod is gone). */
  forget(containerId: string): void {
    this.byContainer.delete(dockerId(containerId));
  }

  get size(): number {
    return this.byContainer.size;
  }
}
