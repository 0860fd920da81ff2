import { CiliaryError } from '@ciliary/core';
import { Re2 } from './re2';

/** A regular expression Tetragon's RE2 would reject. */
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

/**
 * Compiles an RE2 pattern as Go's regexp.Compile does (Tetragon's filters and redaction use it):
 * same syntax, same matches, and time linear in the text.
 */
export function compileRe2(pattern: string): Re2 {
  try {
    return new Re2(pattern);
  } catch (err) {
    throw new RegexError(pattern, err instanceof Error ? err.message : String(err), { cause: err });
  }
}
