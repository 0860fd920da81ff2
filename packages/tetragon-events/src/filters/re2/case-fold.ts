/**
 * Simple case folding for RE2's `(?i)` scopes that JavaScript cannot flag per group: the code points
 * a case-insensitive match treats as equal to a given one (its orbit, in Go's unicode.SimpleFold terms).
 */

/** Orbits with more than an upper and a lower case member, which toUpperCase/toLowerCase miss. */
const EXTRA_ORBITS: readonly string[] = [
  'kK\u212A', // KELVIN SIGN
  's\u017FS', // LATIN SMALL LETTER LONG S
  '\u00E5\u00C5\u212B', // ANGSTROM SIGN
  '\u00B5\u03BC\u039C', // MICRO SIGN
  '\u03C9\u03A9\u2126', // OHM SIGN
  '\u03B8\u0398\u03D1\u03F4',
  '\u03B2\u0392\u03D0',
  '\u03B5\u0395\u03F5',
  '\u03B9\u0399\u1FBE\u0345',
  '\u03BA\u039A\u03F0',
  '\u03C0\u03A0\u03D6',
  '\u03C1\u03A1\u03F1',
  '\u03C3\u03A3\u03C2',
  '\u03C6\u03A6\u03D5',
  '\u00DF\u1E9E',
  '\u0432\u0412\u1C80',
  '\u0434\u0414\u1C81',
  '\u043E\u041E\u1C82',
  '\u0441\u0421\u1C83',
  '\u0442\u0422\u1C84\u1C85',
  '\u044A\u042A\u1C86',
  '\u0463\u0462\u1C87',
  '\u1E61\u1E60\u1E9B',
  '\uA64B\uA64A\u1C88',
];

const EXTRA: ReadonlyMap<number, readonly number[]> = (() => {
  const map = new Map<number, number[]>();
  for (const orbit of EXTRA_ORBITS) {
    const points = [...orbit].map((c) => c.codePointAt(0)!);
    for (const p of points) map.set(p, points);
  }
  return map;
})();

/** The code points equal to `cp` ignoring case, `cp` included. */
export function caseOrbit(cp: number): number[] {
  const extra = EXTRA.get(cp);
  if (extra) return [...extra];
  const out = new Set<number>([cp]);
  const c = String.fromCodePoint(cp);
  for (const mapped of [c.toLowerCase(), c.toUpperCase()]) {
    // Full mappings that expand to several characters (ß -> SS) are not simple folds.
    const p = mapped.codePointAt(0)!;
    if (String.fromCodePoint(p) === mapped) out.add(p);
  }
  return [...out];
}

/** Ranges larger than this are folded only where cased letters live below U+2CFF and in the fullwidth forms. */
const ENUMERATE_LIMIT = 0x3000;

/** Adds the case variants of every code point in [lo, hi] to `into` as single-point ranges. */
export function foldRange(lo: number, hi: number, into: Array<[number, number]>): void {
  if (hi - lo > ENUMERATE_LIMIT) {
    foldRange(lo, Math.min(hi, 0x2cff), into);
    if (hi >= 0xff21 && lo <= 0xff5a) foldRange(Math.max(lo, 0xff21), Math.min(hi, 0xff5a), into);
    return;
  }
  for (let cp = lo; cp <= hi; cp++) {
    for (const v of caseOrbit(cp)) if (v < lo || v > hi) into.push([v, v]);
  }
}
