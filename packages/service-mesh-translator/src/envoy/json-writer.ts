import { Enum, MapField, Type, type Field, type Root } from 'protobufjs';
import { jsonNameOf, ProtoCatalog } from './json-names';
import { hasSpecialJson, isWrapperType } from './json-reader';
import { typeNameOfUrl } from './type-urls';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Writes a decoded protobufjs message as proto3 JSON: camelCase names, enum
 * names, "5s" durations, Any with `@type`, bare wrapper values, int64 as
 * strings, and unset fields left out.
 */
export class ProtoJsonWriter {
  constructor(
    private readonly root: Root,
    private readonly catalog = new ProtoCatalog(),
  ) {}

  writeMessage(type: Type, message: Record<string, unknown>): Json {
    const special = this.writeWellKnown(type, message);
    if (special !== undefined) return special;
    const out: { [key: string]: Json } = {};
    for (const field of type.fieldsArray) {
      const value = message[field.name];
      if (value === undefined || value === null) continue;
      if (!Object.prototype.hasOwnProperty.call(message, field.name)) continue;
      if (Array.isArray(value) && value.length === 0) continue;
      if (field instanceof MapField && Object.keys(value as object).length === 0) continue;
      out[this.catalog.jsonName(field)] = this.writeField(field, value);
    }
    return out;
  }

  private writeField(field: Field, value: unknown): Json {
    if (field instanceof MapField) {
      const out: { [key: string]: Json } = {};
      for (const [key, item] of Object.entries(value as Record<string, unknown>))
        out[key] = this.writeSingle(field, item);
      return out;
    }
    if (field.repeated) return (value as unknown[]).map((item) => this.writeSingle(field, item));
    return this.writeSingle(field, value);
  }

  private writeSingle(field: Field, value: unknown): Json {
    const resolved = field.resolvedType;
    if (resolved instanceof Type) return this.writeMessage(resolved, value as Record<string, unknown>);
    if (resolved instanceof Enum) {
      return resolved.valuesById[value as number] ?? (value as number);
    }
    return writeScalar(field.type, value);
  }

  private writeWellKnown(type: Type, message: Record<string, unknown>): Json | undefined {
    const fullName = this.catalog.fullName(type);
    switch (fullName) {
      case '.google.protobuf.Any':
        return this.writeAny(message);
      case '.google.protobuf.Duration':
        return formatDuration(message);
      case '.google.protobuf.Timestamp': {
        const ms =
          Number(String(message['seconds'] ?? 0)) * 1000 + Math.floor(Number(message['nanos'] ?? 0) / 1e6);
        return new Date(ms).toISOString();
      }
      case '.google.protobuf.Struct':
        return this.writeStruct(message);
      case '.google.protobuf.Value':
        return this.writeValue(message);
      case '.google.protobuf.ListValue':
        return ((message['values'] as Array<Record<string, unknown>> | undefined) ?? []).map((v) =>
          this.writeValue(v),
        );
      case '.google.protobuf.FieldMask':
        return ((message['paths'] as string[] | undefined) ?? []).map(jsonNameOf).join(',');
      default:
        if (!isWrapperType(fullName)) return undefined;
        return writeScalar(
          type.fields['value']!.type,
          message['value'] ?? defaultScalar(type.fields['value']!.type),
        );
    }
  }

  private writeAny(message: Record<string, unknown>): Json {
    const typeUrl = String(message['type_url'] ?? '');
    const inner = this.root.lookupType(typeNameOfUrl(typeUrl));
    const bytes = (message['value'] as Uint8Array | undefined) ?? new Uint8Array();
    const decoded = inner.decode(bytes) as unknown as Record<string, unknown>;
    const body = this.writeMessage(inner, decoded);
    if (hasSpecialJson(this.catalog.fullName(inner))) return { '@type': typeUrl, value: body };
    return { '@type': typeUrl, ...(body as { [key: string]: Json }) };
  }

  private writeStruct(message: Record<string, unknown>): Json {
    const out: { [key: string]: Json } = {};
    const fields = (message['fields'] as Record<string, Record<string, unknown>> | undefined) ?? {};
    for (const [key, value] of Object.entries(fields)) out[key] = this.writeValue(value);
    return out;
  }

  private writeValue(message: Record<string, unknown>): Json {
    if (message['number_value'] !== undefined) return message['number_value'] as number;
    if (message['string_value'] !== undefined) return message['string_value'] as string;
    if (message['bool_value'] !== undefined) return message['bool_value'] as boolean;
    if (message['struct_value'] !== undefined)
      return this.writeStruct(message['struct_value'] as Record<string, unknown>);
    if (message['list_value'] !== undefined) {
      const values =
        ((message['list_value'] as Record<string, unknown>)['values'] as Array<Record<string, unknown>>) ??
        [];
      return values.map((v) => this.writeValue(v));
    }
    return null;
  }
}

function defaultScalar(kind: string): unknown {
  if (kind === 'string') return '';
  if (kind === 'bool') return false;
  if (kind === 'bytes') return new Uint8Array();
  return 0;
}

function writeScalar(kind: string, value: unknown): Json {
  if (kind === 'bytes') return Buffer.from(value as Uint8Array).toString('base64');
  if (['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64'].includes(kind)) return String(value);
  if ((kind === 'double' || kind === 'float') && typeof value === 'number' && !Number.isFinite(value))
    return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  return value as Json;
}

function formatDuration(message: Record<string, unknown>): string {
  const seconds = Number(String(message['seconds'] ?? 0));
  const nanos = Number(message['nanos'] ?? 0);
  const negative = seconds < 0 || nanos < 0;
  const whole = Math.abs(seconds);
  const frac = Math.abs(nanos);
  if (frac === 0) return `${negative ? '-' : ''}${whole}s`;
  const digits = String(frac).padStart(9, '0');
  const trimmed = digits.endsWith('000000')
    ? digits.slice(0, 3)
    : digits.endsWith('000')
      ? digits.slice(0, 6)
      : digits;
  return `${negative ? '-' : ''}${whole}.${trimmed}s`;
}
