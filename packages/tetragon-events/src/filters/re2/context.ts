import type { AssertionKind } from './syntax';

/** The code point at a UTF-16 index, -1 past the end. */
export function codePointAt(text: string, index: number): number {
  return index < text.length ? text.codePointAt(index)! : -1;
}

/** The code point ending just before a UTF-16 index, -1 at the start. */
export function codePointBefore(text: string, index: number): number {
  if (index <= 0) return -1;
  const low = text.charCodeAt(index - 1);
  if (low >= 0xdc00 && low <= 0xdfff && index >= 2) {
    const high = text.charCodeAt(index - 2);
    if (high >= 0xd800 && high <= 0xdbff) return (high - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
  }
  return low;
}

/** RE2's \w for \b: ASCII only. */
export function isWordChar(cp: number): boolean {
  return (
    (cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || cp === 0x5f || (cp >= 0x61 && cp <= 0x7a)
  );
}

/** Whether an assertion holds between the code points `before` and `after` (-1 for the text's ends). */
export function assertionHolds(kind: AssertionKind, before: number, after: number): boolean {
  switch (kind) {
    case 'beginText':
      return before === -1;
    case 'endText':
      return after === -1;
    case 'beginLine':
      return before === -1 || before === 0x0a;
    case 'endLine':
      return after === -1 || after === 0x0a;
    case 'wordBoundary':
      return isWordChar(before) !== isWordChar(after);
    case 'notWordBoundary':
      return isWordChar(before) === isWordChar(after);
  }
}
