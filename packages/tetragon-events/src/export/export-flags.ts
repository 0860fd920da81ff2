import { failed, ok, type Issue, type Result } from '@ciliary/core';
import type { TetragonCodec } from '../codec';
import { FieldFilters } from '../filters/field-filter';
import { EventFilter, compileEventFilter } from '../filters/filter';
import { parseFieldFilterList, parseFilterList } from '../filters/parse';

/** The texts of Tetragon's export flags, as a user gives them. */
export interface ExportFlagTexts {
  /** --export-allowlist: Filter objects. */
  readonly allowList?: string;
  /** --export-denylist: Filter objects. */
  readonly denyList?: string;
  /** --field-filters: FieldFilter objects. */
  readonly fieldFilters?: string;
  /** --enable-pid-set-filter. */
  readonly enablePidSetFilter?: boolean;
}

/** JsonExporter options, as compiled from the flags: spread them into the exporter's options. */
export interface ExportFilters {
  readonly filter: EventFilter;
  readonly fieldFilters?: FieldFilters;
}

/** Tetragon's export flags compiled for a JsonExporter, every problem of every flag listed with its path. */
export function exportFiltersFromFlags(codec: TetragonCodec, flags: ExportFlagTexts): Result<ExportFilters> {
  const issues: Issue[] = [];
  const list = (text: string | undefined, document: string) => {
    if (text === undefined) return [];
    const r = parseFilterList(codec, text, document, {
      enablePidSetFilter: flags.enablePidSetFilter === true,
    });
    if (!r.ok) issues.push(...r.issues);
    return r.ok ? r.value : [];
  };
  const allow = list(flags.allowList, '--export-allowlist');
  const deny = list(flags.denyList, '--export-denylist');
  let filter = EventFilter.all();
  if (allow.length > 0 || deny.length > 0) {
    const compiled = compileEventFilter(
      { allow_list: allow, deny_list: deny },
      { document: 'export filters' },
    );
    if (compiled.ok) filter = compiled.value;
    else issues.push(...compiled.issues);
  }
  let fieldFilters: FieldFilters | undefined;
  if (flags.fieldFilters !== undefined) {
    const parsed = parseFieldFilterList(codec, flags.fieldFilters, '--field-filters');
    const compiled = parsed.ok ? FieldFilters.compile(codec, parsed.value, '--field-filters') : parsed;
    if (compiled.ok) fieldFilters = compiled.value;
    else issues.push(...compiled.issues);
  }
  return issues.length > 0 ? failed(issues) : ok({ filter, ...(fieldFilters ? { fieldFilters } : {}) });
}
