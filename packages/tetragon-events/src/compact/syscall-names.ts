import type { ProcessTracepoint } from '../model/types.generated';
import { decimalToHex } from './hex';
import { SYSCALL_ARGS, X86_64_SYSCALLS } from './syscalls.generated';

const DEFAULT_ABI = 'x86_64';
const NAMES: ReadonlyMap<string, ReadonlyMap<number, string>> = new Map([
  [DEFAULT_ABI, new Map(X86_64_SYSCALLS)],
]);

/**
 * The syscall of a raw_syscalls/sys_enter event with its arguments, as `tetra` prints it:
 * `openat(int dfd=3, const char *filename=0x7ffd..., int flags=0, umode_t mode=0)`.
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
  const name = NAMES.get(abi)?.get(id);
  if (name === undefined) return 'unknown';
  let text = abi === DEFAULT_ABI ? name : `${abi}/${name}`;
  const spec = SYSCALL_ARGS[text];
  if (!spec) return text;
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
