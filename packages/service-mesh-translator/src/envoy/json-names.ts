import type { Field, Type } from 'protobufjs';

/** protobuf's JSON name of a field: underscores dropped, the following letter upper-cased. */
export function jsonNameOf(protoName: string): string {
  return protoName.replace(/_([a-z0-9])/g, (_match, next: string) => next.toUpperCase());
}

/** Fields of a message by both spellings proto3 JSON accepts: the JSON name and the proto name. */
export class FieldIndex {
  private readonly byType = new Map<Type, Map<string, Field>>();

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
