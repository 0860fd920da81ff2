import { caseOrbit } from './case-fold';
import { CharSet, complement, foldRanges, type PropertyClass, type Range } from './charset';
import { SCRIPT_NAMES } from './scripts';
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
/** RE2's limit on the height of the parsed expression's tree. */
const MAX_HEIGHT = 1000;

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

/** Go's one- and two-letter general categories; any other name must be one of Go's scripts. */
const CATEGORY = /^(?:[CLMNPSZ]|C[cfos]|L[lmotu]|M[cen]|N[dlo]|P[cdefios]|S[ckmo]|Z[lps])$/;

/** JavaScript's `\p{C}` includes unassigned code points (Cn); Go's C table holds only Cc, Cf, Co and Cs. */
const PROPERTY_SOURCE: Readonly<Record<string, string>> = { C: '[\\p{Cc}\\p{Cf}\\p{Co}\\p{Cs}]' };

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
  if (treeHeight(root) > MAX_HEIGHT) throw new Re2SyntaxError('expression nests too deeply');
  return { root, captures: parser.captures };
}

class Parser {
  private pos = 0;
  private flags: Flags = NO_FLAGS;
  captures = 0;

  constructor(private readonly pattern: string) {}

  /**
   * Reads the pattern in one loop with an explicit stack of open groups: a pattern can nest groups
   * deeper than recursion has stack for, and only the tree's height (checked after) is limited.
   */
  parse(): Node {
    const open: Frame[] = [];
    let frame = newFrame(0, this.flags);
    while (this.pos < this.pattern.length) {
      const c = this.pattern[this.pos]!;
      if (c === '|') {
        this.pos++;
        endBranch(frame);
      } else if (c === ')') {
        const outer = open.pop();
        if (!outer) throw new Re2SyntaxError('unexpected )');
        this.pos++;
        this.flags = frame.outerFlags;
        addAtom(outer, closeFrame(frame));
        frame = outer;
      } else if (!this.readRepeat(frame)) {
        frame.lastRepeat = undefined;
        if (c === '(') {
          const group = this.openGroup();
          if (group) {
            open.push(frame);
            frame = newFrame(group.capture, this.flags);
            this.flags = group.flags;
          }
        } else {
          for (const node of this.atom()) addAtom(frame, node);
        }
      }
    }
    if (open.length > 0) throw new Re2SyntaxError('missing closing )');
    return closeFrame(frame);
  }

  /** Applies a repeat operator at the position to the last atom; false when there is none. */
  private readRepeat(frame: Frame): boolean {
    const repeat = this.repeatOperator();
    if (!repeat) return false;
    if (frame.lastRepeat !== undefined)
      throw new Re2SyntaxError(`invalid nested repetition operator: ${frame.lastRepeat}${repeat.text}`);
    const sub = frame.items.pop();
    if (sub === undefined)
      throw new Re2SyntaxError(`missing argument to repetition operator: ${repeat.text}`);
    const { min, max, greedy, counted } = repeat;
    const node: Node = { type: 'repeat', sub, min, max, greedy, counted };
    if ((max > 1 || min > 1) && counted && !repeatIsValid(node, MAX_REPEAT))
      throw new Re2SyntaxError(`invalid repeat count: ${repeat.text}`);
    frame.items.push(node);
    frame.lastRepeat = repeat.text;
    return true;
  }

  /** `*`, `+`, `?`, `{n}`, `{n,}` or `{n,m}` with an optional `?`, or undefined (a brace that is no repeat). */
  private repeatOperator():
    { min: number; max: number; greedy: boolean; counted: boolean; text: string } | undefined {
    const start = this.pos;
    const c = this.pattern[start];
    let min: number;
    let max: number;
    if (c === '*' || c === '+' || c === '?') {
      [min, max] = c === '*' ? [0, -1] : c === '+' ? [1, -1] : [0, 1];
      this.pos++;
    } else if (c === '{') {
      // Go reads counts without leading zeros: `a{01}` is literal text.
      const m = /^\{(0|[1-9]\d*)(,(0|[1-9]\d*)?)?\}/.exec(this.pattern.slice(start));
      if (!m) return undefined;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === undefined ? -1 : Number(m[3]);
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
    const text = this.pattern.slice(start, this.pos);
    return { min, max, greedy: lazy === this.flags.U, counted: c === '{', text };
  }

  /** The nodes of one atom: none for a flag group, several for `\Q...\E`. */
  private atom(): Node[] {
    const p = this.pattern;
    const c = p[this.pos]!;
    switch (c) {
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

  /**
   * A group's opening at the position: its capture index (0 for none) and the flags inside it; or
   * undefined for a flag group `(?i)`, which changes the flags to the end of the enclosing group.
   */
  private openGroup(): { capture: number; flags: Flags } | undefined {
    const rest = this.pattern.slice(this.pos, this.pos + 200);
    if (!rest.startsWith('(?')) {
      this.pos++;
      return { capture: ++this.captures, flags: this.flags };
    }
    if (rest.startsWith('(?:')) {
      this.pos += 3;
      return { capture: 0, flags: this.flags };
    }
    // Go 1.22 and later read (?<name>...) as well as (?P<name>...).
    const named = /^\(\?P?<(?![=!])([^>]*)>/.exec(this.pattern.slice(this.pos));
    if (named) {
      if (!/^\w+$/.test(named[1]!)) throw new Re2SyntaxError(`invalid named capture: ${named[0]}`);
      this.pos += named[0].length;
      return { capture: ++this.captures, flags: this.flags };
    }
    const flagged = /^\(\?([imsU]*)(?:-([imsU]*))?([):])/.exec(rest);
    // `(?)` is an empty flag group; `(?i-)` is refused.
    if (!flagged || flagged[2] === '')
      throw new Re2SyntaxError(`invalid or unsupported Perl syntax: ${rest.slice(0, 3)}`);
    const flags = withFlags(this.flags, flagged[1]!, flagged[2] ?? '');
    this.pos += flagged[0].length;
    if (flagged[3] === ':') return { capture: 0, flags };
    this.flags = flags;
    return undefined;
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
    const category = name === 'Any' || CATEGORY.test(name);
    if (!category && !SCRIPT_NAMES.has(name))
      throw new Re2SyntaxError(`invalid character class range: \\p{${name}}`);
    const source = PROPERTY_SOURCE[name] ?? (category ? `\\p{${name}}` : `\\p{Script=${name}}`);
    return { kind: 'prop', test: new RegExp(`^${source}$`, 'u'), negated };
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
      const posix = this.posixClass();
      if (posix) {
        pieces.push(posix);
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

  /**
   * `[:name:]` or `[:^name:]` at the position, as Go reads it: from `[:` to the next `:]` anywhere
   * after it is a class name, which must be one of the POSIX names; without a `:]` it is no class.
   */
  private posixClass(): Piece | undefined {
    const p = this.pattern;
    if (!p.startsWith('[:', this.pos)) return undefined;
    const end = p.indexOf(':]', this.pos + 2);
    if (end === -1) return undefined;
    const whole = p.slice(this.pos, end + 2);
    const m = /^\[:(\^?)([a-z]+):\]$/.exec(whole);
    const ranges = m ? POSIX[m[2]!] : undefined;
    if (!m || !ranges) throw new Re2SyntaxError(`invalid character class range: ${whole}`);
    this.pos = end + 2;
    return { kind: 'ranges', ranges, negated: m[1] === '^' };
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

/** A group being read: its finished branches, the branch being read, and what its `)` restores. */
interface Frame {
  readonly branches: Node[];
  items: Node[];
  /** The last token when it was a repeat operator (RE2 refuses `a**`, naming both). */
  lastRepeat: string | undefined;
  /** The group's capture index; 0 for a group that captures nothing. */
  readonly capture: number;
  readonly outerFlags: Flags;
}

function newFrame(capture: number, outerFlags: Flags): Frame {
  return { branches: [], items: [], lastRepeat: undefined, capture, outerFlags };
}

/** Adds an atom as one item, so that a repeat operator after it applies to all of it. */
function addAtom(frame: Frame, node: Node): void {
  frame.items.push(node);
}

function endBranch(frame: Frame): void {
  // A concatenation from `(?:ab)` that no repeat took joins the branch, as Go flattens it.
  const items: Node[] = [];
  for (const item of frame.items) {
    if (item.type === 'concat') for (const inner of item.items) items.push(inner);
    else items.push(item);
  }
  const branch: Node =
    items.length === 1 ? items[0]! : items.length === 0 ? { type: 'empty' } : { type: 'concat', items };
  // A branch that is itself an alternation (from `(?:a|b)`) joins this one, as Go flattens them: the
  // same matches, and a tree no higher than Go's, whose height limit applies.
  if (branch.type === 'alternate') for (const b of branch.branches) frame.branches.push(b);
  else frame.branches.push(branch);
  frame.items = [];
  frame.lastRepeat = undefined;
}

/** The group's node: its alternation, as a capture if it captures. */
function closeFrame(frame: Frame): Node {
  endBranch(frame);
  const { branches } = frame;
  const sub: Node = branches.length === 1 ? branches[0]! : { type: 'alternate', branches };
  return frame.capture > 0 ? { type: 'capture', index: frame.capture, sub } : sub;
}

/**
 * Go's repeatIsValid: counted repeats nested inside one another may not multiply past `n`; a `{0}`
 * ends the count, as nothing under it is ever repeated.
 */
function repeatIsValid(root: Node, limit: number): boolean {
  // Without recursion: this runs before the height check, on subtrees of any depth.
  const stack: Array<[Node, number]> = [[root, limit]];
  while (stack.length > 0) {
    const [node, budget] = stack.pop()!;
    let n = budget;
    if (node.type === 'repeat' && node.counted) {
      if (node.max === 0) continue;
      const m = node.max < 0 ? node.min : node.max;
      if (m > n) return false;
      if (m > 0) n = Math.floor(n / m);
    }
    for (const child of children(node)) stack.push([child, n]);
  }
  return true;
}

function children(node: Node): readonly Node[] {
  switch (node.type) {
    case 'concat':
      return node.items;
    case 'alternate':
      return node.branches;
    case 'capture':
    case 'repeat':
      return [node.sub];
    default:
      return [];
  }
}

/** The height of the tree, found without recursion: a chain of repeats can be thousands deep. */
function treeHeight(root: Node): number {
  let height = 0;
  const stack: Array<[Node, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    height = Math.max(height, depth);
    for (const child of children(node)) stack.push([child, depth + 1]);
  }
  return height;
}
