import { CharSet } from './charset';
import { Re2SyntaxError, type AssertionKind, type Node } from './syntax';

/** One instruction of a Thompson NFA, as RE2 compiles: `split` prefers `x` (leftmost-first). */
export type Instruction =
  | { readonly op: 'set'; readonly set: CharSet }
  | { readonly op: 'split'; x: number; y: number }
  | { readonly op: 'jump'; x: number }
  | { readonly op: 'save'; readonly slot: number }
  | { readonly op: 'assert'; readonly kind: AssertionKind }
  | { readonly op: 'match' };

export interface Program {
  readonly code: readonly Instruction[];
  /** Capture slots: two per group, the whole match included. */
  readonly slots: number;
  /** Whether an assertion needs the characters around a position. */
  readonly hasAssertions: boolean;
  /** Whether every match must start at the text's start (a leading `^` or `\A`). */
  readonly anchoredStart: boolean;
  /** The characters a match can begin with; undefined when a match can be empty. */
  readonly firstChars: CharSet | undefined;
}

/**
 * Programs larger than this are refused, as RE2 refuses expressions that compile too large (Go's own
 * bound is near 3.3 million instructions; each costs more here, where every thread list is as long).
 */
const MAX_INSTRUCTIONS = 1_000_000;

export function compileProgram(root: Node, captures: number): Program {
  const code: Instruction[] = [];
  const emit = (inst: Instruction): number => {
    if (code.length >= MAX_INSTRUCTIONS) throw new Re2SyntaxError('expression too large');
    code.push(inst);
    return code.length - 1;
  };
  emit({ op: 'save', slot: 0 });
  emitNode(root, code, emit);
  emit({ op: 'save', slot: 1 });
  emit({ op: 'match' });
  return {
    code,
    slots: 2 * (captures + 1),
    hasAssertions: code.some((i) => i.op === 'assert'),
    anchoredStart: startsAnchored(root),
    firstChars: nullable(root) ? undefined : new CharSet([], [], false, firstSets(root)),
  };
}

function emitNode(node: Node, code: Instruction[], emit: (inst: Instruction) => number): void {
  switch (node.type) {
    case 'empty':
      return;
    case 'set':
      emit({ op: 'set', set: node.set });
      return;
    case 'assert':
      emit({ op: 'assert', kind: node.kind });
      return;
    case 'concat':
      for (const item of node.items) emitNode(item, code, emit);
      return;
    case 'capture':
      emit({ op: 'save', slot: 2 * node.index });
      emitNode(node.sub, code, emit);
      emit({ op: 'save', slot: 2 * node.index + 1 });
      return;
    case 'alternate': {
      const jumps: Array<{ op: 'jump'; x: number }> = [];
      node.branches.forEach((branch, i) => {
        if (i === node.branches.length - 1) {
          emitNode(branch, code, emit);
          return;
        }
        const split = { op: 'split' as const, x: 0, y: 0 };
        emit(split);
        split.x = code.length;
        emitNode(branch, code, emit);
        const jump = { op: 'jump' as const, x: 0 };
        emit(jump);
        jumps.push(jump);
        split.y = code.length;
      });
      for (const j of jumps) j.x = code.length;
      return;
    }
    case 'repeat':
      emitRepeat(node, code, emit);
  }
}

/** x{n,m}: n copies, then m-n nested optional copies (or a star for no bound), as RE2 simplifies. */
function emitRepeat(
  node: Extract<Node, { type: 'repeat' }>,
  code: Instruction[],
  emit: (inst: Instruction) => number,
): void {
  const { sub, min, max, greedy } = node;
  const branch = (split: { x: number; y: number }, body: number, out: number): void => {
    split.x = greedy ? body : out;
    split.y = greedy ? out : body;
  };
  if (max === -1) {
    for (let i = 0; i < min - 1; i++) emitNode(sub, code, emit);
    if (min === 0 && nullable(sub)) {
      // Go compiles x* with an x that can match empty as (x+)?, which decides what its groups hold
      // (golang.org/issue/46123): split plus, out; plus: sub; split plus, out; out:
      const skip = { op: 'split' as const, x: 0, y: 0 };
      emit(skip);
      const body = code.length;
      emitNode(sub, code, emit);
      const loop = { op: 'split' as const, x: 0, y: 0 };
      emit(loop);
      branch(loop, body, code.length);
      branch(skip, body, code.length);
    } else if (min === 0) {
      // L: split body, out; body: sub; jump L; out:
      const split = { op: 'split' as const, x: 0, y: 0 };
      const start = emit(split);
      const body = code.length;
      emitNode(sub, code, emit);
      emit({ op: 'jump', x: start });
      branch(split, body, code.length);
    } else {
      // body: sub; split body, out; out:
      const body = code.length;
      emitNode(sub, code, emit);
      const split = { op: 'split' as const, x: 0, y: 0 };
      emit(split);
      branch(split, body, code.length);
    }
    return;
  }
  for (let i = 0; i < min; i++) emitNode(sub, code, emit);
  const pending: Array<{ x: number; y: number }> = [];
  for (let i = min; i < max; i++) {
    const split = { op: 'split' as const, x: 0, y: 0 };
    emit(split);
    const body = code.length;
    emitNode(sub, code, emit);
    pending.push(split);
    split.x = body;
  }
  // Every optional copy skips to the end of all of them: x{0,2} is (x(x)?)?.
  const out = code.length;
  for (const split of pending) branch(split, split.x, out);
}

/** Whether a node can match the empty string. */
function nullable(node: Node): boolean {
  switch (node.type) {
    case 'empty':
    case 'assert':
      return true;
    case 'set':
      return false;
    case 'concat':
      return node.items.every(nullable);
    case 'alternate':
      return node.branches.some(nullable);
    case 'capture':
      return nullable(node.sub);
    case 'repeat':
      return node.min === 0 || nullable(node.sub);
  }
}

/** The sets the first character of a non-empty match of `node` comes from. */
function firstSets(node: Node): CharSet[] {
  switch (node.type) {
    case 'set':
      return [node.set];
    case 'concat': {
      const out: CharSet[] = [];
      for (const item of node.items) {
        out.push(...firstSets(item));
        if (!nullable(item)) break;
      }
      return out;
    }
    case 'alternate':
      return node.branches.flatMap(firstSets);
    case 'capture':
    case 'repeat':
      return firstSets(node.sub);
    default:
      return [];
  }
}

function startsAnchored(node: Node): boolean {
  switch (node.type) {
    case 'assert':
      return node.kind === 'beginText';
    case 'concat':
      return node.items.length > 0 && startsAnchored(node.items[0]!);
    case 'capture':
      return startsAnchored(node.sub);
    case 'alternate':
      return node.branches.every(startsAnchored);
    default:
      return false;
  }
}
