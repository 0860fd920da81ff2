/** Process flags as Tetragon names them, in its order (pkg/api/flags.go values). */
export const PROCESS_FLAGS: ReadonlyArray<readonly [number, string]> = [
  [0x1, 'execve'],
  [0x4, 'procFS'],
  [0x8, 'errorEnvs'],
  [0x10, 'truncArgs'],
  [0x40, 'miss'],
  [0x100, 'errorFilename'],
  [0x200, 'errorArgs'],
  [0x800, 'nocwd'],
  [0x1000, 'rootcwd'],
  [0x2000, 'errorCWD'],
  [0x4000, 'clone'],
  [0x10000, 'errorCgroupName'],
  [0x200000, 'errorCgroupID'],
  [0x40000, 'errorCgroupSubsysCgrp'],
  [0x80000, 'errorCgroupSubsys'],
  [0x100000, 'errorCgroups'],
  [0x400000, 'errorPathResolutionCwd'],
  [0x800000, 'dataFilename'],
  [0x1000000, 'dataArgs'],
  [0x2000000, 'inInitTree'],
];

/** The space-separated flags string of Process.flags. */
export function processFlags(bits: number): string {
  return PROCESS_FLAGS.filter(([bit]) => (bits & bit) !== 0)
    .map(([, name]) => name)
    .join(' ');
}

/**
 * Decodes the exec arguments buffer the BPF sensor sends, as Tetragon's ArgsDecoder does:
 * NUL-separated arguments (argv[0] already skipped; trailing NULs dropped) followed by the cwd
 * unless a flag says it is absent. An argument containing a space is wrapped in double quotes and
 * always preceded by a space, even when it comes first; an empty first argument disappears.
 * Tetragon's exports carry these quirks, so they are kept.
 */
export function decodeArgs(buffer: Uint8Array, flags: string): { arguments: string; cwd: string } {
  const tokens = Buffer.from(buffer).toString('utf8').replace(/\0+$/, '').split('\0');
  const names = new Set(flags.split(' '));
  const hasCwd = !names.has('nocwd') && !names.has('errorCWD') && !names.has('rootcwd');
  let cwd = '';
  if (names.has('rootcwd')) cwd = '/';
  else if (hasCwd) cwd = names.has('procFS') ? tokens.at(-1)!.trim() : tokens.at(-1)!;
  const argTokens = hasCwd ? tokens.slice(0, -1) : tokens;
  let args = '';
  for (const token of argTokens) {
    if (token.includes(' ')) args += ` "${token}"`;
    else args = args === '' ? token : `${args} ${token}`;
  }
  return { arguments: args, cwd };
}
