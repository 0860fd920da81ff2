/** The parts of an exec_id: the node, the exec time in kernel nanoseconds and the pid. */
export interface ExecIdParts {
  readonly node: string;
  readonly ktime: bigint;
  readonly pid: number;
}

/**
 * Tetragon's exec_id: standard base64 of `<node>:<ktime>:<pid>`, where ktime is the kernel boot
 * time (ns) of the exec or clone. Unique across nodes and over time, unlike a pid.
 */
export function execId(node: string, ktime: bigint | number, pid: number): string {
  return Buffer.from(`${node}:${ktime}:${pid}`, 'utf8').toString('base64');
}

/** The id Tetragon gives a parent it never saw: pid 0 at ktime 1 (the kernel). */
export function unknownParentExecId(node: string): string {
  return execId(node, 1, 0);
}

/** Decodes an exec_id; undefined when it is not in Tetragon's format. */
export function parseExecId(id: string): ExecIdParts | undefined {
  const text = Buffer.from(id, 'base64').toString('utf8');
  // The node name may itself contain colons; ktime and pid are the last two fields.
  const m = /^(.*):(\d+):(\d+)$/s.exec(text);
  if (!m) return undefined;
  return { node: m[1]!, ktime: BigInt(m[2]!), pid: Number(m[3]) };
}
