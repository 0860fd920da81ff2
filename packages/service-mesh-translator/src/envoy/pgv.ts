import { Enum, MapField, Type, type Field } from 'protobufjs';
import type { Issue } from '@ciliary/core';
import { jsonNameOf, type ProtoCatalog, type RuleTree } from './json-names';

/**
 * Envoy's validation rules (protoc-gen-validate annotations, `(validate.rules)`)
 * for the subset of rule kinds Envoy's xDS types use. protobufjs exposes them as
 * flattened field options such as `(validate.rules).string.min_len`. Checking
 * them here rejects what Envoy would NACK, with a field path, before anything is
 * served. Values are in the object form protobufjs encodes (see json-reader).
 */

function sub(tree: RuleTree | undefined, key: string): RuleTree | undefined {
  const value = tree?.[key];
  return typeof value === 'object' ? value : undefined;
}

/** Checks the rules of one field against a value that is present. */
export function checkFieldRules(
  catalog: ProtoCatalog,
  field: Field,
  value: unknown,
  path: string,
  issues: Issue[],
): void {
  const rules = catalog.rules(field);
  if (!rules) return;
  if (field instanceof MapField) return checkMap(rules, value as Record<string, unknown>, path, issues);
  if (field.repeated) return checkRepeated(field, rules, value as unknown[], path, issues);
  checkSingle(field, rules, value, path, issues);
}

/** Presence rules, and rules on scalars left at their default, for the fields a message does not set. */
export function checkMessageRules(
  catalog: ProtoCatalog,
  type: Type,
  out: Record<string, unknown>,
  path: string,
  issues: Issue[],
): void {
  for (const oneof of type.oneofsArray) {
    if (oneof.options?.['(validate.required)'] !== true) continue;
    if (oneof.oneof.every((name) => out[name] === undefined))
      issues.push({ path, message: `one of ${oneof.oneof.map(jsonNameOf).join(', ')} must be set` });
  }
  for (const field of type.fieldsArray) {
    if (out[field.name] !== undefined) continue;
    const rules = catalog.rules(field);
    if (!rules) continue;
    const fieldPath = `${path}/${catalog.jsonName(field)}`;
    // Rules on a oneof member apply only when that member is the one set.
    if (field.partOf && !field.options?.['proto3_optional'] && !isSyntheticOneof(field)) continue;
    if (isRequired(rules)) {
      issues.push({ path: fieldPath, message: 'is required' });
      continue;
    }
    if (field.partOf || field.options?.['proto3_optional']) continue;
    if (field instanceof MapField) checkMap(rules, {}, fieldPath, issues);
    else if (field.repeated) checkRepeated(field, rules, [], fieldPath, issues);
    else if (!(field.resolvedType instanceof Type))
      checkSingle(field, rules, defaultOf(field), fieldPath, issues);
  }
}

function isSyntheticOneof(field: Field): boolean {
  return field.partOf !== null && field.partOf.oneof.length === 1 && field.partOf.name === `_${field.name}`;
}

function isRequired(rules: RuleTree): boolean {
  return ['message', 'duration', 'any', 'timestamp'].some((kind) => sub(rules, kind)?.['required'] === true);
}

function defaultOf(field: Field): unknown {
  if (field.resolvedType instanceof Enum) return 0;
  if (field.type === 'string') return '';
  if (field.type === 'bool') return false;
  if (field.type === 'bytes') return new Uint8Array();
  return 0;
}

function checkRepeated(field: Field, rules: RuleTree, items: unknown[], path: string, issues: Issue[]): void {
  const repeated = sub(rules, 'repeated');
  if (!repeated) return;
  const min = repeated['min_items'];
  const max = repeated['max_items'];
  if (typeof min === 'number' && items.length < min)
    issues.push({ path, message: `must have at least ${min} item${min === 1 ? '' : 's'}` });
  if (typeof max === 'number' && items.length > max)
    issues.push({ path, message: `must have at most ${max} items` });
  if (repeated['unique'] === true && new Set(items.map((i) => JSON.stringify(i))).size !== items.length)
    issues.push({ path, message: 'items must be unique' });
  const itemRules = sub(repeated, 'items');
  if (itemRules) items.forEach((item, i) => checkSingle(field, itemRules, item, `${path}/${i}`, issues));
}

function checkMap(rules: RuleTree, map: Record<string, unknown>, path: string, issues: Issue[]): void {
  const mapRules = sub(rules, 'map');
  if (!mapRules) return;
  const size = Object.keys(map).length;
  const min = mapRules['min_pairs'];
  if (typeof min === 'number' && size < min)
    issues.push({ path, message: `must have at least ${min} entries` });
  const keyRules = sub(sub(mapRules, 'keys'), 'string');
  if (keyRules)
    for (const key of Object.keys(map)) checkString(keyRules, key, `${path}/${key}`, issues, 'key');
}

function checkSingle(field: Field, rules: RuleTree, value: unknown, path: string, issues: Issue[]): void {
  const resolved = field.resolvedType;
  if (resolved instanceof Type && resolved.name.endsWith('Value') && resolved.parent?.name === 'protobuf')
    value = (value as { value?: unknown }).value ?? defaultForWrapper(resolved.name);
  for (const [kind, kindRules] of Object.entries(rules)) {
    if (typeof kindRules !== 'object') continue;
    if (kind === 'string') checkString(kindRules, value, path, issues, 'value');
    else if (kind === 'enum' && resolved instanceof Enum) checkEnum(resolved, kindRules, value, path, issues);
    else if (kind === 'duration') checkDuration(kindRules, value, path, issues);
    else if (kind === 'any') checkAny(kindRules, value, path, issues);
    else if (kind === 'bytes') checkBytes(kindRules, value, path, issues);
    else if (NUMERIC_KINDS.has(kind)) checkNumber(kindRules, value, path, issues);
    else if (kind === 'bool' && kindRules['const'] !== undefined && value !== kindRules['const'])
      issues.push({ path, message: `must be ${String(kindRules['const'])}` });
  }
}

function defaultForWrapper(name: string): unknown {
  if (name === 'StringValue') return '';
  if (name === 'BoolValue') return false;
  return 0;
}

const NUMERIC_KINDS = new Set([
  'uint32',
  'int32',
  'uint64',
  'int64',
  'sint32',
  'sint64',
  'fixed32',
  'fixed64',
  'sfixed32',
  'sfixed64',
  'double',
  'float',
]);

function checkNumber(rules: RuleTree, raw: unknown, path: string, issues: Issue[]): void {
  const value = Number(raw);
  const limit = (key: string): number | undefined => {
    const v = rules[key];
    return v === undefined || typeof v === 'object' ? undefined : Number(v);
  };
  const gt = limit('gt');
  const gte = limit('gte');
  const lt = limit('lt');
  const lte = limit('lte');
  const equal = limit('const');
  if (gt !== undefined && !(value > gt)) issues.push({ path, message: `must be greater than ${gt}` });
  if (gte !== undefined && !(value >= gte)) issues.push({ path, message: `must be at least ${gte}` });
  if (lt !== undefined && !(value < lt)) issues.push({ path, message: `must be less than ${lt}` });
  if (lte !== undefined && !(value <= lte)) issues.push({ path, message: `must be at most ${lte}` });
  if (equal !== undefined && value !== equal) issues.push({ path, message: `must be ${equal}` });
}

// PGV's header rules: strict follows RFC 7230 tokens and field values; lax only excludes NUL, CR and LF.
// Control characters are the point of these patterns, so the lint rule against them is off here.
/* eslint-disable no-control-regex */
const HEADER_REGEX = {
  HTTP_HEADER_NAME: { strict: /^:?[0-9a-zA-Z!#$%&'*+\-.^_|~`]+$/, lax: /^[^\0\n\r]*$/ },
  HTTP_HEADER_VALUE: { strict: /^[^\0-\x08\n-\x1f\x7f]*$/, lax: /^[^\0\n\r]*$/ },
} as const;
/* eslint-enable no-control-regex */

function checkString(rules: RuleTree, raw: unknown, path: string, issues: Issue[], what: string): void {
  if (typeof raw !== 'string') return;
  if (rules['ignore_empty'] === true && raw === '') return;
  const chars = [...raw].length;
  const bytes = Buffer.byteLength(raw);
  const minLen = rules['min_len'];
  const maxLen = rules['max_len'];
  const maxBytes = rules['max_bytes'];
  if (typeof minLen === 'number' && chars < minLen)
    issues.push({
      path,
      message: minLen === 1 ? `${what} must not be empty` : `must be at least ${minLen} characters`,
    });
  if (typeof maxLen === 'number' && chars > maxLen)
    issues.push({ path, message: `must be at most ${maxLen} characters` });
  if (typeof maxBytes === 'number' && bytes > maxBytes)
    issues.push({ path, message: `must be at most ${maxBytes} bytes` });
  const pattern = rules['pattern'];
  if (typeof pattern === 'string' && !new RegExp(pattern, 'u').test(raw))
    issues.push({ path, message: `${JSON.stringify(raw)} does not match ${pattern}` });
  const wellKnown = rules['well_known_regex'];
  if (wellKnown === 'HTTP_HEADER_NAME' || wellKnown === 'HTTP_HEADER_VALUE') {
    const regex = HEADER_REGEX[wellKnown][rules['strict'] === false ? 'lax' : 'strict'];
    if (!regex.test(raw))
      issues.push({
        path,
        message: `${JSON.stringify(raw)} is not a valid ${wellKnown === 'HTTP_HEADER_NAME' ? 'header name' : 'header value'}`,
      });
  }
  const allowed = sub(rules, 'in');
  if (allowed && !Object.values(allowed).includes(raw))
    issues.push({ path, message: `must be one of ${Object.values(allowed).join(', ')}` });
}

function checkEnum(type: Enum, rules: RuleTree, value: unknown, path: string, issues: Issue[]): void {
  if (rules['defined_only'] === true && !Object.values(type.values).includes(value as number))
    issues.push({ path, message: `${String(value)} is not a defined ${type.name} value` });
  const notIn = sub(rules, 'not_in');
  if (notIn && Object.values(notIn).includes(value as number)) {
    const name = Object.entries(type.values).find(([, n]) => n === value)?.[0] ?? String(value);
    issues.push({ path, message: `${name} is not allowed here` });
  }
}

function durationNanos(value: unknown): number {
  const v = value as { seconds?: unknown; nanos?: unknown };
  return Number(v.seconds ?? 0) * 1e9 + Number(v.nanos ?? 0);
}

function checkDuration(rules: RuleTree, value: unknown, path: string, issues: Issue[]): void {
  const actual = durationNanos(value);
  const bound = (key: string): number | undefined => {
    const b = rules[key];
    return typeof b === 'object' ? durationNanos(b) : b === undefined ? undefined : 0;
  };
  const text = (n: number): string => `${n / 1e9}s`;
  const gt = bound('gt');
  const gte = bound('gte');
  const lt = bound('lt');
  const lte = bound('lte');
  if (gt !== undefined && !(actual > gt)) issues.push({ path, message: `must be longer than ${text(gt)}` });
  if (gte !== undefined && !(actual >= gte)) issues.push({ path, message: `must be at least ${text(gte)}` });
  if (lt !== undefined && !(actual < lt)) issues.push({ path, message: `must be shorter than ${text(lt)}` });
  if (lte !== undefined && !(actual <= lte)) issues.push({ path, message: `must be at most ${text(lte)}` });
}

function checkAny(rules: RuleTree, value: unknown, path: string, issues: Issue[]): void {
  const allowed = sub(rules, 'in');
  const typeUrl = (value as { type_url?: string }).type_url;
  if (allowed && !Object.values(allowed).includes(typeUrl ?? ''))
    issues.push({ path, message: `type ${typeUrl ?? '(none)'} is not allowed here` });
}

function checkBytes(rules: RuleTree, value: unknown, path: string, issues: Issue[]): void {
  const length = (value as Uint8Array).length;
  const min = rules['min_len'];
  const max = rules['max_len'];
  if (typeof min === 'number' && length < min)
    issues.push({ path, message: `must be at least ${min} bytes` });
  if (typeof max === 'number' && length > max) issues.push({ path, message: `must be at most ${max} bytes` });
}
