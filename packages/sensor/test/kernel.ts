import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isRoot } from '@ciliary/testing';
import type { GetEventsResponse, Process } from '@ciliary/tetragon-events';

/** Root, bpffs, tracefs and kernel BTF: what the sensor's programs need. */
export const sensorFeature = {
  name: 'root with bpffs, tracefs and kernel BTF',
  available: () =>
    isRoot() &&
    existsSync('/sys/fs/bpf') &&
    existsSync('/sys/kernel/tracing/events/sched/sched_process_exec') &&
    existsSync('/sys/kernel/btf/vmlinux'),
};

export function uniquePinDir(label: string): string {
  return `/sys/fs/bpf/ciliary-test-${label}-${process.pid}`;
}

/** Runs a command to completion; resolves with its pid, exit code and signal. */
export function run(
  command: string,
  args: string[],
  options: { cwd?: string } = {},
): Promise<{ pid: number; code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? '/tmp', stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ pid: child.pid!, code, signal }));
  });
}

export function execOf(events: GetEventsResponse[], pid: number): GetEventsResponse | undefined {
  return events.find(
    (e) => e.process_exec?.process?.pid === pid && e.process_exec.process.flags?.includes('execve'),
  );
}

export function exitOf(events: GetEventsResponse[], pid: number): GetEventsResponse | undefined {
  return events.find((e) => e.process_exit?.process?.pid === pid);
}

export function processOf(event: GetEventsResponse | undefined): Process | undefined {
  return event?.process_exec?.process ?? event?.process_exit?.process ?? event?.process_kprobe?.process;
}
