import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

/**
 * Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup, or
 * /sys/fs/cgroup/unified on hybrid hosts), from a mounts table; undefined
 * when there is none.
 */
export function cgroup2Mount(mounts: string): string | undefined {
  for (const line of mounts.split('\n')) {
    const [, mountPoint, type] = line.split(' ');
    if (type === 'cgroup2' && mountPoint) return mountPoint.replace(/\\040/g, ' ');
  }
  return undefined;
}

export function systemCgroup2Mount(): string | undefined {
  try {
    return cgroup2Mount(readFileSync('/proc/self/mounts', 'utf8'));
  } catch {
    return undefined;
  }
}

/** The cgroup id BPF reports (bpf_get_current_cgroup_id): the inode number of the cgroup's directory. */
export function cgroupIdOf(cgroupRoot: string, cgroupPath: string): bigint | undefined {
  try {
    return statSync(path.join(cgroupRoot, cgroupPath), { bigint: true }).ino;
  } catch {
    return undefined;
  }
}
