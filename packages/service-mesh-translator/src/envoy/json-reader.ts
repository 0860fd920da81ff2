import { Enum, MapField, Type, type Field, type Root } from 'protobufjs';
import type { Issue } from '@ciliary/core';
import { pointerSegment, ProtoCatalog } from './json-names';
import { checkFieldRules, checkMessageRules } from './pgv';
import { typeNameOfUrl } from './type-urls';
import { isRecord } from '../util';

/**
 * Reads proto3 JSON (the mapping protobuf defines: camelCase or proto names,
 * "5s" durations, `@type` in Any, bare wrapper values) into the object form
 * protobufjs encodes, checking Envoy's validation rules (PGV) on the way.
 * Unknown fields are errors, as in Envoy's strict parsing: protobufjs alone
 * would drop them silently.
 */
export class ProtoJsonReader {
  /** `checkRules: false` reads without Envoy's validation rules, to normalise input before it is completed. */
  constructor(
    private readonly root: Root,
    private readonly checkRules = true,
    private readonly catalog = new ProtoCatalog(),
  ) {}

  /** Reads `json` as a `type` message; problems are appended to `issues` with paths under `path`. */
  readMessage(type: Type, json: unknown, path: string, issues: Issue[]): Record<string, unknown> | undefined {
    const special = this.readWellKnown(type, json, path, issues);
    if (special !== NOT_WELL_KNOWN) return special as Record<string, unknown> | undefined;
    if (!isRecord(json)) {
      issues.push({ path, message: `must be an object (${this.catalog.fullName(type).slice(1)})` });
      return undefined;
    }
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(json)) {
      const fieldPath = `${path}/${pointerSegment(key)}`;
      const field = this.catalog.lookup(type, key);
      if (!field) {
        issues.push({ path: fieldPath, message: `unknown field in ${this.catalog.fullName(type).slice(1)}` });
        continue;
      }
      if (
        value === null &&
        !(
          field.resolvedType instanceof Type &&
          this.catalog.fullName(field.resolvedType) === '.google.protobuf.Value'
        )
      )
        continue;
      if (field.name in out) {
        issues.push({ path: fieldPath, message: `field ${field.name} is given twice` });
        continue;
      }
      const read = this.readField(field, value, fieldPath, issues);
      if (read === undefined) continue;
      out[field.name] = read;
      if (this.checkRules) checkFieldRules(this.catalog, field, read, fieldPath, issues);
    }
    this.checkOneofs(type, out, path, issues);
    if (this.checkRules) checkMessageRules(this.catalog, type, out, path, issues);
    return out;
  }

  private checkOneofs(type: Type, out: Record<string, unknown>, path: string, issues: Issue[]): void {
    for (const oneof of type.oneofsArray) {
      const set = oneof.oneof.filter((name) => out[name] !== undefined);
      if (set.length > 1) issues.push({ path, message: `only one of ${set.join(', ')} may be set` });
    }
  }

  private readField(field: Field | MapField, value: unknown, path: string, issues: Issue[]): unknown {
    if (field instanceof MapField) return this.readMap(field, value, path, issues);
    if (field.repeated) {
      if (!Array.isArray(value)) {
        issues.push({ path, message: 'must be an array' });
        return undefined;
      }
      const items = value.map((item, i) => this.readSingle(field, item, `${path}/${i}`, issues));
      return items.every((item) => item !== undefined) ? items : undefined;
    }
    return this.readSingle(field, value, path, issues);
  }

  private readMap(field: MapField, value: unknown, path: string, issues: Issue[]): unknown {
    if (!isRecord(value)) {
      issues.push({ path, message: 'must be an object (a map)' });
      return undefined;
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const itemPath = `${path}/${pointerSegment(key)}`;
      if (field.keyType !== 'string' && !/^-?\d+$/.test(key) && field.keyType !== 'bool') {
        issues.push({ path: itemPath, message: `map key must be an integer (${field.keyType})` });
        continue;
      }
      const read = this.readSingle(field, item, itemPath, issues);
      if (read !== undefined) out[key] = read;
    }
    return out;
  }

  private readSingle(field: Field | MapField, value: unknown, path: string, issues: Issue[]): unknown {
    const resolved = field.resolvedType;
    if (resolved instanceof Type) return this.readMessage(resolved, value, path, issues);
    if (resolved instanceof Enum) return readEnum(resolved, value, path, issues);
    return readScalar(field.type, value, path, issues);
  }

  private readWellKnown(type: Type, json: unknown, path: string, issues: Issue[]): unknown {
    const fullName = this.catalog.fullName(type);
    switch (fullName) {
      case '.google.protobuf.Any':
        return this.readAny(json, path, issues);
      case '.google.protobuf.Duration':
        return readDuration(json, path, issues);
      case '.google.protobuf.Timestamp':
        return readTimestamp(json, path, issues);
      case '.google.protobuf.Struct':
        return readStruct(json, path, issues);
      case '.google.protobuf.Value':
        return readValue(json, path, issues);
      case '.google.protobuf.ListValue':
        return Array.isArray(json)
          ? { values: json.map((v, i) => readValue(v, `${path}/${i}`, issues)) }
          : fail(issues, path, 'must be an array');
      case '.google.protobuf.FieldMask':
        return typeof json === 'string'
          ? { paths: json === '' ? [] : json.split(',').map(snakeCase) }
          : fail(issues, path, 'must be a string of comma-separated paths');
      case '.google.protobuf.Empty':
        return isRecord(json) && Object.keys(json).length === 0 ? {} : fail(issues, path, 'must be {}');
      default: {
        const wrapped = WRAPPER_SCALARS[fullName];
        if (wrapped === undefined) return NOT_WELL_KNOWN;
        const value = readScalar(wrapped, json, path, issues);
        return value === undefined ? undefined : { value };
      }
    }
  }

  private readAny(json: unknown, path: string, issues: Issue[]): unknown {
    if (!isRecord(json)) return fail(issues, path, 'must be an object with @type');
    const typeUrl = json['@type'];
    if (typeof typeUrl !== 'string' || typeUrl === '') return fail(issues, `${path}/@type`, 'is required');
    const inner = this.lookup(typeNameOfUrl(typeUrl));
    if (!inner) return fail(issues, `${path}/@type`, `unknown type ${typeUrl}`);
    const special = hasSpecialJson(this.catalog.fullName(inner));
    const body = special ? json['value'] : withoutType(json);
    if (special) {
      const extra = Object.keys(json).filter((k) => k !== '@type' && k !== 'value');
      for (const key of extra) issues.push({ path: `${path}/${key}`, message: 'unknown field in Any' });
    }
    const before = issues.length;
    const object = this.readMessage(inner, body, path, issues);
    if (object === undefined || issues.length > before) return undefined;
    const value = inner.encode(inner.fromObject(object)).finish();
    return { type_url: typeUrl, value };
  }

  private lookup(fullName: string): Type | undefined {
    try {
      return this.root.lookupType(fullName);
    } catch {
      return undefined;
    }
  }
}

const NOT_WELL_KNOWN = Symbol('not a well-known type');

const WRAPPER_SCALARS: Record<string, string> = {
  '.google.protobuf.DoubleValue': 'double',
  '.google.protobuf.FloatValue': 'float',
  '.google.protobuf.Int64Value': 'int64',
  '.google.protobuf.UInt64Value': 'uint64',
  '.google.protobuf.Int32Value': 'int32',
  '.google.protobuf.UInt32Value': 'uint32',
  '.google.protobuf.BoolValue': 'bool',
  '.google.protobuf.StringValue': 'string',
  '.google.protobuf.BytesValue': 'bytes',
};

/** Types whose JSON is not an object of fields, so inside an Any they sit under `value`. */
export function hasSpecialJson(fullName: string): boolean {
  return (
    fullName in WRAPPER_SCALARS ||
    [
      '.google.protobuf.Duration',
      '.google.protobuf.Timestamp',
      '.google.protobuf.Struct',
      '.google.protobuf.Value',
      '.google.protobuf.ListValue',
      '.google.protobuf.FieldMask',
      '.google.protobuf.Any',
    ].includes(fullName)
  );
}

export function isWrapperType(fullName: string): boolean {
  return fullName in WRAPPER_SCALARS;
}

function fail(issues: Issue[], path: string, message: string): undefined {
  issues.push({ path, message });
  return undefined;
}

function withoutType(json: Record<string, unknown>): Record<string, unknown> {
  const { ['@type']: _type, ...rest } = json;
  return rest;
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function readEnum(type: Enum, value: unknown, path: string, issues: Issue[]): number | undefined {
  if (typeof value === 'string') {
    const number = type.values[value];
    if (number === undefined) return fail(issues, path, `unknown ${type.name} value "${value}"`);
    return number;
  }
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  return fail(issues, path, `must be a ${type.name} name or number`);
}

const INT_RANGES: Record<string, readonly [number, number]> = {
  int32: [-2_147_483_648, 2_147_483_647],
  sint32: [-2_147_483_648, 2_147_483_647],
  sfixed32: [-2_147_483_648, 2_147_483_647],
  uint32: [0, 4_294_967_295],
  fixed32: [0, 4_294_967_295],
};

const INT64_TYPES = new Set(['int64', 'sint64', 'sfixed64', 'uint64', 'fixed64']);

function readScalar(kind: string, value: unknown, path: string, issues: Issue[]): unknown {
  if (kind === 'string') return typeof value === 'string' ? value : fail(issues, path, 'must be a string');
  if (kind === 'bool')
    return typeof value === 'boolean' ? value : fail(issues, path, 'must be true or false');
  if (kind === 'bytes') {
    if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]*=*$/.test(value))
      return fail(issues, path, 'must be base64 text');
    return Buffer.from(value, 'base64');
  }
  if (kind === 'double' || kind === 'float') return readFloat(value, path, issues);
  const range = INT_RANGES[kind];
  if (range) {
    const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isInteger(n))
      return fail(issues, path, `must be an integer (${kind})`);
    if (n < range[0] || n > range[1]) return fail(issues, path, `${n} is out of range for ${kind}`);
    return n;
  }
  if (INT64_TYPES.has(kind)) {
    const text = typeof value === 'number' && Number.isInteger(value) ? String(value) : value;
    if (typeof text !== 'string' || !/^-?\d+$/.test(text))
      return fail(issues, path, `must be an integer (${kind})`);
    if (kind.startsWith('u') && text.startsWith('-'))
      return fail(issues, path, `must not be negative (${kind})`);
    return text;
  }
  return fail(issues, path, `unsupported field type ${kind}`);
}

function readFloat(value: unknown, path: string, issues: Issue[]): number | undefined {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
  return fail(issues, path, 'must be a number');
}

const DURATION = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;
const MAX_DURATION_SECONDS = 315_576_000_000;

function readDuration(value: unknown, path: string, issues: Issue[]): unknown {
  const match = typeof value === 'string' ? DURATION.exec(value) : null;
  if (!match) return fail(issues, path, 'must be a duration such as "5s" or "0.250s"');
  const sign = match[1] ? -1 : 1;
  const seconds = Number(match[2]);
  if (seconds > MAX_DURATION_SECONDS) return fail(issues, path, 'duration is out of range');
  const nanos = Number((match[3] ?? '').padEnd(9, '0'));
  return { seconds: String(sign * seconds), nanos: sign * nanos };
}

function readTimestamp(value: unknown, path: string, issues: Issue[]): unknown {
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  if (typeof value !== 'string' || Number.isNaN(ms) || !/Z$|[+-]\d\d:\d\d$/.test(value))
    return fail(issues, path, 'must be an RFC 3339 timestamp');
  const fraction = /\.(\d{1,9})/.exec(value)?.[1] ?? '';
  const seconds = Math.floor(ms / 1000);
  return { seconds: String(seconds), nanos: Number(fraction.padEnd(9, '0')) };
}

function readStruct(value: unknown, path: string, issues: Issue[]): unknown {
  if (!isRecord(value)) return fail(issues, path, 'must be an object');
  const fields: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value))
    fields[key] = readValue(item, `${path}/${pointerSegment(key)}`, issues);
  return { fields };
}

function readValue(value: unknown, path: string, issues: Issue[]): unknown {
  if (value === null) return { null_value: 0 };
  if (typeof value === 'number') return { number_value: value };
  if (typeof value === 'string') return { string_value: value };
  if (typeof value === 'boolean') return { bool_value: value };
  if (Array.isArray(value))
    return { list_value: { values: value.map((v, i) => readValue(v, `${path}/${i}`, issues)) } };
  if (isRecord(value)) return { struct_value: readStruct(value, path, issues) };
  return fail(issues, path, 'must be a JSON value');
}
