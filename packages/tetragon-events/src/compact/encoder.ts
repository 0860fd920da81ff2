import type {
  GetEventsResponse,
  KprobeArgument,
  Process,
  ProcessKprobe,
  ProcessLsm,
  ProcessTracepoint,
} from '../model/types.generated';
import { canonicalTimestamp } from '../json/well-known';
import { eventFieldOf, eventParts, eventTypeOf, type EventParts } from '../model/event';
import { palette, type Palette } from './colors';
import { maybeQuote } from './quote';
import { HexCache } from './hex';
import { rawSyscallEnter } from './syscall-names';

export interface CompactOptions {
  /** Colours as `--color always`; off by default (`--color never`). */
  readonly color?: boolean;
  /** Prefix each line with the event time, as `--timestamps`. */
  readonly timestamps?: boolean;
  /** Print kernel and user stack traces after kprobe events (tetra's default: on). */
  readonly stackTraces?: boolean;
  /** Print the IMA hash after LSM events (tetra's default: on). */
  readonly imaHash?: boolean;
}

/** Events the compact format has no line for (tetra reports "unknown event type" and moves on). */
export class CompactFormatError extends Error {
  override readonly name = 'CompactFormatError';
}

const CAPS_COLUMN = 120;
const CAP_SYS_ADMIN = 21;
const SYSCALL_PREFIXES = ['__x64_', '__arm64_', '__ia32_'];

/** The clone flags `tetra` names in setns events. */
const NAMESPACE_FLAGS: ReadonlyMap<number, string> = new Map([
  [0, 'any'],
  [0x2000000, 'cgroup'],
  [0x8000000, 'ipc'],
  [0x40000000, 'net'],
  [0x20000, 'mnt'],
  [0x20000000, 'pid'],
  [0x80, 'time'],
  [0x10000000, 'user'],
  [0x4000000, 'uts'],
]);

/** `<emoji> <name padded to 7 characters>`, as Go's `%-7s`. */
function label(emoji: string, name: string): string {
  return `${emoji} ${name.padEnd(7)}`;
}

/** Every fixed label, built once rather than padded for each event. */
const LABEL = {
  process: label('🚀', 'process'),
  exit: label('💥', 'exit'),
  throttle: label('🧬', 'throttle'),
  loader: label('🧬', 'loader'),
  uprobe: label('🕵️', 'uprobe'),
  lsm: label('🔒', 'LSM'),
  usdt: label('🕵️', 'usdt'),
  write: label('📝', 'write'),
  read: label('📚', 'read'),
  fdInstall: label('📬', 'open'),
  openat: label('📬️', 'openat'),
  open: label('📬️', 'open'),
  close: label('📪', 'close'),
  mount: label('💾', 'mount'),
  setuid: label('🔑', 'setuid'),
  clockSettime: label('⏰', 'clock_settime'),
  pivotRoot: label('💾', 'pivot_root'),
  procExecConnector: label('🔧', 'proc_exec_connector'),
  setns: label('🔧', 'setns'),
  connect: label('🔌', 'connect'),
  tcpClose: label('🧹', 'close'),
  sendmsg: label('📤', 'sendmsg'),
  bpfLoad: label('🐝', 'bpf_load'),
  perfEventAlloc: label('🐝', 'perf_event_alloc'),
  bpfMapCreate: label('🗺', 'bpf_map_create'),
  truncate: label('📝', 'truncate'),
  unknownSyscall: label('❓', 'syscall'),
  unknownFilePermission: label('❓', 'security_file_permission'),
  unknownMmapFile: label('❓', 'security_mmap_file'),
  unknownPathTruncate: label('❓', 'security_path_truncate'),
  unknownFileTruncate: label('❓', 'security_file_truncate'),
  rawSyscall: label('☎ ', 'syscall'),
  tracepoint: label('⁉️', 'tracepoint'),
} as const;

/**
 * Renders events in the format of `tetra getevents -o compact`, character for character:
 * `<emoji> <label padded to 7> <namespace/pod or node> <binary> <details>`.
 */
export class CompactEncoder {
  private readonly c: Palette;
  private readonly timestamps: boolean;
  private readonly stackTraces: boolean;
  private readonly imaHashes: boolean;
  /** Kernel stack addresses repeat from event to event and need BigInt to convert. */
  private readonly hex = new HexCache();

  constructor(options: CompactOptions = {}) {
    this.c = palette(options.color ?? false);
    this.timestamps = options.timestamps ?? false;
    this.stackTraces = options.stackTraces ?? true;
    this.imaHashes = options.imaHash ?? true;
  }

  /** The full output for one event, newline-terminated, with the stack trace and IMA lines. */
  encode(event: GetEventsResponse): string {
    const text = this.tryEncode(event);
    if (text === undefined) throw unprintable(event);
    return text;
  }

  /**
   * As encode, but undefined for events tetra cannot print: cheaper than catching an error
   * where such events are routine (rate-limit reports in an unfiltered stream).
   */
  tryEncode(event: GetEventsResponse, parts: EventParts = eventParts(event)): string | undefined {
    let line = this.describe(event, parts);
    if (line === undefined) return undefined;
    if (this.timestamps) line = `${timestampOf(event)} ${line}`;
    let out = `${line}\n`;
    if (this.stackTraces && parts.field === 'process_kprobe') out += this.stackTrace(event);
    if (this.imaHashes && parts.field === 'process_lsm') out += this.imaHash(event);
    return out;
  }

  /** The one-line summary; throws CompactFormatError for events tetra cannot print. */
  eventToString(event: GetEventsResponse): string {
    const line = this.describe(event, eventParts(event));
    if (line === undefined) throw unprintable(event);
    return line;
  }

  /** The one-line summary, or undefined when the event has no type tetra prints or no process. */
  private describe(event: GetEventsResponse, parts: EventParts): string | undefined {
    const node = event.node_name ?? '';
    const c = this.c;
    switch (parts.field) {
      case 'test':
        return 'TEST EVENT';
      case 'process_exec': {
        const process = event.process_exec!.process;
        if (!process) return undefined;
        return this.line(LABEL.process, node, process, ` ${c.cyan(maybeQuote(process.arguments ?? ''))}`);
      }
      case 'process_exit': {
        const exit = event.process_exit!;
        const process = exit.process;
        if (!process) return undefined;
        const status = exit.signal ? exit.signal : String(exit.status ?? 0);
        const details = ` ${c.cyan(maybeQuote(process.arguments ?? ''))} ${c.red(status)}`;
        return this.line(LABEL.exit, node, process, details);
      }
      case 'process_throttle': {
        const throttle = event.process_throttle!;
        let type = '';
        if (throttle.type === 'THROTTLE_START') type = c.red('START');
        else if (throttle.type === 'THROTTLE_STOP') type = c.green('STOP ');
        return `${c.red(LABEL.throttle)} ${type} ${maybeQuote(throttle.cgroup ?? '')}`;
      }
      case 'process_loader': {
        const loader = event.process_loader!;
        const buildId = loader.buildid ? `${Buffer.from(loader.buildid, 'base64').toString('hex')} ` : '';
        const details = ` ${buildId}${c.yellow(maybeQuote(loader.path ?? ''))}`;
        return this.line(LABEL.loader, node, loader.process, details);
      }
      case 'process_kprobe':
        return this.kprobe(node, event.process_kprobe!);
      case 'process_tracepoint':
        return this.tracepoint(node, event.process_tracepoint!);
      case 'process_uprobe': {
        const uprobe = event.process_uprobe!;
        const details = ` ${maybeQuote(uprobe.path ?? '')} ${maybeQuote(uprobe.symbol ?? '')}`;
        return this.line(LABEL.uprobe, node, uprobe.process, details);
      }
      case 'process_lsm': {
        const lsm = event.process_lsm!;
        return this.line(LABEL.lsm, node, lsm.process, ` ${lsm.function_name ?? ''}`);
      }
      case 'process_usdt': {
        const usdt = event.process_usdt!;
        const details = ` ${maybeQuote(usdt.path ?? '')} ${maybeQuote(usdt.provider ?? '')} ${maybeQuote(usdt.name ?? '')}`;
        return this.line(LABEL.usdt, node, usdt.process, details);
      }
      default:
        return undefined;
    }
  }

  /**
   * `<label> <source> <binary>` followed by the details (each detail comes with the space before
   * it, so a missing detail still leaves its separator, as tetra's Sprintf does) and the caps column.
   */
  private line(
    text: string,
    node: string,
    process: Process | undefined,
    details: string,
  ): string | undefined {
    if (!process) return undefined;
    const c = this.c;
    const source = process.pod
      ? `${process.pod.namespace ?? ''}/${process.pod.name ?? ''}`
      : maybeQuote(node);
    const line = `${c.blue(text)} ${c.green(source)} ${c.magenta(maybeQuote(process.binary ?? ''))}${details}`;
    // Painted even when empty, as tetra does: with colours on, every line gets the trailer.
    const caps = c.magenta(hasCapsMark(process) ? CAP_SYS_ADMIN_MARK : '');
    return caps.length === 0 ? line : capTrailer(line, caps);
  }

  private kprobe(node: string, kprobe: ProcessKprobe): string | undefined {
    const process = kprobe.process;
    if (!process) return undefined;
    const c = this.c;
    const args = kprobe.args ?? [];
    const fn = kprobe.function_name ?? '';
    const name = cutSyscallPrefix(fn);
    switch (name) {
      case 'sys_write':
      case 'sys_read': {
        const file = args[0]?.file_arg ? c.cyan(maybeQuote(args[0].file_arg.path ?? '')) : '';
        const bytes = args.length > 2 ? c.cyan(`${args[2]?.size_arg ?? '0'} bytes`) : '';
        return this.line(name === 'sys_write' ? LABEL.write : LABEL.read, node, process, ` ${file} ${bytes}`);
      }
      case 'fd_install':
        return this.line(LABEL.fdInstall, node, process, ` ${this.filePath(args[1])}`);
      case 'sys_openat':
        return this.line(LABEL.openat, node, process, ` ${this.secondString(args)}`);
      case 'sys_open':
        return this.line(LABEL.open, node, process, ` ${this.secondString(args)}`);
      case 'sys_close':
        return this.line(LABEL.close, node, process, ` ${this.filePath(args[0])}`);
      case 'sys_mount':
        return this.line(LABEL.mount, node, process, this.twoStrings(args));
      case 'sys_setuid': {
        const uid = args.length > 0 ? c.cyan(String(args[0]?.int_arg ?? 0)) : '';
        return this.line(LABEL.setuid, node, process, ` ${uid}`);
      }
      case 'sys_clock_settime':
        return this.line(LABEL.clockSettime, node, process, '');
      case 'sys_pivot_root':
        return this.line(LABEL.pivotRoot, node, process, this.twoStrings(args));
      case 'proc_exec_connector':
        return this.line(LABEL.procExecConnector, node, process, '');
      case 'sys_setns': {
        const flags = args.length > 1 ? (NAMESPACE_FLAGS.get(args[1]?.int_arg ?? 0) ?? '') : '';
        return this.line(LABEL.setns, node, process, ` ${flags}`);
      }
      case 'tcp_connect':
        return this.line(LABEL.connect, node, process, ` ${this.sock(args)}`);
      case 'tcp_close':
        return this.line(LABEL.tcpClose, node, process, ` ${this.sock(args)}`);
      case 'tcp_sendmsg':
        return this.line(LABEL.sendmsg, node, process, ` ${this.sock(args)} bytes ${args[1]?.int_arg ?? 0}`);
      case 'bpf_check': {
        const attr = args[0]?.bpf_attr_arg ?? {};
        const text =
          args.length > 0
            ? c.cyan(`${attr.ProgType ?? ''} ${attr.ProgName ?? ''} instruction count ${attr.InsnCnt ?? 0}`)
            : '';
        return this.line(LABEL.bpfLoad, node, process, ` ${text}`);
      }
      case 'security_perf_event_alloc': {
        const perf = args[0]?.perf_event_arg ?? {};
        const text = args.length > 0 ? c.cyan(`${perf.Type ?? ''} ${perf.KprobeFunc ?? ''}`) : '';
        return this.line(LABEL.perfEventAlloc, node, process, ` ${text}`);
      }
      case 'security_bpf_map_alloc':
      case 'security_bpf_map_create': {
        const map = args[0]?.bpf_map_arg ?? {};
        const text = `${map.MapType ?? ''} ${map.MapName ?? ''} key size ${map.KeySize ?? 0} value size ${map.ValueSize ?? 0} max entries ${map.MaxEntries ?? 0}`;
        return this.line(LABEL.bpfMapCreate, node, process, ` ${args.length > 0 ? c.cyan(text) : ''}`);
      }
      case 'security_file_permission':
        return this.filePermission(node, process, args);
      case 'security_mmap_file':
        return this.mmapFile(node, process, args);
      case 'security_path_truncate':
        if (args.length === 0) return this.line(LABEL.unknownPathTruncate, node, process, ' ');
        return this.line(
          LABEL.truncate,
          node,
          process,
          ` ${c.cyan(maybeQuote(args[0]?.path_arg?.path ?? ''))}`,
        );
      case 'security_file_truncate':
        if (args.length === 0) return this.line(LABEL.unknownFileTruncate, node, process, ' ');
        return this.line(LABEL.truncate, node, process, ` ${c.cyan(args[0]?.file_arg?.path ?? '')}`);
      default:
        return this.line(LABEL.unknownSyscall, node, process, ` ${fn}`);
    }
  }

  private filePath(arg: KprobeArgument | undefined): string {
    return arg?.file_arg ? this.c.cyan(maybeQuote(arg.file_arg.path ?? '')) : '';
  }

  private secondString(args: KprobeArgument[]): string {
    return args.length > 1 ? this.c.cyan(maybeQuote(args[1]?.string_arg ?? '')) : '';
  }

  /** Two details: the first string argument as is, the second quoted when it must be. */
  private twoStrings(args: KprobeArgument[]): string {
    const first = args.length > 0 ? this.c.cyan(args[0]?.string_arg ?? '') : '';
    return ` ${first} ${this.secondString(args)}`;
  }

  private sock(args: KprobeArgument[]): string {
    if (args.length === 0) return '';
    const s = args[0]?.sock_arg ?? {};
    return this.c.cyan(`tcp ${s.saddr ?? ''}:${s.sport ?? 0} -> ${s.daddr ?? ''}:${s.dport ?? 0}`);
  }

  private filePermission(node: string, process: Process, args: KprobeArgument[]): string | undefined {
    if (args.length < 2) return this.line(LABEL.unknownFilePermission, node, process, ' ');
    const path = ` ${this.c.cyan(args[0]?.file_arg?.path ?? '')}`;
    const mask = args[1]?.int_arg ?? 0;
    if (mask === 0x02) return this.line(LABEL.write, node, process, path);
    if (mask === 0x04) return this.line(LABEL.read, node, process, path);
    return this.line(LABEL.unknownFilePermission, node, process, path);
  }

  private mmapFile(node: string, process: Process, args: KprobeArgument[]): string | undefined {
    if (args.length < 2) return this.line(LABEL.unknownMmapFile, node, process, ' ');
    const prot = args[1]?.uint_arg ?? 0;
    const tag = `mmap-${prot & 1 ? 'r' : ''}${prot & 2 ? 'w' : ''}${prot & 4 ? 'x' : ''}`;
    return this.line(label('📝', tag), node, process, ` ${this.c.cyan(args[0]?.file_arg?.path ?? '')}`);
  }

  private tracepoint(node: string, tp: ProcessTracepoint): string | undefined {
    const process = tp.process;
    if (!process) return undefined;
    const subsys = tp.subsys ?? '';
    const event = tp.event ?? '';
    if (subsys === 'raw_syscalls' && event === 'sys_enter') {
      return this.line(LABEL.rawSyscall, node, process, ` ${rawSyscallEnter(tp)}`);
    }
    return this.line(LABEL.tracepoint, node, process, ` ${subsys} ${event}`);
  }

  /** Kernel and user stack traces of kprobe events, in tetra's layout. */
  stackTrace(event: GetEventsResponse): string {
    const kprobe = event.process_kprobe;
    if (!kprobe) return '';
    const c = this.c;
    let out = '';
    if (kprobe.kernel_stack_trace?.length) {
      out += 'Kernel:\n';
      for (const st of kprobe.kernel_stack_trace) {
        out += `${c.green(`   0x${this.hex.of(st.address)}:`)}${c.blue(` ${st.symbol ?? ''}`)}+${c.yellow(`0x${this.hex.of(st.offset)}\n`)}`;
      }
    }
    if (kprobe.user_stack_trace?.length) {
      out += 'User:\n';
      for (const st of kprobe.user_stack_trace) {
        out += c.green(`   0x${this.hex.of(st.address)}:`);
        if (st.symbol) out += c.blue(` ${st.symbol}`);
        out += c.yellow(` (${st.module ?? ''}+0x${this.hex.of(st.offset)})\n`);
      }
    }
    return out;
  }

  /** The IMA hash of LSM events with the file it belongs to. */
  imaHash(event: GetEventsResponse): string {
    const lsm = event.process_lsm;
    if (!lsm?.ima_hash) return '';
    const path = imaPath(lsm);
    return path ? `${this.c.green(`   ${path}`)}${this.c.blue(` ${lsm.ima_hash}\n`)}` : '';
  }
}

const BINPRM_HOOKS = new Set([
  'bprm_check_security',
  'bprm_committed_creds',
  'bprm_committing_creds',
  'bprm_creds_for_exec',
  'bprm_creds_from_file',
]);
const FILE_HOOKS = new Set([
  'file_ioctl',
  'file_lock',
  'file_open',
  'file_post_open',
  'file_receive',
  'mmap_file',
]);

function imaPath(lsm: ProcessLsm): string {
  const fn = lsm.function_name ?? '';
  const first = lsm.args?.[0];
  if (BINPRM_HOOKS.has(fn)) return first?.linux_binprm_arg?.path ?? '';
  if (FILE_HOOKS.has(fn)) return first?.file_arg?.path ?? '';
  return '';
}

/** Why an event cannot be printed, in tetra's words: every type but rate-limit reports has a line. */
function unprintable(event: GetEventsResponse): CompactFormatError {
  const field = eventFieldOf(event);
  const typed = field !== undefined && field !== 'rate_limit_info';
  return new CompactFormatError(
    typed ? 'process field is not set' : `unknown event type: ${eventTypeOf(event)}`,
  );
}

function cutSyscallPrefix(fn: string): string {
  for (const prefix of SYSCALL_PREFIXES) if (fn.startsWith(prefix)) return fn.slice(prefix.length);
  return fn;
}

const CAP_SYS_ADMIN_MARK = '🛑 CAP_SYS_ADMIN';

/**
 * Tetra's quirk, kept on purpose: it walks the effective set's indices, not its values, so the
 * marker appears when the set has more than 21 entries rather than when CAP_SYS_ADMIN is in it.
 */
function hasCapsMark(process: Process): boolean {
  const effective = process.cap?.effective;
  return effective !== undefined && effective.length > CAP_SYS_ADMIN;
}

/**
 * Go's `fmt.Sprintf("%s %*s", str, 120-len(str), caps)`: the width is computed from the line's
 * UTF-8 byte length, while fmt pads by counting runes.
 */
function capTrailer(line: string, caps: string): string {
  const bytes = utf8Length(line);
  const width = bytes < CAPS_COLUMN ? CAPS_COLUMN - bytes : 0;
  const runes = runeCount(caps);
  return `${line} ${' '.repeat(Math.max(0, width - runes))}${caps}`;
}

/** UTF-8 length of a string, counting a lone surrogate as U+FFFD (3 bytes) as Buffer does. */
function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      // A pair is 4 bytes for 2 code units; a lone high surrogate is 3 bytes.
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 2;
        i++;
      } else bytes += 2;
    } else bytes += 2;
  }
  return bytes;
}

function runeCount(text: string): number {
  let runes = 0;
  for (const _ of text) runes++;
  return runes;
}

/** The `--timestamps` prefix: UTC with nine fraction digits; events without time print the epoch. */
function timestampOf(event: GetEventsResponse): string {
  const text = event.time ? canonicalTimestamp(event.time) : undefined;
  if (!text) return '1970-01-01T00:00:00.000000000Z';
  const dot = text.indexOf('.');
  const base = dot === -1 ? text.slice(0, -1) : text.slice(0, dot);
  const fraction = dot === -1 ? '' : text.slice(dot + 1, -1);
  return `${base}.${fraction.padEnd(9, '0')}Z`;
}
