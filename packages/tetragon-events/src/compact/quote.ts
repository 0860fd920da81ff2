// Unicode's printable classes (letters, marks, numbers, punctuation, symbols) plus the ASCII
// space: Go's unicode.IsPrint.
const NON_PRINTABLE = /[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/u;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

const NAMED: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '\\': '\\\\',
  '"': '\\"',
};

/** Go's strconv.Quote: a double-quoted string with Go escapes for what is not printable. */
export function goQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const named = NAMED[ch];
    if (named) out += named;
    else if (!NON_PRINTABLE.test(ch)) out += ch;
    else {
      const cp = ch.codePointAt(0)!;
      if (cp < 0x80) out += `\\x${cp.toString(16).padStart(2, '0')}`;
      else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
      else out += `\\U${cp.toString(16).padStart(8, '0')}`;
    }
  }
  return `${out}"`;
}

/**
 * Text that could break the one-line-per-event layout (newlines, control or other non-printable
 * characters) is shown Go-quoted; anything else is printed as it is.
 */
export function maybeQuote(text: string): string {
  // Printable ASCII (space to tilde) is the common case and needs no Unicode classes; V8 runs this
  // expression faster than a charCodeAt loop.
  if (PRINTABLE_ASCII.test(text)) return text;
  return NON_PRINTABLE.test(text) ? goQuote(text) : text;
}
