// Canonical protojson forms of the well-known types and 64-bit integers. Tetragon's export
// writes these forms; the reader accepts every form protojson accepts and normalises to them.

import { exactIntegerText } from './exact-integers';

/** Seconds and nanoseconds since the Unix epoch, as google.protobuf.Timestamp holds them. */
export interface TimeParts {
  readonly seconds: number;
  readonly nanos: number;
}

// RFC 3339 as protojson reads it: upper-case T and Z only (Go's time.Parse is case-sensitive).
const TIMESTAMP = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d\d):(\d\d))$/;
const MIN_SECONDS = -62135596800; // 0001-01-01T00:00:00Z
const MAX_SECONDS = 253402300799; // 9999-12-31T23:59:59Z

/** Fraction digits as protojson writes them: none, 3, 6 or 9. */
export function formatFraction(nanos: number): string {
  if (nanos === 0) return '';
  const nine = String(nanos).padStart(9, '0');
  if (nine.endsWith('000000')) return `.${nine.slice(0, 3)}`;
  if (nine.endsWith('000')) return `.${nine.slice(0, 6)}`;
  return `.${nine}`;
}

export function formatTimestamp(parts: TimeParts): string {
  const date = new Date(parts.seconds * 1000);
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ for years 0001..9999
  return `${iso.slice(0, 19)}${formatFraction(parts.nanos)}Z`;
}

export function parseTimestamp(text: string): TimeParts | undefined {
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, , sign, oh, om] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, 0);
  if (utc.getUTCDate() !== day) return undefined; // e.g. February 30th
  let seconds = Math.floor(utc.getTime() / 1000);
  if (sign !== undefined) {
    const offset = (Number(oh) * 60 + Number(om)) * 60;
    seconds += sign === '+' ? -offset : offset;
  }
  if (seconds < MIN_SECONDS || seconds > MAX_SECONDS) return undefined;
  const nanos = frac === undefined ? 0 : Number(frac.padEnd(9, '0'));
  return { seconds, nanos };
}

/**
 * Whether text has the shape protojson writes, `YYYY-MM-DDTHH:MM:SS[.fff|.ffffff|.fffffffff]Z`,
 * checked character by character with the separators at fixed places: every event carries
 * several timestamps.
 */
function hasCanonicalTimestampShape(text: string): boolean {
  const n = text.length;
  if (n !== 20 && n !== 24 && n !== 27 && n !== 30) return false;
  // Unrolled over the fixed places: a loop skipping the separators costs a comparison per character.
  return (
    isDigit(text, 0) &&
    isDigit(text, 1) &&
    isDigit(text, 2) &&
    isDigit(text, 3) &&
    text.charCodeAt(4) === 45 /* - */ &&
    isDigit(text, 5) &&
    isDigit(text, 6) &&
    text.charCodeAt(7) === 45 &&
    isDigit(text, 8) &&
    isDigit(text, 9) &&
    text.charCodeAt(10) === 84 /* T */ &&
    isDigit(text, 11) &&
    isDigit(text, 12) &&
    text.charCodeAt(13) === 58 /* : */ &&
    isDigit(text, 14) &&
    isDigit(text, 15) &&
    text.charCodeAt(16) === 58 &&
    isDigit(text, 17) &&
    isDigit(text, 18) &&
    text.charCodeAt(n - 1) === 90 /* Z */ &&
    (n === 20 || (text.charCodeAt(19) === 46 /* . */ && allDigits(text, 20, n - 1)))
  );
}

function isDigit(text: string, at: number): boolean {
  const c = text.charCodeAt(at);
  return c >= 48 && c <= 57;
}

function allDigits(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isDigit(text, i)) return false;
  return true;
}

/** Whether text is a timestamp exactly as protojson writes it (no validation of the date). */
export function isCanonicalTimestampText(text: string): boolean {
  // A fraction ending in 000 could be shorter, so it is not canonical.
  const n = text.length;
  return (
    hasCanonicalTimestampShape(text) &&
    !(
      n > 20 &&
      text.charCodeAt(n - 2) === 48 &&
      text.charCodeAt(n - 3) === 48 &&
      text.charCodeAt(n - 4) === 48
    )
  );
}

/**
 * A canonical timestamp with every field in range except the day against its month: a fraction
 * of 3, 6 or 9 digits not ending in 000, year 0001 on. One compiled regular expression checks
 * this in about half the time of the same tests written with charCodeAt.
 */
const CANONICAL_TIMESTAMP =
  /^(?!0000)\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.(?!000)\d{3}|\.\d{3}(?!000)\d{3}|\.\d{6}(?!000)\d{3})?Z$/;

/** Whether text is a valid timestamp exactly as protojson writes it: canonicalTimestamp(text) === text. */
export function isCanonicalTimestamp(text: string): boolean {
  if (!CANONICAL_TIMESTAMP.test(text)) return false;
  // Days 01-28 exist in every month; later ones depend on the month and the year.
  const tens = text.charCodeAt(8);
  return tens < 50 /* 2 */ || (tens === 50 && text.charCodeAt(9) < 57) /* 9 */ || validDateTime(text);
}

/** The canonical form of a timestamp, or undefined when the text is not a valid RFC 3339 time. */
export function canonicalTimestamp(text: string): string | undefined {
  if (isCanonicalTimestampText(text)) return validDateTime(text) ? text : undefined;
  const parts = parseTimestamp(text);
  return parts ? formatTimestamp(parts) : undefined;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Two decimal digits at `from` (already checked to be digits). */
function twoDigits(text: string, from: number): number {
  return (text.charCodeAt(from) - 48) * 10 + text.charCodeAt(from + 1) - 48;
}

/** Range checks of `YYYY-MM-DDTHH:MM:SS` without allocating, for the reader's hot path. */
function validDateTime(text: string): boolean {
  const year = twoDigits(text, 0) * 100 + twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const maxDay = month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
  return day <= maxDay && twoDigits(text, 11) <= 23 && twoDigits(text, 14) <= 59 && twoDigits(text, 17) <= 59;
}

/** Timestamp from nanoseconds since the epoch (bigint keeps full precision). */
export function timestampFromNanos(nanos: bigint): string {
  const billion = 1_000_000_000n;
  let seconds = nanos / billion;
  let rest = nanos % billion;
  if (rest < 0n) {
    rest += billion;
    seconds -= 1n;
  }
  return formatTimestamp({ seconds: Number(seconds), nanos: Number(rest) });
}

/** Nanoseconds since the epoch of a timestamp in any accepted form. */
export function nanosFromTimestamp(text: string): bigint | undefined {
  const parts = parseTimestamp(text);
  return parts ? BigInt(parts.seconds) * 1_000_000_000n + BigInt(parts.nanos) : undefined;
}

const DURATION = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;

export function parseDuration(text: string): TimeParts | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  const seconds = Number(m[2]);
  if (seconds > 315576000000) return undefined;
  const nanos = m[3] === undefined ? 0 : Number(m[3].padEnd(9, '0'));
  return m[1] ? { seconds: -seconds, nanos: -nanos } : { seconds, nanos };
}

export function formatDuration(parts: TimeParts): string {
  const negative = parts.seconds < 0 || parts.nanos < 0;
  return `${negative ? '-' : ''}${Math.abs(parts.seconds)}${formatFraction(Math.abs(parts.nanos))}s`;
}

export function canonicalDuration(text: string): string | undefined {
  const parts = parseDuration(text);
  return parts ? formatDuration(parts) : undefined;
}

/** A JSON number (RFC 8259): protojson reads integers given as strings with this grammar. */
const JSON_NUMBER = /^(-?)(0|[1-9]\d*)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * The integer a JSON number's text stands for, exactly, as Go's protojson reads a quoted integer
 * ("1e2" and "1.0" are 100 and 1, "01" and "1.5" are not integers); undefined when it is not one.
 */
export function integerOfJsonNumber(text: string): bigint | undefined {
  const m = JSON_NUMBER.exec(text);
  if (!m) return undefined;
  const [, sign, whole, fraction = '', exponent = '0'] = m;
  let digits = (whole! + fraction).replace(/^0+/, '');
  if (digits === '') return 0n;
  const shift = Number(exponent) - fraction.length;
  // Beyond 10^40 nothing fits 64 bits; the bound also keeps BigInt work small.
  if (shift + digits.length > 40) return undefined;
  if (shift < 0) {
    if (!/^0+$/.test(digits.slice(shift))) return undefined;
    digits = digits.slice(0, shift);
  }
  const n = BigInt(digits || '0') * 10n ** BigInt(Math.max(0, shift));
  return sign === '-' ? -n : n;
}

const LIMITS = {
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
} as const;

const MAX_DIGITS = { int64: '9223372036854775807', uint64: '18446744073709551615' } as const;
const MIN_INT64_DIGITS = '9223372036854775808';

/**
 * Whether text is a 64-bit integer exactly as protojson writes it (canonicalInt64(text) === text):
 * decimal digits without leading zeros, a minus only for negative int64, within range. Checked
 * without a regex or BigInt, as exec ids, sizes and addresses are on every line.
 */
export function isCanonicalInt64(text: string, kind: 'int64' | 'uint64'): boolean {
  const negative = kind === 'int64' && text.charCodeAt(0) === 45; /* - */
  const start = negative ? 1 : 0;
  const digits = text.length - start;
  if (digits < 1) return false;
  const first = text.charCodeAt(start);
  if (first < 48 || first > 57 || (first === 48 && (digits > 1 || negative))) return false;
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  const max = negative ? MIN_INT64_DIGITS : MAX_DIGITS[kind];
  // Same length: decimal order is string order.
  return digits < max.length || (digits === max.length && (negative ? text.slice(1) : text) <= max);
}

/** A 64-bit integer from a JSON number or string, as its canonical decimal string. */
export function canonicalInt64(value: unknown, kind: 'int64' | 'uint64'): string | undefined {
  if (typeof value === 'string') {
    if (isCanonicalInt64(value, kind)) return value;
    const n = integerOfJsonNumber(value);
    return n === undefined ? undefined : inRange(n, kind);
  }
  if (typeof value === 'number' && Number.isSafeInteger(value)) return inRange(BigInt(value), kind);
  // A literal beyond 2^53, kept as its digits by the second reading (exact-integers.ts).
  const literal = exactIntegerText(value);
  const n = literal === undefined ? undefined : integerOfJsonNumber(literal);
  return n === undefined ? undefined : inRange(n, kind);
}

function inRange(n: bigint, kind: 'int64' | 'uint64'): string | undefined {
  const [min, max] = LIMITS[kind];
  return n < min || n > max ? undefined : n.toString();
}

/** A 32-bit integer from a JSON number or numeric string. */
export function int32Of(value: unknown, kind: 'int32' | 'uint32'): number | undefined {
  let n = NaN;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string') {
    const exact = integerOfJsonNumber(value);
    if (exact !== undefined && exact >= -(2n ** 31n) && exact < 2n ** 32n) n = Number(exact);
  }
  if (!Number.isInteger(n)) return undefined;
  if (kind === 'uint32' ? n < 0 || n > 0xffffffff : n < -0x80000000 || n > 0x7fffffff) return undefined;
  return n;
}

const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const ANY_BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Whether text is bytes exactly as protojson writes them (padded standard base64). */
export function isCanonicalBase64(text: string): boolean {
  return STD_BASE64.test(text);
}

/** Bytes as padded standard base64; protojson also reads URL-safe and unpadded forms. */
export function canonicalBase64(text: string): string | undefined {
  if (STD_BASE64.test(text)) return text;
  if (!ANY_BASE64.test(text) || text.replace(/=+$/, '').length % 4 === 1) return undefined;
  return Buffer.from(text, 'base64').toString('base64');
}

/** FieldMask JSON: comma-separated lowerCamel paths. */
export function fieldMaskToJson(paths: readonly string[]): string {
  return paths.map((p) => p.split('.').map(camelSegment).join('.')).join(',');
}

/** FieldMask paths (snake_case) from JSON; Tetragon's users also write snake_case, so both are read. */
export function fieldMaskFromJson(text: string): string[] {
  if (text === '') return [];
  return text.split(',').map((p) =>
    p
      .trim()
      .split('.')
      .map((s) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`))
      .join('.'),
  );
}

function camelSegment(segment: string): string {
  return segment.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}
