import { CASE_ORBITS } from './case-orbits.generated';

/**
 * Simple case folding for RE2's `(?i)`: the code points a case-insensitive match treats as equal to a
 * given one (its orbit, in Go's unicode.SimpleFold terms), from the generated orbit table.
 */

const ORBIT_OF: ReadonlyMap<number, readonly number[]> = new Map(
  CASE_ORBITS.flatMap((orbit) => orbit.map((cp): [number, readonly number[]] => [cp, orbit])),
);

/** The code points equal to `cp` ignoring case, `cp` included. */
export function caseOrbit(cp: number): readonly number[] {
  return ORBIT_OF.get(cp) ?? [cp];
}

/**
 * Adds the case variants of every code point in [lo, hi] to `into` as single-point ranges. Walks the
 * orbit table rather than the range, so the widest range costs the same as a narrow one.
 */
export function foldRange(lo: number, hi: number, into: Array<[number, number]>): void {
  for (const orbit of CASE_ORBITS) {
    if (!orbit.some((cp) => cp >= lo && cp <= hi)) continue;
    for (const cp of orbit) if (cp < lo || cp > hi) into.push([cp, cp]);
  }
}
