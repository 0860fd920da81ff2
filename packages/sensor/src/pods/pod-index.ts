import type { KubeObject } from '@ciliary/core';
import { containerIdFromRuntimeId, dockerId } from './container-id';

/** One container of a Pod, as the index knows it: from the Pod's spec and status. */
export interface PodContainer {
  /** The Pod's resource key (`namespace/name`). */
  readonly podKey: string;
  readonly namespace: string;
  readonly podName: string;
  readonly podUid?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly workload: string;
  readonly workloadKind: string;
  /** The container id without the runtime (64 hex characters for the common runtimes). */
  readonly containerId: string;
  /** As the status shows it: `containerd://<id>`. */
  readonly runtimeId: string;
  readonly name: string;
  readonly image?: string;
  readonly imageId?: string;
  /** RFC 3339, from status.state.running.startedAt. */
  readonly startedAt?: string;
  readonly privileged: boolean;
  /** The commands of the container's exec probes (liveness, readiness, startup). */
  readonly execProbes: ReadonlyArray<readonly string[]>;
}

/**
 * Containers by id, from Pod objects (status.containerStatuses[].containerID,
 * init and ephemeral containers too). Pure data: feed it Pods as they come
 * and go. Ids are matched on their first 31 characters, Tetragon's docker id,
 * so a lookup works with the docker id or the full id.
 */
export class PodIndex {
  private readonly byDocker = new Map<string, PodContainer>();
  private readonly byPod = new Map<string, PodContainer[]>();
  private generation = 0;

  /** Changes every time the index does. */
  get version(): number {
    return this.generation;
  }

  get size(): number {
    return this.byDocker.size;
  }

  /** Adds or replaces the containers of a Pod; a Pod without started containers has none yet. */
  upsert(key: string, pod: KubeObject): void {
    this.removeContainers(key);
    this.generation++;
    const containers = podContainers(key, pod);
    if (containers.length > 0) this.byPod.set(key, containers);
    for (const c of containers) this.byDocker.set(dockerId(c.containerId), c);
  }

  /** Removes a Pod; returns the containers it had. */
  delete(key: string): PodContainer[] {
    const removed = this.removeContainers(key);
    if (removed.length > 0) this.generation++;
    return removed;
  }

  /** The container with this id (full or Tetragon's 31-character docker id). */
  find(containerId: string): PodContainer | undefined {
    const found = this.byDocker.get(dockerId(containerId));
    return found && found.containerId.startsWith(containerId) ? found : undefined;
  }

  /** The containers of the Pods of a namespace. */
  inNamespace(namespace: string): PodContainer[] {
    const out: PodContainer[] = [];
    for (const containers of this.byPod.values())
      for (const c of containers) if (c.namespace === namespace) out.push(c);
    return out;
  }

  private removeContainers(key: string): PodContainer[] {
    const old = this.byPod.get(key);
    if (!old) return [];
    for (const c of old) {
      const id = dockerId(c.containerId);
      if (this.byDocker.get(id) === c) this.byDocker.delete(id);
    }
    this.byPod.delete(key);
    return old;
  }
}

type Json = Record<string, unknown>;

function obj(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function list(value: unknown): Json[] {
  return Array.isArray(value) ? value.map(obj).filter((v): v is Json => v !== undefined) : [];
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(value) ?? {})) if (typeof v === 'string') out[k] = v;
  return out;
}

/** Every container of a Pod that has a container id, joined with its spec. */
export function podContainers(key: string, pod: KubeObject): PodContainer[] {
  const meta = pod.metadata;
  const namespace = meta.namespace ?? '';
  const podName = meta.name ?? '';
  const spec = obj(pod['spec']) ?? {};
  const status = obj(pod['status']) ?? {};
  const specs = new Map<string, Json>();
  for (const field of ['containers', 'initContainers', 'ephemeralContainers'])
    for (const c of list(spec[field])) {
      const name = str(c['name']);
      if (name) specs.set(name, c);
    }
  const labels = stringMap(meta.labels);
  const { workload, workloadKind } = workloadOf(pod);
  const out: PodContainer[] = [];
  for (const field of ['containerStatuses', 'initContainerStatuses', 'ephemeralContainerStatuses']) {
    for (const s of list(status[field])) {
      const runtimeId = str(s['containerID']);
      const name = str(s['name']);
      const containerId = runtimeId ? containerIdFromRuntimeId(runtimeId) : undefined;
      if (!runtimeId || !name || !containerId) continue;
      const containerSpec = specs.get(name) ?? {};
      const startedAt = str(obj(obj(s['state'])?.['running'])?.['startedAt']);
      const image = str(s['image']) ?? str(containerSpec['image']);
      const imageId = str(s['imageID']);
      const uid = str(meta.uid);
      out.push({
        podKey: key,
        namespace,
        podName,
        ...(uid ? { podUid: uid } : {}),
        labels,
        workload,
        workloadKind,
        containerId,
        runtimeId,
        name,
        ...(image ? { image } : {}),
        ...(imageId ? { imageId } : {}),
        ...(startedAt ? { startedAt } : {}),
        privileged: obj(containerSpec['securityContext'])?.['privileged'] === true,
        execProbes: execProbes(containerSpec),
      });
    }
  }
  return out;
}

function execProbes(container: Json): string[][] {
  const out: string[][] = [];
  for (const field of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const command = obj(obj(container[field])?.['exec'])?.['command'];
    if (Array.isArray(command) && command.length > 0 && command.every((a) => typeof a === 'string'))
      out.push(command as string[]);
  }
  return out;
}

/**
 * The workload a Pod belongs to, as Tetragon names it: the controller that
 * owns it, a Deployment for a ReplicaSet named `<deployment>-<pod-template-hash>`, a CronJob
 * for a Job named `<cronjob>-<schedule time>`, the Pod itself when nothing owns it.
 */
export function workloadOf(pod: KubeObject): { workload: string; workloadKind: string } {
  const owners = list(pod.metadata.ownerReferences);
  const owner = owners.find((o) => o['controller'] === true) ?? owners[0];
  const kind = str(owner?.['kind']);
  const name = str(owner?.['name']);
  if (!kind || !name) return { workload: pod.metadata.name ?? '', workloadKind: 'Pod' };
  const dash = name.lastIndexOf('-');
  const hash = pod.metadata.labels?.['pod-template-hash'];
  if (kind === 'ReplicaSet' && dash > 0 && hash === name.slice(dash + 1))
    return { workload: name.slice(0, dash), workloadKind: 'Deployment' };
  if (kind === 'Job' && dash > 0 && /^\d+$/.test(name.slice(dash + 1)))
    return { workload: name.slice(0, dash), workloadKind: 'CronJob' };
  return { workload: name, workloadKind: kind };
}
