import { CiliaryError } from '@ciliary/core';

/** A BPF object or program the kernel refused; carries the verifier's log when there is one. */
export class BpfLoadError extends CiliaryError {
  override readonly name = 'BpfLoadError';
  constructor(
    message: string,
    readonly objectPath: string,
    readonly errno: number,
    readonly verifierLog: string,
    options?: { cause?: unknown },
  ) {
    super(
      verifierLog ? `${message}\n--- verifier log (last lines) ---\n${lastLines(verifierLog, 30)}` : message,
      options,
    );
  }
}

/** Attaching or detaching a program with tc failed. */
export class TcAttachError extends CiliaryError {
  override readonly name = 'TcAttachError';
  constructor(
    message: string,
    readonly ifindex: number,
    readonly errno: number,
  ) {
    super(message);
  }
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

/** `ENOENT (2)` style names for the errno values the loader reports. */
export function errnoName(errno: number): string {
  const names: Record<number, string> = {
    1: 'EPERM',
    2: 'ENOENT',
    7: 'E2BIG',
    13: 'EACCES',
    16: 'EBUSY',
    17: 'EEXIST',
    22: 'EINVAL',
    28: 'ENOSPC',
    95: 'EOPNOTSUPP',
  };
  return `${names[errno] ?? 'errno'} (${errno})`;
}
