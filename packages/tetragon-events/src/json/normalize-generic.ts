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

export interface Context {
  readonly issues: Issue[];
  readonly discardUnknown: boolean;
  readonly document: string | undefined;
  /** Keys (and list indices) from the root to the object being normalised; joined only when a problem is reported. */
  readonly stack: Array<string | number>;
}

export type JsonObject = Record<string, unknown>;

/** Marks a value to remove: zero scalars (protojson leaves them out), nulls and invalid values. */
export const DROP = Symbol('drop');
/** Stands for an enum's zero value until the caller decides whether it is kept. */
const ZERO_ENUM = Symbol('zero-enum');

/**
 * Turns a parsed protojson object into the model's canonical form in place: proto (snake_case)
 * keys, zero scalars removed, 64-bit integers as decimal strings, enums by name, timestamps and
 * durations in protojson's canonical text, bytes as padded base64. Every problem found is
 * returned with its JSON path; invalid values are removed so the rest stays usable.
 *
 * This is the reference: a walk driven by the schema tables. The reader runs code generated from
 * the same tables (normalize-compiled.ts) and falls back to these functions for anything but the
 * canonical forms Tetragon writes; a test holds the two to the same results.
 */
export function normalizeMessageByWalk(
  obj: JsonObject,
  table: MessageTable,
  options: NormalizeOptions = {},
): Issue[] {
  const ctx: Context = {
    issues: [],
    discardUnknown: options.discardUnknown ?? true,
    document: options.document,
    stack: [],
  };
  normalizeObject(obj, table, ctx);
  return ctx.issues;
}

export function report(ctx: Context, key: string | undefined, message: string): void {
  const parts = key === undefined ? ctx.stack : [...ctx.stack, key];
  const path = parts.length === 0 ? '' : `/${parts.join('/')}`;
  ctx.issues.push(ctx.document === undefined ? { path, message } : { document: ctx.document, path, message });
}

export function normalizeObject(obj: JsonObject, table: MessageTable, ctx: Context): void {
  let renames: Array<[string, FieldTable]> | undefined;
  let oneofSet: FieldTable | undefined;
  for (const key in obj) {
    const field = table.byKey[key];
    if (field === undefined) {
      unknownField(obj, key, table, ctx);
      continue;
    }
    const value = obj[key];
    const out = value === null ? DROP : normalizeField(value, field, ctx, key);
    if (out === DROP) {
      delete obj[key];
      continue;
    }
    if (out !== value) obj[key] = out;
    if (field.oneof !== undefined) {
      if (oneofSet !== undefined && oneofSet.oneof === field.oneof) {
        report(ctx, field.name, `oneof "${field.oneof}" already has "${oneofSet.name}" set`);
        delete obj[key];
        continue;
      }
      oneofSet ??= field;
    }
    if (key !== field.name) (renames ??= []).push([key, field]);
  }
  if (renames) applyRenames(obj, renames, ctx);
}

/** A key the message does not have: removed, and reported unless unknown fields are discarded. */
export function unknownField(obj: JsonObject, key: string, table: MessageTable, ctx: Context): void {
  if (!ctx.discardUnknown) report(ctx, key, `unknown field "${key}" of ${table.fullName}`);
  delete obj[key];
}

export function applyRenames(obj: JsonObject, renames: Array<[string, FieldTable]>, ctx: Context): void {
  for (const [key, field] of renames) {
    if (Object.prototype.hasOwnProperty.call(obj, field.name)) {
      report(ctx, key, `field "${field.name}" is given twice (as "${field.name}" and "${key}")`);
    } else {
      obj[field.name] = obj[key];
    }
    delete obj[key];
  }
}

export function normalizeField(value: unknown, field: FieldTable, ctx: Context, key: string): unknown {
  // The common cases first: strings, nested messages, small unsigned integers.
  switch (field.kind) {
    case 'string':
      if (typeof value === 'string' && !field.repeated)
        return value === '' && field.oneof === undefined ? DROP : value;
      break;
    case 'message':
      if (!field.repeated && typeof value === 'object' && !Array.isArray(value)) {
        ctx.stack.push(key);
        normalizeObject(value as JsonObject, field.message!, ctx);
        ctx.stack.pop();
        return value;
      }
      break;
    case 'wrapper':
      if (
        field.wrapped === 'uint32' &&
        typeof value === 'number' &&
        value >= 0 &&
        value <= 0xffffffff &&
        Number.isInteger(value)
      ) {
        return value;
      }
      break;
  }
  if (field.map) return normalizeMap(value, ctx, key);
  if (field.repeated) return normalizeList(value, field, ctx, key);
  const out = normalizeSingle(value, field.kind, field, ctx, key);
  if (out === DROP) return DROP;
  if (out === ZERO_ENUM) return field.oneof === undefined ? DROP : zeroEnumName(field);
  if (field.oneof !== undefined || field.kind === 'wrapper') return out;
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
    default:
      return false;
  }
}

function normalizeList(value: unknown, field: FieldTable, ctx: Context, key: string): unknown {
  if (!Array.isArray(value)) {
    report(ctx, key, 'expected a list');
    return DROP;
  }
  ctx.stack.push(key);
  let clean = true;
  for (let i = 0; i < value.length; i++) {
    const element: unknown = value[i];
    let out: unknown;
    if (element === null) {
      report(ctx, String(i), 'null is not allowed in a list');
      out = DROP;
    } else if (field.kind === 'message' && typeof element === 'object' && !Array.isArray(element)) {
      ctx.stack.push(String(i));
      normalizeObject(element as JsonObject, field.message!, ctx);
      ctx.stack.pop();
      continue;
    } else {
      out = normalizeSingle(element, field.kind, field, ctx, String(i));
    }
    if (out === DROP) {
      clean = false;
      value[i] = DROP;
    } else if (out === ZERO_ENUM) value[i] = zeroEnumName(field);
    else if (out !== element) value[i] = out;
  }
  ctx.stack.pop();
  const list = clean ? value : value.filter((e) => e !== DROP);
  return list.length === 0 ? DROP : list;
}

function normalizeMap(value: unknown, ctx: Context, key: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    report(ctx, key, 'expected an object (map)');
    return DROP;
  }
  const map = value as JsonObject;
  let size = 0;
  ctx.stack.push(key);
  for (const k in map) {
    if (typeof map[k] !== 'string') {
      report(ctx, k, 'expected a string');
      delete map[k];
    } else size++;
  }
  ctx.stack.pop();
  return size === 0 ? DROP : map;
}

function zeroEnumName(field: FieldTable): string {
  return field.enumTable?.byNumber.get(0) ?? '0';
}

function normalizeSingle(
  value: unknown,
  kind: FieldKind,
  field: FieldTable,
  ctx: Context,
  key: string,
): unknown {
  switch (kind) {
    case 'string':
      if (typeof value === 'string') return value;
      return invalid(ctx, key, 'expected a string');
    case 'int32':
    case 'uint32': {
      if (typeof value === 'number' && value >= 0 && value <= 0x7fffffff && Number.isInteger(value))
        return value;
      const n = int32Of(value, kind);
      return n === undefined
        ? invalid(ctx, key, `expected ${kind === 'uint32' ? 'an unsigned' : 'a'} 32-bit integer`)
        : n;
    }
    case 'int64':
    case 'uint64': {
      const s = canonicalInt64(value, kind);
      return s === undefined
        ? invalid(ctx, key, `expected ${kind === 'uint64' ? 'an unsigned' : 'a'} 64-bit integer`)
        : s;
    }
    case 'bool':
      if (typeof value === 'boolean') return value;
      return invalid(ctx, key, 'expected true or false');
    case 'double':
      if (typeof value === 'number') return value;
      if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return value;
      return invalid(ctx, key, 'expected a number');
    case 'bytes': {
      const b = typeof value === 'string' ? canonicalBase64(value) : undefined;
      return b === undefined ? invalid(ctx, key, 'expected base64-encoded bytes') : b;
    }
    case 'enum':
      return normalizeEnum(value, field, ctx, key);
    case 'message':
      if (typeof value === 'object' && value !== null && !Array.isArray(value) && field.message) {
        ctx.stack.push(key);
        normalizeObject(value as JsonObject, field.message, ctx);
        ctx.stack.pop();
        return value;
      }
      return invalid(ctx, key, 'expected an object');
    case 'wrapper':
      return normalizeSingle(value, field.wrapped ?? 'string', field, ctx, key);
    case 'timestamp': {
      const t = typeof value === 'string' ? canonicalTimestamp(value) : undefined;
      return t === undefined
        ? invalid(ctx, key, 'expected an RFC 3339 timestamp such as "2024-04-14T02:18:14.376304204Z"')
        : t;
    }
    case 'duration': {
      const d = typeof value === 'string' ? canonicalDuration(value) : undefined;
      return d === undefined ? invalid(ctx, key, 'expected a duration such as "15s" or "0.5s"') : d;
    }
    case 'fieldMask':
      if (typeof value === 'string') return fieldMaskToJson(fieldMaskFromJson(value));
      return invalid(ctx, key, 'expected a comma-separated list of field paths');
  }
}

function normalizeEnum(value: unknown, field: FieldTable, ctx: Context, key: string): unknown {
  const table = field.enumTable!;
  if (typeof value === 'string') {
    const number = table.byName.get(value);
    if (number === undefined) {
      return ctx.discardUnknown ? DROP : invalid(ctx, key, `unknown ${table.fullName} value "${value}"`);
    }
    return number === 0 && !field.repeated ? ZERO_ENUM : value;
  }
  // Enum numbers are int32 in protobuf; protojson refuses others.
  if (typeof value === 'number' && Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31) {
    if (value === 0 && !field.repeated) return ZERO_ENUM;
    // protojson writes numbers it has no name for as numbers; keep them.
    return table.byNumber.get(value) ?? value;
  }
  return invalid(ctx, key, `expected a ${table.fullName} name`);
}

function invalid(ctx: Context, key: string, message: string): typeof DROP {
  report(ctx, key, message);
  return DROP;
}
