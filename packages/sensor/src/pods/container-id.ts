/**
 * Container ids from cgroup names, as Tetragon finds them: the container
 * runtimes name a container's cgroup after its id, with a runtime prefix and a
 * `.scope` suffix under systemd (`cri-containerd-<id>.scope`, `crio-<id>.scope`,
 * `docker-<id>.scope`, `libpod-<id>.scope`) or as the bare id under cgroupfs
 * (`/kubepods/besteffort/pod<uid>/<id>`).
 */

/** Tetragon's `docker` field: the first 31 characters of the container id (BpfContainerIdLength). */
export const DOCKER_ID_LENGTH = 31;

const CONTAINER_ID = /^[0-9a-f]{64}$/;

/** The container id in one cgroup directory name, or undefined when it names no container. */
export function containerIdFromCgroupName(name: string): string | undefined {
  const base = name.endsWith('.scope') ? name.slice(0, -'.scope'.length) : name;
  // cri-o's monitor runs next to the container, not in it.
  if (base.startsWith('crio-conmon-')) return undefined;
  const id = base.slice(base.lastIndexOf('-') + 1);
  return CONTAINER_ID.test(id) ? id : undefined;
}

/**
 * The container id in a cgroup path such as /proc/PID/cgroup shows, from the
 * deepest directory that names one (a container may make cgroups of its own
 * below the one the runtime made).
 */
export function containerIdFromCgroupPath(cgroupPath: string): string | undefined {
  const parts = cgroupPath.split('/');
  for (let i = parts.length - 1; i >= 0; i--) {
    const id = containerIdFromCgroupName(parts[i]!);
    if (id) return id;
  }
  return undefined;
}

/** The container id in a runtime's form, `containerd://<id>`, `cri-o://<id>`, `docker://<id>`. */
export function containerIdFromRuntimeId(runtimeId: string): string | undefined {
  const at = runtimeId.indexOf('://');
  const id = at < 0 ? runtimeId : runtimeId.slice(at + 3);
  return id.length > 0 ? id : undefined;
}

/** The key container ids are matched by: Tetragon's 31-character docker id. */
export function dockerId(containerId: string): string {
  return containerId.slice(0, DOCKER_ID_LENGTH);
}

export interface CgroupLine {
  readonly hierarchy: number;
  readonly controllers: string;
  readonly path: string;
}

/** The lines of /proc/PID/cgroup: `hierarchy-id:controllers:path`. */
export function parseProcCgroup(text: string): CgroupLine[] {
  const lines: CgroupLine[] = [];
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const hierarchy = Number(line.slice(0, first));
    if (!Number.isInteger(hierarchy)) continue;
    lines.push({ hierarchy, controllers: line.slice(first + 1, second), path: line.slice(second + 1) });
  }
  return lines;
}

/**
 * What /proc/PID/cgroup says about a process's container: the v2 path (the
 * `0::` line, whose cgroup id BPF reports) and the container id, from the v2
 * path or, on hosts where the runtime uses only v1 hierarchies, from theirs.
 */
export function cgroupFacts(text: string): { v2Path?: string; containerId?: string } {
  const lines = parseProcCgroup(text);
  const v2 = lines.find((l) => l.hierarchy === 0 && l.controllers === '');
  let containerId = v2 ? containerIdFromCgroupPath(v2.path) : undefined;
  for (const line of lines) {
    if (containerId) break;
    containerId = containerIdFromCgroupPath(line.path);
  }
  return { ...(v2 ? { v2Path: v2.path } : {}), ...(containerId ? { containerId } : {}) };
}
