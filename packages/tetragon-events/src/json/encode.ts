import type { FieldKind, FieldTable, MessageTable } from '../schema/table';
import { canonicalTimestamp, canonicalDuration, isCanonicalTimestampText } from './well-known';

type JsonObject = Record<string, unknown>;

// Quotes, backslashes, control characters and (lone) surrogates need the slow path.
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * A JSON string as Go's protojson writes it, which is what JSON.stringify writes: `\"`, `\\`,
 * short escapes for \b \f \n \r \t, `\u00xx` for other control characters, and everything else
 * (DEL, U+2028 and U+2029 included) as it is. Checked against protojson itself.
 */
export function quoteJson(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/**
 * Writes a model object as protojson with proto names: keys in declaration order, zero scalars
 * left out (oneof members and wrappers kept), 64-bit integers as strings, no whitespace.
 */
export function writeMessage(obj: JsonObject, table: MessageTable): string {
  let out = '{';
  let first = true;
  const fields = table.fields;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    const value = obj[field.name];
    if (value === undefined || value === null) continue;
    const text = writeField(value, field);
    if (text === undefined) continue;
    out += first ? field.jsonKey : `,${field.jsonKey}`;
    out += text;
    first = false;
  }
  return `${out}}`;
}

function writeField(value: unknown, field: FieldTable): string | undefined {
  if (field.map) return writeMap(value as Record<string, string>);
  if (field.repeated) {
    const list = value as unknown[];
    if (list.length === 0) return undefined;
    let out = '[';
    for (let i = 0; i < list.length; i++) {
      if (i > 0) out += ',';
      out += writeValue(list[i], field.kind, field) ?? 'null';
    }
    return `${out}]`;
  }
  if (field.oneof === undefined && isZeroValue(value, field)) return undefined;
  return writeValue(value, field.kind, field);
}

function writeMap(map: Record<string, string>): string | undefined {
  // Go's protojson sorts map keys.
  const keys = Object.keys(map).sort();
  if (keys.length === 0) return undefined;
  return `{${keys.map((k) => `${quoteJson(k)}:${quoteJson(String(map[k]))}`).join(',')}}`;
}

function isZeroValue(value: unknown, field: FieldTable): boolean {
  switch (field.kind) {
    case 'string':
    case 'bytes':
      return value === '' || (value instanceof Uint8Array && value.length === 0);
    case 'int32':
    case 'uint32':
    case 'double':
      return value === 0;
    case 'int64':
    case 'uint64':
      return value === '0' || value === 0 || value === 0n;
    case 'bool':
      return value === false;
    case 'enum':
      return value === 0 || (typeof value === 'string' && field.enumTable?.byName.get(value) === 0);
    default:
      return false;
  }
}

function writeValue(value: unknown, kind: FieldKind, field: FieldTable): string | undefined {
  switch (kind) {
    case 'string':
      return quoteJson(String(value));
    case 'int32':
    case 'uint32':
    case 'double':
      return typeof value === 'number' && !Number.isFinite(value) ? `"${String(value)}"` : String(value);
    case 'int64':
    case 'uint64':
      return `"${String(value)}"`;
    case 'bool':
      return value ? 'true' : 'false';
    case 'bytes':
      return `"${value instanceof Uint8Array ? Buffer.from(value).toString('base64') : String(value)}"`;
    case 'enum': {
      if (typeof value === 'string') return `"${value}"`;
      const name = field.enumTable?.byNumber.get(value as number);
      return name === undefined ? String(value) : `"${name}"`;
    }
    case 'message':
      return field.message ? writeMessage(value as JsonObject, field.message) : undefined;
    case 'wrapper':
      return writeValue(value, field.wrapped ?? 'string', field);
    case 'timestamp': {
      const text = String(value);
      return `"${isCanonicalTimestampText(text) ? text : (canonicalTimestamp(text) ?? text)}"`;
    }
    case 'duration':
      return quoteJson(canonicalDuration(String(value)) ?? String(value));
    case 'fieldMask':
      return quoteJson(String(value));
  }
}
