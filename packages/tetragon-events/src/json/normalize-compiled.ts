import type { FieldTable, MessageTable } from '../schema/table';
import {
  DROP,
  applyRenames,
  normalizeField,
  report,
  unknownField,
  type Context,
  type JsonObject,
} from './normalize-generic';
import { isCanonicalBase64, isCanonicalInt64, isCanonicalTimestamp } from './well-known';

/** Normalises one message in place, reporting problems into the context. */
export type CompiledNormalizer = (obj: JsonObject, ctx: Context) => void;

/** Whether a list holds only JSON objects (no nulls, scalars or lists). */
function allPlainObjects(list: readonly unknown[]): boolean {
  for (const e of list) if (typeof e !== 'object' || e === null || Array.isArray(e)) return false;
  return true;
}

/** Whether a list holds only names of the enum (repeated enums keep every known name, zero included). */
function allEnumNames(list: readonly unknown[], byName: ReadonlyMap<string, number>): boolean {
  for (const e of list) if (typeof e !== 'string' || !byName.has(e)) return false;
  return true;
}

function allStrings(list: readonly unknown[]): boolean {
  for (const e of list) if (typeof e !== 'string') return false;
  return true;
}

/** A non-empty JSON object whose values are all strings: a map<string, string> kept as it is. */
function isStringMap(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  let size = 0;
  for (const k in value) {
    if (typeof (value as JsonObject)[k] !== 'string') return false;
    size++;
  }
  return size > 0;
}

/** What the generated code reaches, passed in as one argument rather than through globals. */
const HELPERS = {
  DROP,
  applyRenames,
  normalizeField,
  report,
  unknownField,
  isCanonicalBase64,
  isCanonicalInt64,
  isCanonicalTimestamp,
  allPlainObjects,
  allEnumNames,
  allStrings,
  isStringMap,
};

/**
 * Generates a normaliser for a message and every message it reaches: one function per message
 * with a `switch` over its keys. Each case accepts the canonical form Tetragon's writer emits
 * (a string, an in-range integer, a canonical timestamp, a nested object...) with a type check
 * and moves on; anything else (lowerCamel keys, numbers for 64-bit integers, other timestamp
 * forms, bad values, nulls, a second oneof member) goes to the schema walk of
 * normalize-generic.ts, so results and problems are the walk's, only faster on the common path.
 */
export function compileNormalizer(root: MessageTable): CompiledNormalizer {
  const program = new NormalizerProgram();
  const rootIndex = program.messageIndex(root);
  const body = program.source(rootIndex);
  // The source is built from our own schema tables: field names are embedded with JSON.stringify.
  const factory = new Function('h', 'T', 'F', 'E', body) as (
    helpers: typeof HELPERS,
    tables: readonly MessageTable[],
    fields: readonly FieldTable[],
    enums: ReadonlyArray<ReadonlyMap<string, number>>,
  ) => CompiledNormalizer;
  return factory(HELPERS, program.messages, program.fields, program.enums);
}

class NormalizerProgram {
  readonly messages: MessageTable[] = [];
  readonly fields: FieldTable[] = [];
  readonly enums: Array<ReadonlyMap<string, number>> = [];
  private readonly messageIndexes = new Map<MessageTable, number>();
  private readonly fieldIndexes = new Map<FieldTable, number>();
  private readonly enumIndexes = new Map<ReadonlyMap<string, number>, number>();
  /** Generated declarations of the per-field caches of validated timestamps. */
  private readonly timestampCaches: string[] = [];

  /** Numbers a message and, depth first, every message it reaches (recursion included). */
  messageIndex(table: MessageTable): number {
    const known = this.messageIndexes.get(table);
    if (known !== undefined) return known;
    const index = this.messages.length;
    this.messages.push(table);
    this.messageIndexes.set(table, index);
    for (const field of table.fields) if (field.message) this.messageIndex(field.message);
    return index;
  }

  source(rootIndex: number): string {
    const functions = this.messages.map((table, i) => this.messageFunction(table, i));
    return [
      "'use strict';",
      'const { DROP, applyRenames, normalizeField, report, unknownField, isCanonicalBase64,',
      '  isCanonicalInt64, isCanonicalTimestamp, allPlainObjects, allEnumNames, allStrings, isStringMap } = h;',
      ...this.timestampCaches,
      ...functions,
      `return m${rootIndex};`,
    ].join('\n');
  }

  private fieldIndex(field: FieldTable): number {
    let index = this.fieldIndexes.get(field);
    if (index === undefined) {
      index = this.fields.length;
      this.fields.push(field);
      this.fieldIndexes.set(field, index);
    }
    return index;
  }

  private enumIndex(byName: ReadonlyMap<string, number>): number {
    let index = this.enumIndexes.get(byName);
    if (index === undefined) {
      index = this.enums.length;
      this.enums.push(byName);
      this.enumIndexes.set(byName, index);
    }
    return index;
  }

  /**
   * A check of a timestamp field that remembers the last two texts it accepted: a process's and
   * its parent's start times repeat from event to event, and comparing equal strings is cheaper
   * than validating them again. The seeds are canonical, so a hit never accepts a bad value.
   */
  private timestampCheck(f: number): string {
    const name = `ts${f}`;
    if (this.timestampCaches.some((c) => c.startsWith(`let ${name}a `))) return name;
    this.timestampCaches.push(`let ${name}a = '1970-01-01T00:00:00Z';
let ${name}b = ${name}a;
function ${name}(value) {
  if (value === ${name}a || value === ${name}b) return true;
  if (!isCanonicalTimestamp(value)) return false;
  ${name}b = ${name}a;
  ${name}a = value;
  return true;
}`);
    return name;
  }

  /** The loop body after the switch is normalize-generic's normalizeObject, line for line. */
  private messageFunction(table: MessageTable, index: number): string {
    const keys = Object.keys(table.byKey);
    const protoKeys = keys.filter((k) => table.byKey[k]!.name === k);
    const otherKeys = keys.filter((k) => table.byKey[k]!.name !== k);
    const cases = [
      ...protoKeys.map((k) => this.fastCase(k, table.byKey[k]!)),
      ...otherKeys.map(
        (k) => `case ${JSON.stringify(k)}: field = F[${this.fieldIndex(table.byKey[k]!)}]; break;`,
      ),
    ];
    return `function m${index}(obj, ctx) {
  let renames;
  let oneofSet;
  for (const key in obj) {
    const value = obj[key];
    let field;
    switch (key) {
${cases.map((c) => `      ${c}`).join('\n')}
      default:
        unknownField(obj, key, T[${index}], ctx);
        continue;
    }
    const out = value === null ? DROP : normalizeField(value, field, ctx, key);
    if (out === DROP) {
      delete obj[key];
      continue;
    }
    if (out !== value) obj[key] = out;
    if (field.oneof !== undefined) {
      if (oneofSet !== undefined && oneofSet.oneof === field.oneof) {
        report(ctx, field.name, 'oneof "' + field.oneof + '" already has "' + oneofSet.name + '" set');
        delete obj[key];
        continue;
      }
      oneofSet ??= field;
    }
    if (key !== field.name) (renames ??= []).push([key, field]);
  }
  if (renames !== undefined) applyRenames(obj, renames, ctx);
}`;
  }

  /** A case for a proto-name key: the canonical value is accepted in place, else the walk runs. */
  private fastCase(key: string, field: FieldTable): string {
    const f = this.fieldIndex(field);
    const fast = this.fastPath(field, f);
    return `case ${JSON.stringify(key)}:${fast ? ` ${fast}` : ''} field = F[${f}]; break;`;
  }

  private fastPath(field: FieldTable, f: number): string | undefined {
    // A oneof member is accepted only while no member of its oneof has been seen.
    const oneofFree =
      field.oneof === undefined
        ? undefined
        : `(oneofSet === undefined || oneofSet.oneof !== ${JSON.stringify(field.oneof)})`;
    const keep = oneofFree ? `{ oneofSet ??= F[${f}]; continue; }` : 'continue;';
    const accept = (check: string, action = ''): string =>
      `if (${oneofFree ? `${oneofFree} && ` : ''}${check}) { ${action}${keep} }`;
    // Zero scalars outside oneofs are left out, as protojson does.
    const scalar = (check: string, zero: string): string =>
      oneofFree ? accept(check) : `if (${check}) { if (value === ${zero}) delete obj[key]; continue; }`;
    const sub = field.message ? this.messageIndex(field.message) : undefined;

    if (field.map) return accept('isStringMap(value)');
    if (field.repeated) {
      if (field.kind === 'message' && sub !== undefined) {
        const walk = `ctx.stack.push(key); for (let i = 0; i < value.length; i++) { ctx.stack.push(i); m${sub}(value[i], ctx); ctx.stack.pop(); } ctx.stack.pop(); `;
        return accept('Array.isArray(value) && value.length > 0 && allPlainObjects(value)', walk);
      }
      if (field.kind === 'string')
        return accept('Array.isArray(value) && value.length > 0 && allStrings(value)');
      if (field.kind === 'enum' && field.enumTable) {
        const e = this.enumIndex(field.enumTable.byName);
        return accept(`Array.isArray(value) && value.length > 0 && allEnumNames(value, E[${e}])`);
      }
      return undefined;
    }
    switch (field.kind) {
      case 'message':
        if (sub === undefined) return undefined;
        return accept(
          "typeof value === 'object' && value !== null && !Array.isArray(value)",
          `ctx.stack.push(key); m${sub}(value, ctx); ctx.stack.pop(); `,
        );
      case 'enum': {
        if (!field.enumTable) return undefined;
        const e = this.enumIndex(field.enumTable.byName);
        const zero = oneofFree ? '' : ' if (n === 0) { delete obj[key]; continue; }';
        return `if (${oneofFree ? `${oneofFree} && ` : ''}typeof value === 'string') { const n = E[${e}].get(value); if (n !== undefined && n !== 0) ${keep}${zero} }`;
      }
      case 'timestamp':
        return accept(`typeof value === 'string' && ${this.timestampCheck(f)}(value)`);
      case 'wrapper': {
        // Wrappers have presence: their zero is kept.
        const check = field.wrapped === undefined ? undefined : SCALAR_CHECKS[field.wrapped];
        return check === undefined ? undefined : accept(check);
      }
      default: {
        const check = SCALAR_CHECKS[field.kind];
        const zero = SCALAR_ZEROS[field.kind];
        return check === undefined || zero === undefined ? undefined : scalar(check, zero);
      }
    }
  }
}

/** The canonical JSON form of each scalar kind, as a check on `value`. */
const SCALAR_CHECKS: Partial<Record<FieldTable['kind'], string>> = {
  string: "typeof value === 'string'",
  bool: "typeof value === 'boolean'",
  double: "typeof value === 'number'",
  int32: "typeof value === 'number' && (value | 0) === value",
  uint32: "typeof value === 'number' && value >>> 0 === value",
  int64: "typeof value === 'string' && isCanonicalInt64(value, 'int64')",
  uint64: "typeof value === 'string' && isCanonicalInt64(value, 'uint64')",
  bytes: "typeof value === 'string' && isCanonicalBase64(value)",
};

const SCALAR_ZEROS: Partial<Record<FieldTable['kind'], string>> = {
  string: "''",
  bool: 'false',
  double: '0',
  int32: '0',
  uint32: '0',
  int64: "'0'",
  uint64: "'0'",
  bytes: "''",
};
