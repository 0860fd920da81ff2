import { failed, ok, type Issue, type Result } from '@ciliary/core';
import type { TetragonCodec } from '../codec';
import type { FieldFilter, Filter, RedactionFilter } from '../model/types.generated';
import { Redactor } from './redaction';

interface JsonChunk {
  readonly text: string;
  readonly line: number;
}

/**
 * Splits a stream of JSON values (Tetragon reads its filter flags with a JSON decoder, so
 * objects may be one per line, several per line, or pretty-printed) into one text per value.
 */
export function splitJsonValues(text: string): JsonChunk[] | { error: string; line: number } {
  const chunks: JsonChunk[] = [];
  let depth = 0;
  let start = -1;
  let startLine = 1;
  let line = 1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\n') line++;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') {
      if (depth === 0) {
        start = i;
        startLine = line;
      }
      depth++;
    } else if (ch === '}' || ch === ']') {
      depth--;
      if (depth < 0) return { error: `unexpected "${ch}"`, line };
      if (depth === 0) chunks.push({ text: text.slice(start, i + 1), line: startLine });
    } else if (depth === 0 && !/\s/.test(ch ?? '')) {
      return { error: `unexpected ${JSON.stringify(ch)} outside a JSON object`, line };
    }
  }
  if (depth !== 0 || inString) return { error: 'unterminated JSON object', line: startLine };
  return chunks;
}

function parseList<T>(
  codec: TetragonCodec,
  messageName: string,
  text: string,
  document: string,
): Result<T[]> {
  const chunks = splitJsonValues(text);
  if (!Array.isArray(chunks))
    return failed([{ document: `${document}:${chunks.line}`, path: '', message: chunks.error }]);
  const issues: Issue[] = [];
  const values: T[] = [];
  for (const chunk of chunks) {
    const r = codec.parse<T>(messageName, chunk.text, {
      document: `${document}:${chunk.line}`,
      discardUnknown: false,
    });
    if (r.ok) values.push(r.value);
    else issues.push(...r.issues);
  }
  return issues.length > 0 ? failed(issues) : ok(values);
}

/**
 * Tetragon's export filter format: JSON Filter objects one after another, snake_case or lowerCamel
 * keys. As in Tetragon, a filter with `pid_set` is refused unless `enablePidSetFilter` is set
 * (--enable-pid-set-filter): pid sets track processes on a best-effort basis.
 */
export function parseFilterList(
  codec: TetragonCodec,
  text: string,
  document = 'filters',
  options: { readonly enablePidSetFilter?: boolean } = {},
): Result<Filter[]> {
  const parsed = parseList<Filter>(codec, 'tetragon.Filter', text, document);
  if (!parsed.ok || options.enablePidSetFilter) return parsed;
  const issues: Issue[] = parsed.value.flatMap((f, i) =>
    f.pid_set?.length
      ? [
          {
            document,
            path: `/${i}/pid_set`,
            message:
              'pid_set filters track processes on a best-effort basis, for testing and development; enable them with --enable-pid-set-filter',
          },
        ]
      : [],
  );
  return issues.length > 0 ? failed(issues) : parsed;
}

/** `--field-filters`: FieldFilter objects in the same stream format. */
export function parseFieldFilterList(
  codec: TetragonCodec,
  text: string,
  document = 'field-filters',
): Result<FieldFilter[]> {
  return parseList<FieldFilter>(codec, 'tetragon.FieldFilter', text, document);
}

/** `--redaction-filters` text compiled: every problem of every filter and regex listed. */
export function redactorFromText(
  codec: TetragonCodec,
  text: string,
  document = 'redaction-filters',
): Result<Redactor> {
  const filters = parseRedactionFilterList(codec, text, document);
  return filters.ok ? Redactor.compile(filters.value, document) : filters;
}

/** `--redaction-filters`: RedactionFilter objects in the same stream format. */
export function parseRedactionFilterList(
  codec: TetragonCodec,
  text: string,
  document = 'redaction-filters',
): Result<RedactionFilter[]> {
  return parseList<RedactionFilter>(codec, 'tetragon.RedactionFilter', text, document);
}
