import type { ProcessTracepoint } from '../model/types.generated';
import { decimalToHex } from './hex';
import {
  ARM32_SYSCALLS,
  ARM64_SYSCALLS,
  I386_SYSCALLS,
  SYSCALL_ARGS,
  X86_64_SYSCALLS,
} from './syscalls.generated';

/** The ABI tetra built for x86_64 calls its own; its names print without a prefix. */
const DEFAULT_ABI = 'x64';
const NAMES: ReadonlyMap<string, ReadonlyMap<number, string>> = new Map([
  [DEFAULT_ABI, new Map(X86_64_SYSCALLS)],
  ['i386', new Map(I386_SYSCALLS)],
  ['arm64', new Map(ARM64_SYSCALLS)],
  ['arm32', new Map(ARM32_SYSCALLS)],
]);

/**
 * The syscall of a raw_syscalls/sys_enter event with its arguments, as `tetra` prints it:
 * `openat(int dfd=3, const char *filename=0x7ffd..., int flags=0, umode_t mode=0)`; `i386/open`
 * for another ABI (tetra has argument types for its own ABI only); `unknown` without a name.
 */
export function rawSyscallEnter(tp: ProcessTracepoint): string {
  const args = tp.args ?? [];
  let id = -1;
  let abi = DEFAULT_ABI;
  const first = args[0];
  if (first?.long_arg !== undefined) id = Number(first.long_arg);
  else if (first?.syscall_id !== undefined) {
    id = first.syscall_id.id ?? 0;
    abi = first.syscall_id.abi ?? '';
  }
  const names = NAMES.get(abi);
  // tetra compares the number with the size of its name table, not its largest number; the
  // numbers between the old and the new syscalls are unassigned, so only names past the end of
  // the table are lost, as in tetra.
  const name = names !== undefined && id >= 0 && id < names.size ? names.get(id) : undefined;
  if (name === undefined) return 'unknown';
  let text = abi === DEFAULT_ABI ? name : `${abi}/${name}`;
  const spec = SYSCALL_ARGS[text];
  // Syscalls without arguments have no entry in tetra's table: the name is printed bare.
  if (!spec || spec.length === 0) return text;
  text += '(';
  for (let j = 0; j < spec.length; j++) {
    const [type, argName] = spec[j]!;
    const size = args[j + 1]?.size_arg;
    // Like tetra, a pointer is printed as such only when its value is known.
    const pointer = size !== undefined && type.endsWith('*');
    let value = '?';
    if (size !== undefined) value = pointer ? `0x${decimalToHex(size)}` : size;
    if (j > 0) text += ', ';
    text += pointer ? `${type}${argName}=${value}` : `${type} ${argName}=${value}`;
  }
  return `${text})`;
}
