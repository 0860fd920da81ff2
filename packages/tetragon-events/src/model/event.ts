import type { EventType, GetEventsResponse, Process } from './types.generated';

/** The oneof members of GetEventsResponse and the EventType each stands for (same numbers). */
export const EVENT_FIELDS = [
  ['process_exec', 'PROCESS_EXEC'],
  ['process_exit', 'PROCESS_EXIT'],
  ['process_kprobe', 'PROCESS_KPROBE'],
  ['process_tracepoint', 'PROCESS_TRACEPOINT'],
  ['process_loader', 'PROCESS_LOADER'],
  ['process_uprobe', 'PROCESS_UPROBE'],
  ['process_throttle', 'PROCESS_THROTTLE'],
  ['process_lsm', 'PROCESS_LSM'],
  ['process_usdt', 'PROCESS_USDT'],
  ['test', 'TEST'],
  ['rate_limit_info', 'RATE_LIMIT_INFO'],
] as const satisfies ReadonlyArray<readonly [keyof GetEventsResponse, EventType]>;

export type EventField = (typeof EVENT_FIELDS)[number][0];

const EVENT_TYPE_OF_FIELD: Readonly<Record<EventField, EventType>> = Object.fromEntries(
  EVENT_FIELDS,
) as Record<EventField, EventType>;

/** The inner event's field name, or undefined when no event is set. */
export function eventFieldOf(event: GetEventsResponse): EventField | undefined {
  // One named check per member, in EVENT_FIELDS order (a test keeps them in step): filters and
  // printers ask this several times of every event, and a loop of keyed loads costs more.
  if (event.process_exec !== undefined) return 'process_exec';
  if (event.process_exit !== undefined) return 'process_exit';
  if (event.process_kprobe !== undefined) return 'process_kprobe';
  if (event.process_tracepoint !== undefined) return 'process_tracepoint';
  if (event.process_loader !== undefined) return 'process_loader';
  if (event.process_uprobe !== undefined) return 'process_uprobe';
  if (event.process_throttle !== undefined) return 'process_throttle';
  if (event.process_lsm !== undefined) return 'process_lsm';
  if (event.process_usdt !== undefined) return 'process_usdt';
  if (event.test !== undefined) return 'test';
  if (event.rate_limit_info !== undefined) return 'rate_limit_info';
  return undefined;
}

/** The EventType of an event, derived from its set oneof member as Tetragon does; UNDEF when none. */
export function eventTypeOf(event: GetEventsResponse): EventType {
  return eventTypeOfField(eventFieldOf(event));
}

/** The EventType a oneof member stands for; UNDEF for none. */
export function eventTypeOfField(field: EventField | undefined): EventType {
  return field === undefined ? 'UNDEF' : EVENT_TYPE_OF_FIELD[field];
}

/** The fields several inner event types share. */
export interface InnerEvent {
  process?: Process;
  parent?: Process;
  ancestors?: Process[];
  policy_name?: string;
}

/**
 * Which oneof member an event sets and that member, found once: a filter's predicates and the
 * printer would otherwise each look for it again, with up to eleven property loads that miss
 * V8's inline caches (every event type gives the event object another hidden class).
 */
export interface EventParts {
  readonly field: EventField | undefined;
  readonly inner: InnerEvent | undefined;
}

export function eventParts(event: GetEventsResponse): EventParts {
  const field = eventFieldOf(event);
  return { field, inner: field === undefined ? undefined : (event[field] as InnerEvent) };
}

/** The inner event as a record with the fields several event types share. */
export function innerEvent(event: GetEventsResponse): InnerEvent | undefined {
  const field = eventFieldOf(event);
  return field === undefined ? undefined : (event[field] as InnerEvent);
}

export function processOf(event: GetEventsResponse): Process | undefined {
  return innerEvent(event)?.process;
}

export function parentOf(event: GetEventsResponse): Process | undefined {
  return innerEvent(event)?.parent;
}

export function ancestorsOf(event: GetEventsResponse): Process[] {
  return innerEvent(event)?.ancestors ?? [];
}

/** The policy that produced a kprobe, tracepoint, uprobe, LSM or USDT event. */
export function policyNameOf(event: GetEventsResponse): string | undefined {
  const inner =
    event.process_kprobe ??
    event.process_tracepoint ??
    event.process_uprobe ??
    event.process_lsm ??
    event.process_usdt;
  return inner?.policy_name;
}
