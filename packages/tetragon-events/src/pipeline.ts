import { failed, ok, type Issue, type Result } from '@ciliary/core';
import type { TetragonCodec } from './codec';
import { CompactEncoder, type CompactOptions } from './compact/encoder';
import { EventFilter } from './filters/filter';
import { eventParts } from './model/event';
import { type FieldFilters } from './filters/field-filter';
import { parseFilterList } from './filters/parse';
import type {
  EventType,
  FieldFilter,
  Filter,
  GetEventsRequest,
  GetEventsResponse,
} from './model/types.generated';
import { EventTypeValues } from './model/types.generated';

export type OutputFormat = 'json' | 'compact';

export interface EventPrinterOptions {
  readonly codec: TetragonCodec;
  readonly format: OutputFormat;
  readonly compact?: CompactOptions;
  readonly filter?: EventFilter;
  readonly fieldFilters?: FieldFilters;
}

export interface EventPrinterStats {
  readonly printed: number;
  readonly filtered: number;
  /** Events the compact format has no line for (rate-limit reports, events without a type). */
  readonly unprintable: number;
}

/** Filters events and renders them as `tetra getevents` does: protojson lines or compact lines. */
export class EventPrinter {
  private readonly compact: CompactEncoder | undefined;
  private readonly filter: EventFilter;
  private printed = 0;
  private filtered = 0;
  private unprintable = 0;

  constructor(private readonly options: EventPrinterOptions) {
    this.compact = options.format === 'compact' ? new CompactEncoder(options.compact) : undefined;
    this.filter = options.filter ?? EventFilter.all();
  }

  /** The output for one event ('' when it is filtered out or cannot be printed). */
  print(event: GetEventsResponse): string {
    const parts = eventParts(event);
    if (!this.filter.matches(event, parts)) {
      this.filtered++;
      return '';
    }
    const fieldFilters = this.options.fieldFilters;
    const shown = fieldFilters ? fieldFilters.apply(event) : event;
    if (!this.compact) {
      this.printed++;
      return `${this.options.codec.stringifyEvent(shown)}\n`;
    }
    const text = this.compact.tryEncode(shown, fieldFilters ? eventParts(shown) : parts);
    if (text === undefined) {
      this.unprintable++;
      return '';
    }
    this.printed++;
    return text;
  }

  stats(): EventPrinterStats {
    return { printed: this.printed, filtered: this.filtered, unprintable: this.unprintable };
  }
}

/** The filter flags of `tetra getevents`, plus ciliary's --allow-list / --deny-list. */
export interface GetEventsFlags {
  readonly eventTypes?: readonly string[];
  readonly namespaces?: readonly string[];
  readonly pods?: readonly string[];
  readonly processes?: readonly string[];
  /** Container name regexes, as tetra's --containers. */
  readonly containers?: readonly string[];
  /** Namespace regexes, as tetra's --namespace-regex (host processes count as namespace ""). */
  readonly namespaceRegexes?: readonly string[];
  /** Names of the TracingPolicies whose events to show, as tetra's --policy-names. */
  readonly policyNames?: readonly string[];
  /** Adds host processes (namespace "") to the namespace list, as tetra's --host. */
  readonly host?: boolean;
  /** Tetragon's export filter format: JSON Filter objects one after another. */
  readonly allowList?: string;
  readonly denyList?: string;
  readonly includeFields?: readonly string[];
  readonly excludeFields?: readonly string[];
}

/** Splits repeated, comma-separated flag values as cobra's string slices do. */
export function splitFlagValues(values: readonly string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/**
 * The GetEventsRequest `tetra getevents` would send for these flags: the filter flags form one
 * allow filter; with --allow-list, that filter's fields are added to each filter of the list
 * (so flags narrow the list). -f / -F become INCLUDE / EXCLUDE field filters.
 */
export function getEventsRequestFromFlags(
  codec: TetragonCodec,
  flags: GetEventsFlags,
): Result<GetEventsRequest> {
  const issues: Issue[] = [];
  const fromFlags: Filter = {};
  const types = splitFlagValues(flags.eventTypes).map((t) => t.toUpperCase());
  for (const t of types) {
    if (!(t in EventTypeValues) || t === 'UNDEF')
      issues.push({
        document: '--event-types',
        path: '',
        message: `unknown event type "${t}" (one of ${Object.keys(EventTypeValues)
          .filter((k) => k !== 'UNDEF')
          .join(', ')})`,
      });
  }
  if (types.length > 0) fromFlags.event_set = types as EventType[];
  const namespaces = splitFlagValues(flags.namespaces);
  if (flags.host) namespaces.push('');
  if (namespaces.length > 0) fromFlags.namespace = namespaces;
  const pods = splitFlagValues(flags.pods);
  if (pods.length > 0) fromFlags.pod_regex = pods;
  const processes = splitFlagValues(flags.processes);
  if (processes.length > 0) fromFlags.binary_regex = processes;
  const containers = splitFlagValues(flags.containers);
  if (containers.length > 0) fromFlags.container_name_regex = containers;
  const namespaceRegexes = splitFlagValues(flags.namespaceRegexes);
  if (namespaceRegexes.length > 0) fromFlags.namespace_regex = namespaceRegexes;
  const policyNames = splitFlagValues(flags.policyNames);
  if (policyNames.length > 0) fromFlags.policy_names = policyNames;

  const lists = (text: string | undefined, document: string): Filter[] => {
    if (text === undefined) return [];
    // These lists go into a GetEventsRequest, whose pid_set Tetragon's server takes without the export's gate.
    const r = parseFilterList(codec, text, document, { enablePidSetFilter: true });
    if (!r.ok) issues.push(...r.issues);
    return r.ok ? r.value : [];
  };
  const allow = lists(flags.allowList, '--allow-list');
  const deny = lists(flags.denyList, '--deny-list');
  const hasFlagFilter = Object.keys(fromFlags).length > 0;
  const allowList =
    allow.length === 0 ? (hasFlagFilter ? [fromFlags] : []) : allow.map((f) => ({ ...f, ...fromFlags }));

  const fieldFilters: FieldFilter[] = [];
  const include = splitFlagValues(flags.includeFields);
  if (include.length > 0) fieldFilters.push({ fields: include.join(','), action: 'INCLUDE' });
  const exclude = splitFlagValues(flags.excludeFields);
  if (exclude.length > 0) fieldFilters.push({ fields: exclude.join(','), action: 'EXCLUDE' });

  if (issues.length > 0) return failed(issues);
  const request: GetEventsRequest = {};
  if (allowList.length > 0) request.allow_list = allowList;
  if (deny.length > 0) request.deny_list = deny;
  if (fieldFilters.length > 0) request.field_filters = fieldFilters;
  return ok(request);
}
