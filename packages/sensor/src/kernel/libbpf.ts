import { randomBytes } from 'node:crypto';
import koffi from 'koffi';

/**
 * The few libbpf calls the sensor's object loader needs, bound with koffi.
 * @ciliary/datapath has a fuller binding behind its loadBpfObject, which its
 * public API does not export yet; this one exists only until it does.
 */
export interface SensorLibbpf {
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
  readonly findProgram: (obj: unknown, name: string) => unknown;
  readonly programAttach: (prog: unknown) => unknown;
  readonly programAttachTracepoint: (prog: unknown, category: string, name: string) => unknown;
  readonly programSetLogBuf: (prog: unknown, buf: Buffer, size: number) => number;
  readonly programSetLogLevel: (prog: unknown, level: number) => number;
  readonly nextProgram: (obj: unknown, prev: unknown) => unknown;
  readonly programName: (prog: unknown) => string;
  readonly linkDestroy: (link: unknown) => number;
  readonly errno: () => number;
}

let bound: SensorLibbpf | undefined;

/** Binds once per module instance: the binding is this process's view of a shared library. */
export function sensorLibbpf(): SensorLibbpf {
  bound ??= bind();
  return bound;
}

function bind(): SensorLibbpf {
  // koffi's type names are process-wide; a random prefix keeps these apart
  // from datapath's binding and from a second evaluation of this module.
  const ns = `sn${randomBytes(4).toString('hex')}`;
  const lib = koffi.load('libbpf.so.1');
  for (const type of ['bpf_object', 'bpf_map', 'bpf_program', 'bpf_link']) koffi.opaque(`${ns}_${type}`);
  const obj = `${ns}_bpf_object`;
  const map = `${ns}_bpf_map`;
  const prog = `${ns}_bpf_program`;
  const link = `${ns}_bpf_link`;
  return {
    openFile: lib.func(`${obj} *bpf_object__open_file(const char *path, const void *opts)`),
    objectLoad: lib.func(`int bpf_object__load(${obj} *obj)`),
    objectClose: lib.func(`void bpf_object__close(${obj} *obj)`),
    findMap: lib.func(`${map} *bpf_object__find_map_by_name(const ${obj} *obj, const char *name)`),
    nextMap: lib.func(`${map} *bpf_object__next_map(const ${obj} *obj, const ${map} *map)`),
    mapName: lib.func(`const char *bpf_map__name(const ${map} *map)`),
    mapSetPinPath: lib.func(`int bpf_map__set_pin_path(${map} *map, const char *path)`),
    mapSetMaxEntries: lib.func(`int bpf_map__set_max_entries(${map} *map, uint32_t max_entries)`),
    mapSetInitialValue: lib.func(
      `int bpf_map__set_initial_value(${map} *map, const void *data, size_t size)`,
    ),
    mapInitialValue: lib.func(`void *bpf_map__initial_value(${map} *map, _Out_ size_t *psize)`),
    findProgram: lib.func(`${prog} *bpf_object__find_program_by_name(const ${obj} *obj, const char *name)`),
    programAttach: lib.func(`${link} *bpf_program__attach(const ${prog} *prog)`),
    programAttachTracepoint: lib.func(
      `${link} *bpf_program__attach_tracepoint(const ${prog} *prog, const char *tp_category, const char *tp_name)`,
    ),
    programSetLogBuf: lib.func(`int bpf_program__set_log_buf(${prog} *prog, char *log_buf, size_t log_size)`),
    programSetLogLevel: lib.func(`int bpf_program__set_log_level(${prog} *prog, uint32_t log_level)`),
    nextProgram: lib.func(`${prog} *bpf_object__next_program(const ${obj} *obj, ${prog} *prog)`),
    programName: lib.func(`const char *bpf_program__name(const ${prog} *prog)`),
    linkDestroy: lib.func(`int bpf_link__destroy(${link} *link)`),
    errno: () => koffi.errno(),
  };
}
