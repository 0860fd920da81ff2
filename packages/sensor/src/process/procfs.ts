import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import * as path from 'node:path';
import { decodeArgs } from '@ciliary/tetragon-events';
import { cgroupFacts } from '../pods/container-id';
import { cgroupIdOf } from '../pods/cgroup-fs';
import type { ProcFacts } from './process-tracker';

/** Clock ticks per second of /proc/<pid>/stat's starttime (USER_HZ, 100 on Linux). */
const USER_HZ = 100n;
const NS_PER_TICK = 1_000_000_000n / USER_HZ;

export interface ProcEntry {
  readonly pid: number;
  readonly ppid: number;
  /** Start time in boot-time ns (tick precision): the ktime of the process's exec id. */
  readonly ktime: bigint;
  readonly uid: number;
  readonly auid: number;
  readonly binary: string;
  readonly arguments: string;
  readonly cwd: string;
  /** The pid in the process's own pid namespace (the last NSpid of /proc/<pid>/status). */
  readonly nspid: number;
  /** The container id found in /proc/<pid>/cgroup. */
  readonly containerId?: string;
  /** The cgroup v2 id (the inode of the cgroup's directory), when the v2 hierarchy is mounted. */
  readonly cgroupId?: bigint;
}

/** Where the scan finds processes and their cgroups. */
export interface ProcScanOptions {
  readonly procRoot?: string;
  /** The cgroup v2 mount, to turn cgroup paths into cgroup ids. */
  readonly cgroupRoot?: string;
}

/** The fields of /proc/<pid>/stat the scan needs; the command name may hold spaces and parentheses. */
export function parseStat(text: string): { ppid: number; starttime: bigint } | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is the state (field 3 of proc(5)); ppid is field 4, starttime field 22
  const ppid = Number(fields[1]);
  const start = fields[19];
  if (!Number.isInteger(ppid) || start === undefined || !/^\d+$/.test(start)) return undefined;
  return { ppid, starttime: BigInt(start) };
}

/** The effective uid from /proc/<pid>/status (`Uid: real effective saved fs`). */
export function parseEffectiveUid(status: string): number | undefined {
  const m = /^Uid:\s+\d+\s+(\d+)/m.exec(status);
  return m ? Number(m[1]) : undefined;
}

/** The pid in the innermost pid namespace, from /proc/<pid>/status (`NSpid: 4242 7`). */
export function parseNsPid(status: string): number | undefined {
  const m = /^NSpid:[ \t]+([\d \t]+)$/m.exec(status);
  const last = m?.[1]?.trim().split(/\s+/).at(-1);
  return last ? Number(last) : undefined;
}

/**
 * Reads one process from `<procRoot>/<pid>`. Kernel threads (no executable)
 * and processes that exit while being read give undefined.
 */
export function readProcEntry(procRoot: string, pid: number, cgroupRoot?: string): ProcEntry | undefined {
  const dir = path.join(procRoot, String(pid));
  try {
    const stat = parseStat(readFileSync(path.join(dir, 'stat'), 'utf8'));
    if (!stat) return undefined;
    const binary = readlinkSync(path.join(dir, 'exe'));
    const cmdline = readFileSync(path.join(dir, 'cmdline'));
    const argv0End = cmdline.indexOf(0);
    const rest = argv0End < 0 ? Buffer.alloc(0) : cmdline.subarray(argv0End + 1);
    const status = readFileSync(path.join(dir, 'status'), 'utf8');
    const uid = parseEffectiveUid(status) ?? 0;
    const cgroup = cgroupFacts(safeRead(path.join(dir, 'cgroup')));
    const cgroupId =
      cgroupRoot !== undefined && cgroup.v2Path !== undefined
        ? cgroupIdOf(cgroupRoot, cgroup.v2Path)
        : undefined;
    return {
      pid,
      ppid: stat.ppid,
      ktime: stat.starttime * NS_PER_TICK,
      uid,
      auid: readLoginUid(dir),
      binary,
      arguments: decodeArgs(rest, 'nocwd').arguments,
      cwd: safeReadlink(path.join(dir, 'cwd')),
      nspid: parseNsPid(status) ?? pid,
      ...(cgroup.containerId ? { containerId: cgroup.containerId } : {}),
      ...(cgroupId !== undefined ? { cgroupId } : {}),
    };
  } catch {
    return undefined;
  }
}

function readLoginUid(dir: string): number {
  try {
    const n = Number(readFileSync(path.join(dir, 'loginuid'), 'utf8').trim());
    return Number.isInteger(n) ? n : 4294967295;
  } catch {
    return 4294967295;
  }
}

function safeRead(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

function safeReadlink(p: string): string {
  try {
    return readlinkSync(p);
  } catch {
    return '';
  }
}

/** Every user-space process under `procRoot`, parents before children. */
export function scanProc(options: ProcScanOptions = {}): ProcEntry[] {
  const procRoot = options.procRoot ?? '/proc';
  const entries: ProcEntry[] = [];
  for (const name of readdirSync(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    const entry = readProcEntry(procRoot, Number(name), options.cgroupRoot);
    if (entry) entries.push(entry);
  }
  return entries.sort((a, b) => (a.ktime === b.ktime ? a.pid - b.pid : a.ktime < b.ktime ? -1 : 1));
}

/** ProcFacts for the tracker: a parent is named only when the scan found it too. */
export function procFacts(entries: readonly ProcEntry[]): ProcFacts[] {
  const byPid = new Map(entries.map((e) => [e.pid, e]));
  return entries.map((e) => {
    const parent = byPid.get(e.ppid);
    return {
      pid: e.pid,
      ktime: e.ktime,
      ...(parent ? { parent: { pid: parent.pid, ktime: parent.ktime } } : {}),
      uid: e.uid,
      auid: e.auid,
      binary: e.binary,
      arguments: e.arguments,
      cwd: e.cwd,
      nspid: e.nspid,
      ...(e.containerId ? { containerId: e.containerId } : {}),
      ...(e.cgroupId !== undefined ? { cgroupId: e.cgroupId } : {}),
    };
  });
}
