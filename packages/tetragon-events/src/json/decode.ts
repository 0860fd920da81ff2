import type { Issue } from '@ciliary/core';
import type { MessageTable } from '../schema/table';
import { compileNormalizer, type CompiledNormalizer } from './normalize-compiled';
import { normalizeObject, type Context, type JsonObject, type NormalizeOptions } from './normalize-generic';

export type { NormalizeOptions } from './normalize-generic';

/**
 * Turns parsed protojson objects into the model's canonical form in place (see
 * normalizeMessageByWalk for what that means), with a normaliser generated once per message.
 */
export class Normalizers {
  private readonly compiled = new Map<MessageTable, CompiledNormalizer>();

  /** `compile` is replaceable for tests; the default generates code from the tables. */
  constructor(private readonly compile: (table: MessageTable) => CompiledNormalizer = compileNormalizer) {}

  /** Normalises obj as the message of `table`; returns every problem found, with its JSON path. */
  normalize(obj: JsonObject, table: MessageTable, options: NormalizeOptions = {}): Issue[] {
    let normalizer = this.compiled.get(table);
    if (normalizer === undefined) {
      normalizer = this.compileOrWalk(table);
      this.compiled.set(table, normalizer);
    }
    const ctx: Context = {
      issues: [],
      discardUnknown: options.discardUnknown ?? true,
      document: options.document,
      stack: [],
    };
    normalizer(obj, ctx);
    return ctx.issues;
  }

  /** Where code generation is disallowed (node --disallow-code-generation-from-strings), the walk does the same work. */
  private compileOrWalk(table: MessageTable): CompiledNormalizer {
    try {
      return this.compile(table);
    } catch (err) {
      if (!(err instanceof EvalError)) throw err;
      return (obj, ctx) => normalizeObject(obj, table, ctx);
    }
  }
}
