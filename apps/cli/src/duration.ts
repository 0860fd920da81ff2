/** Milliseconds in each unit Go's time.ParseDuration accepts. */
const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3, // U+00B5 MICRO SIGN
  μs: 1e-3, // U+03BC GREEK SMALL LETTER MU
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const COMPONENT = /(\d*)(?:\.(\d*))?([^\d.]+)/y;

/**
 * A duration flag in Go's syntax (time.ParseDuration: "2s", "1m30s", "1.5h", "250ms", "0"), as
 * tetra's flags take them, in milliseconds; undefined when the text is not one.
 */
export function parseGoDuration(text: string): number | undefined {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest.startsWith('-')) sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let total = 0;
  COMPONENT.lastIndex = 0;
  while (COMPONENT.lastIndex < rest.length) {
    const at = COMPONENT.lastIndex;
    const m = COMPONENT.exec(rest);
    if (!m || m.index !== at) return undefined;
    const [, whole = '', fraction, unit = ''] = m;
    const scale = UNIT_MS[unit];
    if (scale === undefined || (whole === '' && (fraction ?? '') === '')) return undefined;
    total += Number(`${whole || '0'}.${fraction ?? ''}0`) * scale;
  }
  return sign * total;
}
