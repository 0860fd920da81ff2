import type { Type } from 'protobufjs';
import type { FieldKind, FieldTable, MessageTable } from './table';
import {
  formatDuration,
  formatTimestamp,
  parseDuration,
  parseTimestamp,
  fieldMaskFromJson,
  fieldMaskToJson,
} from '../json/well-known';

type JsonObject = Record<string, unknown>;

/**
 * Converts a model object (protojson form) into the plain object protobufjs encodes: wrappers
 * and well-known types as messages, enums as numbers, bytes as buffers.
 */
export function toWire(obj: JsonObject, table: MessageTable): JsonObject {
  const out: JsonObject = {};
  for (const field of table.fields) {
    const value = obj[field.name];
    if (value === undefined || value === null) continue;
    if (field.map) out[field.name] = { ...(value as JsonObject) };
    else if (field.repeated)
      out[field.name] = (value as unknown[]).map((v) => toWireValue(v, field.kind, field));
    else out[field.name] = toWireValue(value, field.kind, field);
  }
  return out;
}

function toWireValue(value: unknown, kind: FieldKind, field: FieldTable): unknown {
  switch (kind) {
    case 'enum':
      return typeof value === 'string' ? (field.enumTable?.byName.get(value) ?? 0) : value;
    case 'bytes':
      return typeof value === 'string' ? Buffer.from(value, 'base64') : value;
    case 'int64':
    case 'uint64':
      return String(value);
    case 'message':
      return field.message ? toWire(value as JsonObject, field.message) : {};
    case 'wrapper':
      return { value: toWireValue(value, field.wrapped ?? 'string', field) };
    case 'timestamp':
      return parseTimestamp(String(value)) ?? { seconds: 0, nanos: 0 };
    case 'duration':
      return parseDuration(String(value)) ?? { seconds: 0, nanos: 0 };
    case 'fieldMask':
      return { paths: fieldMaskFromJson(String(value)) };
    default:
      return value;
  }
}

/** Converts a decoded protobufjs message back into the model's canonical protojson form. */
export function fromWire(msg: JsonObject, table: MessageTable): JsonObject {
  const out: JsonObject = {};
  for (const field of table.fields) {
    if (!Object.prototype.hasOwnProperty.call(msg, field.name)) continue;
    const value = msg[field.name];
    if (value === undefined || value === null) continue;
    if (field.map) {
      if (Object.keys(value as JsonObject).length > 0) out[field.name] = { ...(value as JsonObject) };
    } else if (field.repeated) {
      const list = value as unknown[];
      if (list.length > 0) out[field.name] = list.map((v) => fromWireValue(v, field.kind, field, true));
    } else {
      const converted = fromWireValue(value, field.kind, field, field.oneof !== undefined);
      if (converted !== undefined) out[field.name] = converted;
    }
  }
  return out;
}

function fromWireValue(value: unknown, kind: FieldKind, field: FieldTable, keepZero: boolean): unknown {
  let out: unknown;
  switch (kind) {
    case 'enum':
      out = field.enumTable?.byNumber.get(value as number) ?? value;
      if (!keepZero && value === 0) return undefined;
      return out;
    case 'bytes':
      out = Buffer.from(value as Uint8Array).toString('base64');
      return !keepZero && out === '' ? undefined : out;
    case 'int64':
    case 'uint64':
      out = String(value);
      return !keepZero && out === '0' ? undefined : out;
    case 'message':
      return field.message ? fromWire(value as JsonObject, field.message) : {};
    case 'wrapper': {
      const inner = (value as { value?: unknown }).value;
      return fromWireValue(
        inner ?? zeroOf(field.wrapped ?? 'string'),
        field.wrapped ?? 'string',
        field,
        true,
      );
    }
    case 'timestamp': {
      const t = value as { seconds?: unknown; nanos?: number };
      return formatTimestamp({ seconds: Number(t.seconds ?? 0), nanos: t.nanos ?? 0 });
    }
    case 'duration': {
      const d = value as { seconds?: unknown; nanos?: number };
      return formatDuration({ seconds: Number(d.seconds ?? 0), nanos: d.nanos ?? 0 });
    }
    case 'fieldMask':
      return fieldMaskToJson((value as { paths?: string[] }).paths ?? []);
    default:
      if (!keepZero && (value === 0 || value === '' || value === false)) return undefined;
      return value;
  }
}

function zeroOf(kind: FieldKind): unknown {
  switch (kind) {
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'bytes':
      return new Uint8Array(0);
    case 'int64':
    case 'uint64':
      return '0';
    default:
      return 0;
  }
}

/** Encodes a model object with protobufjs. */
export function encodeWire(type: Type, table: MessageTable, obj: JsonObject): Uint8Array {
  return type.encode(toWire(obj, table)).finish();
}

/** Decodes protobuf bytes into a model object. */
export function decodeWire(type: Type, table: MessageTable, bytes: Uint8Array): JsonObject {
  return fromWire(type.decode(bytes) as unknown as JsonObject, table);
}
