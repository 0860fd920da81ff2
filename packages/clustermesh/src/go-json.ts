/**
 * Writing JSON byte for byte as Go's encoding/json does, because Cilium agents
 * read (and compare) what the exporter writes: struct fields in declaration
 * order, map keys sorted by their UTF-8 bytes, `<`, `>`, `&`, U+2028 and U+2029
 * escaped, control characters as \u00XX (Go before 1.22 has no \b or \f).
 * Each helper returns an encoded JSON fragment.
 */

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

// Matches what Go escapes, plus lone surrogates (invalid UTF-8 for Go, written as U+FFFD).
/* eslint-disable no-control-regex -- control characters are exactly what must be escaped */
const NEEDS_ESCAPE =
  /["\\\u0000-\u001f<>&\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/* eslint-enable no-control-regex */

export function goString(value: string): string {
  return `"${value.replace(NEEDS_ESCAPE, escapeChar)}"`;
}

function escapeChar(ch: string): string {
  const short = SHORT_ESCAPES[ch];
  if (short) return short;
  const code = ch.charCodeAt(0);
  if (code >= 0xd800 && code <= 0xdfff) return '\\ufffd';
  return `\\u${code.toString(16).padStart(4, '0')}`;
}

export function goInt(value: number): string {
  return String(Math.trunc(value));
}

export function goBool(value: boolean): string {
  return value ? 'true' : 'false';
}

/** A struct: fields in the order given, values already encoded. */
export function goStruct(fields: ReadonlyArray<readonly [string, string]>): string {
  return `{${fields.map(([name, value]) => `${goString(name)}:${value}`).join(',')}}`;
}

/** A map (null when absent, as Go writes a nil map): keys sorted bytewise, as Go sorts them. */
export function goMap<V>(
  map: Readonly<Record<string, V>> | undefined,
  encodeValue: (value: V) => string,
): string {
  if (map === undefined) return 'null';
  const keys = Object.keys(map).sort(compareUtf8);
  return `{${keys.map((k) => `${goString(k)}:${encodeValue(map[k] as V)}`).join(',')}}`;
}

export function goStringMap(map: Readonly<Record<string, string>> | undefined): string {
  return goMap(map, goString);
}

/** A slice: null when absent (a nil slice), `[]` when empty. */
export function goSlice<V>(items: readonly V[] | undefined, encodeItem: (item: V) => string): string {
  return items === undefined ? 'null' : `[${items.map(encodeItem).join(',')}]`;
}

/** A []byte, which Go writes as standard base64; null when absent. */
export function goBytes(bytes: Uint8Array | undefined): string {
  return bytes === undefined ? 'null' : goString(Buffer.from(bytes).toString('base64'));
}

/** Orders strings by their UTF-8 bytes (Go's string order), not by UTF-16 code units. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Reads a struct field as Go's decoder does: the exact name first, else the
 * first key equal to it ignoring case.
 */
export function goField(object: Readonly<Record<string, unknown>>, name: string): unknown {
  if (Object.prototype.hasOwnProperty.call(object, name)) return object[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(object)) if (key.toLowerCase() === lower) return object[key];
  return undefined;
}
