/**
 * The records the BPF programs send through the ring buffer, decoded. Layouts
 * are those of bpf/process.c (checked against the object's BTF in the tests);
 * the header is Tetragon's msg_common and the ops are Tetragon's numbers.
 */

export const MSG_OP = {
  execve: 5,
  exit: 7,
  genericKprobe: 13,
  genericTracepoint: 14,
  clone: 23,
} as const;

/** A process instance: thread-group id and boot-time ns of its exec or clone (0 when unknown). */
export interface ExecKey {
  readonly pid: number;
  readonly ktime: bigint;
}

export interface ExecRecord {
  readonly op: typeof MSG_OP.execve;
  readonly ktime: bigint;
  readonly key: ExecKey;
  readonly parent: ExecKey;
  /** The process this exec replaces (its earlier exec or clone); ktime 0 when none. */
  readonly cleanup: ExecKey;
  readonly tid: number;
  readonly uid: number;
  readonly auid: number;
  readonly flags: number;
  /** The real parent's pid, even when the parent's exec is unknown. */
  readonly ppid: number;
  /** bprm->filename as the exec asked for it (maybe relative). */
  readonly filename: string;
  /** argv[1..] as NUL-separated bytes. */
  readonly args: Buffer;
  /** The cwd; empty with flag rootcwd (it is "/") or errorCWD. */
  readonly cwd: string;
  /** The pid in the process's own pid namespace (inside its container). */
  readonly nspid: number;
  /** The cgroup v2 id of the process (the inode number of its cgroup directory). */
  readonly cgroupId: bigint;
  /** The name of that cgroup's directory, where the container id is (Tetragon's docker_id). */
  readonly cgroupName: string;
}

export interface CloneRecord {
  readonly op: typeof MSG_OP.clone;
  readonly ktime: bigint;
  readonly key: ExecKey;
  readonly parent: ExecKey;
  readonly tid: number;
  readonly flags: number;
}

export interface ExitRecord {
  readonly op: typeof MSG_OP.exit;
  readonly ktime: bigint;
  readonly key: ExecKey;
  /** task->exit_code: status in the high byte, signal in the low byte. */
  readonly code: number;
  readonly tid: number;
}

export type ProcessRecord = ExecRecord | CloneRecord | ExitRecord;

export const HEADER_SIZE = 16;
export const EXEC_HEADER_SIZE = 240;
const DOCKER_ID_OFFSET = 112;
const DOCKER_ID_LENGTH = 128;
export const CLONE_RECORD_SIZE = 56;
export const EXIT_RECORD_SIZE = 40;

/** A record that is shorter than its layout or announces sizes past its end. */
export class RecordError extends Error {
  override readonly name = 'RecordError';
}

export function recordOp(record: Buffer): number {
  return record.readUInt8(0);
}

export function recordKtime(record: Buffer): bigint {
  return record.readBigUInt64LE(8);
}

function key(record: Buffer, offset: number): ExecKey {
  return { pid: record.readUInt32LE(offset), ktime: record.readBigUInt64LE(offset + 8) };
}

function need(record: Buffer, size: number, what: string): void {
  if (record.length < size)
    throw new RecordError(`${what} record of ${record.length} bytes, expected ${size}`);
}

export function decodeExec(record: Buffer): ExecRecord {
  need(record, EXEC_HEADER_SIZE, 'exec');
  const sizeFilename = record.readUInt32LE(80);
  const sizeArgs = record.readUInt32LE(84);
  const sizeCwd = record.readUInt32LE(88);
  const end = EXEC_HEADER_SIZE + sizeFilename + sizeArgs + sizeCwd;
  need(record, end, 'exec');
  let at = EXEC_HEADER_SIZE;
  const slice = (size: number): Buffer => record.subarray(at, (at += size));
  return {
    op: MSG_OP.execve,
    ktime: recordKtime(record),
    key: key(record, 16),
    parent: key(record, 32),
    cleanup: key(record, 48),
    tid: record.readUInt32LE(64),
    uid: record.readUInt32LE(68),
    auid: record.readUInt32LE(72),
    flags: record.readUInt32LE(76),
    ppid: record.readUInt32LE(92),
    nspid: record.readUInt32LE(96),
    cgroupId: record.readBigUInt64LE(104),
    cgroupName: cString(record, DOCKER_ID_OFFSET, DOCKER_ID_LENGTH),
    filename: slice(sizeFilename).toString('utf8'),
    args: slice(sizeArgs),
    cwd: slice(sizeCwd).toString('utf8'),
  };
}

function cString(record: Buffer, offset: number, size: number): string {
  const field = record.subarray(offset, offset + size);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? size : end).toString('utf8');
}

export function decodeClone(record: Buffer): CloneRecord {
  need(record, CLONE_RECORD_SIZE, 'clone');
  return {
    op: MSG_OP.clone,
    ktime: recordKtime(record),
    key: key(record, 16),
    parent: key(record, 32),
    tid: record.readUInt32LE(48),
    flags: record.readUInt32LE(52),
  };
}

export function decodeExit(record: Buffer): ExitRecord {
  need(record, EXIT_RECORD_SIZE, 'exit');
  return {
    op: MSG_OP.exit,
    ktime: recordKtime(record),
    key: key(record, 16),
    code: record.readUInt32LE(32),
    tid: record.readUInt32LE(36),
  };
}

/** Decodes a process record; undefined for other ops. */
export function decodeProcessRecord(record: Buffer): ProcessRecord | undefined {
  switch (recordOp(record)) {
    case MSG_OP.execve:
      return decodeExec(record);
    case MSG_OP.clone:
      return decodeClone(record);
    case MSG_OP.exit:
      return decodeExit(record);
    default:
      return undefined;
  }
}
