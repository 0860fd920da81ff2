import { failed, ok, type Issue, type Result } from '@ciliary/core';
import type { EnvVar, GetEventsResponse, Process, RedactionFilter } from '../model/types.generated';
import type { Re2 } from './re2';
import { compileRe2 } from './regex';

export const REDACTED = '*****';

interface CompiledRedaction {
  readonly binaries: readonly Re2[];
  readonly redact: readonly Re2[];
}

/** Replaces the text of every capture group of every match with `*****`, as Tetragon does. */
export function redactText(re: Re2, text: string): string {
  return redactTextChanged(re, text).text;
}

/**
 * Tetragon's redactString: every match, as Go's ReplaceAllStringFunc finds them, is matched again on
 * its own text, and that match's capture groups become `*****`. Tells whether a group was replaced
 * (Tetragon stops at the first regex that replaces one in an environment variable).
 */
function redactTextChanged(re: Re2, text: string): { text: string; changed: boolean } {
  // The DFA answers most texts, which hold nothing to redact, without the slower group search.
  if (!re.test(text)) return { text, changed: false };
  let changed = false;
  let out = '';
  let pos = 0;
  for (const m of re.matchAll(text)) {
    const matched = text.slice(m.start, m.end);
    const redacted = redactGroups(re, matched);
    if (redacted !== undefined) changed = true;
    out += text.slice(pos, m.start) + (redacted ?? matched);
    pos = m.end;
  }
  return { text: out + text.slice(pos), changed };
}

/** The groups of the first match in `text` replaced, or undefined when there is none to replace. */
function redactGroups(re: Re2, text: string): string | undefined {
  const groups = re.exec(text)?.groups;
  if (!groups) return undefined;
  let out = '';
  let last = 0;
  let replaced = false;
  for (const span of groups) {
    // Groups that took no part, or nested in a group already redacted, are skipped.
    if (!span || span[0] < last) continue;
    replaced = true;
    out += text.slice(last, span[0]) + REDACTED;
    last = span[1];
  }
  return replaced ? out + text.slice(last) : undefined;
}

/**
 * Tetragon's redaction filters: regex capture groups in process arguments and environment
 * variables (matched as `KEY=VALUE`, the first regex that changes one wins) become `*****`.
 */
export class Redactor {
  private constructor(private readonly filters: readonly CompiledRedaction[]) {}

  static compile(filters: readonly RedactionFilter[], document?: string): Result<Redactor> {
    const issues: Issue[] = [];
    const compile = (patterns: readonly string[] | undefined, path: string): Re2[] =>
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
    let args = process.arguments ?? '';
    let envs = process.environment_variables;
    for (const f of this.filters) {
      if (f.binaries.length > 0 && !f.binaries.some((re) => re.test(process.binary ?? ''))) continue;
      for (const re of f.redact) args = redactTextChanged(re, args).text;
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
function redactEnv(res: readonly Re2[], env: EnvVar): EnvVar {
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
