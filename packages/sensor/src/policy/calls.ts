import { ARG_SRC, RET_FILTER, SOURCE, type ArgTypeName } from './hook-config';
import type { KernelFacts } from './kernel-facts';

/**
 * How a kprobe `call` of a TracingPolicy is observed. This kernel has no
 * kprobes (CONFIG_KPROBES is off) and refuses BPF trampolines (fentry), so
 * every hook runs on a tracepoint: system calls on their own syscalls/
 * tracepoints with the same arguments, and three kernel functions at the
 * system calls that reach them, with the arguments the function would get.
 */
export interface CallPlan {
  readonly functionName: string;
  readonly source: number;
  readonly syscalls: readonly string[];
  /** Per function argument index: where its value comes from and which types describe it. */
  readonly argSource: (index: number) => ArgSource | undefined;
  readonly retFilter: number;
  readonly needsStash: boolean;
  readonly requireTcp: boolean;
  /** Whether a `return: true` hook has a meaningful return value. */
  readonly returnAvailable: boolean;
  readonly readNrs: readonly number[];
  /**
   * With source SOURCE.rawSysEnter: the numbers of `syscalls`, observed at the raw sys_enter
   * tracepoint (every system call, the others dropped by their number in the kernel).
   */
  readonly nrs?: readonly number[];
}

export interface ArgSource {
  readonly src: number;
  readonly index: number;
  readonly user: boolean;
  /** Types that describe this argument; undefined for any. */
  readonly types?: readonly ArgTypeName[];
}

/** The functions served at the system calls that reach them. */
export const KERNEL_FUNCTIONS = ['security_file_permission', 'fd_install', 'tcp_connect'] as const;

const READ_SYSCALLS = ['read', 'pread64', 'readv', 'preadv'];
const WRITE_SYSCALLS = ['write', 'pwrite64', 'writev', 'pwritev'];
const OPEN_SYSCALLS = ['open', 'openat', 'openat2', 'creat'];

/** System call numbers of the read family, for security_file_permission's MAY_READ/MAY_WRITE mask. */
const READ_NRS: Record<KernelFacts['arch'], readonly number[]> = {
  x86_64: [0, 17, 19, 295],
  arm64: [63, 67, 65, 69],
};

/**
 * x86-64 numbers of the read and write families. On x86-64 security_file_permission runs at the raw
 * sys_enter tracepoint, which costs a fraction of a syscalls/sys_enter_* event: these are the hottest
 * system calls there are. (arm64 keeps the syscalls/ tracepoints.)
 */
const X86_64_FILE_NRS: Readonly<Record<string, number>> = {
  read: 0,
  write: 1,
  pread64: 17,
  pwrite64: 18,
  readv: 19,
  writev: 20,
  preadv: 295,
  pwritev: 296,
};

const INTS: readonly ArgTypeName[] = ['int', 'uint', 'size_t', 'long', 'fd'];

export function syscallPrefix(arch: KernelFacts['arch']): string {
  return arch === 'arm64' ? '__arm64_' : '__x64_';
}

/** `sys_openat`, `__x64_sys_openat` and `__arm64_sys_openat` all name the system call `openat`. */
export function syscallName(call: string): string | undefined {
  return /^(?:__(?:x64|arm64|ia32)_)?sys_(\w+)$/.exec(call)?.[1];
}

/** The plan for `call`, or a message saying why it cannot be observed here. */
export function planCall(
  call: string,
  syscall: boolean,
  wantsReturn: boolean,
  facts: KernelFacts,
): CallPlan | { error: string } {
  const base = { readNrs: READ_NRS[facts.arch], requireTcp: false };
  if (syscall) {
    const name = syscallName(call);
    if (!name)
      return {
        error: `call ${call} is not a system call (sys_<name>); set syscall: false for a kernel function`,
      };
    if (!facts.hasSyscall(name))
      return { error: `system call ${name} has no syscalls/sys_enter_${name} tracepoint on this kernel` };
    return {
      ...base,
      functionName: `${syscallPrefix(facts.arch)}sys_${name}`,
      source: wantsReturn ? SOURCE.sysExit : SOURCE.sysEnter,
      syscalls: [name],
      argSource: (index) => (index <= 5 ? { src: ARG_SRC.raw, index, user: true } : undefined),
      retFilter: RET_FILTER.any,
      needsStash: wantsReturn,
      returnAvailable: true,
    };
  }
  const present = (names: string[]): string[] => names.filter((n) => facts.hasSyscall(n));
  switch (call) {
    case 'security_file_permission': {
      const syscalls = present([...READ_SYSCALLS, ...WRITE_SYSCALLS]);
      const raw = facts.arch === 'x86_64';
      return {
        ...base,
        functionName: call,
        source: raw ? SOURCE.rawSysEnter : SOURCE.sysEnter,
        syscalls,
        ...(raw ? { nrs: syscalls.map((name) => X86_64_FILE_NRS[name]!) } : {}),
        argSource: (index) =>
          index === 0
            ? { src: ARG_SRC.fdFile, index: 0, user: false, types: ['file'] }
            : index === 1
              ? { src: ARG_SRC.maskRw, index: 0, user: false, types: INTS }
              : undefined,
        retFilter: RET_FILTER.any,
        needsStash: false,
        returnAvailable: false,
      };
    }
    case 'fd_install':
      return {
        ...base,
        functionName: call,
        source: SOURCE.sysExit,
        syscalls: present(OPEN_SYSCALLS),
        argSource: (index) =>
          index === 0
            ? { src: ARG_SRC.ret, index: 0, user: false, types: INTS }
            : index === 1
              ? { src: ARG_SRC.retFdFile, index: 0, user: false, types: ['file'] }
              : undefined,
        retFilter: RET_FILTER.fd,
        needsStash: false,
        returnAvailable: false,
      };
    case 'tcp_connect':
      return {
        ...base,
        functionName: call,
        source: SOURCE.sysExit,
        syscalls: present(['connect']),
        argSource: (index) =>
          index === 0 ? { src: ARG_SRC.fdSock, index: 0, user: false, types: ['sock'] } : undefined,
        retFilter: RET_FILTER.connect,
        needsStash: true,
        requireTcp: true,
        returnAvailable: false,
      };
    default:
      return {
        error:
          `call ${call} cannot be observed on this kernel: it has no kprobes (CONFIG_KPROBES is off) and refuses ` +
          `BPF trampolines (fentry); supported are system calls (syscall: true) and ${KERNEL_FUNCTIONS.join(', ')}`,
      };
  }
}
