import { caseOrbit } from './case-fold';
import { CharSet, complement, foldRanges, type PropertyClass, type Range } from './charset';
import { Re2SyntaxError, type Node } from './syntax';

/**
 * RE2's syntax as Go's regexp/syntax reads it with the Perl flags (what Tetragon's regexp.Compile
 * uses): flag groups anywhere, `\Q...\E`, octal and `\x{...}` escapes, Perl, POSIX and Unicode
 * classes, literal braces that are not repeats, and RE2's refusals (look-around, back-references,
 * repeat counts over 1000).
 */

interface Flags {
  readonly i: boolean;
  readonly m: boolean;
  readonly s: boolean;
  readonly U: boolean;
}

const NO_FLAGS: Flags = { i: false, m: false, s: false, U: false };
const MAX_REPEAT = 1000;

const PERL: Readonly<Record<string, readonly Range[]>> = {
  d: [[0x30, 0x39]],
  // Go's \s has no \v.
  s: [
    [0x09, 0x0a],
    [0x0c, 0x0d],
    [0x20, 0x20],
  ],
  w: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x5f, 0x5f],
    [0x61, 0x7a],
  ],
};

const POSIX: Readonly<Record<string, readonly Range[]>> = {
  alnum: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  alpha: [
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  ascii: [[0x00, 0x7f]],
  blank: [
    [0x09, 0x09],
    [0x20, 0x20],
  ],
  cntrl: [
    [0x00, 0x1f],
    [0x7f, 0x7f],
  ],
  digit: [[0x30, 0x39]],
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [
    [0x21, 0x2f],
    [0x3a, 0x40],
    [0x5b, 0x60],
    [0x7b, 0x7e],
  ],
  space: [
    [0x09, 0x0d],
    [0x20, 0x20],
  ],
  upper: [[0x41, 0x5a]],
  word: PERL.w!,
  xdigit: [
    [0x30, 0x39],
    [0x41, 0x46],
    [0x61, 0x66],
  ],
};

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 };

/** Go's one- and two-letter general categories; any other name is a script. */
const CATEGORY = /^(?:[CLMNPSZ]|C[cfos]|L[lmotu]|M[cen]|N[dlo]|P[cdefios]|S[ckmo]|Z[lps])$/;

/** One piece of a bracket expression or escape, before folding and negation. */
type Piece =
  | { readonly kind: 'char'; readonly cp: number }
  | { readonly kind: 'ranges'; readonly ranges: readonly Range[]; readonly negated: boolean }
  | { readonly kind: 'prop'; readonly test: RegExp; readonly negated: boolean };

export interface ParsedPattern {
  readonly root: Node;
  /** Capture groups, not counting the whole match. */
  readonly captures: number;
}

export function parseRe2(pattern: string): ParsedPattern {
  const parser = new Parser(pattern);
  const root = parser.parse();
  return { root, captures: parser.captures };
}

class Parser {
  private pos = 0;
  private flags: Flags = NO_FLAGS;
  private depth = 0;
  captures = 0;

  constructor(private readonly pattern: string) {}

  parse(): Node {
    const root = this.alternation();
    if (this.pos < this.pattern.length) throw new Re2SyntaxError('unexpected )');
    return root;
  }

  private alternation(): Node {
    const branches = [this.concatenation()];
    while (this.pattern[this.pos] === '|') {
      this.pos++;
      branches.push(this.concatenation());
    }
    return branches.length === 1 ? branches[0]! : { type: 'alternate', branches };
  }

  private concatenation(): Node {
    const items: Node[] = [];
    /** The last token when it was a repeat operator (RE2 refuses `a**`, naming both). */
    let lastRepeat: string | undefined;
    for (;;) {
      const c = this.pattern[this.pos];
      if (c === undefined || c === '|' || c === ')') break;
      const repeat = this.repeatOperator();
      if (repeat) {
        if (lastRepeat !== undefined)
          throw new Re2SyntaxError(`invalid nested repetition operator: ${lastRepeat}${repeat.text}`);
        const sub = items.pop();
        if (sub === undefined)
          throw new Re2SyntaxError(`missing argument to repetition operator: ${repeat.text}`);
        if (repeat.max > 1 || repeat.min > 1) checkRepeatSize(sub, repeat.min, repeat.max, repeat.text);
        items.push({ type: 'repeat', sub, min: repeat.min, max: repeat.max, greedy: repeat.greedy });
        lastRepeat = repeat.text;
        continue;
      }
      lastRepeat = undefined;
      items.push(...this.atom());
    }
    return items.length === 1
      ? items[0]!
      : items.length === 0
        ? { type: 'empty' }
        : { type: 'concat', items };
  }

  /** `*`, `+`, `?`, `{n}`, `{n,}` or `{n,m}` with an optional `?`, or undefined (a brace that is no repeat). */
  private repeatOperator(): { min: number; max: number; greedy: boolean; text: string } | undefined {
    const start = this.pos;
    const c = this.pattern[start];
    let min: number;
    let max: number;
    if (c === '*' || c === '+' || c === '?') {
      [min, max] = c === '*' ? [0, -1] : c === '+' ? [1, -1] : [0, 1];
      this.pos++;
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.pattern.slice(start));
      if (!m) return undefined;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? -1 : Number(m[3]);
      if (min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && max < min))
        throw new Re2SyntaxError(`invalid repeat count: ${m[0]}`);
      this.pos += m[0].length;
    } else {
      return undefined;
    }
    let lazy = false;
    if (this.pattern[this.pos] === '?') {
      lazy = true;
      this.pos++;
    }
    // (?U) swaps greedy and lazy.
    return { min, max, greedy: lazy === this.flags.U, text: this.pattern.slice(start, this.pos) };
  }

  /** The nodes of one atom: none for a flag group, several for `\Q...\E`. */
  private atom(): Node[] {
    const p = this.pattern;
    const c = p[this.pos]!;
    switch (c) {
      case '(':
        return this.group();
      case '[':
        this.pos++;
        return [this.setNode(this.bracket())];
      case '.':
        this.pos++;
        return [{ type: 'set', set: new CharSet(this.flags.s ? [[0, 0x10ffff]] : complement([[10, 10]])) }];
      case '^':
        this.pos++;
        return [{ type: 'assert', kind: this.flags.m ? 'beginLine' : 'beginText' }];
      case '$':
        this.pos++;
        return [{ type: 'assert', kind: this.flags.m ? 'endLine' : 'endText' }];
      case '\\':
        return this.escapeAtom();
      default: {
        if (c === '*' || c === '+' || c === '?')
          throw new Re2SyntaxError(`missing argument to repetition operator: ${c}`);
        const cp = p.codePointAt(this.pos)!;
        this.pos += cp > 0xffff ? 2 : 1;
        return [this.literal(cp)];
      }
    }
  }

  private group(): Node[] {
    const rest = this.pattern.slice(this.pos);
    if (!rest.startsWith('(?')) {
      this.pos++;
      return [this.groupBody(++this.captures, this.flags)];
    }
    if (rest.startsWith('(?:')) {
      this.pos += 3;
      return [this.groupBody(0, this.flags)];
    }
    // Go 1.22 and later read (?<name>...) as well as (?P<name>...).
    const named = /^\(\?P?<(?![=!])([^>]*)>/.exec(rest);
    if (named) {
      if (!/^\w+$/.test(named[1]!)) throw new Re2SyntaxError(`invalid named capture: ${named[0]}`);
      this.pos += named[0].length;
      return [this.groupBody(++this.captures, this.flags)];
    }
    const flagged = /^\(\?([imsU]*)(?:-([imsU]*))?([):])/.exec(rest);
    // `(?)` is an empty flag group; `(?i-)` is refused.
    if (!flagged || flagged[2] === '')
      throw new Re2SyntaxError(`invalid or unsupported Perl syntax: ${rest.slice(0, 3)}`);
    const flags = withFlags(this.flags, flagged[1]!, flagged[2] ?? '');
    this.pos += flagged[0].length;
    if (flagged[3] === ')') {
      // (?i) holds to the end of the enclosing group.
      this.flags = flags;
      return [];
    }
    return [this.groupBody(0, flags)];
  }

  /** A group's contents up to its `)`, read with `flags`; the flags outside are restored after it. */
  private groupBody(capture: number, flags: Flags): Node {
    const outer = this.flags;
    this.flags = flags;
    if (++this.depth > 1000) throw new Re2SyntaxError('expression nests too deeply');
    const sub = this.alternation();
    this.depth--;
    if (this.pattern[this.pos] !== ')') throw new Re2SyntaxError('missing closing )');
    this.pos++;
    this.flags = outer;
    return capture > 0 ? { type: 'capture', index: capture, sub } : sub;
  }

  private escapeAtom(): Node[] {
    const next = this.pattern[this.pos + 1];
    const kind =
      next === 'A'
        ? 'beginText'
        : next === 'z'
          ? 'endText'
          : next === 'b'
            ? 'wordBoundary'
            : next === 'B'
              ? 'notWordBoundary'
              : undefined;
    if (kind) {
      this.pos += 2;
      return [{ type: 'assert', kind }];
    }
    if (next === 'Q') {
      const end = this.pattern.indexOf('\\E', this.pos + 2);
      const text = this.pattern.slice(this.pos + 2, end === -1 ? undefined : end);
      this.pos = end === -1 ? this.pattern.length : end + 2;
      return [...text].map((ch) => this.literal(ch.codePointAt(0)!));
    }
    const piece = this.escape();
    return [
      piece.kind === 'char' ? this.literal(piece.cp) : this.setNode({ pieces: [piece], negated: false }),
    ];
  }

  /** One escape after a backslash, in or out of a bracket (Go's parseEscape, Perl and Unicode classes). */
  private escape(): Piece {
    const p = this.pattern;
    const c = p[this.pos + 1];
    if (c === undefined) throw new Re2SyntaxError('trailing backslash at end of expression');
    this.pos += 2;
    if ('dDsSwW'.includes(c))
      return { kind: 'ranges', ranges: PERL[c.toLowerCase()]!, negated: c !== c.toLowerCase() };
    if (c === 'p' || c === 'P') return this.unicodeClass(c === 'P');
    // A lone \1-\7 would be a back-reference; with an octal digit after it, it is an octal escape.
    if (c >= '1' && c <= '7' && !/[0-7]/.test(p[this.pos] ?? ''))
      throw new Re2SyntaxError(`invalid escape sequence: \\${c}`);
    if (c >= '0' && c <= '7') {
      const digits = /^[0-7]{0,2}/.exec(p.slice(this.pos))![0];
      this.pos += digits.length;
      return { kind: 'char', cp: parseInt(c + digits, 8) };
    }
    if (c === 'x') return { kind: 'char', cp: this.hexEscape() };
    const simple = SIMPLE_ESCAPES[c];
    if (simple !== undefined) return { kind: 'char', cp: simple };
    const cp = c.charCodeAt(0);
    if (cp < 0x80 && !/[0-9A-Za-z]/.test(c)) return { kind: 'char', cp };
    throw new Re2SyntaxError(`invalid escape sequence: \\${c}`);
  }

  private hexEscape(): number {
    const rest = this.pattern.slice(this.pos);
    const m = /^\{([0-9A-Fa-f]+)\}/.exec(rest) ?? /^[0-9A-Fa-f]{2}/.exec(rest);
    if (!m) throw new Re2SyntaxError(`invalid escape sequence: \\x${rest.slice(0, 2)}`);
    const cp = parseInt(m[1] ?? m[0], 16);
    if (cp > 0x10ffff) throw new Re2SyntaxError(`invalid escape sequence: \\x${m[0]}`);
    this.pos += m[0].length;
    return cp;
  }

  private unicodeClass(negatedByCase: boolean): Piece {
    const p = this.pattern;
    let name: string;
    if (p[this.pos] === '{') {
      const end = p.indexOf('}', this.pos);
      if (end === -1) throw new Re2SyntaxError(`invalid character class range: ${p.slice(this.pos - 2)}`);
      name = p.slice(this.pos + 1, end);
      this.pos = end + 1;
    } else {
      name = p[this.pos] ?? '';
      this.pos++;
    }
    let negated = negatedByCase;
    if (name.startsWith('^')) {
      negated = !negated;
      name = name.slice(1);
    }
    const js = name === 'Any' || CATEGORY.test(name) ? name : `Script=${name}`;
    let test: RegExp;
    try {
      if (!/^\w+$/.test(name)) throw new Error(name);
      test = new RegExp(`^\\p{${js}}$`, 'u');
    } catch {
      throw new Re2SyntaxError(`invalid character class range: \\p{${name}}`);
    }
    return { kind: 'prop', test, negated };
  }

  /** A bracket expression after its `[`: ranges, escapes, POSIX classes; `]` first is a literal. */
  private bracket(): { pieces: Piece[]; negated: boolean } {
    const p = this.pattern;
    let negated = false;
    if (p[this.pos] === '^') {
      negated = true;
      this.pos++;
    }
    const pieces: Piece[] = [];
    for (let first = true; ; first = false) {
      if (this.pos >= p.length) throw new Re2SyntaxError('missing closing ]');
      if (p[this.pos] === ']' && !first) break;
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(p.slice(this.pos));
      if (posix) {
        const ranges = POSIX[posix[2]!];
        if (!ranges) throw new Re2SyntaxError(`invalid character class range: ${posix[0]}`);
        pieces.push({ kind: 'ranges', ranges, negated: posix[1] === '^' });
        this.pos += posix[0].length;
        continue;
      }
      const lo = this.bracketAtom();
      if (lo.kind === 'char' && p[this.pos] === '-' && this.pos + 1 < p.length && p[this.pos + 1] !== ']') {
        this.pos++;
        const hi = this.bracketAtom();
        if (hi.kind !== 'char' || hi.cp < lo.cp)
          throw new Re2SyntaxError(`invalid character class range: ${p.slice(0, this.pos)}`);
        pieces.push({ kind: 'ranges', ranges: [[lo.cp, hi.cp]], negated: false });
        continue;
      }
      pieces.push(lo);
    }
    this.pos++;
    return { pieces, negated };
  }

  private bracketAtom(): Piece {
    if (this.pattern[this.pos] === '\\') return this.escape();
    const cp = this.pattern.codePointAt(this.pos)!;
    this.pos += cp > 0xffff ? 2 : 1;
    return { kind: 'char', cp };
  }

  /** A set node: each piece folded under (?i) and then negated, then the whole negated, as RE2 does. */
  private setNode({ pieces, negated }: { pieces: readonly Piece[]; negated: boolean }): Node {
    const fold = this.flags.i;
    const ranges: Range[] = [];
    const props: PropertyClass[] = [];
    for (const piece of pieces) {
      if (piece.kind === 'prop') {
        props.push({ test: piece.test, negated: piece.negated, fold });
        continue;
      }
      let own: Range[] = piece.kind === 'char' ? [[piece.cp, piece.cp]] : [...piece.ranges];
      if (fold) own = foldRanges(own);
      ranges.push(...(piece.kind === 'ranges' && piece.negated ? complement(own) : own));
    }
    return { type: 'set', set: new CharSet(ranges, props, negated) };
  }

  private literal(cp: number): Node {
    const points = this.flags.i ? caseOrbit(cp) : [cp];
    return { type: 'set', set: new CharSet(points.map((v): Range => [v, v])) };
  }
}

function withFlags(current: Flags, set: string, clear: string): Flags {
  const next = { ...current };
  for (const f of set) next[f as keyof Flags] = true;
  for (const f of clear) next[f as keyof Flags] = false;
  return next;
}

/** RE2 refuses nested repeats whose counts multiply past 1000, (a{100}){100} for one. */
function checkRepeatSize(sub: Node, min: number, max: number, text: string): void {
  const outer = Math.max(min, max);
  if (outer * largestRepeat(sub) > MAX_REPEAT) throw new Re2SyntaxError(`invalid repeat count: ${text}`);
}

function largestRepeat(node: Node): number {
  switch (node.type) {
    case 'repeat':
      return Math.max(node.min, node.max, 1) * largestRepeat(node.sub);
    case 'concat':
      return Math.max(1, ...node.items.map(largestRepeat));
    case 'alternate':
      return Math.max(1, ...node.branches.map(largestRepeat));
    case 'capture':
      return largestRepeat(node.sub);
    default:
      return 1;
  }
}
