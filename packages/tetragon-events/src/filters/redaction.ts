import { failed, ok, type Issue, type Result } from '@ciliary/core';
import type { EnvVar, GetEventsResponse, Process, RedactionFilter } from '../model/types.generated';
import { compileRe2 } from './regex';

export const REDACTED = '*****';

interface CompiledRedaction {
  readonly binaries: readonly RegExp[];
  readonly redact: readonly RegExp[];
}

/** Replaces the text of every capture group of every match with `*****`, as Tetragon does. */
export function redactText(re: RegExp, text: string): string {
  return redactTextChanged(re, text).text;
}

/** redactText, telling whether a capture group was replaced (Tetragon stops at that for envs). */
function redactTextChanged(re: RegExp, text: string): { text: string; changed: boolean } {
  let changed = false;
  const global = new RegExp(re.source, `${re.flags.replace(/[gdy]/g, '')}gd`);
  let out = '';
  let pos = 0;
  for (const m of text.matchAll(global)) {
    const start = m.index;
    const end = start + m[0].length;
    out += text.slice(pos, start);
    let last = start;
    const indices = m.indices ?? [];
    for (let i = 1; i < indices.length; i++) {
      const span = indices[i];
      // Nested groups inside an already redacted group are skipped.
      if (!span || span[0] < last) continue;
      changed = true;
      out += text.slice(last, span[0]) + REDACTED;
      last = span[1];
    }
    out += text.slice(last, end);
    pos = end;
  }
  return { text: out + text.slice(pos), changed };
}

/**
 * Tetragon's redaction filters: regex capture groups in process arguments and environment
 * variables (matched as `KEY=VALUE`, the first regex that changes one wins) become `*****`.
 */
export class Redactor {
  private constructor(private readonly filters: readonly CompiledRedaction[]) {}

  static compile(filters: readonly RedactionFilter[], document?: string): Result<Redactor> {
    const issues: Issue[] = [];
    const compile = (patterns: readonly string[] | undefined, path: string): RegExp[] =>
      (patterns ?? []).flatMap((p, i) => {
        try {
          return [compileRe2(p)];
        } catch (err) {
          issues.push({
            ...(document === undefined ? {} : { document }),
            path: `${path}/${i}`,
            message: String((err as Error).message),
          });
          return [];
        }
      });
    // The deprecated `match` field is ignored, as Tetragon ignores it.
    const compiled = filters.map((f, i) => {
      return {
        binaries: compile(f.binary_regex, `/${i}/binary_regex`),
        redact: compile(f.redact, `/${i}/redact`),
      };
    });
    return issues.length > 0 ? failed(issues) : ok(new Redactor(compiled));
  }

  redactProcess(process: Process): Process {
    if (!process.arguments && !process.environment_variables?.length) return process;
    let args = process.arguments ?? '';
    let envs = process.environment_variables;
    for (const f of this.filters) {
      if (f.binaries.length > 0 && !f.binaries.some((re) => re.test(process.binary ?? ''))) continue;
      for (const re of f.redact) args = redactText(re, args);
      if (envs) envs = envs.map((env) => redactEnv(f.redact, env));
    }
    const argsChanged = args !== (process.arguments ?? '');
    const envsChanged = envs !== undefined && envs.some((e, i) => e !== process.environment_variables![i]);
    if (!argsChanged && !envsChanged) return process;
    return {
      ...process,
      ...(argsChanged ? { arguments: args } : {}),
      ...(envsChanged ? { environment_variables: envs } : {}),
    };
  }

  /** A copy with the arguments of the process, its parent and its ancestors redacted. */
  apply(event: GetEventsResponse): GetEventsResponse {
    if (this.filters.length === 0) return event;
    for (const key of Object.keys(event) as Array<keyof GetEventsResponse>) {
      const inner = event[key] as { process?: Process; parent?: Process; ancestors?: Process[] } | undefined;
      if (typeof inner !== 'object' || inner === null || !('process' in inner || 'parent' in inner)) continue;
      const copy = { ...inner };
      if (copy.process) copy.process = this.redactProcess(copy.process);
      if (copy.parent) copy.parent = this.redactProcess(copy.parent);
      if (copy.ancestors) copy.ancestors = copy.ancestors.map((a) => this.redactProcess(a));
      return { ...event, [key]: copy };
    }
    return event;
  }
}

/** One variable as `KEY=VALUE` through the regexes until one changes it, split back at the first `=`. */
function redactEnv(res: readonly RegExp[], env: EnvVar): EnvVar {
  const text = `${env.Key ?? ''}=${env.Value ?? ''}`;
  for (const re of res) {
    const r = redactTextChanged(re, text);
    if (!r.changed) continue;
    const eq = r.text.indexOf('=');
    return eq === -1
      ? { ...env, Value: r.text }
      : { ...env, Key: r.text.slice(0, eq), Value: r.text.slice(eq + 1) };
  }
  return env;
}
