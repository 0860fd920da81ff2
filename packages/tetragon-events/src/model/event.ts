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

/** The inner event's field name, or undefined when no event is set. */
export function eventFieldOf(event: GetEventsResponse): EventField | undefined {
  for (const [field] of EVENT_FIELDS) if (event[field] !== undefined) return field;
  return undefined;
}

/** The EventType of an event, derived from its set oneof member as Tetragon does; UNDEF when none. */
export function eventTypeOf(event: GetEventsResponse): EventType {
  for (const [field, type] of EVENT_FIELDS) if (event[field] !== undefined) return type;
  return 'UNDEF';
}

interface WithProcess {
  process?: Process;
  parent?: Process;
  ancestors?: Process[];
  policy_name?: string;
}

/** The inner event as a record with the fields several event types share. */
export function innerEvent(event: GetEventsResponse): WithProcess | undefined {
  const field = eventFieldOf(event);
  return field === undefined ? undefined : (event[field] as WithProcess);
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
