export * from './model/types.generated';
export {
  EVENT_FIELDS,
  type EventField,
  eventFieldOf,
  eventTypeOf,
  eventTypeOfField,
  eventParts,
  type EventParts,
  type InnerEvent,
  innerEvent,
  processOf,
  parentOf,
  ancestorsOf,
  policyNameOf,
} from './model/event';
export { TetragonCodec, EVENT_MESSAGE, type ParseOptions } from './codec';
export { PROTO_DIR, loadTetragonRoot } from './schema/load';
export {
  SchemaTables,
  jsonNameOf,
  type FieldKind,
  type FieldTable,
  type MessageTable,
  type EnumTable,
} from './schema/table';
export {
  type TimeParts,
  formatTimestamp,
  parseTimestamp,
  canonicalTimestamp,
  timestampFromNanos,
  nanosFromTimestamp,
  formatDuration,
  parseDuration,
} from './json/well-known';
export { quoteJson } from './json/encode';
export { compileRe2, RegexError } from './filters/regex';
export { Re2, Re2SyntaxError, type Re2Match } from './filters/re2';
export { compileLabelSelector, LabelSelectorError } from './filters/labels';
export { type EventPredicate, compileFilter, compileEventFilter, EventFilter } from './filters/filter';
export { FieldFilters } from './filters/field-filter';
export { Redactor, redactText, REDACTED } from './filters/redaction';
export {
  parseFilterList,
  parseFieldFilterList,
  parseRedactionFilterList,
  redactorFromText,
  splitJsonValues,
} from './filters/parse';
export { CompactEncoder, CompactFormatError, type CompactOptions } from './compact/encoder';
export { type ColorMode, autoColor } from './compact/colors';
export { execId, parseExecId, unknownParentExecId, type ExecIdParts } from './process/exec-id';
export { exitStatus, signalName } from './process/exit';
export { decodeArgs, processFlags, PROCESS_FLAGS } from './process/args';
export {
  ProcessCache,
  withFields,
  type ProcessCacheOptions,
  type ProcessCacheStats,
  type CacheEntry,
  type CacheColor,
  type RefOp,
} from './process/cache';
export { EventCache, type EventCacheOptions, type EventCacheStats } from './process/event-cache';
export {
  RetryQueue,
  type GiveUpReason,
  type RetryQueueOptions,
  type RetryQueueStats,
} from './process/retry-queue';
export {
  buildProcess,
  buildExecEvent,
  buildExitEvent,
  buildKprobeEvent,
  type ExecFacts,
} from './process/builders';
export { EventLineDecoder, type LineProblem, type LineDecoderOptions } from './export/line-decoder';
export { RotatingFile, ExportFileError, type RotatingFileOptions } from './export/rotating-file';
export { RateLimiter } from './export/rate-limit';
export { JsonExporter, type ExporterOptions, type ExporterStats } from './export/exporter';
export { exportFiltersFromFlags, type ExportFilters, type ExportFlagTexts } from './export/export-flags';
export { followFile, type FollowOptions, type FollowHandle } from './export/follow';
export {
  EventPrinter,
  type EventPrinterOptions,
  type EventPrinterStats,
  type OutputFormat,
  type GetEventsFlags,
  getEventsRequestFromFlags,
  splitFlagValues,
} from './pipeline';
