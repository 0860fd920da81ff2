import type { KernelFacts } from '../../src';
import { parseTracepointFormat } from '../../src';

/** A fixed kernel for golden cases: the x86-64 system calls the call table uses and one tracepoint. */
export const goldenFacts: KernelFacts = {
  arch: 'x86_64',
  hasSyscall: (name) =>
    [
      'read',
      'pread64',
      'readv',
      'preadv',
      'write',
      'pwrite64',
      'writev',
      'pwritev',
      'open',
      'openat',
      'openat2',
      'creat',
      'connect',
      'rename',
      'renameat',
      'renameat2',
      'mount',
      'umount',
      'move_mount',
      'pivot_root',
    ].includes(name),
  tracepointFormat: (subsystem, event) =>
    subsystem === 'syscalls' && event === 'sys_enter_openat'
      ? parseTracepointFormat(`name: sys_enter_openat
ID: 700
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
	field:int dfd;	offset:16;	size:8;	signed:0;
	field:const char * filename;	offset:24;	size:8;	signed:0;
	field:int flags;	offset:32;	size:8;	signed:0;
	field:umode_t mode;	offset:40;	size:8;	signed:0;
`)
      : undefined,
  hostNamespace: (kind) => (kind === 'net' ? 4026531840 : undefined),
};
