import { assertionHolds, codePointAt, codePointBefore } from './context';
import type { CharSet } from './charset';
import type { Program } from './program';
import { VisitedSet } from './visited-set';

/** Capture positions (UTF-16 indices), two per group, -1 where a group took no part. */
export type Slots = Int32Array;

/**
 * The threads alive at one position, in priority order, each added once (a sparse set on the
 * instruction), so the work per character is bounded by the program's size: RE2's linear time.
 */
class ThreadList {
  readonly pcs: Int32Array;
  readonly slots: Array<Slots | undefined>;
  private readonly seen: VisitedSet;
  length = 0;

  constructor(size: number) {
    this.pcs = new Int32Array(size);
    this.slots = new Array<Slots | undefined>(size);
    this.seen = new VisitedSet(size);
  }

  clear(): void {
    this.length = 0;
    this.seen.clear();
  }

  /** Marks `pc` visited at this position; false if it already was. */
  visit(pc: number): boolean {
    return this.seen.visit(pc);
  }

  push(pc: number, slots: Slots): void {
    this.pcs[this.length] = pc;
    this.slots[this.length] = slots;
    this.length++;
  }
}

/**
 * A Pike VM over a compiled program: the leftmost match starting at or after `from`, preferring
 * earlier alternatives and greedier repeats as Go's regexp does, with its capture positions.
 */
export class PikeVm {
  private readonly current: ThreadList;
  private readonly next: ThreadList;
  /** Instructions and their slots still to follow in `add`, a stack of `top` entries. */
  private readonly stackPcs: Int32Array;
  private readonly stackSlots: Array<Slots | undefined>;

  private readonly unset: Slots;

  constructor(private readonly program: Program) {
    const size = program.code.length;
    this.unset = new Int32Array(program.slots).fill(-1);
    this.current = new ThreadList(size);
    this.next = new ThreadList(size);
    // Each instruction is pushed at most twice per closure (a split pushes both branches).
    this.stackPcs = new Int32Array(2 * size + 2);
    this.stackSlots = new Array<Slots | undefined>(2 * size + 2);
  }

  exec(text: string, from: number): Slots | undefined {
    const { program } = this;
    let clist = this.current;
    let nlist = this.next;
    clist.clear();
    nlist.clear();
    let matched: Slots | undefined;
    let pos = from;
    for (;;) {
      if (clist.length === 0 && matched === undefined && program.firstChars)
        pos = skipToPossibleStart(program.firstChars, text, pos);
      const cp = codePointAt(text, pos);
      const before = codePointBefore(text, pos);
      if (matched === undefined && (pos === from || !program.anchoredStart)) {
        // A new attempt starting here, behind every thread that started earlier. Threads copy slots
        // before writing them, so every attempt can start from the same unset array.
        this.add(clist, 0, pos, this.unset, before, cp);
      }
      // Nothing alive: done once a match is found or no later start can match; else try the next position.
      if (clist.length === 0 && (matched !== undefined || program.anchoredStart)) break;
      const width = cp > 0xffff ? 2 : 1;
      const after = codePointAt(text, pos + width);
      for (let t = 0; t < clist.length; t++) {
        const pc = clist.pcs[t]!;
        const inst = program.code[pc]!;
        if (inst.op === 'match') {
          matched = clist.slots[t]!;
          // Threads after this one have lower priority.
          break;
        }
        if (inst.op === 'set' && cp !== -1 && inst.set.has(cp))
          this.add(nlist, pc + 1, pos + width, clist.slots[t]!, cp, after);
      }
      if (cp === -1) break;
      [clist, nlist] = [nlist, clist];
      nlist.clear();
      pos += width;
    }
    return matched;
  }

  /**
   * Adds the thread at `pc` and everything reachable from it without reading a character, in
   * priority order. A stack rather than recursion: a large program chains thousands of splits.
   */
  private add(list: ThreadList, pc: number, pos: number, slots: Slots, before: number, after: number): void {
    const { stackPcs, stackSlots } = this;
    const code = this.program.code;
    let top = 0;
    stackPcs[top] = pc;
    stackSlots[top++] = slots;
    while (top > 0) {
      const at = stackPcs[--top]!;
      const threadSlots = stackSlots[top]!;
      if (!list.visit(at)) continue;
      const inst = code[at]!;
      switch (inst.op) {
        case 'jump':
          stackPcs[top] = inst.x;
          stackSlots[top++] = threadSlots;
          break;
        case 'split':
          // y is pushed first so that x, the preferred branch, is explored first.
          stackPcs[top] = inst.y;
          stackSlots[top++] = threadSlots;
          stackPcs[top] = inst.x;
          stackSlots[top++] = threadSlots;
          break;
        case 'save': {
          const copy = threadSlots.slice();
          copy[inst.slot] = pos;
          stackPcs[top] = at + 1;
          stackSlots[top++] = copy;
          break;
        }
        case 'assert':
          if (assertionHolds(inst.kind, before, after)) {
            stackPcs[top] = at + 1;
            stackSlots[top++] = threadSlots;
          }
          break;
        default:
          list.push(at, threadSlots);
      }
    }
  }
}

/** The first position at or after `pos` whose character can begin a match (the text's end if none). */
function skipToPossibleStart(first: CharSet, text: string, pos: number): number {
  while (pos < text.length) {
    const cp = text.codePointAt(pos)!;
    if (first.has(cp)) return pos;
    pos += cp > 0xffff ? 2 : 1;
  }
  return pos;
}
