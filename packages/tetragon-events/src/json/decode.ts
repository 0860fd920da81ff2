import type { Issue } from '@ciliary/core';
import type { FieldKind, FieldTable, MessageTable } from '../schema/table';
import {
  canonicalBase64,
  canonicalDuration,
  canonicalInt64,
  canonicalTimestamp,
  fieldMaskFromJson,
  fieldMaskToJson,
  int32Of,
} from './well-known';

export interface NormalizeOptions {
  /** Drop fields the schema does not know (as `tetra` does when reading stdin) instead of reporting them. */
  readonly discardUnknown?: boolean;
  /** Names the input in issues, e.g. `events.log:17`. */
  readonly document?: string;
}

interface Context {
  readonly issues: Issue[];
  readonly discardUnknown: boolean;
  readonly document: string | undefined;
}

/** Marks a value to remove: zero scalars (protojson leaves them out), nulls and invalid values. */
const DROP = Symbol('drop');
type Normalized = unknown;

type JsonObject = Record<string, unknown>;

/**
 * Turns a parsed protojson object into the model's canonical form in place: proto (snake_case)
 * keys, zero scalars removed, 64-bit integers as decimal strings, enums by name, timestamps and
 * durations in protojson's canonical text, bytes as padded base64. Every problem found is
 * returned with its JSON path; invalid values are removed so the rest stays usable.
 */
export function normalizeMessage(
  obj: JsonObject,
  table: MessageTable,
  options: NormalizeOptions = {},
): Issue[] {
  const ctx: Context = {
    issues: [],
    discardUnknown: options.discardUnknown ?? true,
    document: options.document,
  };
  normalizeObject(obj, table, ctx, '');
  return ctx.issues;
}

function report(ctx: Context, path: string, message: string): void {
  const issue: Issue =
    ctx.document === undefined ? { path, message } : { document: ctx.document, path, message };
  ctx.issues.push(issue);
}

function normalizeObject(obj: JsonObject, table: MessageTable, ctx: Context, path: string): void {
  let renames: Array<[string, FieldTable]> | undefined;
  for (const key in obj) {
    const field = table.byKey[key];
    if (field === undefined) {
      if (!ctx.discardUnknown) report(ctx, `${path}/${key}`, `unknown field "${key}" of ${table.fullName}`);
      delete obj[key];
      continue;
    }
    const value = obj[key];
    const out = normalizeField(value, field, ctx, path, key);
    if (out === DROP) delete obj[key];
    else if (out !== value) obj[key] = out;
    if (key !== field.name && out !== DROP) (renames ??= []).push([key, field]);
  }
  if (renames) applyRenames(obj, renames, ctx, path);
  if (table.oneofs.size > 0) checkOneofs(obj, table, ctx, path);
}

function applyRenames(
  obj: JsonObject,
  renames: Array<[string, FieldTable]>,
  ctx: Context,
  path: string,
): void {
  for (const [key, field] of renames) {
    if (Object.prototype.hasOwnProperty.call(obj, field.name)) {
      report(ctx, `${path}/${key}`, `field "${field.name}" is given twice (as "${field.name}" and "${key}")`);
    } else {
      obj[field.name] = obj[key];
    }
    delete obj[key];
  }
}

function checkOneofs(obj: JsonObject, table: MessageTable, ctx: Context, path: string): void {
  for (const [name, members] of table.oneofs) {
    let set: string | undefined;
    for (const member of members) {
      if (obj[member.name] === undefined) continue;
      if (set !== undefined) {
        report(ctx, `${path}/${member.name}`, `oneof "${name}" already has "${set}" set`);
        delete obj[member.name];
      } else set = member.name;
    }
  }
}

function normalizeField(
  value: unknown,
  field: FieldTable,
  ctx: Context,
  path: string,
  key: string,
): Normalized {
  if (value === null) return DROP;
  if (field.map) return normalizeMap(value, field, ctx, `${path}/${key}`);
  if (field.repeated) return normalizeList(value, field, ctx, `${path}/${key}`);
  const out = normalizeSingle(value, field.kind, field, ctx, path, key);
  if (out === DROP || field.oneof !== undefined) return out;
  return isZero(out, field.kind) ? DROP : out;
}

function isZero(value: unknown, kind: FieldKind): boolean {
  switch (kind) {
    case 'string':
    case 'bytes':
      return value === '';
    case 'int32':
    case 'uint32':
    case 'double':
      return value === 0;
    case 'int64':
    case 'uint64':
      return value === '0';
    case 'bool':
      return value === false;
    case 'enum':
      return value === 0 || value === '__zero__';
    default:
      return false;
  }
}

function normalizeList(value: unknown, field: FieldTable, ctx: Context, path: string): Normalized {
  if (!Array.isArray(value)) {
    report(ctx, path, 'expected a list');
    return DROP;
  }
  let clean = true;
  for (let i = 0; i < value.length; i++) {
    const element: unknown = value[i];
    const out = element === null ? DROP : normalizeSingle(element, field.kind, field, ctx, path, String(i));
    if (out === DROP) {
      if (element === null) report(ctx, `${path}/${i}`, 'null is not allowed in a list');
      clean = false;
      value[i] = DROP;
    } else if (out !== element) value[i] = out === ZERO_ENUM ? zeroEnumName(field) : out;
  }
  const list = clean ? value : value.filter((e) => e !== DROP);
  return list.length === 0 ? DROP : list;
}

function normalizeMap(value: unknown, field: FieldTable, ctx: Context, path: string): Normalized {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    report(ctx, path, 'expected an object (map)');
    return DROP;
  }
  const map = value as JsonObject;
  let size = 0;
  for (const key in map) {
    if (typeof map[key] !== 'string') {
      report(ctx, `${path}/${key}`, 'expected a string');
      delete map[key];
    } else size++;
  }
  return size === 0 ? DROP : map;
}

/** Stands for an enum's zero value until the caller decides whether it is kept. */
const ZERO_ENUM = '__zero__';

function zeroEnumName(field: FieldTable): string {
  return field.enumTable?.byNumber.get(0) ?? '0';
}

function normalizeSingle(
  value: unknown,
  kind: FieldKind,
  field: FieldTable,
  ctx: Context,
  path: string,
  key: string,
): Normalized {
  switch (kind) {
    case 'string':
      if (typeof value === 'string') return value;
      return invalid(ctx, path, key, 'expected a string');
    case 'int32':
    case 'uint32': {
      if (typeof value === 'number' && value >= 0 && value <= 0x7fffffff && Number.isInteger(value))
        return value;
      const n = int32Of(value, kind);
      return n === undefined
        ? invalid(ctx, path, key, `expected ${kind === 'uint32' ? 'an unsigned' : 'a'} 32-bit integer`)
        : n;
    }
    case 'int64':
    case 'uint64': {
      const s = canonicalInt64(value, kind);
      return s === undefined
        ? invalid(ctx, path, key, `expected ${kind === 'uint64' ? 'an unsigned' : 'a'} 64-bit integer`)
        : s;
    }
    case 'bool':
      if (typeof value === 'boolean') return value;
      return invalid(ctx, path, key, 'expected true or false');
    case 'double':
      if (typeof value === 'number') return value;
      if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return value;
      return invalid(ctx, path, key, 'expected a number');
    case 'bytes': {
      const b = typeof value === 'string' ? canonicalBase64(value) : undefined;
      return b === undefined ? invalid(ctx, path, key, 'expected base64-encoded bytes') : b;
    }
    case 'enum':
      return normalizeEnum(value, field, ctx, path, key);
    case 'message':
      if (typeof value === 'object' && value !== null && !Array.isArray(value) && field.message) {
        normalizeObject(value as JsonObject, field.message, ctx, `${path}/${key}`);
        return value;
      }
      return invalid(ctx, path, key, 'expected an object');
    case 'wrapper':
      return normalizeSingle(value, field.wrapped ?? 'string', field, ctx, path, key);
    case 'timestamp': {
      const t = typeof value === 'string' ? canonicalTimestamp(value) : undefined;
      return t === undefined
        ? invalid(ctx, path, key, 'expected an RFC 3339 timestamp such as "2024-04-14T02:18:14.376304204Z"')
        : t;
    }
    case 'duration': {
      const d = typeof value === 'string' ? canonicalDuration(value) : undefined;
      return d === undefined ? invalid(ctx, path, key, 'expected a duration such as "15s" or "0.5s"') : d;
    }
    case 'fieldMask':
      if (typeof value === 'string') return fieldMaskToJson(fieldMaskFromJson(value));
      return invalid(ctx, path, key, 'expected a comma-separated list of field paths');
  }
}

function normalizeEnum(
  value: unknown,
  field: FieldTable,
  ctx: Context,
  path: string,
  key: string,
): Normalized {
  const table = field.enumTable;
  if (!table) return invalid(ctx, path, key, 'enum without a table');
  let number: number | undefined;
  let name: string | undefined;
  if (typeof value === 'string') {
    number = table.byName.get(value);
    name = value;
    if (number === undefined) {
      if (ctx.discardUnknown) return DROP;
      return invalid(ctx, path, key, `unknown ${table.fullName} value "${value}"`);
    }
  } else if (typeof value === 'number' && Number.isInteger(value)) {
    number = value;
    name = table.byNumber.get(value);
    // protojson writes numbers it has no name for as numbers; keep them.
    if (name === undefined) return value === 0 ? ZERO_ENUM : value;
  } else {
    return invalid(ctx, path, key, `expected a ${table.fullName} name`);
  }
  if (number === 0 && field.oneof === undefined && !field.repeated) return ZERO_ENUM;
  return name;
}

function invalid(ctx: Context, path: string, key: string, message: string): typeof DROP {
  report(ctx, `${path}/${key}`, message);
  return DROP;
}
