/**
 * struct hook_config of bpf/include/generic.h as plain data, and its encoding
 * into the generic object's .rodata. Offsets are checked against the
 * object's BTF in the tests.
 */

export const MAX_ARGS = 5;
export const MAX_SELECTORS = 5;
export const MAX_MATCH_ARGS = 5;
export const MAX_VALUES = 4;
export const MAX_PIDS = 4;
export const MAX_NS = 10;
export const MAX_CAPS = 3;
export const STR_KEY = 255;
export const POSTFIX_MAX = 128;
export const BINARY_ARG = 7;

/** A program of generic.o and the tracepoint it is attached to. */
export interface TracepointAttach {
  /** hook_raw_sys_enter is a BTF tracepoint program, attached by its section (raw_syscalls/sys_enter). */
  readonly program:
    | 'hook_sys_enter'
    | 'hook_sys_exit'
    | 'hook_tracepoint'
    | 'hook_raw_sys_enter'
    | 'path_change'
    | 'uring_submit'
    | 'uring_complete';
  readonly category: string;
  readonly event: string;
}

export const SOURCE = { sysEnter: 1, sysExit: 2, tracepoint: 3, rawSysEnter: 4 } as const;
export const MAX_NRS = 8;
export const ARG_SRC = { raw: 0, fdFile: 1, ret: 2, retFdFile: 3, maskRw: 4, fdSock: 5, tpField: 6 } as const;
export const ARG_TYPE = {
  int: 1,
  uint: 2,
  size_t: 3,
  long: 4,
  string: 5,
  char_buf: 6,
  fd: 7,
  file: 8,
  path: 9,
  sock: 10,
  sockaddr: 11,
  data_loc: 12,
  char_array: 13,
  sint8: 14,
  uint8: 15,
  sint16: 16,
  uint16: 17,
} as const;
export type ArgTypeName = keyof typeof ARG_TYPE;

export const OP = {
  Equal: 1,
  NotEqual: 2,
  Prefix: 3,
  NotPrefix: 4,
  Postfix: 5,
  NotPostfix: 6,
  GreaterThan: 7,
  LessThan: 8,
  Mask: 9,
  SPort: 10,
  NotSPort: 11,
  DPort: 12,
  NotDPort: 13,
  SAddr: 14,
  NotSAddr: 15,
  DAddr: 16,
  NotDAddr: 17,
  SPortPriv: 18,
  NotSPortPriv: 19,
  DPortPriv: 20,
  NotDPortPriv: 21,
  Family: 22,
  Protocol: 23,
  State: 24,
  In: 25,
  NotIn: 26,
} as const;
export type OperatorName = keyof typeof OP;

/** Tetragon's KprobeAction numbers. */
export const ACTION = { Post: 1, Sigkill: 3, NoPost: 9, Signal: 10 } as const;
export type ActionName = keyof typeof ACTION;

export const NAMESPACE = {
  Uts: 1,
  Ipc: 2,
  Mnt: 3,
  Pid: 4,
  PidForChildren: 5,
  Net: 6,
  Time: 7,
  TimeForChildren: 8,
  Cgroup: 9,
  User: 10,
} as const;
export type NamespaceName = keyof typeof NAMESPACE;

export const CAP_SET = { Effective: 0, Inheritable: 1, Permitted: 2 } as const;
export const RET_FILTER = { any: 0, fd: 1, connect: 2 } as const;

export interface ArgConfig {
  readonly type: number;
  readonly src: number;
  readonly index: number;
  readonly sizeArg?: number;
  readonly user?: boolean;
  readonly tpOffset?: number;
  readonly tpSize?: number;
  readonly maxData?: number;
}

export interface MatchValue {
  readonly num?: bigint;
  /** CIDR: 4 or 16 address bytes and a prefix length. */
  readonly addr?: Uint8Array;
  readonly prefix?: number;
  readonly family?: number;
}

export interface MatchArgConfig {
  readonly arg: number;
  readonly op: number;
  /** Numeric, port and address values; strings go to the string maps instead. */
  readonly values: readonly MatchValue[];
}

export interface NamespaceFilterConfig {
  readonly ns: number;
  readonly op: number;
  readonly values: readonly number[];
}

export interface CapFilterConfig {
  readonly type: number;
  readonly op: number;
  readonly mask: bigint;
}

export interface SelectorConfig {
  readonly matchArgs: readonly MatchArgConfig[];
  readonly pids?: { readonly op: number; readonly values: readonly number[]; readonly namespacePid: boolean };
  readonly binaryOp?: number;
  readonly namespaces: readonly NamespaceFilterConfig[];
  readonly caps: readonly CapFilterConfig[];
  readonly action: number;
  readonly actionArg: number;
}

export interface HookConfig {
  readonly hookId: number;
  readonly source: number;
  readonly args: readonly ArgConfig[];
  readonly selectors: readonly SelectorConfig[];
  readonly hasReturn: boolean;
  readonly returnType: number;
  readonly needsStash: boolean;
  readonly retFilter: number;
  readonly requireTcp: boolean;
  /** System call numbers of the read family (A_MASK_RW). */
  readonly readNrs: readonly number[];
  /** The file argument whose selector verdicts the kernel caches per struct file; undefined for none. */
  readonly verdictCacheArg?: number;
  /** TracingPolicyNamespaced: only tasks in the cgroups of the hook's cgroup_filter map. */
  readonly namespaced?: boolean;
  /** SRC_RAW_SYS_ENTER: the system call numbers observed. */
  readonly nrs?: readonly number[];
}

export const HOOK_CONFIG_SIZE = 4952;
const ARGS_AT = 28;
const ARG_SIZE = 16;
const SELECTORS_AT = 112;
const SELECTOR_SIZE = 960;
const MATCH_ARGS_AT = 32;
const MATCH_ARG_SIZE = 136;
const MATCH_VALUE_SIZE = 32;
const NS_AT = 712;
const NS_SIZE = 20;
const CAPS_AT = 912;
const CAP_SIZE = 16;
const VERDICT_CACHE_AT = 4912;
const NAMESPACED_AT = 4913;
const N_NRS_AT = 4914;
const NRS_AT = 4920;

export function encodeHookConfig(config: HookConfig): Buffer {
  const b = Buffer.alloc(HOOK_CONFIG_SIZE);
  b.writeUInt32LE(config.hookId, 0);
  b.writeUInt8(config.source, 4);
  b.writeUInt8(config.args.length, 5);
  b.writeUInt8(config.selectors.length, 6);
  b.writeUInt8(config.hasReturn ? 1 : 0, 7);
  b.writeUInt8(config.returnType, 8);
  b.writeUInt8(config.needsStash ? 1 : 0, 9);
  b.writeUInt8(config.retFilter, 10);
  b.writeUInt8(config.requireTcp ? 1 : 0, 11);
  // an unused slot must not look like syscall 0 (read on x86-64)
  for (let i = 0; i < 4; i++) b.writeUInt32LE(config.readNrs[i] ?? 0xffffffff, 12 + 4 * i);
  config.args.forEach((arg, i) => encodeArg(b, ARGS_AT + i * ARG_SIZE, arg));
  config.selectors.forEach((sel, i) => encodeSelector(b, SELECTORS_AT + i * SELECTOR_SIZE, sel));
  b.writeUInt8(config.verdictCacheArg === undefined ? 0 : config.verdictCacheArg + 1, VERDICT_CACHE_AT);
  b.writeUInt8(config.namespaced ? 1 : 0, NAMESPACED_AT);
  const nrs = config.nrs ?? [];
  if (nrs.length > MAX_NRS) throw new RangeError(`at most ${MAX_NRS} system call numbers per hook`);
  b.writeUInt8(nrs.length, N_NRS_AT);
  nrs.forEach((nr, i) => b.writeUInt32LE(nr, NRS_AT + 4 * i));
  return b;
}

function encodeArg(b: Buffer, at: number, arg: ArgConfig): void {
  b.writeUInt8(arg.type, at);
  b.writeUInt8(arg.src, at + 1);
  b.writeUInt8(arg.index, at + 2);
  b.writeUInt8(arg.sizeArg ?? 0, at + 3);
  b.writeUInt8(arg.user ? 1 : 0, at + 4);
  b.writeUInt16LE(arg.tpOffset ?? 0, at + 6);
  b.writeUInt16LE(arg.tpSize ?? 0, at + 8);
  b.writeUInt16LE(arg.maxData ?? 1024, at + 10);
}

function encodeSelector(b: Buffer, at: number, sel: SelectorConfig): void {
  b.writeUInt8(sel.matchArgs.length, at);
  b.writeUInt8(sel.pids?.values.length ?? 0, at + 1);
  b.writeUInt8(sel.pids?.op ?? 0, at + 2);
  b.writeUInt8(sel.pids?.namespacePid ? 1 : 0, at + 3);
  b.writeUInt8(sel.binaryOp ?? 0, at + 4);
  b.writeUInt8(sel.namespaces.length, at + 5);
  b.writeUInt8(sel.caps.length, at + 6);
  b.writeUInt8(sel.action, at + 7);
  b.writeInt32LE(sel.actionArg, at + 8);
  sel.pids?.values.forEach((pid, i) => b.writeUInt32LE(pid, at + 16 + 4 * i));
  sel.matchArgs.forEach((ma, i) => {
    const m = at + MATCH_ARGS_AT + i * MATCH_ARG_SIZE;
    b.writeUInt8(ma.arg, m);
    b.writeUInt8(ma.op, m + 1);
    b.writeUInt8(ma.values.length, m + 2);
    ma.values.forEach((v, j) => {
      const o = m + 8 + j * MATCH_VALUE_SIZE;
      b.writeBigUInt64LE(BigInt.asUintN(64, v.num ?? 0n), o);
      if (v.addr) Buffer.from(v.addr).copy(b, o + 8);
      b.writeUInt8(v.prefix ?? 0, o + 24);
      b.writeUInt8(v.family ?? 0, o + 25);
    });
  });
  sel.namespaces.forEach((ns, i) => {
    const o = at + NS_AT + i * NS_SIZE;
    b.writeUInt8(ns.ns, o);
    b.writeUInt8(ns.op, o + 1);
    b.writeUInt8(ns.values.length, o + 2);
    ns.values.forEach((v, j) => b.writeUInt32LE(v, o + 4 + 4 * j));
  });
  sel.caps.forEach((cap, i) => {
    const o = at + CAPS_AT + i * CAP_SIZE;
    b.writeUInt8(cap.type, o);
    b.writeUInt8(cap.op, o + 1);
    b.writeBigUInt64LE(cap.mask, o + 8);
  });
}

/** Keys of the string maps: Equal in eq_map, Prefix in prefix_map, Postfix (reversed) in postfix_map. */
export interface StringEntries {
  readonly eq: readonly Buffer[];
  readonly prefix: readonly Buffer[];
  readonly postfix: readonly Buffer[];
}

/** The match id of selector `selector`'s matchArgs `index` (or BINARY_ARG for matchBinaries). */
export function matchId(selector: number, index: number): number {
  return selector * 8 + index;
}

/** struct str_eq_key { u8 id; u8 pad; u16 len; char str[256]; } */
export function eqKey(id: number, value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  const key = Buffer.alloc(260);
  key.writeUInt8(id, 0);
  key.writeUInt16LE(bytes.length, 2);
  bytes.copy(key, 4, 0, STR_KEY);
  return key;
}

/** struct str_lpm_key { u32 prefixlen; u8 id; char str[255]; }: the prefix covers the id and the string. */
export function lpmKey(id: number, value: string, reverse = false): Buffer {
  let bytes = Buffer.from(value, 'utf8');
  if (reverse) bytes = Buffer.from(bytes).reverse();
  const key = Buffer.alloc(260);
  key.writeUInt32LE(8 + 8 * Math.min(bytes.length, STR_KEY), 0);
  key.writeUInt8(id, 4);
  bytes.copy(key, 5, 0, STR_KEY);
  return key;
}
