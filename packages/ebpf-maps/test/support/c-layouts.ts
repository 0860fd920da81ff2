import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const cDir = path.resolve(__dirname, '../c');

/** The possible CPUs as the kernel lists them (`0-1`, `0,2-3`): what Cilium's loader passes as `__NR_CPUS__`. */
export function possibleCpus(): number {
  const ranges = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim().split(',');
  return ranges.reduce((sum, range) => {
    const [first = '0', last = first] = range.split('-');
    return sum + Number(last) - Number(first) + 1;
  }, 0);
}

/** Compiles test/c/layouts.bpf.c (Cilium's structs as BPF maps with BTF) and returns the object's path. */
export function compileLayoutsObject(): string {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'ciliary-layouts-')), 'layouts.bpf.o');
  execFileSync('clang', [
    '-O2',
    '-g',
    '-target',
    'bpf',
    `-I${cDir}`,
    '-I/usr/include/x86_64-linux-gnu',
    `-D__NR_CPUS__=${possibleCpus()}`,
    '-c',
    path.join(cDir, 'layouts.bpf.c'),
    '-o',
    out,
  ]);
  return out;
}

/** A member of a C struct with its absolute position, anonymous and nested structs flattened. */
export interface CMember {
  readonly name: string;
  readonly bitOffset: number;
  /** Set for bitfields. */
  readonly bitfieldSize?: number;
  readonly byteSize: number;
  /** True for members that are neither structs nor unions. */
  readonly leaf: boolean;
}

export interface CStruct {
  readonly name: string;
  readonly size: number;
  readonly members: readonly CMember[];
}

interface BtfType {
  id: number;
  kind: string;
  name?: string;
  size?: number;
  type_id?: number;
  nr_elems?: number;
  members?: Array<{ name: string; type_id: number; bits_offset: number; bitfield_size?: number }>;
}

/** Reads every struct of an object's BTF through `bpftool -j btf dump file`. */
export function readBtfStructs(objectPath: string): Map<string, CStruct> {
  const dump = JSON.parse(
    execFileSync('bpftool', ['-j', 'btf', 'dump', 'file', objectPath], { encoding: 'utf8' }),
  ) as {
    types: BtfType[];
  };
  const byId = new Map(dump.types.map((t) => [t.id, t]));
  const resolve = (id: number): BtfType => {
    let t = byId.get(id);
    while (t && (t.kind === 'TYPEDEF' || t.kind === 'VOLATILE' || t.kind === 'CONST'))
      t = byId.get(t.type_id ?? 0);
    if (!t) throw new Error(`BTF type ${id} not found`);
    return t;
  };
  const sizeOf = (t: BtfType): number =>
    t.kind === 'ARRAY' ? (t.nr_elems ?? 0) * sizeOf(resolve(t.type_id ?? 0)) : (t.size ?? 0);
  const flatten = (t: BtfType, base: number, out: CMember[]): void => {
    for (const m of t.members ?? []) {
      const mt = resolve(m.type_id);
      const bitOffset = base + m.bits_offset;
      const composite = mt.kind === 'STRUCT' || mt.kind === 'UNION';
      if (m.name !== '(anon)') {
        out.push({
          name: m.name,
          bitOffset,
          byteSize: sizeOf(mt),
          leaf: !composite,
          ...(m.bitfield_size ? { bitfieldSize: m.bitfield_size } : {}),
        });
      }
      // Members of nested structs count too, except inside named unions of their own (v6addr's views).
      if (composite && (m.name === '(anon)' || mt.kind === 'STRUCT')) flatten(mt, bitOffset, out);
    }
  };
  const structs = new Map<string, CStruct>();
  for (const t of dump.types) {
    if (t.kind !== 'STRUCT' || !t.name || t.name === '(anon)') continue;
    const members: CMember[] = [];
    flatten(t, 0, members);
    structs.set(t.name, { name: t.name, size: t.size ?? 0, members });
  }
  return structs;
}

/** Builds test/c/maptool.c (load objects, write Cilium structs from C, the C benchmark loop). */
export function buildMaptool(): string {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'ciliary-maptool-')), 'maptool');
  execFileSync('clang', ['-O2', '-Wall', `-I${cDir}`, '-o', out, path.join(cDir, 'maptool.c'), '-lbpf']);
  return out;
}
