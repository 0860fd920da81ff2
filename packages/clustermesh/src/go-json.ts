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

// JSON.stringify already escapes quotes, backslashes and control characters; Go differs only here.
const STRINGIFY_DIFFERS = /[<>&\u2028\u2029]|\\[bfu]/;

export function goString(value: string): string {
  const fast = JSON.stringify(value);
  if (!STRINGIFY_DIFFERS.test(fast)) return fast;
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
  let out = '{';
  for (let i = 0; i < fields.length; i++) {
    const [name, value] = fields[i]!;
    out += `${i === 0 ? '' : ','}${goString(name)}:${value}`;
  }
  return `${out}}`;
}

/** A map (null when absent, as Go writes a nil map): keys sorted bytewise, as Go sorts them. */
export function goMap<V>(
  map: Readonly<Record<string, V>> | ReadonlyMap<string, V> | undefined,
  encodeValue: (value: V) => string,
): string {
  if (map === undefined) return 'null';
  const isMap = map instanceof Map;
  const keys = isMap ? [...map.keys()] : Object.keys(map);
  if (keys.length > 1) keys.sort(compareUtf8);
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const value = (isMap ? map.get(key) : (map as Readonly<Record<string, V>>)[key]) as V;
    out += `${i === 0 ? '' : ','}${goString(key)}:${encodeValue(value)}`;
  }
  return `${out}}`;
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

/**
 * Orders strings by their UTF-8 bytes (Go's string order). UTF-16 code-unit
 * order agrees except where a surrogate (a character above U+FFFF) meets a
 * character from U+E000 to U+FFFF: in UTF-8 the former sorts after.
 */
export function compareUtf8(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    const sa = ca >= 0xd800 && ca <= 0xdfff;
    const sb = cb >= 0xd800 && cb <= 0xdfff;
    if (sa && !sb && cb >= 0xe000) return 1;
    if (sb && !sa && ca >= 0xe000) return -1;
    return ca - cb;
  }
  return a.length - b.length;
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
