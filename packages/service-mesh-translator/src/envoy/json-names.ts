import type { Field, Type } from 'protobufjs';

/** protobuf's JSON name of a field: underscores dropped, the following letter upper-cased. */
export function jsonNameOf(protoName: string): string {
  return protoName.replace(/_([a-z0-9])/g, (_match, next: string) => next.toUpperCase());
}

/** PGV rules of a field, as a tree: `{ string: { min_len: 1 } }`. */
export type RuleTree = { [key: string]: RuleTree | string | number | boolean };

const RULE_PREFIX = '(validate.rules).';

function parseRules(field: Field): RuleTree | undefined {
  let tree: RuleTree | undefined;
  for (const [key, value] of Object.entries(field.options ?? {})) {
    if (!key.startsWith(RULE_PREFIX)) continue;
    tree ??= {};
    const parts = key.slice(RULE_PREFIX.length).split('.');
    let node = tree;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) node[part] = value as string | number | boolean;
      else node = (node[part] ??= {}) as RuleTree;
    });
  }
  return tree;
}

/**
 * What the JSON reader, writer and rule checker ask of protobufjs's reflection
 * on every value, computed once per type or field: protobufjs recomputes
 * `fullName` and friends on each access, which dominated translation time.
 * One catalog per codec; nothing is shared between codecs.
 */
export class ProtoCatalog {
  private readonly byType = new Map<Type, Map<string, Field>>();
  private readonly fullNames = new Map<Type, string>();
  private readonly jsonNames = new Map<Field, string>();
  private readonly ruleTrees = new Map<Field, RuleTree | null>();

  fullName(type: Type): string {
    let name = this.fullNames.get(type);
    if (name === undefined) this.fullNames.set(type, (name = type.fullName));
    return name;
  }

  jsonName(field: Field): string {
    let name = this.jsonNames.get(field);
    if (name === undefined) this.jsonNames.set(field, (name = jsonNameOf(field.name)));
    return name;
  }

  rules(field: Field): RuleTree | undefined {
    let rules = this.ruleTrees.get(field);
    if (rules === undefined) this.ruleTrees.set(field, (rules = parseRules(field) ?? null));
    return rules ?? undefined;
  }

  /** A field by either spelling proto3 JSON accepts: the JSON name or the proto name. */
  lookup(type: Type, key: string): Field | undefined {
    let fields = this.byType.get(type);
    if (!fields) {
      fields = new Map();
      for (const field of type.fieldsArray) {
        fields.set(field.name, field);
        fields.set(jsonNameOf(field.name), field);
      }
      this.byType.set(type, fields);
    }
    return fields.get(key);
  }
}

/** Escapes one JSON pointer segment (RFC 6901). */
export function pointerSegment(key: string | number): string {
  return String(key).replace(/~/g, '~0').replace(/\//g, '~1');
}
