import { Option, type Command } from 'commander';
import { formatIssue } from '@ciliary/core';
import {
  EventPrinter,
  FieldFilters,
  autoColor,
  compileEventFilter,
  getEventsRequestFromFlags,
  type ColorMode,
  type CompactOptions,
  type GetEventsRequest,
  type OutputFormat,
  type TetragonCodec,
} from '@ciliary/tetragon-events';

/** The filter flags `ciliary events` and `ciliary sensor` share, as tetra getevents spells them. */
export interface EventFilterFlags {
  eventTypes?: string[];
  namespace?: string[];
  host?: boolean;
  pod?: string[];
  process?: string[];
  containers?: string[];
  namespaceRegex?: string[];
  policyNames?: string[];
  allowList?: string;
  denyList?: string;
  includeFields?: string[];
  excludeFields?: string[];
}

/** Turns the shared filter flags into a GetEventsRequest; bad filters are one error listing every problem. */
export function eventsRequest(codec: TetragonCodec, flags: EventFilterFlags) {
  const request = getEventsRequestFromFlags(codec, {
    ...(flags.eventTypes ? { eventTypes: flags.eventTypes } : {}),
    ...(flags.namespace ? { namespaces: flags.namespace } : {}),
    ...(flags.host ? { host: true } : {}),
    ...(flags.pod ? { pods: flags.pod } : {}),
    ...(flags.process ? { processes: flags.process } : {}),
    ...(flags.containers ? { containers: flags.containers } : {}),
    ...(flags.namespaceRegex ? { namespaceRegexes: flags.namespaceRegex } : {}),
    ...(flags.policyNames ? { policyNames: flags.policyNames } : {}),
    ...(flags.allowList !== undefined ? { allowList: flags.allowList } : {}),
    ...(flags.denyList !== undefined ? { denyList: flags.denyList } : {}),
    ...(flags.includeFields ? { includeFields: flags.includeFields } : {}),
    ...(flags.excludeFields ? { excludeFields: flags.excludeFields } : {}),
  });
  if (!request.ok) throw new Error(`invalid filters:\n${request.issues.map(formatIssue).join('\n')}`);
  return request.value;
}

/** The output flags `ciliary events` and `ciliary sensor` share, with the filter flags. */
export interface EventOutputFlags extends EventFilterFlags {
  output: OutputFormat;
  color: ColorMode;
  timestamps?: boolean;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Adds the output and filter flags of `tetra getevents` to a command. */
export function withEventOutputOptions(command: Command): Command {
  return command
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['json', 'compact']).default('json'),
    )
    .addOption(
      new Option('--color <when>', 'colours in compact output')
        .choices(['auto', 'always', 'never'])
        .default('auto'),
    )
    .option('--timestamps', 'prefix compact lines with the event time')
    .option('-e, --event-types <types>', 'only these event types (PROCESS_EXEC,PROCESS_KPROBE...)', collect)
    .option('-n, --namespace <namespaces>', 'only processes in these Kubernetes namespaces', collect)
    .option('--host', 'also host processes (namespace "")')
    .option('--pod <regex>', 'only pods whose name matches', collect)
    .option('--process <regex>', 'only binaries matching', collect)
    .option('--containers <regex>', 'only containers whose name matches', collect)
    .option('--namespace-regex <regex>', 'only Kubernetes namespaces matching (host processes: "")', collect)
    .option('--policy-names <names>', 'only events of these TracingPolicies', collect)
    .option('--allow-list <json>', "allow filters in Tetragon's export filter format (JSON Filter objects)")
    .option('--deny-list <json>', "deny filters in Tetragon's export filter format")
    .option(
      '-f, --include-fields <fields>',
      'keep only these fields (e.g. process.binary,process.pod.name)',
      collect,
    )
    .option('-F, --exclude-fields <fields>', 'remove these fields', collect);
}

/** `--color`: auto means colours on a terminal unless the environment says otherwise. */
export function compactColor(flags: EventOutputFlags): boolean {
  return (
    flags.color === 'always' ||
    (flags.color === 'auto' && autoColor(process.env, process.stdout.isTTY === true))
  );
}

/** The printer for a request's filters and field filters; bad ones are one error listing every problem. */
export function eventPrinter(
  codec: TetragonCodec,
  request: GetEventsRequest,
  format: OutputFormat,
  compact: CompactOptions,
): EventPrinter {
  const filter = compileEventFilter(request, { document: 'filters' });
  if (!filter.ok) throw new Error(`invalid filters:\n${filter.issues.map(formatIssue).join('\n')}`);
  const fieldFilters = FieldFilters.compile(codec, request.field_filters ?? [], 'fields');
  if (!fieldFilters.ok)
    throw new Error(`invalid fields:\n${fieldFilters.issues.map(formatIssue).join('\n')}`);
  return new EventPrinter({ codec, format, compact, filter: filter.value, fieldFilters: fieldFilters.value });
}
