import * as path from 'node:path';
import koffi from 'koffi';
import { CiliaryError } from '@ciliary/core';
import { sensorLibbpf, type SensorLibbpf } from './libbpf';

/** A sensor BPF object the kernel refused, or a program that would not attach. */
export class SensorBpfError extends CiliaryError {
  override readonly name = 'SensorBpfError';
  constructor(
    message: string,
    readonly objectPath: string,
    readonly errno: number,
    readonly verifierLog = '',
    options?: { cause?: unknown },
  ) {
    super(
      verifierLog ? `${message}\n--- verifier log (last lines) ---\n${tail(verifierLog, 30)}` : message,
      options,
    );
  }
}

/** An opened object before load: pin and size maps, fill read-only globals. */
export interface ObjectConfig {
  mapNames(): string[];
  pinMap(name: string, pinPath: string): void;
  setMaxEntries(name: string, maxEntries: number): void;
  setReadOnlyData(data: Buffer): void;
}

export interface ProgramLink {
  destroy(): void;
}

/** A loaded object: attach programs by name, close to detach everything. */
export interface LoadedObject {
  attach(program: string): ProgramLink;
  attachTracepoint(program: string, category: string, event: string): ProgramLink;
  close(): void;
}

/** How the sensor loads objects; datapath's loadBpfObject has this shape. */
export type ObjectLoader = (objectPath: string, configure: (config: ObjectConfig) => void) => LoadedObject;

/**
 * Loads a CO-RE object with libbpf (the same shape as @ciliary/datapath's
 * loadBpfObject, which its public API does not export yet). A refused load
 * throws SensorBpfError with the verifier's log, gathered by loading once more
 * with logging on.
 */
export function loadSensorObject(
  objectPath: string,
  configure: (config: ObjectConfig) => void,
  lib: SensorLibbpf = sensorLibbpf(),
): LoadedObject {
  const obj = open(objectPath, configure, lib);
  const err = lib.objectLoad(obj);
  if (err < 0) {
    lib.objectClose(obj);
    throw new SensorBpfError(
      `loading ${path.basename(objectPath)} failed: errno ${-err}`,
      objectPath,
      -err,
      verifierLog(objectPath, configure, lib),
    );
  }
  return loaded(obj, objectPath, lib);
}

function loaded(obj: unknown, objectPath: string, lib: SensorLibbpf): LoadedObject {
  const links = new Set<unknown>();
  const program = (name: string): unknown => {
    const prog = lib.findProgram(obj, name);
    if (!prog) throw new SensorBpfError(`${objectPath} has no program ${name}`, objectPath, 2);
    return prog;
  };
  const keep = (link: unknown, what: string): ProgramLink => {
    if (!link) {
      const errno = lib.errno();
      throw new SensorBpfError(`${what} failed: errno ${errno}`, objectPath, errno);
    }
    links.add(link);
    return {
      destroy: () => {
        if (links.delete(link)) lib.linkDestroy(link);
      },
    };
  };
  return {
    attach: (name) => keep(lib.programAttach(program(name)), `attaching ${name}`),
    attachTracepoint: (name, category, event) =>
      keep(
        lib.programAttachTracepoint(program(name), category, event),
        `attaching ${name} to tracepoint ${category}/${event}`,
      ),
    close: () => {
      for (const link of links) lib.linkDestroy(link);
      links.clear();
      lib.objectClose(obj);
    },
  };
}

function open(objectPath: string, configure: (config: ObjectConfig) => void, lib: SensorLibbpf): unknown {
  const obj = lib.openFile(objectPath, null);
  if (!obj) {
    const errno = lib.errno();
    throw new SensorBpfError(`cannot open ${objectPath}: errno ${errno}`, objectPath, errno);
  }
  try {
    configure(config(obj, objectPath, lib));
    return obj;
  } catch (err) {
    lib.objectClose(obj);
    throw err;
  }
}

function config(obj: unknown, objectPath: string, lib: SensorLibbpf): ObjectConfig {
  const maps = (): Array<[string, unknown]> => {
    const out: Array<[string, unknown]> = [];
    for (let map = lib.nextMap(obj, null); map; map = lib.nextMap(obj, map))
      out.push([lib.mapName(map), map]);
    return out;
  };
  const find = (name: string): unknown => {
    const map = lib.findMap(obj, name);
    if (!map) throw new SensorBpfError(`${objectPath} has no map ${name}`, objectPath, 2);
    return map;
  };
  const check = (ret: number, what: string): void => {
    if (ret < 0) throw new SensorBpfError(`${what}: errno ${-ret}`, objectPath, -ret);
  };
  return {
    mapNames: () =>
      maps()
        .map(([name]) => name)
        .filter((name) => !name.includes('.')),
    pinMap: (name, pinPath) => check(lib.mapSetPinPath(find(name), pinPath), `pin ${name} at ${pinPath}`),
    setMaxEntries: (name, max) => check(lib.mapSetMaxEntries(find(name), max), `size ${name}`),
    setReadOnlyData: (data) => {
      const rodata = maps().find(([name]) => name.endsWith('.rodata'))?.[1];
      if (!rodata) throw new SensorBpfError(`${objectPath} has no read-only globals`, objectPath, 2);
      const size: [number] = [0];
      lib.mapInitialValue(rodata, size);
      if (size[0] !== data.length) {
        throw new SensorBpfError(
          `.rodata of ${objectPath} is ${size[0]} bytes but ${data.length} were given; the object and the loader disagree`,
          objectPath,
          22,
        );
      }
      check(lib.mapSetInitialValue(rodata, data, data.length), 'set read-only globals');
    },
  };
}

function verifierLog(
  objectPath: string,
  configure: (config: ObjectConfig) => void,
  lib: SensorLibbpf,
): string {
  let obj: unknown;
  try {
    obj = open(objectPath, configure, lib);
  } catch {
    return '';
  }
  const logs: Array<[string, Buffer]> = [];
  for (let prog = lib.nextProgram(obj, null); prog; prog = lib.nextProgram(obj, prog)) {
    const buf = Buffer.alloc(1 << 20);
    lib.programSetLogBuf(prog, buf, buf.length);
    lib.programSetLogLevel(prog, 1);
    logs.push([lib.programName(prog), buf]);
  }
  lib.objectLoad(obj);
  lib.objectClose(obj);
  return logs
    .map(([name, buf]) => [name, koffi.decode(buf, 'char', -1) as string] as const)
    .filter(([, text]) => text.length > 0)
    .map(([name, text]) => `program ${name}:\n${text}`)
    .join('\n');
}

function tail(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}
