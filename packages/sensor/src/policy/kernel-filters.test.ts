import { describe, expect, test } from '@jest/globals';
import { goldenFacts } from '../../test/golden/facts';
import { cgroupIdSet, cgroupKey, cgroupSetChange, CGROUP_FILTER_MAX } from './cgroup-filter';
import { compileTracingPolicy, type CompiledPolicy } from './compile';
import { verdictCacheArg } from './kernel-filters';

function compile(kprobe: Record<string, unknown>, kind = 'TracingPolicy'): CompiledPolicy {
  const result = compileTracingPolicy(
    {
      apiVersion: 'cilium.io/v1alpha1',
      kind,
      metadata: { name: 'p', ...(kind === 'TracingPolicyNamespaced' ? { namespace: 'ns' } : {}) },
      spec: { kprobes: [kprobe] },
    },
    goldenFacts,
  );
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value;
}

const fileArgs = [
  { index: 0, type: 'file' },
  { index: 1, type: 'int' },
];
const onFile = (operator: string, value: string) => ({
  matchArgs: [{ index: 0, operator, values: [value] }],
});

describe('verdict cache eligibility', () => {
  test('every matchArgs on the struct file: cached, with rename and mount changes watched', () => {
    const hook = compile({
      call: 'security_file_permission',
      syscall: false,
      args: fileArgs,
      selectors: [
        onFile('Prefix', '/etc/'),
        { ...onFile('Equal', '/root/x'), matchPIDs: [{ operator: 'In', values: [1] }] },
      ],
    }).hooks[0]!;
    expect(verdictCacheArg(hook)).toBe(0);
    expect(hook.config.verdictCacheArg).toBe(0);
    expect(hook.attach.filter((a) => a.program === 'path_change').map((a) => a.event)).toContain(
      'sys_exit_renameat2',
    );
  });

  test('a matchArgs on another argument, no matchArgs, or an fd number: not cached', () => {
    const mixed = compile({
      call: 'security_file_permission',
      syscall: false,
      args: fileArgs,
      selectors: [{ matchArgs: [{ index: 1, operator: 'Equal', values: ['4'] }] }, onFile('Prefix', '/etc/')],
    }).hooks[0]!;
    expect(mixed.config.verdictCacheArg).toBeUndefined();
    expect(mixed.attach.some((a) => a.program === 'path_change')).toBe(false);
    const none = compile({ call: 'security_file_permission', syscall: false, args: fileArgs }).hooks[0]!;
    expect(none.config.verdictCacheArg).toBeUndefined();
    const fd = compile({
      call: 'sys_read',
      args: [{ index: 0, type: 'fd' }],
      selectors: [onFile('Equal', '/etc/passwd')],
    }).hooks[0]!;
    expect(fd.config.verdictCacheArg).toBeUndefined();
  });

  test('fd_install caches on its file argument; namespaced policies filter by cgroup', () => {
    const hook = compile(
      {
        call: 'fd_install',
        syscall: false,
        args: [
          { index: 0, type: 'int' },
          { index: 1, type: 'file' },
        ],
        selectors: [{ matchArgs: [{ index: 1, operator: 'Postfix', values: ['.key'] }] }],
      },
      'TracingPolicyNamespaced',
    ).hooks[0]!;
    expect(hook.config).toMatchObject({ verdictCacheArg: 1, namespaced: true });
  });
});

describe('cgroup sets of namespaced policies', () => {
  test('only the difference is written', () => {
    expect(cgroupSetChange(new Set([1n, 2n, 3n]), new Set([3n, 4n]))).toEqual({
      add: [4n],
      remove: [1n, 2n],
    });
    expect(cgroupSetChange(new Set([5n]), new Set([5n]))).toEqual({ add: [], remove: [] });
  });

  test('ids are normalised and checked', () => {
    expect(cgroupIdSet([7, 7n, 9])).toEqual({ ids: new Set([7n, 9n]), problems: [] });
    expect(cgroupIdSet([0, -1n, 1.5, 2n ** 64n]).problems).toEqual([
      '0 is not a cgroup id (1 to 2^64-1)',
      '-1 is not a cgroup id (1 to 2^64-1)',
      '1.5 is not a cgroup id (1 to 2^64-1)',
      '18446744073709551616 is not a cgroup id (1 to 2^64-1)',
    ]);
    const many = Array.from({ length: CGROUP_FILTER_MAX + 1 }, (_, i) => BigInt(i + 1));
    expect(cgroupIdSet(many).problems).toEqual([
      `${CGROUP_FILTER_MAX + 1} cgroups; a namespaced policy filters at most ${CGROUP_FILTER_MAX}`,
    ]);
    expect(cgroupKey(0x0102n).toString('hex')).toBe('0201000000000000');
  });
});
