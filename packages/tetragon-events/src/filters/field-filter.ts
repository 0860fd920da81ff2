import { failed, ok, type Issue, type Result } from '@ciliary/core';
import { EVENT_FIELDS, eventFieldOf } from '../model/event';
import { fieldMaskFromJson } from '../json/well-known';
import type { EventType, FieldFilter, GetEventsResponse } from '../model/types.generated';
import type { MessageTable } from '../schema/table';
import type { TetragonCodec } from '../codec';

type JsonObject = Record<string, unknown>;

/** A tree of field paths: a leaf (empty map) keeps or removes the whole field. */
type PathTree = Map<string, PathTree>;

interface CompiledFieldFilter {
  readonly types: ReadonlySet<EventType> | undefined;
  readonly invert: boolean;
  readonly include: boolean;
  readonly tree: PathTree;
}

function treeOf(paths: readonly string[]): PathTree {
  const root: PathTree = new Map();
  for (const path of paths) {
    let node = root;
    const segments = path.split('.');
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i]!;
      let next = node.get(seg);
      if (next === undefined) {
        next = new Map();
        node.set(seg, next);
      } else if (next.size === 0) break; // a shorter path already covers this one
      if (i === segments.length - 1) next.clear();
      node = next;
    }
  }
  return root;
}

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A path into a repeated message applies to each element, as Tetragon's field masks do. */
function eachElement(
  value: unknown,
  sub: PathTree,
  f: (obj: JsonObject, tree: PathTree) => JsonObject,
): unknown {
  if (Array.isArray(value)) return value.map((el) => (isObject(el) ? f(el, sub) : el));
  return isObject(value) ? f(value, sub) : value;
}

function keep(obj: JsonObject, tree: PathTree): JsonObject {
  const out: JsonObject = {};
  for (const [key, sub] of tree) {
    const value = obj[key];
    if (value === undefined) continue;
    out[key] = sub.size === 0 ? value : eachElement(value, sub, keep);
  }
  return out;
}

function prune(obj: JsonObject, tree: PathTree): JsonObject {
  const out: JsonObject = { ...obj };
  for (const [key, sub] of tree) {
    if (!(key in out)) continue;
    if (sub.size === 0) delete out[key];
    else out[key] = eachElement(out[key], sub, prune);
  }
  return out;
}

/** Checks a field path against the inner event messages it may apply to. */
function pathProblem(path: string, tables: readonly MessageTable[]): string | undefined {
  const valid = tables.some((table) => {
    let current: MessageTable | undefined = table;
    for (const seg of path.split('.')) {
      const field: ReturnType<MessageTable['byName']['get']> = current?.byName.get(seg);
      if (!field) return false;
      current = field.message;
    }
    return true;
  });
  return valid ? undefined : `unknown field path "${path}"`;
}

/**
 * Tetragon's field filters: each applies to events of its event_set (all when empty, the
 * complement when invert_event_set) and keeps (INCLUDE) or removes (EXCLUDE) field paths of the
 * inner event. Filters apply in order, so an exclusion always wins over an inclusion.
 */
export class FieldFilters {
  private constructor(private readonly filters: readonly CompiledFieldFilter[]) {}

  static compile(
    codec: TetragonCodec,
    filters: readonly FieldFilter[],
    document?: string,
  ): Result<FieldFilters> {
    const issues: Issue[] = [];
    const compiled = filters.map((f, i): CompiledFieldFilter => {
      const paths = fieldMaskFromJson(f.fields ?? '');
      const types = f.event_set?.length ? new Set(f.event_set) : undefined;
      const tables = EVENT_FIELDS.filter(([, type]) =>
        types ? types.has(type) !== (f.invert_event_set ?? false) : true,
      ).map(([field]) => codec.events.byName.get(field)!.message!);
      for (const path of paths) {
        const message = pathProblem(path, tables);
        if (message)
          issues.push({ ...(document === undefined ? {} : { document }), path: `/${i}/fields`, message });
      }
      return {
        types,
        invert: f.invert_event_set ?? false,
        include: (f.action ?? 'INCLUDE') === 'INCLUDE',
        tree: treeOf(paths),
      };
    });
    return issues.length > 0 ? failed(issues) : ok(new FieldFilters(compiled));
  }

  get empty(): boolean {
    return this.filters.length === 0;
  }

  /** A filtered copy; the input event is left untouched (it may be shared between clients). */
  apply(event: GetEventsResponse): GetEventsResponse {
    const field = eventFieldOf(event);
    if (field === undefined || this.filters.length === 0) return event;
    const type = EVENT_FIELDS.find(([f]) => f === field)![1];
    let inner = event[field] as JsonObject;
    for (const f of this.filters) {
      const listed = f.types === undefined || f.types.has(type);
      if (f.types !== undefined && listed === f.invert) continue;
      // An empty mask selects every field, so it changes nothing either way.
      if (f.tree.size === 0) continue;
      inner = f.include ? keep(inner, f.tree) : prune(inner, f.tree);
    }
    return { ...event, [field]: inner };
  }
}
