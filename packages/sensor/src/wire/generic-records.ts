import { formatIPv4, formatIPv6 } from '@ciliary/ebpf-maps';
import type { KprobeAction, KprobeArgument } from '@ciliary/tetragon-events';
import type { ArgOutput } from '../policy/compile';
import { FAMILIES, PROTOCOLS, SOCK_TYPES, TCP_STATES } from '../policy/sock-names';
import { RecordError, recordKtime, type ExecKey } from './process-records';

/** struct msg_generic of bpf/generic.c, up to its argument bytes. */
export interface GenericRecord {
  readonly op: number;
  readonly ktime: bigint;
  readonly current: ExecKey;
  readonly hookId: number;
  readonly tid: number;
  readonly action: number;
  /** 1 + the selector that matched; 0 when the hook has no selectors. */
  readonly selector: number;
  readonly hasReturn: boolean;
  readonly actionArg: number;
  readonly ret: bigint;
  readonly data: Buffer;
}

export const GENERIC_HEADER_SIZE = 64;

export function decodeGeneric(record: Buffer): GenericRecord {
  if (record.length < GENERIC_HEADER_SIZE)
    throw new RecordError(
      `generic record of ${record.length} bytes, expected at least ${GENERIC_HEADER_SIZE}`,
    );
  const dataLen = record.readUInt32LE(56);
  if (record.length < GENERIC_HEADER_SIZE + dataLen)
    throw new RecordError(`generic record of ${record.length} bytes announces ${dataLen} bytes of arguments`);
  return {
    op: record.readUInt8(0),
    ktime: recordKtime(record),
    current: { pid: record.readUInt32LE(16), ktime: record.readBigUInt64LE(24) },
    hookId: record.readUInt32LE(32),
    tid: record.readUInt32LE(36),
    action: record.readUInt8(40),
    selector: record.readUInt8(41),
    hasReturn: record.readUInt8(42) !== 0,
    actionArg: record.readInt32LE(44),
    ret: record.readBigInt64LE(48),
    data: record.subarray(GENERIC_HEADER_SIZE, GENERIC_HEADER_SIZE + dataLen),
  };
}

export const ACTION_NAMES: Readonly<Record<number, KprobeAction>> = {
  1: 'KPROBE_ACTION_POST',
  3: 'KPROBE_ACTION_SIGKILL',
  5: 'KPROBE_ACTION_OVERRIDE',
  9: 'KPROBE_ACTION_NOPOST',
  10: 'KPROBE_ACTION_SIGNAL',
};

const SOCK_INFO_SIZE = 64;
const SOCKADDR_INFO_SIZE = 24;

function align8(n: number): number {
  return (n + 7) & ~7;
}

/** The arguments of a generic record as Tetragon's KprobeArguments, in the hook's order. */
export function decodeArguments(data: Buffer, outputs: readonly ArgOutput[]): KprobeArgument[] {
  let at = 0;
  const need = (n: number): void => {
    if (at + n > data.length)
      throw new RecordError(`arguments end at byte ${data.length}, expected ${at + n}`);
  };
  return outputs.map((output) => {
    let arg: KprobeArgument;
    switch (output.type) {
      case 'int':
      case 'uint':
      case 'long':
      case 'size': {
        need(8);
        arg = numberArgument(output.type, data.readBigInt64LE(at));
        at += 8;
        break;
      }
      case 'string': {
        need(4);
        const len = data.readUInt32LE(at);
        need(4 + len);
        arg = { string_arg: data.toString('utf8', at + 4, at + 4 + len) };
        at += align8(4 + len);
        break;
      }
      case 'bytes': {
        need(8);
        const orig = data.readUInt32LE(at);
        const len = data.readUInt32LE(at + 4);
        need(8 + len);
        const bytes = data.subarray(at + 8, at + 8 + len).toString('base64');
        arg =
          orig > len
            ? { truncated_bytes_arg: { bytes_arg: bytes, orig_size: String(orig) } }
            : { bytes_arg: bytes };
        at += align8(8 + len);
        break;
      }
      case 'file':
      case 'path': {
        need(8);
        const len = data.readUInt32LE(at);
        const mode = data.readUInt32LE(at + 4);
        need(8 + len);
        const value = {
          path: data.toString('utf8', at + 8, at + 8 + len),
          ...(mode ? { permission: permission(mode) } : {}),
        };
        arg = output.type === 'file' ? { file_arg: value } : { path_arg: value };
        at += align8(8 + len);
        break;
      }
      case 'sock':
        need(SOCK_INFO_SIZE);
        arg = { sock_arg: sock(data.subarray(at, at + SOCK_INFO_SIZE)) };
        at += SOCK_INFO_SIZE;
        break;
      case 'sockaddr':
        need(SOCKADDR_INFO_SIZE);
        arg = { sockaddr_arg: sockaddr(data.subarray(at, at + SOCKADDR_INFO_SIZE)) };
        at += SOCKADDR_INFO_SIZE;
        break;
    }
    if (output.label) arg.label = output.label;
    return arg;
  });
}

export function numberArgument(type: 'int' | 'uint' | 'long' | 'size', value: bigint): KprobeArgument {
  switch (type) {
    case 'int':
      return { int_arg: Number(BigInt.asIntN(32, value)) };
    case 'uint':
      return { uint_arg: Number(BigInt.asUintN(32, value)) };
    case 'long':
      return { long_arg: String(BigInt.asIntN(64, value)) };
    case 'size':
      return { size_arg: String(BigInt.asUintN(64, value)) };
  }
}

function address(family: number, bytes: Buffer): string {
  if (family === 2) return formatIPv4(bytes.subarray(0, 4));
  if (family === 10) return formatIPv6(bytes.subarray(0, 16));
  return '';
}

function sock(b: Buffer): NonNullable<KprobeArgument['sock_arg']> {
  const family = b.readUInt16LE(0);
  const out: NonNullable<KprobeArgument['sock_arg']> = {
    family: FAMILIES[family] ?? String(family),
    type: SOCK_TYPES[b.readUInt16LE(2)] ?? String(b.readUInt16LE(2)),
    protocol: PROTOCOLS[b.readUInt16LE(4)] ?? String(b.readUInt16LE(4)),
  };
  const mark = b.readUInt32LE(8);
  const priority = b.readUInt32LE(12);
  if (mark) out.mark = mark;
  if (priority) out.priority = priority;
  const saddr = address(family, b.subarray(32, 48));
  const daddr = address(family, b.subarray(48, 64));
  if (saddr) out.saddr = saddr;
  if (daddr) out.daddr = daddr;
  const sport = b.readUInt16LE(16);
  const dport = b.readUInt16LE(18);
  if (sport) out.sport = sport;
  if (dport) out.dport = dport;
  out.cookie = String(b.readBigUInt64LE(24));
  const state = b.readUInt8(6);
  if (state) out.state = TCP_STATES[state] ?? String(state);
  return out;
}

function sockaddr(b: Buffer): NonNullable<KprobeArgument['sockaddr_arg']> {
  const family = b.readUInt16LE(0);
  const out: NonNullable<KprobeArgument['sockaddr_arg']> = { family: FAMILIES[family] ?? String(family) };
  const addr = address(family, b.subarray(8, 24));
  if (addr) out.addr = addr;
  const port = b.readUInt16LE(2);
  if (port) out.port = port;
  return out;
}

/** An inode mode as `ls -l` shows it: `-rw-r--r--`. */
export function permission(mode: number): string {
  const types: Record<number, string> = {
    0o140000: 's',
    0o120000: 'l',
    0o100000: '-',
    0o60000: 'b',
    0o40000: 'd',
    0o20000: 'c',
    0o10000: 'p',
  };
  const type = types[mode & 0o170000] ?? '?';
  const bits = 'rwxrwxrwx'.split('').map((c, i) => (mode & (0o400 >> i) ? c : '-'));
  const special = (i: number, set: boolean, lower: string, upper: string): void => {
    if (set) bits[i] = bits[i] === '-' ? upper : lower;
  };
  special(2, (mode & 0o4000) !== 0, 's', 'S');
  special(5, (mode & 0o2000) !== 0, 's', 'S');
  special(8, (mode & 0o1000) !== 0, 't', 'T');
  return type + bits.join('');
}
