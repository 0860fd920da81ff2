/**
 * protojson reads a 64-bit integer written as a JSON number from its digits, exactly; `JSON.parse`
 * rounds any beyond 2^53. When a line fails to read, its integer literals beyond 2^53 are rewritten as
 * a marker object holding their digits and the line is read again: a 64-bit field takes the digits
 * (`canonicalInt64`), any other field refuses an object as it refused the number. Lines that read the
 * first time never come here.
 */
export const EXACT_INTEGER_KEY = '\u0000ciliary:integer';

/** JSON strings (skipped whole, escapes included) and number literals, in text order. */
const STRING_OR_NUMBER = /"(?:[^"\\]|\\.)*"|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

/** The text with each number literal beyond 2^53 replaced by a marker object, or undefined if it has none. */
export function withExactIntegers(text: string): string | undefined {
  let changed = false;
  const rewritten = text.replace(STRING_OR_NUMBER, (token) => {
    if (token.charCodeAt(0) === 0x22 /* " */) return token;
    // Below 2^53 JSON.parse was exact; above, whether the literal is an integer is canonicalInt64's to say.
    if (Math.abs(Number(token)) <= Number.MAX_SAFE_INTEGER) return token;
    changed = true;
    return `{${JSON.stringify(EXACT_INTEGER_KEY)}:"${token}"}`;
  });
  return changed ? rewritten : undefined;
}

/** The literal's text when `value` is a marker object. */
export function exactIntegerText(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const text = (value as Record<string, unknown>)[EXACT_INTEGER_KEY];
  return typeof text === 'string' && Object.keys(value).length === 1 ? text : undefined;
}
