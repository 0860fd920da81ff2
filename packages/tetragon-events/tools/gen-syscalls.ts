// Generates src/compact/syscalls.generated.ts: syscall numbers of tetra's four ABIs from the kernel's
// headers (x86_64 unistd_64.h, i386 unistd_32.h, arm64's asm-generic/unistd.h as arm64's unistd.h
// configures it, ARM EABI unistd-eabi.h from linux-libc-dev-armhf-cross), and each x86_64 syscall's
// argument types and names from tracefs (events/syscalls/sys_enter_*/format), the same sources
// Tetragon's syscall tables come from.
// Run as root on x86_64 with linux-libc-dev-armhf-cross installed:
//   node -r ../../tools/bench/register-ts.js tools/gen-syscalls.ts
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

const UNISTD = '/usr/include/x86_64-linux-gnu/asm/unistd_64.h';
const UNISTD_32 = '/usr/include/x86_64-linux-gnu/asm/unistd_32.h';
const UNISTD_GENERIC = '/usr/include/asm-generic/unistd.h';
const UNISTD_ARM_EABI = '/usr/arm-linux-gnueabihf/include/asm/unistd-eabi.h';
/** ARM's unistd.h, whose aliases (`__NR_sync_file_range2 __NR_arm_sync_file_range`) name the numbers. */
const UNISTD_ARM = '/usr/arm-linux-gnueabihf/include/asm/unistd.h';
/** What arch/arm64/include/uapi/asm/unistd.h defines before it includes asm-generic/unistd.h. */
const ARM64_WANTS = [
  '__ARCH_WANT_RENAMEAT',
  '__ARCH_WANT_NEW_STAT',
  '__ARCH_WANT_SET_GET_RLIMIT',
  '__ARCH_WANT_TIME32_SYSCALLS',
  '__ARCH_WANT_SYS_CLONE3',
  '__ARCH_WANT_MEMFD_SECRET',
];
/**
 * Syscalls added after these (Linux 6.1) headers, numbered alike on every architecture since 5.1;
 * tetra's tables carry them for all four ABIs, and since tetra names a number only below the size
 * of its table, the tables here must have as many entries as tetra's.
 */
const SINCE_6_1: ReadonlyArray<[number, string]> = [
  [451, 'cachestat'],
  [452, 'fchmodat2'],
  [453, 'map_shadow_stack'],
  [454, 'futex_wake'],
  [455, 'futex_wait'],
  [456, 'futex_requeue'],
  [457, 'statmount'],
  [458, 'listmount'],
  [459, 'lsm_get_self_attr'],
  [460, 'lsm_set_self_attr'],
  [461, 'lsm_list_modules'],
  [462, 'mseal'],
];
/** ARM's private calls in tetra's arm32 table (never printed: they lie past its size, but count in it). */
const ARM_PRIVATE: ReadonlyArray<[number, string]> = [
  [0xf0002, 'cacheflush'],
  [0xf0005, 'set_tls'],
];
const TRACEFS = '/sys/kernel/tracing/events/syscalls';
const OUT = path.resolve(__dirname, '../src/compact/syscalls.generated.ts');

function names(file: string): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  // `#define __NR_read 0` (x86) or `#define __NR_read (__NR_SYSCALL_BASE + 3)` (ARM EABI, base 0).
  for (const m of readFileSync(file, 'utf8').matchAll(
    /^#define __NR_(\w+) (?:(\d+)|\(__NR_SYSCALL_BASE \+ (\d+)\))$/gm,
  )) {
    out.push([Number(m[2] ?? m[3]), m[1]!]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/**
 * asm-generic/unistd.h read as a 64-bit architecture defining `wants` would: its #if, #ifdef and
 * #else branches evaluated, and the __NR3264_* numbers given their 64-bit names.
 */
function genericNames(file: string, wants: readonly string[]): Array<[number, string]> {
  const macros = new Map<string, string>([
    ['__BITS_PER_LONG', '64'],
    ...wants.map((w): [string, string] => [w, '1']),
  ]);
  const evaluate = (expr: string): boolean => {
    const js = expr
      .replace(/defined\s*\(\s*(\w+)\s*\)/g, (_m, name: string) => (macros.has(name) ? '1' : '0'))
      .replace(/[A-Za-z_]\w*/g, (name) => macros.get(name) ?? '0');
    if (!/^[\d\s|&!=()<>+-]*$/.test(js)) throw new Error(`cannot evaluate #if ${expr}`);
    return Boolean(new Function(`return (${js});`)());
  };
  const stack: Array<{ active: boolean; taken: boolean }> = [];
  const active = (): boolean => stack.every((s) => s.active);
  const out: Array<[number, string]> = [];
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^#if\s+(.*)$/.exec(line))) {
      const taken = active() && evaluate(m[1]!);
      stack.push({ active: taken, taken });
    } else if ((m = /^#if(n?)def\s+(\w+)/.exec(line))) {
      const taken = active() && macros.has(m[2]!) === (m[1] === '');
      stack.push({ active: taken, taken });
    } else if (line.startsWith('#else')) {
      const top = stack[stack.length - 1]!;
      top.active = !top.taken && stack.slice(0, -1).every((s) => s.active);
    } else if (line.startsWith('#endif')) {
      stack.pop();
    } else if (!active()) {
      continue;
    } else if ((m = /^#undef\s+(\w+)/.exec(line))) {
      macros.delete(m[1]!);
    } else if ((m = /^#define\s+(\w+)\s+(\w+)/.exec(line))) {
      macros.set(m[1]!, macros.get(m[2]!) ?? m[2]!);
    }
  }
  for (const [name, value] of macros) {
    const syscall = /^__NR_(\w+)$/.exec(name)?.[1];
    if (!syscall || syscall === 'syscalls' || syscall === 'arch_specific_syscall' || !/^\d+$/.test(value))
      continue;
    out.push([Number(value), syscall]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/** A table with the names a header's aliases give its numbers (Go's tables, and so tetra's, use them). */
function withAliases(table: Array<[number, string]>, file: string): Array<[number, string]> {
  const renamed = new Map<string, string>();
  for (const m of readFileSync(file, 'utf8').matchAll(/^#define __NR_(\w+)\s+__NR_(\w+)\s*$/gm))
    renamed.set(m[2]!, m[1]!);
  return table.map(([n, name]) => [n, renamed.get(name) ?? name]);
}

/** A header's table with what tetra's newer tables add, each number once. */
function withLater(
  table: Array<[number, string]>,
  ...later: ReadonlyArray<ReadonlyArray<[number, string]>>
): Array<[number, string]> {
  const byNumber = new Map(table);
  for (const list of later) for (const [n, name] of list) if (!byNumber.has(n)) byNumber.set(n, name);
  return [...byNumber].sort((a, b) => a[0] - b[0]);
}

function args(name: string): Array<[string, string]> | undefined {
  const file = path.join(TRACEFS, `sys_enter_${name}`, 'format');
  if (!existsSync(file)) return undefined;
  const fields: Array<[string, string]> = [];
  for (const m of readFileSync(file, 'utf8').matchAll(/field:([^;]+);\s*offset:(\d+)/g)) {
    const decl = m[1]!.trim();
    if (Number(m[2]) < 16) continue; // common_* fields and __syscall_nr
    const split = /^(.*?)([A-Za-z_]\w*)$/.exec(decl);
    if (!split) continue;
    fields.push([split[1]!.trim(), split[2]!]);
  }
  return fields;
}

const table = withLater(names(UNISTD), SINCE_6_1);
const i386 = withLater(names(UNISTD_32), SINCE_6_1);
const arm64 = withLater(genericNames(UNISTD_GENERIC, ARM64_WANTS), SINCE_6_1);
const arm32 = withLater(withAliases(names(UNISTD_ARM_EABI), UNISTD_ARM), SINCE_6_1, ARM_PRIVATE);
const lines = [
  "// Generated by tools/gen-syscalls.ts from the kernel's unistd headers and tracefs syscall formats. Do not edit.",
  '',
  '/** x86_64 syscall names by number. */',
  'export const X86_64_SYSCALLS: ReadonlyArray<readonly [number, string]> = [',
  ...table.map(([n, name]) => `  [${n}, '${name}'],`),
  '];',
  '',
  '/** i386 syscall names by number (32-bit programs on x86_64). */',
  'export const I386_SYSCALLS: ReadonlyArray<readonly [number, string]> = [',
  ...i386.map(([n, name]) => `  [${n}, '${name}'],`),
  '];',
  '',
  "/** arm64 syscall names by number (the kernel's generic table). */",
  'export const ARM64_SYSCALLS: ReadonlyArray<readonly [number, string]> = [',
  ...arm64.map(([n, name]) => `  [${n}, '${name}'],`),
  '];',
  '',
  "/** 32-bit ARM (EABI) syscall names by number, with ARM's private calls tetra lists. */",
  'export const ARM32_SYSCALLS: ReadonlyArray<readonly [number, string]> = [',
  ...arm32.map(([n, name]) => `  [${n}, '${name}'],`),
  '];',
  '',
  '/** Argument [type, name] pairs by x86_64 syscall name, as tracefs describes them. */',
  'export const SYSCALL_ARGS: Readonly<Record<string, ReadonlyArray<readonly [string, string]>>> = {',
];
for (const [, name] of table) {
  const list = args(name);
  if (list) lines.push(`  ${name}: [${list.map(([t, a]) => `['${t}', '${a}']`).join(', ')}],`);
}
lines.push('};', '');
if (!readdirSync(TRACEFS).length) throw new Error('tracefs has no syscall events');
writeFileSync(OUT, lines.join('\n'));
