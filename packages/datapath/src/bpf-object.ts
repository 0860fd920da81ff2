import * as path from 'node:path';
import koffi from 'koffi';
import { BpfLoadError, errnoName } from './errors';
import { libbpf, type Libbpf } from './libbpf';

/**
 * A BPF object file opened with libbpf and not yet loaded: the moment to pin
 * maps, size them and fill read-only globals. Handed to a configure callback.
 */
export interface BpfObjectConfig {
  /** Names of the object's own maps (not .rodata/.bss/.data). */
  mapNames(): string[];
  /** Pins a map at `pinPath`, reusing a compatible map already pinned there. */
  pinMap(name: string, pinPath: string): void;
  setMaxEntries(name: string, maxEntries: number): void;
  /**
   * Replaces the object's .rodata (its `const volatile` globals) with `data`;
   * the size must match, which catches an object and a loader that disagree.
   */
  setReadOnlyData(data: Buffer): void;
}

/** A link that keeps a program attached (tracepoint, kprobe); destroying it detaches. */
export interface BpfLink {
  destroy(): void;
}

/** A loaded BPF object: program and map fds, attachment, and close. */
export class LoadedBpfObject {
  private readonly links: unknown[] = [];

  constructor(
    private readonly obj: unknown,
    readonly objectPath: string,
    private readonly lib: Libbpf,
  ) {}

  programNames(): string[] {
    const names: string[] = [];
    for (let prog = this.lib.nextProgram(this.obj, null); prog; prog = this.lib.nextProgram(this.obj, prog)) {
      names.push(this.lib.programName(prog));
    }
    return names;
  }

  programFd(name: string): number {
    return this.lib.programFd(this.program(name));
  }

  mapFd(name: string): number {
    const map = this.lib.findMap(this.obj, name);
    if (!map) throw new BpfLoadError(`${this.objectPath} has no map ${name}`, this.objectPath, 2, '');
    return this.lib.mapFd(map);
  }

  /** Attaches by the program's section name (`tracepoint/sched/sched_process_exec`, `kprobe/...`). */
  attach(name: string): BpfLink {
    return this.link(name, this.lib.programAttach(this.program(name)), 'attach');
  }

  attachKprobe(name: string, functionName: string, retprobe = false): BpfLink {
    return this.link(
      name,
      this.lib.programAttachKprobe(this.program(name), retprobe, functionName),
      `attach to ${retprobe ? 'kretprobe' : 'kprobe'} ${functionName}`,
    );
  }

  attachTracepoint(name: string, category: string, event: string): BpfLink {
    return this.link(
      name,
      this.lib.programAttachTracepoint(this.program(name), category, event),
      `attach to tracepoint ${category}/${event}`,
    );
  }

  /** Detaches every link made through this object and frees it; pinned maps and tc filters stay. */
  close(): void {
    for (const link of this.links.splice(0)) this.lib.linkDestroy(link);
    this.lib.objectClose(this.obj);
  }

  private program(name: string): unknown {
    const prog = this.lib.findProgram(this.obj, name);
    if (!prog) throw new BpfLoadError(`${this.objectPath} has no program ${name}`, this.objectPath, 2, '');
    return prog;
  }

  private link(name: string, link: unknown, what: string): BpfLink {
    if (!link) {
      const errno = this.lib.errno();
      const details = this.lib.messages.take().join('; ');
      throw new BpfLoadError(
        `${name}: ${what} failed: ${errnoName(errno)}${details ? ` (libbpf: ${details})` : ''}`,
        this.objectPath,
        errno,
        '',
      );
    }
    this.links.push(link);
    return {
      destroy: () => {
        const index = this.links.indexOf(link);
        if (index < 0) return;
        this.links.splice(index, 1);
        this.lib.linkDestroy(link);
      },
    };
  }
}

/**
 * Opens `objectPath`, lets `configure` pin and size maps and fill read-only
 * globals, and loads it into the kernel (CO-RE relocated against the running
 * kernel's BTF). A load the kernel refuses throws BpfLoadError with libbpf's
 * messages and the verifier's log, gathered by loading once more with logging
 * on, only after a failure.
 */
export function loadBpfObject(
  objectPath: string,
  configure: (config: BpfObjectConfig) => void,
  lib: Libbpf = libbpf(),
): LoadedBpfObject {
  const obj = openConfigured(objectPath, configure, lib);
  lib.messages.take();
  const err = lib.objectLoad(obj);
  if (err < 0) {
    lib.objectClose(obj);
    const details = lib.messages.take().join('; ');
    throw new BpfLoadError(
      `loading ${path.basename(objectPath)} failed: ${errnoName(-err)}${details ? ` (libbpf: ${details})` : ''}`,
      objectPath,
      -err,
      verifierLog(objectPath, configure, lib),
    );
  }
  return new LoadedBpfObject(obj, objectPath, lib);
}

function openConfigured(
  objectPath: string,
  configure: (config: BpfObjectConfig) => void,
  lib: Libbpf,
): unknown {
  const obj = lib.openFile(objectPath, null);
  if (!obj) {
    const errno = lib.errno();
    throw new BpfLoadError(`cannot open ${objectPath}: ${errnoName(errno)}`, objectPath, errno, '');
  }
  try {
    configure(objectConfig(obj, objectPath, lib));
    return obj;
  } catch (err) {
    lib.objectClose(obj);
    throw err;
  }
}

function objectConfig(obj: unknown, objectPath: string, lib: Libbpf): BpfObjectConfig {
  const maps = (): Array<[string, unknown]> => {
    const out: Array<[string, unknown]> = [];
    for (let map = lib.nextMap(obj, null); map; map = lib.nextMap(obj, map))
      out.push([lib.mapName(map), map]);
    return out;
  };
  const find = (name: string): unknown => {
    const map = lib.findMap(obj, name);
    if (!map) throw new BpfLoadError(`${objectPath} has no map ${name}`, objectPath, 2, '');
    return map;
  };
  const check = (ret: number, what: string): void => {
    if (ret < 0) throw new BpfLoadError(`${what}: ${errnoName(-ret)}`, objectPath, -ret, '');
  };
  return {
    mapNames: () =>
      maps()
        .map(([name]) => name)
        .filter((name) => !name.includes('.')),
    pinMap: (name, pinPath) => check(lib.mapSetPinPath(find(name), pinPath), `pin ${name} at ${pinPath}`),
    setMaxEntries: (name, max) => check(lib.mapSetMaxEntries(find(name), max), `set max entries of ${name}`),
    setReadOnlyData: (data) => {
      const rodata = maps().find(([name]) => name.endsWith('.rodata'))?.[1];
      if (!rodata) throw new BpfLoadError(`${objectPath} has no read-only globals`, objectPath, 2, '');
      const size: [number] = [0];
      lib.mapInitialValue(rodata, size);
      if (size[0] !== data.length) {
        throw new BpfLoadError(
          `.rodata of ${objectPath} is ${size[0]} bytes but ${data.length} were given; the object and the loader disagree`,
          objectPath,
          22,
          '',
        );
      }
      check(lib.mapSetInitialValue(rodata, data, data.length), 'set read-only globals');
    },
  };
}

function verifierLog(objectPath: string, configure: (config: BpfObjectConfig) => void, lib: Libbpf): string {
  let obj: unknown;
  try {
    obj = openConfigured(objectPath, configure, lib);
  } catch {
    return '';
  }
  const logs: Array<[string, Buffer]> = [];
  for (let prog = lib.nextProgram(obj, null); prog; prog = lib.nextProgram(obj, prog)) {
    const buf = Buffer.alloc(4 << 20);
    lib.programSetLogBuf(prog, buf, buf.length);
    lib.programSetLogLevel(prog, 1);
    logs.push([lib.programName(prog), buf]);
  }
  lib.objectLoad(obj);
  lib.objectClose(obj);
  lib.messages.take();
  return logs
    .map(([name, buf]) => [name, koffi.decode(buf, 'char', -1) as string] as const)
    .filter(([, text]) => text.length > 0)
    .map(([name, text]) => `program ${name}:\n${text}`)
    .join('\n');
}
