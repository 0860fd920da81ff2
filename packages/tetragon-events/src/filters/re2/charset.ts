import { caseOrbit, foldRange } from './case-fold';

export type Range = readonly [number, number];

export const MAX_CODE_POINT = 0x10ffff;

/** A Unicode property class (`\p{Greek}`), tested one code point at a time. */
export interface PropertyClass {
  /** `^\p{...}$` with the u flag: matches one code point, in linear time. */
  readonly test: RegExp;
  readonly negated: boolean;
  /** Under `(?i)` a code point belongs when any case variant of it has the property (RE2 folds the table). */
  readonly fold: boolean;
}

/** The code points one instruction accepts: sorted ranges, property classes, and a negation over both. */
export class CharSet {
  private readonly lows: Uint32Array;
  private readonly highs: Uint32Array;
  /** Membership of the ASCII characters, decided once: most text filters read is ASCII. */
  private readonly ascii = new Uint8Array(128);

  constructor(
    ranges: readonly Range[],
    private readonly props: readonly PropertyClass[] = [],
    private readonly negated = false,
    /** Other sets whose members belong to this one too (the union of a pattern's first characters). */
    private readonly unionOf: readonly CharSet[] = [],
  ) {
    const merged = mergeRanges(ranges);
    this.lows = Uint32Array.from(merged, (r) => r[0]);
    this.highs = Uint32Array.from(merged, (r) => r[1]);
    for (let cp = 0; cp < 128; cp++) this.ascii[cp] = this.decide(cp) ? 1 : 0;
  }

  has(cp: number): boolean {
    return cp < 128 ? this.ascii[cp] === 1 : this.decide(cp);
  }

  private decide(cp: number): boolean {
    if (this.unionOf.some((set) => set.has(cp))) return true;
    return this.inRanges(cp) || this.inProps(cp) ? !this.negated : this.negated;
  }

  private inRanges(cp: number): boolean {
    let lo = 0;
    let hi = this.lows.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (cp < this.lows[mid]!) hi = mid - 1;
      else if (cp > this.highs[mid]!) lo = mid + 1;
      else return true;
    }
    return false;
  }

  private inProps(cp: number): boolean {
    for (const p of this.props) {
      const has = p.fold ? caseOrbit(cp).some((v) => hasProperty(p.test, v)) : hasProperty(p.test, cp);
      if (has !== p.negated) return true;
    }
    return false;
  }
}

function hasProperty(test: RegExp, cp: number): boolean {
  return test.test(String.fromCodePoint(cp));
}

/** Sorted, non-overlapping, adjacent ranges joined. */
export function mergeRanges(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

/** The code points not in `ranges`. */
export function complement(ranges: readonly Range[]): Range[] {
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of mergeRanges(ranges)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return out;
}

/** `ranges` with every case variant of their code points added. */
export function foldRanges(ranges: readonly Range[]): Range[] {
  const out: Array<[number, number]> = ranges.map(([lo, hi]) => [lo, hi]);
  for (const [lo, hi] of ranges) foldRange(lo, hi, out);
  return out;
}
