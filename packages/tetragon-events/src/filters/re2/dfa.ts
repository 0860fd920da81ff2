import { assertionHolds, isWordChar } from './context';
import type { Program } from './program';
import { VisitedSet } from './visited-set';

/**
 * Whether a program matches anywhere in a text, with a DFA built lazily from the program as RE2's
 * does: one cached step per character once warm, linear time always, and a bounded cache that is
 * dropped and rebuilt when full.
 */

/** What the characters around a position look like to an assertion: a representative of each class. */
const START_OR_END = -1;
const NEWLINE = 0x0a;
const WORD = 0x61;
const OTHER = 0x20;

const MAX_STATES = 2_000;
/**
 * Instructions held by all states together (and so the size of their keys): states of a large
 * program hold thousands each, and 2,000 of them took gigabytes before this bound.
 */
const MAX_HELD_INSTRUCTIONS = 1_000_000;
const MAX_WIDE_TRANSITIONS = 256;

interface State {
  /** The instructions the search stands on, before following jumps and assertions. */
  readonly pcs: readonly number[];
  /** The class of the character just read (START_OR_END at the start). */
  readonly before: number;
  readonly ascii: Array<Step | undefined>;
  readonly wide: Map<number, Step>;
  matchesAtEnd?: boolean;
}

/** A step is the next state, or the verdict. */
type Step = State | 'match' | 'dead';

export class LazyDfa {
  private states = new Map<string, State>();
  private held = 0;
  private readonly seen: VisitedSet;
  private start: State;

  constructor(private readonly program: Program) {
    this.seen = new VisitedSet(program.code.length);
    this.start = this.newState([0], START_OR_END);
  }

  test(text: string): boolean {
    let state = this.start;
    for (let i = 0; i < text.length;) {
      let cp = text.charCodeAt(i);
      let width = 1;
      if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < text.length) {
        cp = text.codePointAt(i)!;
        width = cp > 0xffff ? 2 : 1;
      }
      const step = (cp < 128 ? state.ascii[cp] : state.wide.get(cp)) ?? this.transition(state, cp);
      if (step === 'match') return true;
      if (step === 'dead') return false;
      state = step;
      i += width;
    }
    state.matchesAtEnd ??= this.closure(state, START_OR_END).match;
    return state.matchesAtEnd;
  }

  private transition(state: State, cp: number): Step {
    const { sets, match } = this.closure(state, cp);
    let step: Step;
    if (match) {
      step = 'match';
    } else {
      const next: number[] = [];
      for (const pc of sets) {
        const inst = this.program.code[pc]!;
        if (inst.op === 'set' && inst.set.has(cp)) next.push(pc + 1);
      }
      // The unanchored search starts a new attempt at every position.
      if (!this.program.anchoredStart) next.push(0);
      step = next.length === 0 ? 'dead' : this.state(next, this.classOf(cp));
    }
    if (cp < 128) state.ascii[cp] = step;
    else if (state.wide.size < MAX_WIDE_TRANSITIONS) state.wide.set(cp, step);
    return step;
  }

  /** The `set` instructions reachable from a state without reading, and whether `match` is. */
  private closure(state: State, after: number): { sets: number[]; match: boolean } {
    const code = this.program.code;
    this.seen.clear();
    const sets: number[] = [];
    const stack = [...state.pcs];
    let match = false;
    const afterClass = this.classOf(after);
    while (stack.length > 0) {
      const pc = stack.pop()!;
      if (!this.seen.visit(pc)) continue;
      const inst = code[pc]!;
      switch (inst.op) {
        case 'jump':
          stack.push(inst.x);
          break;
        case 'split':
          stack.push(inst.y, inst.x);
          break;
        case 'save':
          stack.push(pc + 1);
          break;
        case 'assert':
          if (assertionHolds(inst.kind, state.before, afterClass)) stack.push(pc + 1);
          break;
        case 'match':
          match = true;
          break;
        case 'set':
          sets.push(pc);
      }
    }
    return { sets, match };
  }

  /** The class representative of a character for assertions; one class when there are none. */
  private classOf(cp: number): number {
    if (!this.program.hasAssertions) return OTHER;
    if (cp === START_OR_END) return START_OR_END;
    if (cp === NEWLINE) return NEWLINE;
    return isWordChar(cp) ? WORD : OTHER;
  }

  private state(pcs: number[], before: number): State {
    const unique = [...new Set(pcs)].sort((a, b) => a - b);
    const key = `${unique.join(',')}|${before}`;
    const known = this.states.get(key);
    if (known) return known;
    if (this.states.size >= MAX_STATES || this.held + unique.length > MAX_HELD_INSTRUCTIONS) {
      // Bounded memory: forget every state, the start state's links included; they are rebuilt as
      // searches need them.
      this.states = new Map();
      this.held = 0;
      this.start = this.newState([0], START_OR_END);
    }
    return this.newState(unique, before);
  }

  private newState(pcs: readonly number[], before: number): State {
    const state: State = { pcs, before, ascii: new Array<Step | undefined>(128), wide: new Map() };
    this.held += pcs.length;
    this.states.set(`${pcs.join(',')}|${before}`, state);
    return state;
  }
}
