import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import * as path from 'node:path';
import { parseTracepointFormat, type TracepointFormat } from './tracepoint-format';

/** What policy compilation needs to know about the running kernel, injected so compilation stays pure. */
export interface KernelFacts {
  readonly arch: 'x86_64' | 'arm64';
  /** Whether syscalls/sys_enter_<name> exists. */
  hasSyscall(name: string): boolean;
  /** The format of tracepoint subsystem/event, or undefined when there is none. */
  tracepointFormat(subsystem: string, event: string): TracepointFormat | undefined;
  /** The inode number of the host's (pid 1's) namespace of a kind (`uts`, `net`...). */
  hostNamespace(kind: string): number | undefined;
}

/** The machine's facts: tracefs for tracepoints, /proc/1/ns for host namespaces. */
export function systemKernelFacts(tracefs = '/sys/kernel/tracing', procRoot = '/proc'): KernelFacts {
  const events = path.join(tracefs, 'events');
  return {
    arch: process.arch === 'arm64' ? 'arm64' : 'x86_64',
    hasSyscall: (name) =>
      /^\w+$/.test(name) && existsSync(path.join(events, 'syscalls', `sys_enter_${name}`)),
    tracepointFormat: (subsystem, event) => {
      if (!/^\w+$/.test(subsystem) || !/^\w+$/.test(event)) return undefined;
      try {
        return parseTracepointFormat(readFileSync(path.join(events, subsystem, event, 'format'), 'utf8'));
      } catch {
        return undefined;
      }
    },
    hostNamespace: (kind) => {
      try {
        const m = /\[(\d+)\]/.exec(readlinkSync(path.join(procRoot, '1', 'ns', kind)));
        return m ? Number(m[1]) : undefined;
      } catch {
        return undefined;
      }
    },
  };
}
