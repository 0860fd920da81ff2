import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Re2, Re2SyntaxError } from '.';
import { VisitedSet } from './visited-set';

/** Go's own answers: test/re2-go.json was recorded from Go's regexp package (see recordedWith). */
interface GoRecord {
  readonly patterns: readonly string[];
  readonly inputs: readonly string[];
  readonly go: ReadonlyArray<{ error: string } | { matches: Array<Array<Array<string | null>>> }>;
}

const record = JSON.parse(readFileSync(join(__dirname, '../../../test/re2-go.json'), 'utf8')) as GoRecord;

function allMatches(re: Re2, text: string): Array<Array<string | null>> {
  return [...re.matchAll(text)].map((m) => [
    text.slice(m.start, m.end),
    ...m.groups.map((g) => (g ? text.slice(g[0], g[1]) : null)),
  ]);
}

describe('Re2 against Go regexp', () => {
  it('accepts and refuses what Go does, and finds the same matches and groups', () => {
    const differences: string[] = [];
    record.patterns.forEach((pattern, i) => {
      const want = record.go[i]!;
      let re: Re2;
      try {
        re = new Re2(pattern);
      } catch (err) {
        if (!('error' in want))
          differences.push(`${JSON.stringify(pattern)}: refused (${String(err)}), Go accepts`);
        return;
      }
      if ('error' in want) {
        differences.push(`${JSON.stringify(pattern)}: accepted, Go refuses (${want.error})`);
        return;
      }
      record.inputs.forEach((text, k) => {
        const got = allMatches(re, text);
        if (JSON.stringify(got) !== JSON.stringify(want.matches[k]))
          differences.push(
            `${JSON.stringify(pattern)} on ${JSON.stringify(text)}: ${JSON.stringify(got)}, Go ${JSON.stringify(want.matches[k])}`,
          );
        if (re.test(text) !== got.length > 0)
          differences.push(`${JSON.stringify(pattern)} on ${JSON.stringify(text)}: test() disagrees`);
      });
    });
    expect(differences).toEqual([]);
    expect(record.patterns.length).toBeGreaterThan(700);
  });
});

describe('Re2 semantics', () => {
  it.each([
    ['(?i:foo)bar', 'FOObar', true],
    ['(?i:foo)bar', 'FOOBAR', false],
    ['foo(?i)bar', 'fooBAR', true],
    ['(?i)a(?-i)b', 'AB', false],
    ['(?i)k', '\u212A', true],
    ['a(?i)\\p{Lu}', 'ab', true],
    ['(?i)\\P{Ll}', 'a', false],
    ['.', '\r', true],
    ['.', '\n', false],
    ['(?s:.)', '\n', true],
    ['\\s', '\v', false],
    ['\\Q.*\\E', 'ab', false],
    ['a{,2}', 'a{,2}', true],
    ['\\p{Greek}', 'α', true],
    ['\\101', 'A', true],
    ['[]a]', ']', true],
    // Go reads repeat counts without leading zeros: these braces are literal text.
    ['^a{01}$', 'a', false],
    ['^a{01}$', 'a{01}', true],
    ['^a{01001}$', 'a{01001}', true],
    // Case folding is Unicode's simple folding, as Go's SimpleFold orbits.
    ['(?i)\u01c4', '\u01c5', true],
    ['(?i)\u1f80', '\u1f88', true],
    ['(?i)\u0131', 'I', false],
    ['(?i)[\\x{2D00}-\\x{A000}]', '\u10a0', true],
    // Go's C class holds no unassigned code points.
    ['\\pC', '\u0378', false],
    ['\\PC', '\u0378', true],
  ])('%j on %j is %j', (pattern, text, matches) => {
    expect(new Re2(pattern).test(text)).toBe(matches);
  });

  it.each([
    ['(?=a)', 'invalid or unsupported Perl syntax'],
    ['\\1', 'invalid escape sequence: \\1'],
    ['x{1001}', 'invalid repeat count'],
    ['(a{100}){100}', 'invalid repeat count'],
    ['a**', 'invalid nested repetition operator'],
    ['\\Z', 'invalid escape sequence: \\Z'],
    ['\\p{Foo}', 'invalid character class range'],
    // Scripts by Go's names only, not JavaScript's aliases.
    ['\\p{Latn}', 'invalid character class range: \\p{Latn}'],
    ['[[:ALPHA:]]', 'invalid character class range: [:ALPHA:]'],
    ['[[:alpha]:]]', 'invalid character class range: [:alpha]:]'],
    ['[[::]]', 'invalid character class range: [::]'],
    [`${'('.repeat(1000)}a${')'.repeat(1000)}`, 'expression nests too deeply'],
  ])('refuses %j: %s', (pattern, reason) => {
    expect(() => new Re2(pattern)).toThrow(Re2SyntaxError);
    expect(() => new Re2(pattern)).toThrow(reason);
  });

  it('accepts what Go accepts at its limits', () => {
    expect(new Re2('\\p{Latin}+').test('abc')).toBe(true);
    expect(new Re2(`${'('.repeat(999)}a${')'.repeat(999)}`).test('a')).toBe(true);
    // Groups that capture nothing add no height, however deep (the parser keeps no recursion).
    expect(new Re2(`${'(?:'.repeat(5000)}a${')'.repeat(5000)}`).test('xa')).toBe(true);
    expect(new Re2(`${'(?:a|'.repeat(3000)}b${')'.repeat(3000)}`).test('b')).toBe(true);
    // A literal longer than a spread fits on the stack compiles (matched here on a short text: time is
    // linear in the text for a given pattern, and this one is 200,000 instructions long).
    const long = new Re2(`\\Q${'x'.repeat(200_000)}\\E`);
    expect(long.test('x'.repeat(1000))).toBe(false);
    // A {0} ends Go's count of nested repeats.
    expect(new Re2('((a{1000}){0}){2}').test('')).toBe(true);
    expect(() => new Re2('((a{1000}){1}){2}')).toThrow('invalid repeat count');
  });

  it('takes time linear in the text where a backtracking engine takes exponential time', () => {
    // V8 needs minutes for (a*)*b against 30 a's; this is 100,000.
    const text = 'a'.repeat(100_000);
    for (const pattern of ['(a*)*b', '(a|aa)+$c', '(\\S+\\s?)+$x', '(x+x+)+y']) {
      const re = new Re2(pattern);
      expect(re.test(text)).toBe(false);
      expect(re.exec(text.slice(0, 5_000))).toBeUndefined();
    }
  });

  it('answers the same after its DFA cache fills and is rebuilt', () => {
    // (a|b)*a(a|b){12} needs 2^13 DFA states, past the cache's bound.
    const re = new Re2('(a|b)*a(a|b){12}$');
    let seed = 7;
    for (let n = 0; n < 200; n++) {
      let text = '';
      for (let i = 0; i < 40; i++) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        text += seed & 0x10000 ? 'a' : 'b';
      }
      expect(re.test(text)).toBe(text.length >= 13 && text[text.length - 13] === 'a');
      expect(re.exec(text) !== undefined).toBe(re.test(text));
    }
  });
});

describe('VisitedSet', () => {
  it('keeps telling visited from new across the 32-bit wrap of its generation counter', () => {
    const set = new VisitedSet(4, 0x7ffffffe);
    for (let round = 0; round < 4; round++) {
      expect(set.visit(1)).toBe(true);
      expect(set.visit(1)).toBe(false);
      expect(set.visit(2)).toBe(true);
      set.clear();
    }
  });
});
