import { ARG_SRC, ARG_TYPE, type HookConfig, type TracepointAttach } from './hook-config';
import type { KernelFacts } from './kernel-facts';

/**
 * What changes the path of a file already open, so that a hook's verdict cache
 * must forget what it knows: renames and mount moves, on entry (so nothing
 * judged during the change is trusted after it) and on exit (so nothing judged
 * before the change completed is). The file's own dentry is also checked by
 * its d_seq in the kernel, which any rename of the file itself bumps.
 */
const PATH_CHANGING_SYSCALLS = [
  'rename',
  'renameat',
  'renameat2',
  'mount',
  'umount',
  'move_mount',
  'pivot_root',
];

/** What of a hook plan these filters read and extend. */
export interface FilterableHook {
  readonly attach: readonly TracepointAttach[];
  readonly config: Omit<HookConfig, 'hookId'>;
}

/**
 * The in-kernel filters that do not come from the policy's selectors: the
 * namespace's cgroups of a TracingPolicyNamespaced, and the per-file verdict
 * cache of a hook whose every matchArgs compares the same file argument (the
 * selectors' verdicts then depend on the file alone, so a file that matched
 * nothing is not walked again until its path may have changed).
 */
export function withKernelFilters<T extends FilterableHook>(
  hook: T,
  namespaced: boolean,
  facts: KernelFacts,
): T {
  const cacheArg = verdictCacheArg(hook);
  if (cacheArg === undefined && !namespaced) return hook;
  return {
    ...hook,
    attach: cacheArg === undefined ? hook.attach : [...hook.attach, ...pathChangeAttachments(facts)],
    config: {
      ...hook.config,
      ...(cacheArg === undefined ? {} : { verdictCacheArg: cacheArg }),
      ...(namespaced ? { namespaced: true } : {}),
    },
  };
}

/** The argument whose verdicts can be cached: a struct file every matchArgs of every selector compares. */
export function verdictCacheArg(hook: FilterableHook): number | undefined {
  const { selectors, args } = hook.config;
  const matchArgs = selectors.flatMap((s) => s.matchArgs);
  if (matchArgs.length === 0) return undefined;
  const arg = matchArgs[0]!.arg;
  if (matchArgs.some((m) => m.arg !== arg)) return undefined;
  const config = args[arg];
  if (!config || config.type !== ARG_TYPE.file) return undefined;
  return config.src === ARG_SRC.fdFile || config.src === ARG_SRC.retFdFile ? arg : undefined;
}

function pathChangeAttachments(facts: KernelFacts): TracepointAttach[] {
  const attach: TracepointAttach[] = PATH_CHANGING_SYSCALLS.filter((name) => facts.hasSyscall(name)).flatMap(
    (name) => [
      { program: 'path_change', category: 'syscalls', event: `sys_enter_${name}` },
      { program: 'path_change', category: 'syscalls', event: `sys_exit_${name}` },
    ],
  );
  // io_uring renames bypass the system calls: seen at submission and at completion
  if (
    facts.tracepointFormat('io_uring', 'io_uring_submit_req') &&
    facts.tracepointFormat('io_uring', 'io_uring_complete')
  )
    attach.push(
      { program: 'uring_submit', category: 'io_uring', event: 'io_uring_submit_req' },
      { program: 'uring_complete', category: 'io_uring', event: 'io_uring_complete' },
    );
  return attach;
}
