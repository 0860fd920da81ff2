import { CiliaryError, type Issue } from '@ciliary/core';

/** Linux errno values the map operations distinguish. */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  E2BIG: 7,
  EBADF: 9,
  ENOMEM: 12,
  EACCES: 13,
  EBUSY: 16,
  EEXIST: 17,
  EINVAL: 22,
  ENOSPC: 28,
  EOPNOTSUPP: 95,
  ENOTSUPP: 524,
} as const;

const errnoNames = new Map<number, string>(Object.entries(Errno).map(([name, value]) => [value, name]));

/** `ENOENT` for 2, or `errno 99` for numbers this package does not name. */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `errno ${errno}`;
}

/** A map operation the kernel (or the memory backend, with the kernel's semantics) refused. */
export class MapError extends CiliaryError {
  override readonly name: string = 'MapError';
  /** The positive errno the operation failed with. */
  readonly errno: number;
  /** The map's name (or pin path when no name is known). */
  readonly mapName: string;
  readonly operation: string;
  constructor(
    mapName: string,
    operation: string,
    errno: number,
    detail?: string,
    options?: { cause?: unknown },
  ) {
    super(`${mapName}: ${operation}: ${detail ?? 'failed'} (${errnoName(errno)})`, options);
    this.errno = errno;
    this.mapName = mapName;
    this.operation = operation;
  }
}

export class KeyNotFoundError extends MapError {
  override readonly name = 'KeyNotFoundError';
}
export class KeyExistsError extends MapError {
  override readonly name = 'KeyExistsError';
}
/** The map holds max_entries already (E2BIG for hash and array maps, ENOSPC for LPM tries). */
export class MapFullError extends MapError {
  override readonly name = 'MapFullError';
}
export class PermissionDeniedError extends MapError {
  override readonly name = 'PermissionDeniedError';
}
/** The map type (or this kernel) does not offer the operation, e.g. batch operations on an LPM trie. */
export class NotSupportedError extends MapError {
  override readonly name = 'NotSupportedError';
}
/** A spec that does not match the pinned map, or arguments the kernel rejects (EINVAL). */
export class InvalidArgumentError extends MapError {
  override readonly name = 'InvalidArgumentError';
}

const details: Record<number, string> = {
  [Errno.ENOENT]: 'key not found',
  [Errno.EEXIST]: 'key exists',
  [Errno.E2BIG]: 'map full or index out of range',
  [Errno.ENOSPC]: 'map full',
  [Errno.EPERM]: 'permission denied',
  [Errno.EACCES]: 'permission denied',
  [Errno.EOPNOTSUPP]: 'not supported',
  [Errno.ENOTSUPP]: 'not supported',
  [Errno.EINVAL]: 'invalid argument',
};

/** The typed error for an errno returned by a map operation. */
export function mapErrorFor(mapName: string, operation: string, errno: number, detail?: string): MapError {
  const text = detail ?? details[errno];
  switch (errno) {
    case Errno.ENOENT:
      return new KeyNotFoundError(mapName, operation, errno, text);
    case Errno.EEXIST:
      return new KeyExistsError(mapName, operation, errno, text);
    case Errno.E2BIG:
    case Errno.ENOSPC:
      return new MapFullError(mapName, operation, errno, text);
    case Errno.EPERM:
    case Errno.EACCES:
      return new PermissionDeniedError(mapName, operation, errno, text);
    case Errno.EOPNOTSUPP:
    case Errno.ENOTSUPP:
      return new NotSupportedError(mapName, operation, errno, text);
    case Errno.EINVAL:
      return new InvalidArgumentError(mapName, operation, errno, text);
    default:
      return new MapError(mapName, operation, errno, text);
  }
}

/** Bytes that do not decode as the struct, or a value that does not encode (out of range, bad address). */
export class CodecError extends CiliaryError {
  override readonly name = 'CodecError';
  /** The C struct, e.g. `policy_key`. */
  readonly struct: string;
  /** The field, as a JSON path (`/dport`), or `` for the whole struct. */
  readonly path: string;
  /** Every problem found, when encoding found more than one. */
  readonly issues: readonly Issue[];
  constructor(
    struct: string,
    path: string,
    problem: string,
    options?: { cause?: unknown; issues?: readonly Issue[] },
  ) {
    super(`${struct}${path === '' ? '' : ` ${path}`}: ${problem}`, { cause: options?.cause });
    this.struct = struct;
    this.path = path;
    this.issues = options?.issues ?? [{ path, message: problem }];
  }
}
