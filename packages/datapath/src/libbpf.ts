import { randomBytes } from 'node:crypto';
import koffi from 'koffi';

/**
 * The part of libbpf (libbpf.so.1, Debian's libbpf1) the loader needs:
 * objects and programs, tc attachment, ring buffers. Bound with koffi, so no
 * native build step. Pointer-returning calls give null on failure with the
 * reason in errno; int-returning calls give -errno.
 */
export interface Libbpf {
  readonly openFile: (path: string, opts: null) => unknown;
  readonly objectLoad: (obj: unknown) => number;
  readonly objectClose: (obj: unknown) => void;
  readonly findMap: (obj: unknown, name: string) => unknown;
  readonly nextMap: (obj: unknown, prev: unknown) => unknown;
  readonly mapName: (map: unknown) => string;
  readonly mapSetPinPath: (map: unknown, path: string) => number;
  readonly mapSetMaxEntries: (map: unknown, max: number) => number;
  readonly mapSetInitialValue: (map: unknown, data: Buffer, size: number) => number;
  readonly mapInitialValue: (map: unknown, size: [number]) => unknown;
  readonly mapFd: (map: unknown) => number;
  readonly findProgram: (obj: unknown, name: string) => unknown;
  readonly programFd: (prog: unknown) => number;
  readonly programSetLogBuf: (prog: unknown, buf: Buffer, size: number) => number;
  readonly programSetLogLevel: (prog: unknown, level: number) => number;
  readonly tcHookCreate: (hook: TcHook) => number;
  readonly tcHookDestroy: (hook: TcHook) => number;
  readonly tcAttach: (hook: TcHook, opts: TcOpts) => number;
  readonly tcDetach: (hook: TcHook, opts: TcOpts) => number;
  readonly tcQuery: (hook: TcHook, opts: TcOpts) => number;
  readonly objGet: (path: string) => number;
  readonly programAttach: (prog: unknown) => unknown;
  readonly programAttachKprobe: (prog: unknown, retprobe: boolean, func: string) => unknown;
  readonly programAttachTracepoint: (prog: unknown, category: string, name: string) => unknown;
  readonly linkDestroy: (link: unknown) => number;
  readonly programName: (prog: unknown) => string;
  readonly nextProgram: (obj: unknown, prev: unknown) => unknown;
  readonly ringBufferNew: (fd: number, callback: unknown, ctx: null, opts: null) => unknown;
  readonly ringBufferConsume: (rb: unknown) => number;
  readonly ringBufferEpollFd: (rb: unknown) => number;
  readonly ringBufferFree: (rb: unknown) => void;
  readonly close: (fd: number) => number;
  readonly sampleCallback: ReturnType<typeof koffi.proto>;
  readonly errno: () => number;
  /** libbpf's recent messages (warnings and errors), newest last; see captureMessages. */
  readonly messages: LibbpfMessages;
}

/**
 * libbpf reports details (why a pinned map could not be reused, kernel
 * netlink errors) through a print callback that writes to stderr by default.
 * The binding routes them here instead: they are kept for error messages and
 * handed to an optional sink (the agent's logger).
 */
export class LibbpfMessages {
  private recent: string[] = [];
  sink: ((level: 'warn' | 'info' | 'debug', message: string) => void) | undefined;

  add(level: number, message: string): void {
    const text = message.trimEnd();
    const name = level === 0 ? 'warn' : level === 1 ? 'info' : 'debug';
    if (name === 'debug' && !this.sink) return;
    this.sink?.(name, text);
    if (name === 'warn') {
      this.recent.push(text);
      if (this.recent.length > 20) this.recent.shift();
    }
  }

  /** Takes the warnings collected since the last call. */
  take(): string[] {
    const taken = this.recent;
    this.recent = [];
    return taken;
  }
}

export interface TcHook {
  sz: number;
  ifindex: number;
  attach_point: number;
  parent: number;
}

export interface TcOpts {
  sz: number;
  prog_fd: number;
  flags: number;
  prog_id: number;
  handle: number;
  priority: number;
}

export const BPF_TC_INGRESS = 1;
export const BPF_TC_EGRESS = 2;
export const BPF_TC_F_REPLACE = 1;

let bound: Libbpf | undefined;

/**
 * Binds libbpf once per module instance: the binding is the process's view of
 * a shared library (libbpf's print callback is process-wide too), so it is
 * cached rather than rebuilt per caller. Everything that does I/O with it is an
 * explicit object created by the caller.
 */
export function libbpf(): Libbpf {
  bound ??= bind();
  return bound;
}

function bind(): Libbpf {
  // koffi keeps type names in one registry per process, and a package can be
  // evaluated more than once in a process (test runners do it); a random
  // prefix keeps each binding's names its own.
  const ns = `dp${randomBytes(4).toString('hex')}`;
  const lib = koffi.load('libbpf.so.1');
  const libc = koffi.load('libc.so.6');
  koffi.opaque(`${ns}_bpf_object`);
  koffi.opaque(`${ns}_bpf_map`);
  koffi.opaque(`${ns}_bpf_program`);
  koffi.opaque(`${ns}_ring_buffer`);
  koffi.opaque(`${ns}_bpf_link`);
  const hook = koffi.struct(`${ns}_bpf_tc_hook`, {
    sz: 'size_t',
    ifindex: 'int',
    attach_point: 'int',
    parent: 'uint32_t',
  });
  const opts = koffi.struct(`${ns}_bpf_tc_opts`, {
    sz: 'size_t',
    prog_fd: 'int',
    flags: 'uint32_t',
    prog_id: 'uint32_t',
    handle: 'uint32_t',
    priority: 'uint32_t',
  });
  if (koffi.sizeof(hook) !== 24 || koffi.sizeof(opts) !== 32) {
    throw new Error('unexpected bpf_tc_hook/bpf_tc_opts layout for this libbpf');
  }
  const sampleCallback = koffi.proto(`int ${ns}_ring_buffer_sample_fn(void *ctx, void *data, size_t size)`);
  const messages = captureMessages(ns, lib, libc);
  return {
    openFile: lib.func(`${ns}_bpf_object *bpf_object__open_file(const char *path, const void *opts)`),
    objectLoad: lib.func(`int bpf_object__load(${ns}_bpf_object *obj)`),
    objectClose: lib.func(`void bpf_object__close(${ns}_bpf_object *obj)`),
    findMap: lib.func(
      `${ns}_bpf_map *bpf_object__find_map_by_name(const ${ns}_bpf_object *obj, const char *name)`,
    ),
    nextMap: lib.func(
      `${ns}_bpf_map *bpf_object__next_map(const ${ns}_bpf_object *obj, const ${ns}_bpf_map *map)`,
    ),
    mapName: lib.func(`const char *bpf_map__name(const ${ns}_bpf_map *map)`),
    mapSetPinPath: lib.func(`int bpf_map__set_pin_path(${ns}_bpf_map *map, const char *path)`),
    mapSetMaxEntries: lib.func(`int bpf_map__set_max_entries(${ns}_bpf_map *map, uint32_t max_entries)`),
    mapSetInitialValue: lib.func(
      `int bpf_map__set_initial_value(${ns}_bpf_map *map, const void *data, size_t size)`,
    ),
    mapInitialValue: lib.func(`void *bpf_map__initial_value(${ns}_bpf_map *map, _Out_ size_t *psize)`),
    mapFd: lib.func(`int bpf_map__fd(const ${ns}_bpf_map *map)`),
    findProgram: lib.func(
      `${ns}_bpf_program *bpf_object__find_program_by_name(const ${ns}_bpf_object *obj, const char *name)`,
    ),
    programFd: lib.func(`int bpf_program__fd(const ${ns}_bpf_program *prog)`),
    programSetLogBuf: lib.func(
      `int bpf_program__set_log_buf(${ns}_bpf_program *prog, char *log_buf, size_t log_size)`,
    ),
    programSetLogLevel: lib.func(
      `int bpf_program__set_log_level(${ns}_bpf_program *prog, uint32_t log_level)`,
    ),
    tcHookCreate: lib.func(`int bpf_tc_hook_create(${ns}_bpf_tc_hook *hook)`),
    tcHookDestroy: lib.func(`int bpf_tc_hook_destroy(${ns}_bpf_tc_hook *hook)`),
    tcAttach: lib.func(`int bpf_tc_attach(const ${ns}_bpf_tc_hook *hook, _Inout_ ${ns}_bpf_tc_opts *opts)`),
    tcDetach: lib.func(`int bpf_tc_detach(const ${ns}_bpf_tc_hook *hook, const ${ns}_bpf_tc_opts *opts)`),
    tcQuery: lib.func(`int bpf_tc_query(const ${ns}_bpf_tc_hook *hook, _Inout_ ${ns}_bpf_tc_opts *opts)`),
    objGet: lib.func('int bpf_obj_get(const char *pathname)'),
    programAttach: lib.func(`${ns}_bpf_link *bpf_program__attach(const ${ns}_bpf_program *prog)`),
    programAttachKprobe: lib.func(
      `${ns}_bpf_link *bpf_program__attach_kprobe(const ${ns}_bpf_program *prog, bool retprobe, const char *func_name)`,
    ),
    programAttachTracepoint: lib.func(
      `${ns}_bpf_link *bpf_program__attach_tracepoint(const ${ns}_bpf_program *prog, const char *tp_category, const char *tp_name)`,
    ),
    linkDestroy: lib.func(`int bpf_link__destroy(${ns}_bpf_link *link)`),
    programName: lib.func(`const char *bpf_program__name(const ${ns}_bpf_program *prog)`),
    nextProgram: lib.func(
      `${ns}_bpf_program *bpf_object__next_program(const ${ns}_bpf_object *obj, ${ns}_bpf_program *prog)`,
    ),
    ringBufferNew: lib.func(
      `${ns}_ring_buffer *ring_buffer__new(int map_fd, ${ns}_ring_buffer_sample_fn *sample_cb, void *ctx, const void *opts)`,
    ),
    ringBufferConsume: lib.func(`int ring_buffer__consume(${ns}_ring_buffer *rb)`),
    ringBufferEpollFd: lib.func(`int ring_buffer__epoll_fd(const ${ns}_ring_buffer *rb)`),
    ringBufferFree: lib.func(`void ring_buffer__free(${ns}_ring_buffer *rb)`),
    close: libc.func('int close(int fd)'),
    sampleCallback,
    errno: () => koffi.errno(),
    messages,
  };
}

/**
 * Installs a libbpf print callback that formats each message with libc's
 * vsnprintf. On x86-64 and arm64 a va_list argument is passed as a pointer,
 * which is how the callback receives and forwards it.
 */
function captureMessages(
  ns: string,
  lib: ReturnType<typeof koffi.load>,
  libc: ReturnType<typeof koffi.load>,
): LibbpfMessages {
  const messages = new LibbpfMessages();
  const printFn = koffi.proto(`int ${ns}_libbpf_print_fn(int level, const char *fmt, void *args)`);
  const setPrint = lib.func(`void *libbpf_set_print(${ns}_libbpf_print_fn *fn)`);
  const vsnprintf = libc.func('int vsnprintf(_Out_ uint8_t *buf, size_t size, const char *fmt, void *args)');
  const buffer = Buffer.alloc(4096);
  const callback = koffi.register((level: number, fmt: string, args: unknown) => {
    const len = vsnprintf(buffer, buffer.length, fmt, args) as number;
    messages.add(level, buffer.toString('utf8', 0, Math.max(0, Math.min(len, buffer.length - 1))));
    return 0;
  }, koffi.pointer(printFn));
  setPrint(callback);
  return messages;
}
