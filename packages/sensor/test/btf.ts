import { execFileSync } from 'node:child_process';

interface BtfMember {
  name: string;
  bits_offset: number;
}
interface BtfType {
  name?: string;
  kind: string;
  size?: number;
  members?: BtfMember[];
}

/** The offsets and size of struct `name` as clang laid it out in `objectPath`'s BTF. */
export function structLayout(
  objectPath: string,
  name: string,
): { size: number; offsets: Record<string, number> } {
  const dump = JSON.parse(
    execFileSync('bpftool', ['-j', 'btf', 'dump', 'file', objectPath], { encoding: 'utf8' }),
  ) as {
    types: BtfType[];
  };
  const type = dump.types.find((t) => t.kind === 'STRUCT' && t.name === name);
  if (!type) throw new Error(`${objectPath} has no struct ${name} in its BTF`);
  return {
    size: type.size ?? 0,
    offsets: Object.fromEntries((type.members ?? []).map((m) => [m.name, m.bits_offset / 8])),
  };
}
