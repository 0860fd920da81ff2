import { CiliaryError } from '@ciliary/core';

/** A regular expression Tetragon's RE2 would reject, or JavaScript cannot express. */
export class RegexError extends CiliaryError {
  override readonly name = 'RegexError';
  constructor(
    readonly pattern: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`invalid regular expression ${JSON.stringify(pattern)}: ${reason}`, options);
  }
}

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

/**
 * Compiles an RE2 pattern (Go's regexp, unanchored `MatchString`) to a JavaScript RegExp.
 * Translates RE2-only syntax (leading flag groups, `\A`, `\z`, `(?P<name>`, POSIX classes) and
 * rejects what RE2 refuses (look-around, back-references) so filters mean the same in both.
 */
export function compileRe2(pattern: string): RegExp {
  // An unescaped "(?=", "(?!", "(?<=" or "(?<!": after a backslash it is a literal "(" made optional.
  if (/(^|[^\\])(\\\\)*\(\?<?[=!]/.test(pattern))
    throw new RegexError(pattern, 'look-around is not supported by RE2');
  if (/(^|[^\\])(\\\\)*\\[1-9]/.test(pattern))
    throw new RegexError(pattern, 'back-references are not supported by RE2');
  let source = pattern;
  let flags = '';
  const leading = /^\(\?([imsU]+)\)/.exec(source);
  if (leading) {
    if (leading[1]!.includes('U'))
      throw new RegexError(pattern, 'the U (ungreedy) flag has no JavaScript equivalent');
    flags = [...new Set(leading[1]!)].join('');
    source = source.slice(leading[0].length);
  }
  source = source
    .replace(/\(\?P</g, '(?<')
    // RE2's one-letter Unicode classes: \pL is \p{L}, \PN is \P{N}.
    .replace(/\\([pP])([A-Z])/g, '\\$1{$2}')
    // A bracket holding only a negated POSIX class is that class negated.
    .replace(/\[\[:\^([a-z]+):\]\]/g, (_whole, name: string) => {
      const cls = POSIX_CLASSES[name];
      if (!cls) throw new RegexError(pattern, `unknown character class [:^${name}:]`);
      return `[^${cls}]`;
    })
    .replace(/\\A/g, '^')
    .replace(/\\z/g, '$(?![\\s\\S])')
    .replace(/\[:(\^?)([a-z]+):\]/g, (whole, negate: string, name: string) => {
      const cls = POSIX_CLASSES[name];
      if (!cls) throw new RegexError(pattern, `unknown character class [:${name}:]`);
      return negate ? whole : cls;
    });
  try {
    return new RegExp(source, `${flags}u`);
  } catch {
    try {
      return new RegExp(source, flags);
    } catch (err) {
      throw new RegexError(pattern, err instanceof Error ? err.message : String(err), { cause: err });
    }
  }
}
