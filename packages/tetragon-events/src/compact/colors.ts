/** Colour modes of `tetra getevents --color`. */
export type ColorMode = 'auto' | 'always' | 'never';

/** Paints text as fatih/color does: `ESC[<code>m` + text + `ESC[0m`, even around empty text. */
export interface Painter {
  (text: string): string;
}

export interface Palette {
  readonly red: Painter;
  readonly green: Painter;
  readonly yellow: Painter;
  readonly blue: Painter;
  readonly magenta: Painter;
  readonly cyan: Painter;
}

function painter(code: number, enabled: boolean): Painter {
  if (!enabled) return (text) => text;
  const open = `\x1b[${code}m`;
  return (text) => `${open}${text}\x1b[0m`;
}

export function palette(enabled: boolean): Palette {
  return {
    red: painter(31, enabled),
    green: painter(32, enabled),
    yellow: painter(33, enabled),
    blue: painter(34, enabled),
    magenta: painter(35, enabled),
    cyan: painter(36, enabled),
  };
}

/**
 * Whether `auto` means colours, decided as fatih/color does: off when NO_COLOR is set to
 * anything but the empty string (no-color.org), when TERM is "dumb", or when the output is not a
 * terminal.
 */
export function autoColor(env: NodeJS.ProcessEnv, isTty: boolean): boolean {
  return isTty && env.TERM !== 'dumb' && !env.NO_COLOR;
}
