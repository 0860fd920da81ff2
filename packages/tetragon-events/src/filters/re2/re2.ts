import { LazyDfa } from './dfa';
import { parseRe2 } from './parse';
import { PikeVm } from './pike';
import { compileProgram, type Program } from './program';
import { Re2SyntaxError } from './syntax';

/** One match: UTF-16 indices of the whole match and of each group (undefined for a group that took no part). */
export interface Re2Match {
  readonly start: number;
  readonly end: number;
  readonly groups: ReadonlyArray<readonly [number, number] | undefined>;
}

/**
 * A compiled RE2 pattern with Go's semantics and RE2's guarantee: time linear in the text whatever
 * the pattern, so text a monitored process controls cannot stall a filter. `test` runs a lazy DFA;
 * `exec` a Pike VM for group positions. Throws Re2SyntaxError for what RE2 refuses.
 */
export class Re2 {
  private readonly dfa: LazyDfa;
  private readonly vm: PikeVm;

  constructor(readonly source: string) {
    const program = compile(source);
    this.dfa = new LazyDfa(program);
    this.vm = new PikeVm(program);
  }

  /** Whether the pattern matches anywhere in `text` (Go's MatchString). */
  test(text: string): boolean {
    return this.dfa.test(text);
  }

  /** The leftmost-first match starting at or after `from`, with its groups. */
  exec(text: string, from = 0): Re2Match | undefined {
    const slots = this.vm.exec(text, from);
    if (!slots) return undefined;
    const groups: Array<readonly [number, number] | undefined> = [];
    for (let i = 2; i < slots.length; i += 2) {
      const start = slots[i]!;
      groups.push(start === -1 ? undefined : [start, slots[i + 1]!]);
    }
    return { start: slots[0]!, end: slots[1]!, groups };
  }

  /**
   * Every match as Go's ReplaceAll (and FindAll) take them: an empty match right where the previous
   * match ended is skipped, and the search always moves on by at least one character.
   */
  *matchAll(text: string): Generator<Re2Match> {
    let searchFrom = 0;
    let lastEnd = 0;
    while (searchFrom <= text.length) {
      const m = this.exec(text, searchFrom);
      if (!m) return;
      if (m.end > lastEnd || m.start === 0) yield m;
      lastEnd = m.end;
      const width = searchFrom < text.length && text.codePointAt(searchFrom)! > 0xffff ? 2 : 1;
      searchFrom = searchFrom + width > m.end ? searchFrom + width : Math.max(m.end, searchFrom + 1);
    }
  }
}

function compile(source: string): Program {
  try {
    const parsed = parseRe2(source);
    return compileProgram(parsed.root, parsed.captures);
  } catch (err) {
    // The parser reads without recursion and the height limit bounds the rest; should a pattern still
    // exhaust the stack, it is refused like any other, never thrown raw at a daemon.
    if (err instanceof RangeError) throw new Re2SyntaxError(`expression too complex: ${err.message}`);
    throw err;
  }
}
