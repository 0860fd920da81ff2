/**
 * The cgroup filter of a TracingPolicyNamespaced: the cgroup v2 ids (the
 * cgroup directory's inode number, what bpf_get_current_cgroup_id returns)
 * of the containers of the policy's namespace. Each hook of the policy has a
 * hash map of them (`cgroup_filter`, max CGROUP_FILTER_MAX entries) and stops
 * at once for a task whose cgroup is not in it, as Tetragon's policy filter does.
 */

export const CGROUP_FILTER_MAX = 32768;
const U64_MAX = (1n << 64n) - 1n;

export interface CgroupSetChange {
  readonly add: readonly bigint[];
  readonly remove: readonly bigint[];
}

/** Normalises cgroup ids; the problems name the bad values. */
export function cgroupIdSet(ids: Iterable<bigint | number>): { ids: Set<bigint>; problems: string[] } {
  const set = new Set<bigint>();
  const problems: string[] = [];
  for (const id of ids) {
    const valid = typeof id === 'bigint' || Number.isSafeInteger(id);
    const value = valid ? BigInt(id) : 0n;
    if (!valid || value <= 0n || value > U64_MAX)
      problems.push(`${String(id)} is not a cgroup id (1 to 2^64-1)`);
    else set.add(value);
  }
  if (set.size > CGROUP_FILTER_MAX)
    problems.push(`${set.size} cgroups; a namespaced policy filters at most ${CGROUP_FILTER_MAX}`);
  return { ids: set, problems };
}

/** What to write to go from `current` to `desired`: only the difference. */
export function cgroupSetChange(current: ReadonlySet<bigint>, desired: ReadonlySet<bigint>): CgroupSetChange {
  return {
    add: [...desired].filter((id) => !current.has(id)),
    remove: [...current].filter((id) => !desired.has(id)),
  };
}

/** The map key of a cgroup id: a u64 in host (little-endian) order. */
export function cgroupKey(id: bigint): Buffer {
  const key = Buffer.alloc(8);
  key.writeBigUInt64LE(id);
  return key;
}
